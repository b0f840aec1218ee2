/**
 * Events the core emits for any UI (chat panel, status bar, CLI printer).
 * One table; the webview protocol (src/core/protocol.ts) forwards them unchanged.
 * Add a variant here when a capability needs the UI to show something new.
 */

export interface PlanItem {
  text: string;
  status: 'pending' | 'in_progress' | 'done' | 'skipped';
}

export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costUsd: number;
  llmCalls: number;
}

export interface BudgetState {
  steps: number;
  maxSteps: number;
  /** Uncached input plus output: what mlIntern.maxTokens counts. */
  tokens: number;
  /** Cache reads, apart: not new spend, not counted against mlIntern.maxTokens. */
  cachedTokens?: number;
  maxTokens: number;
  costUsd: number;
  maxCostUsd: number;
}

export interface MetricPoint {
  step: number;
  epoch?: number;
  loss?: number;
  evalLoss?: number;
  learningRate?: number;
  gradNorm?: number;
  [key: string]: number | undefined;
}

/** One GRPO completion as train.py recorded it (samples.jsonl): the prompt's text, the completion, each reward's score and the weighted total. */
export interface GrpoSample {
  prompt: string;
  completion: string;
  /** Score per reward function (null: the function returned None for it). */
  rewards: Record<string, number | null>;
  total: number | null;
}

export interface ProgressInfo {
  current: number;
  total?: number;
  /** Seconds left, when a rate is known. */
  etaSeconds?: number;
  loss?: number;
  gpuMemoryMiB?: number;
  phase?: string;
}

export type RunState = 'starting' | 'running' | 'succeeded' | 'failed' | 'stopped' | 'waiting' | 'budget' | 'lost';

export type AgentEvent =
  | { type: 'run_started'; runId: string; title: string; folder: string }
  | { type: 'assistant_delta'; runId: string; text: string }
  | { type: 'assistant_message'; runId: string; text: string }
  | { type: 'user_message'; runId: string; text: string }
  | { type: 'tool_call'; runId: string; callId: string; name: string; args: unknown }
  | { type: 'tool_result'; runId: string; callId: string; name: string; ok: boolean; summary: string; data?: unknown }
  | { type: 'plan'; runId: string; items: PlanItem[] }
  /** `isNew`: the file does not exist yet (its review shows the proposal alone, not a diff). */
  | { type: 'change_proposed'; runId: string; changeId: string; path: string; description: string; origin: string; added: number; removed: number; isNew?: boolean }
  /** `written`: accepted in part or edited, the lines the written file adds and removes (the proposal's are in change_proposed). */
  | { type: 'change_decided'; runId: string; changeId: string; path: string; decision: 'accepted' | 'rejected'; auto: boolean; reason?: string; written?: { added: number; removed: number } }
  /** `sandbox`: where it runs when confined ("bubblewrap, network off"), the card's badge. */
  | { type: 'process_started'; runId: string; processId: string; name: string; argv: string[]; python?: string; sandbox?: string }
  | { type: 'process_output'; runId: string; processId: string; text: string }
  | { type: 'process_exited'; runId: string; processId: string; code: number }
  | { type: 'progress'; runId: string; processId: string; progress: ProgressInfo }
  | { type: 'metrics'; runId: string; processId: string; points: MetricPoint[] }
  /** GRPO: a few completions of the latest logging step with their rewards (src/core/logs/grpoSamples.ts reads them), shown as one card. */
  | { type: 'grpo_samples'; runId: string; processId: string; step: number; samples: GrpoSample[] }
  | { type: 'diagnosis'; runId: string; attempt: number; category: string; summary: string; fix: string }
  /** `model`: the evaluated model's workspace folder, when it is one (the card offers Try it on it). */
  | { type: 'eval_results'; runId: string; rows: Array<{ task: string; base?: number; trained?: number }>; model?: string }
  /** A fine-tune saved its model (workspace-relative folder): the panel offers what comes next (Try it, Evaluate, Export). */
  | { type: 'model_ready'; runId: string; folder: string }
  /** A smoke run's measurements, ETA and fitted batch plan (session/smokeRun.ts computes them), shown as a card. */
  | { type: 'smoke_result'; runId: string; report: import('./recipes/smokeReport').SmokeReport }
  /** What the accepted script trains on (python/preflight.py), shown as a card before any GPU time. */
  | { type: 'preflight_result'; runId: string; report: import('./python/preflightReport').PreflightReport }
  | { type: 'usage'; runId: string; totals: UsageTotals; budget: BudgetState }
  | { type: 'ask_user'; runId: string; question: string }
  | { type: 'run_state'; runId: string; state: RunState; message?: string }
  | { type: 'notice'; runId?: string; level: 'info' | 'warning' | 'error'; message: string };

export type AgentEventType = AgentEvent['type'];
