/**
 * The seams the session code (src/vscode/session) plugs into. The chat panel
 * and the commands call these; until something is set, each default says
 * plainly what is not wired instead of pretending to succeed.
 *
 * No vscode import here, so the session and the tests can fill them freely.
 */
import type { Host } from '../host';

export interface ChatContext {
  host: Host;
  /** The run the panel shows, if any (continue it, or start a new one when null). */
  runId: string | null;
}

/**
 * Handles a message typed in the panel. The handler owns the conversation:
 * it emits `user_message` (and the answer) on host.events itself, so a
 * replayed run shows exactly what the agent recorded.
 */
export type ChatHandler = (text: string, ctx: ChatContext) => Promise<void> | void;
/** Stops a run (the active one when runId is undefined). Resolves false when nothing was running. */
export type StopHandler = (host: Host, runId?: string) => Promise<boolean> | boolean;

export interface EvaluateRequest {
  /** Hub id or workspace path of the model (adapter) to evaluate. */
  model: string;
  baseModel?: string;
  tasks: string[];
  limit?: number;
}
export interface MergeRequest {
  baseModel: string;
  adapter: string;
  output: string;
}
export interface PushRequest {
  folder: string;
  repo: string;
  private: boolean;
}
export type EvaluateHandler = (host: Host, request: EvaluateRequest) => Promise<void> | void;
export type MergeHandler = (host: Host, request: MergeRequest) => Promise<void> | void;
export type PushHandler = (host: Host, request: PushRequest) => Promise<void> | void;

/** What the panel's Accept / Reject / Review diff buttons call (src/vscode/review's controller fits). */
export interface ReviewControls {
  /** The pending change with this id, or undefined when the review does not hold it. */
  get(changeId: string): unknown;
  accept(changeId: string): Promise<unknown> | unknown;
  reject(changeId: string, reason?: string): Promise<unknown> | unknown;
  reveal(changeId: string): Promise<unknown> | unknown;
}

/**
 * Where the panel and the commands reach the session code. One object per window, built at
 * activation (services.ts) and filled in by the session areas (registerSessions, registerChatAgent,
 * registerRecipeHandlers); until a field is set, its caller says plainly what is not wired.
 */
export interface ChatHandlers {
  chat?: ChatHandler;
  stop?: StopHandler;
  evaluate?: EvaluateHandler;
  merge?: MergeHandler;
  push?: PushHandler;
  review?: ReviewControls;
}
