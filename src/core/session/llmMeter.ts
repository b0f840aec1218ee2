/**
 * The LLM calls a fine-tune session makes (adapting the script to the user's
 * instructions, repairs the playbook cannot make) are paid for like an
 * agent's, so they are counted like an agent's: each call's tokens and cost go
 * to the run (a 'usage' line in transcript.jsonl, usage and costUsd in
 * status.json), the panel's meter gets the same 'usage' event, and once
 * mlIntern.maxCostUsd or mlIntern.maxTokens is reached no further call is
 * made: it fails with an LlmError of kind 'budget' whose message names the
 * setting, and the session goes on without the LLM.
 *
 * The limits are read from the settings at each call (a session has no
 * "continue with raised limits" of its own): raising the setting lets the same
 * run ask again.
 */
import { Budget } from '../policy/budget';
import { UsageTotals } from '../events';
import { costOf } from '../llm/pricing';
import { LlmError, LlmProvider, LlmRequest, LlmResponse, StreamEvent } from '../llm/types';
import { EventSink } from '../ports';
import { RunHandle } from '../runs/runStore';
import { BudgetLimits, ZERO_TOTALS } from '../runs/types';
import { Settings } from '../settings';

const SETTING = { steps: 'mlIntern.maxSteps', tokens: 'mlIntern.maxTokens', cost: 'mlIntern.maxCostUsd' } as const;

export interface MeterDeps {
  handle: RunHandle;
  events: EventSink;
  settings: () => Settings;
  /** What earlier calls of the run used (a run reopened after a reload). */
  totals?: UsageTotals;
}

/** A session's LLM calls are bounded by tokens and cost; it takes no agent steps, so it has no step limit. */
function sessionLimits(settings: Settings): BudgetLimits {
  return { maxSteps: 0, maxTokens: settings.maxTokens, maxCostUsd: settings.maxCostUsd };
}

export class MeteredLlm implements LlmProvider {
  private readonly budget: Budget;
  /** The limits the transcript last recorded; the panel's replay reads the meter's maximum from them. */
  private recorded: string | undefined;

  constructor(
    private readonly inner: LlmProvider,
    private readonly deps: MeterDeps,
  ) {
    this.budget = new Budget(sessionLimits(deps.settings()), 0, { ...(deps.totals ?? ZERO_TOTALS) });
  }

  get id(): string {
    return this.inner.id;
  }
  get model(): string {
    return this.inner.model;
  }
  get contextWindow(): number {
    return this.inner.contextWindow;
  }

  async chat(request: LlmRequest, onEvent?: (event: StreamEvent) => void): Promise<LlmResponse> {
    this.budget.limits = sessionLimits(this.deps.settings());
    const spent = this.spent();
    if (spent) throw new LlmError('budget', spent);
    const response = await this.inner.chat(request, onEvent);
    await this.account(response);
    return response;
  }

  /** Why no call may be made now (the limits reached, the settings to raise), or undefined. */
  private spent(): string | undefined {
    const hit = this.budget.reached();
    if (!hit.length) return undefined;
    const settings = hit.map((h) => SETTING[h.key]).join(' and ');
    return `The LLM was not asked: this run's LLM budget is spent (${hit.map((h) => h.label).join(', ')}). Raise ${settings} (0 = no limit) to let ML Intern ask it again.`;
  }

  private async account(response: LlmResponse): Promise<void> {
    const { handle, events } = this.deps;
    const model = response.model || this.inner.model;
    const cost = costOf(model, response.usage, this.deps.settings().prices).usd;
    this.budget.add(response.usage, cost, false);
    const totals = { ...this.budget.totals };
    // The meter first: the run folder may be what cannot be written.
    events.emit({ type: 'usage', runId: handle.id, totals, budget: this.budget.state() });
    const limits = JSON.stringify(this.budget.limits);
    if (limits !== this.recorded) {
      await handle.appendTranscript({ kind: 'limits', limits: this.budget.limits });
      this.recorded = limits;
    }
    await handle.appendTranscript({ kind: 'usage', usage: response.usage, costUsd: cost, model, step: false });
    await handle.updateStatus({ usage: totals, costUsd: totals.costUsd });
  }
}

/** The session's LLM, counted on its run; undefined stays undefined (recipe mode). */
export function meterLlm(llm: LlmProvider | undefined, deps: MeterDeps): LlmProvider | undefined {
  return llm && new MeteredLlm(llm, deps);
}
