/**
 * Tool definitions: what the model may call. A feature adds a tool by adding a
 * file that exports a {@link ToolDefinition} and registering it in a
 * {@link import('./registry').ToolRegistry}.
 */
import { AgentEvent, PlanItem } from '../events';
import { Executor, FileStore, Logger, ProposedChange, ReviewDecision } from '../ports';
import { JsonSchema } from '../llm/types';
import { Settings } from '../settings';
import type { CommandApprovalRequest, CommandDecision } from '../policy/approval';
import type { AttachResult, DetachedOptions, DetachedRun, DetachedSpec } from '../exec/detached';
import type { RunHandle } from '../runs/runStore';
import type { ProcessTranscriptEntry } from '../runs/types';
import type { SlurmDeps } from '../run/slurmJobs';

/** free: reading; write: changes files (through the Reviewer); run: starts a process or a foreign tool. */
export type ApprovalClass = 'free' | 'write' | 'run';

export interface ToolResult {
  ok: boolean;
  /** Detailed text for the model, on success and on failure. */
  output: string;
  /** Structured data for the UI and the transcript (never sent to the model). */
  data?: unknown;
  /** Set by the control tools (finish, ask_user): the loop acts on it after the observation is recorded. */
  control?: ToolControl;
}

export type ToolControl = { kind: 'finish'; summary: string; artefacts: string[] } | { kind: 'ask_user'; question: string };

// Defined beside the approval policy (policy/approval.ts), which the sessions use too.
export type { CommandApprovalRequest, CommandDecision } from '../policy/approval';
export interface ToolContext {
  readonly runId: string;
  /** Workspace-relative folder of the run (`.ml-intern/runs/<id>`). */
  readonly runFolder: string;
  readonly files: FileStore;
  readonly executor: Executor;
  readonly settings: Settings;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** Environment for started processes (e.g. HF_TOKEN); never written anywhere. */
  readonly env: Record<string, string>;
  emit(event: AgentEvent): void;
  /**
   * Propose a file change under the approval policy: the Reviewer asks the
   * user unless the policy allows it; the accepted text is written and every
   * version is kept in the run folder's scripts/.
   */
  proposeChange(change: Omit<ProposedChange, 'runId'>): Promise<ReviewDecision & { savedAs: string[] }>;
  /** Ask (or auto-approve, by policy) before running a process or a foreign tool. */
  approveCommand(request: Omit<CommandApprovalRequest, 'cwd'> & { cwd?: string }): Promise<CommandDecision>;
  /** Save a file in the run folder (e.g. a snippet, a log); returns its workspace-relative path. */
  saveRunFile(relativePath: string, text: string): Promise<string>;
  /** Next free number for a run-folder series (`snippet`, `cmd`, …), stable across reloads. */
  nextNumber(series: string): Promise<number>;
  /** Replace the plan the UI shows. */
  setPlan(items: PlanItem[]): void;
  /** The Python interpreter the user chose (settings.pythonPath or python3). */
  readonly python: string;
  /**
   * Where `run` commands go when the host can start them detached (they outlive a window reload;
   * see detachedCommand.ts). Absent (the CLI, tests): through the executor, ended with the host.
   */
  readonly detached?: DetachedCommands;
}

/** The host's means to run the agent's commands detached, and the run's side of it. */
export interface DetachedCommands {
  launch(spec: DetachedSpec, options: DetachedOptions): Promise<DetachedRun>;
  attach(runDir: string, options: DetachedOptions): Promise<AttachResult | undefined>;
  /** Show a command found still running after a reload (a terminal following its log). */
  show?(run: DetachedRun, name: string): void;
  /** The run's metrics.jsonl. */
  metrics: Pick<RunHandle, 'appendMetrics' | 'path'>;
  /** The command's whole output as process_output events (a terminal prints it), not the panel's short tail. */
  fullOutput?: boolean;
  /** The Slurm backend for submit_job and for finding its jobs again after a reload. */
  slurm: SlurmDeps;
  /** Record in the transcript where the current call's command is. */
  remember(record: Omit<ProcessTranscriptEntry, 'kind' | 'callId'>): Promise<void>;
}

export interface ToolDefinition<A = Record<string, unknown>> {
  name: string;
  /** For the model: what it does, when to use it, what it returns. */
  description: string;
  parameters: JsonSchema;
  /**
   * Other names the model may use for a parameter (e.g. the libraries' own `learning_rate` for
   * `learningRate`): renamed before validation, so they are honoured instead of rejected as unknown.
   * Kept out of the schema so the tool list the model reads (and caches) stays short.
   */
  aliases?: Readonly<Record<string, string>>;
  approval: ApprovalClass;
  handler(args: A, ctx: ToolContext): Promise<ToolResult>;
}

/**
 * A definition whose argument type is erased, as the registry stores it
 * (handler is a method, so its parameter is bivariant and any ToolDefinition<A> fits).
 */
export type AnyToolDefinition = ToolDefinition<never>;
