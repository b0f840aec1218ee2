/**
 * Budgets: steps, tokens and USD per run. Near a limit (80 %) the agent is
 * told once per limit; at a limit the run stops cleanly and can be continued
 * with raised limits. The fine-tune session meters its LLM calls with it too
 * (session/llmMeter.ts): here, below both.
 */
import { BudgetState, UsageTotals } from '../events';
import { Usage } from '../llm/types';
import { BudgetLimits } from '../runs/types';

export const NEAR_LIMIT = 0.8;

export type CostFunction = (model: string, usage: Usage) => number;

export class Budget {
  private readonly warned = new Set<string>();

  constructor(
    public limits: BudgetLimits,
    public steps = 0,
    public totals: UsageTotals = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costUsd: 0, llmCalls: 0 },
  ) {}

  /**
   * New spend in tokens: uncached input (cache writes included, they are processed anew) plus output.
   * Cache reads are the unchanged prefix read again at a tenth of the price or less: counting them
   * would make a long run hit mlIntern.maxTokens on tokens it did not pay for, so they are shown apart.
   */
  get tokens(): number {
    return this.totals.inputTokens + this.totals.outputTokens;
  }

  /** Input tokens served from the provider's prompt cache, shown beside (never inside) {@link tokens}. */
  get cachedTokens(): number {
    return this.totals.cachedInputTokens;
  }

  /** Count one LLM call; `step` false for housekeeping calls (compaction summaries). */
  add(usage: Usage, costUsd: number, step: boolean): void {
    if (step) this.steps++;
    this.totals.inputTokens += usage.inputTokens + usage.cacheWriteTokens;
    this.totals.outputTokens += usage.outputTokens;
    this.totals.cachedInputTokens += usage.cachedInputTokens;
    this.totals.costUsd += costUsd;
    this.totals.llmCalls++;
  }

  private ratios(): Array<{ key: 'steps' | 'tokens' | 'cost'; label: string; used: number; max: number }> {
    const l = this.limits;
    const out: Array<{ key: 'steps' | 'tokens' | 'cost'; label: string; used: number; max: number }> = [{ key: 'steps', label: `steps ${this.steps}/${l.maxSteps}`, used: this.steps, max: l.maxSteps }];
    if (l.maxTokens > 0) out.push({ key: 'tokens', label: `tokens ${this.tokens}/${l.maxTokens}`, used: this.tokens, max: l.maxTokens });
    if (l.maxCostUsd > 0) out.push({ key: 'cost', label: `cost $${this.totals.costUsd.toFixed(4)}/$${l.maxCostUsd}`, used: this.totals.costUsd, max: l.maxCostUsd });
    return out;
  }

  /** The limits already reached (a reason to stop before the next LLM call), or undefined. */
  exceeded(): string | undefined {
    const hit = this.reached();
    return hit.length ? hit.map((r) => r.label).join(', ') : undefined;
  }

  /** Each limit already reached: which one, so a message can name its setting, and how far ("cost $2.0100/$2"). */
  reached(): Array<{ key: 'steps' | 'tokens' | 'cost'; label: string }> {
    return this.ratios()
      .filter((r) => r.max > 0 && r.used >= r.max)
      .map((r) => ({ key: r.key, label: r.label }));
  }

  /** A note for the next observation when a limit passed 80 % for the first time. */
  nearNote(): string | undefined {
    const near = this.ratios().filter((r) => r.max > 0 && r.used >= NEAR_LIMIT * r.max && r.used < r.max && !this.warned.has(r.key));
    if (!near.length) return undefined;
    for (const r of near) this.warned.add(r.key);
    return `budget nearly used: ${near.map((r) => r.label).join(', ')}. Wrap up: finish the essential work and call finish with a summary soon.`;
  }

  /**
   * Raise limits to continue a run. `true` gives the exhausted limits as much
   * room again as they had (steps +max, tokens and cost doubled).
   */
  raise(raise: Partial<BudgetLimits> | true): BudgetLimits {
    const l = this.limits;
    if (raise === true) {
      this.limits = {
        maxSteps: this.steps >= l.maxSteps ? this.steps + l.maxSteps : l.maxSteps,
        maxTokens: l.maxTokens > 0 && this.tokens >= l.maxTokens ? this.tokens + l.maxTokens : l.maxTokens,
        maxCostUsd: l.maxCostUsd > 0 && this.totals.costUsd >= l.maxCostUsd ? this.totals.costUsd + l.maxCostUsd : l.maxCostUsd,
      };
    } else {
      this.limits = { ...l, ...Object.fromEntries(Object.entries(raise).filter(([, v]) => typeof v === 'number')) };
    }
    this.warned.clear();
    return this.limits;
  }

  state(): BudgetState {
    return {
      steps: this.steps,
      maxSteps: this.limits.maxSteps,
      tokens: this.tokens,
      cachedTokens: this.cachedTokens,
      maxTokens: this.limits.maxTokens,
      costUsd: this.totals.costUsd,
      maxCostUsd: this.limits.maxCostUsd,
    };
  }
}
