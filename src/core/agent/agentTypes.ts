/**
 * What an agent run is built from and what it answers: the dependencies a host hands the loop,
 * the options of a new run, how a stopped run goes on, and how a run ended.
 */
import { AgentEvent, RunState } from '../events';
import { LlmProvider } from '../llm/types';
import { Clock, Executor, FileStore, Logger, Reviewer } from '../ports';
import { RunStore } from '../runs/runStore';
import { BudgetLimits } from '../runs/types';
import { Settings } from '../settings';
import { ToolRegistry } from '../tools/registry';
import { DetachedCommands } from '../tools/types';
import { Redactor } from '../util/redact';
import { CommandApprover } from '../policy/approval';
import { CostFunction } from '../policy/budget';
import { Briefing } from './briefing';

export interface AgentDeps {
  llm: LlmProvider;
  files: FileStore;
  reviewer: Reviewer;
  executor: Executor;
  events: { emit(event: AgentEvent): void };
  settings: Settings;
  /** Default: the core tools. Register custom, MCP and feature tools on it before starting. */
  tools?: ToolRegistry;
  /** Default: a RunStore over `files`. */
  runs?: RunStore;
  clock?: Pick<Clock, 'now'>;
  logger?: Logger;
  /** Default: prompts/persona.md + boundaries.md + the loop rules. */
  systemPrompt?: string;
  /** Context for the first user message (environmentBriefing: installed versions, GPUs); the system prompt stays the same across runs. */
  briefing?: Briefing;
  /** Default: the pricing table with settings.prices overrides. */
  costOf?: CostFunction;
  /** How the host asks before a process runs; without it, runs are refused unless the policy allows them. */
  approveCommand?: CommandApprover;
  /** Environment for started processes (HF_TOKEN…); never written anywhere. */
  env?: Record<string, string>;
  redactor?: Redactor;
  /**
   * Start the agent's `run` commands detached, so a training it started outlives a window reload
   * and the reopened run waits for it (attach defaults to attachDetached). Without it, commands go
   * through `executor` and end with the host.
   */
  detached?: Pick<DetachedCommands, 'launch' | 'show' | 'fullOutput'> & Partial<Pick<DetachedCommands, 'attach' | 'slurm'>>;
}

export interface StartOptions {
  goal: string;
  title?: string;
  /** Overrides of the settings' limits for this run. */
  limits?: Partial<BudgetLimits>;
  /** Extra fields for spec.json (e.g. the fine-tune request). */
  spec?: Record<string, unknown>;
}

/** How a paused or stopped run goes on: an answer to its question, a new instruction, raised limits. */
export type ContinueInput = string | { answer?: string; message?: string; raiseLimits?: Partial<BudgetLimits> | true };

export interface RunOutcome {
  state: RunState;
  /** What happened, in one paragraph (the finish summary, the question, the error, the budget note). */
  message: string;
  question?: string;
  artefacts?: string[];
}

export const NOOP_LOGGER: Logger = { info() {}, warn() {}, error() {}, debug() {} };

/** The run's limits: the settings, with this run's overrides. */
export function limitsFrom(settings: Settings, override: Partial<BudgetLimits> = {}): BudgetLimits {
  return { maxSteps: settings.maxSteps, maxTokens: settings.maxTokens, maxCostUsd: settings.maxCostUsd, ...override };
}
