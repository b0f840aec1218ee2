/**
 * The ports: the only ways the editor-agnostic core touches the world.
 *
 * The VS Code layer (src/vscode) and the CLI (src/cli) each implement them;
 * tests use the in-memory versions in ./testing/memoryPorts.ts. Keep every
 * interface small: a new capability adds a port method only when no existing
 * one can express it.
 */

/** A text file store confined to one root folder (the workspace). */
export interface FileStore {
  /** Absolute path of the workspace root. */
  readonly root: string;
  /**
   * Resolve a workspace-relative (or absolute, inside the root) path to an
   * absolute path. Throws {@link OutsideWorkspaceError} for anything that
   * escapes the root, symlinks included.
   */
  resolve(path: string): string;
  read(path: string): Promise<string>;
  /** Undefined when the file does not exist. */
  readIfExists(path: string): Promise<string | undefined>;
  write(path: string, text: string): Promise<void>;
  append(path: string, text: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  /**
   * Create one folder (its parents as needed). True when this call created it,
   * false when it already existed: of several processes creating the same
   * folder at once, exactly one gets true, so it can serve as a reservation.
   */
  createDir(path: string): Promise<boolean>;
  /** Workspace-relative paths of the entries directly under (or, with recursive, below) a folder. */
  list(dir: string, options?: { recursive?: boolean; limit?: number }): Promise<string[]>;
}

export class OutsideWorkspaceError extends Error {
  constructor(readonly path: string, readonly root: string) {
    super(`Refused: '${path}' is outside the workspace (${root}). ML Intern only reads and writes inside the open workspace folder.`);
    this.name = 'OutsideWorkspaceError';
  }
}

/** Who wrote a proposed change; the approval policy treats them differently. */
export type ChangeOrigin = 'agent' | 'recipe' | 'playbook' | 'user';

/** A change to one file that the user must see before it lands. */
export interface ProposedChange {
  /** Workspace-relative path. */
  path: string;
  /** Current content, or null when the file is new. */
  original: string | null;
  /** The full proposed content. */
  proposed: string;
  /** One line for the user and the transcript: why this change. */
  description: string;
  origin: ChangeOrigin;
  /** Run this change belongs to, when any. */
  runId?: string;
  /**
   * The id the UI already knows this change by (the chat panel's card). A reviewer
   * uses it as its own id, so the card's buttons find the change it reviews.
   */
  id?: string;
}

export type ReviewDecision =
  | {
      kind: 'accepted';
      /** The text actually written (the user may have edited the proposal). */
      text: string;
      /** Unified patch from the proposal to the accepted text; empty when accepted as proposed. */
      userPatch: string;
      /** True when a policy accepted it without asking. */
      auto: boolean;
    }
  | { kind: 'rejected'; reason?: string };

export interface Reviewer {
  /** Show the change and resolve with the user's decision. Several calls may be pending at once. */
  propose(change: ProposedChange, signal?: AbortSignal): Promise<ReviewDecision>;
}

/** What to run. Always an argv array: never a shell string built from agent text. */
export interface ProcessSpec {
  argv: string[];
  cwd: string;
  env?: Record<string, string>;
  /** Shown as the terminal's name. */
  name: string;
  /** When set, every byte of output is also appended here (absolute path). */
  logFile?: string;
}

export interface ProcessExit {
  /** Exit code; 128 + signal number when killed by a signal (137 for SIGKILL). */
  code: number;
  signal?: string;
}

export interface RunningProcess {
  readonly pid: number;
  /** Subscribe to output (raw bytes decoded as UTF-8, ANSI codes kept). Returns an unsubscribe function. */
  onData(listener: (chunk: string) => void): () => void;
  readonly exit: Promise<ProcessExit>;
  write(data: string): void;
  /** SIGINT, then SIGTERM, then SIGKILL to the process group, each after a grace period. */
  stop(reason?: string): Promise<ProcessExit>;
}

export interface Executor {
  start(spec: ProcessSpec): Promise<RunningProcess>;
}

/** Named secrets (API keys, HF token). Values never reach files, logs or transcripts. */
export interface Secrets {
  get(name: SecretName): Promise<string | undefined>;
  set(name: SecretName, value: string): Promise<void>;
  delete(name: SecretName): Promise<void>;
}

export type SecretName = 'openai' | 'anthropic' | 'openai-compatible' | 'hf';

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Everything the UI may want to show. The webview protocol carries these as they are. */
export interface EventSink {
  emit(event: import('./events').AgentEvent): void;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
}
