/** What a run folder holds: spec.json, status.json and transcript.jsonl entries. */
import { PlanItem, RunState, UsageTotals } from '../events';
import { ChatMessage, Usage } from '../llm/types';

export interface BudgetLimits {
  maxSteps: number;
  /** 0 = no limit. */
  maxTokens: number;
  /** 0 = no limit. */
  maxCostUsd: number;
}

export interface RunSpec {
  id: string;
  title: string;
  goal: string;
  created: string;
  provider?: string;
  model?: string;
  limits?: BudgetLimits;
  autoApprove?: string;
  [key: string]: unknown;
}

export interface RunStatus {
  state: RunState;
  title: string;
  created: string;
  updated: string;
  steps: number;
  usage: UsageTotals;
  costUsd: number;
  lastMessage: string;
  /** The pending question while state is 'waiting'. */
  question?: string;
  /** Process id of the host driving the run, or of the detached training process. */
  pid?: number;
  /** Fine-tune runs: the workspace-relative training script and the current attempt. */
  scriptPath?: string;
  attempt?: number;
  /** Slurm target: the current job and every job submitted for the run. */
  slurmJobId?: string;
  slurmJobIds?: string[];
  /** A fine-tune that succeeded: the workspace-relative folder its model was saved in. */
  model?: string;
}

export interface RunSummary {
  id: string;
  /** Workspace-relative folder. */
  folder: string;
  status: RunStatus;
  /** What was wrong in status.json (file and field), when anything was. */
  problems?: string[];
}

export type DecisionEntry =
  | { kind: 'decision'; subject: 'change'; path: string; origin: string; decision: 'accepted' | 'rejected'; auto: boolean; edited?: boolean; reason?: string; savedAs?: string[]; description?: string; added?: number; removed?: number }
  | { kind: 'decision'; subject: 'command'; tool: string; argv: string[]; origin: string; decision: 'approved' | 'refused'; auto: boolean; reason?: string };

/**
 * A command the agent started detached (tools/detachedCommand.ts): which tool call it answers and
 * where its records are, so a run reopened after a reload waits for it rather than calling it lost.
 */
export interface ProcessTranscriptEntry {
  kind: 'process';
  callId: string;
  /** Workspace-relative folder of its records (train.log, pid, exit_code). */
  dir: string;
  /** Its card in the panel. */
  processId: string;
  name: string;
  argv: string[];
  /** Its training attempt in metrics.jsonl. */
  attempt: number;
  /** Epoch ms. */
  startedAt: number;
  timeoutSeconds?: number;
  /** Submitted as a Slurm job (submit_job): its records hold slurm.json instead of a launcher's files. */
  slurm?: { script: string; timeLimit?: string };
}

/** One line of transcript.jsonl (a `ts` ISO time is added on write). */
export type TranscriptEntry = (
  | { kind: 'message'; message: ChatMessage }
  | { kind: 'tool_call'; callId: string; name: string; args: unknown }
  | { kind: 'tool_result'; callId: string; name: string; ok: boolean; output: string; data?: unknown; fullOutput?: string }
  | DecisionEntry
  | { kind: 'usage'; usage: Usage; costUsd: number; model: string; step: boolean }
  | { kind: 'plan'; items: PlanItem[] }
  /** The conversation was compacted: `messages` replaces everything before. */
  | { kind: 'compaction'; summary: string; messages: ChatMessage[]; removedMessages: number }
  | { kind: 'state'; state: RunState; message?: string; question?: string }
  | { kind: 'limits'; limits: BudgetLimits }
  | { kind: 'guard'; level: 'warn' | 'stop'; reason: string }
  | { kind: 'note'; text: string }
  | ProcessTranscriptEntry
  /** A message the user sent while the run was going; `dequeued` when the model got it (as the next user message). */
  | { kind: 'queued'; id: number; text: string }
  | { kind: 'dequeued'; id: number }
) & { ts?: string };

export const ZERO_TOTALS: UsageTotals = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costUsd: 0, llmCalls: 0 };
