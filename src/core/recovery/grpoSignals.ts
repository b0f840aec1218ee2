/**
 * GRPO's quiet failures: runs that do not crash but cannot learn. Read from the logged metric
 * points (trl's GRPOTrainer keys, grpo_trainer.py v1.9: reward, reward_std, frac_reward_zero_std,
 * completions/clipped_ratio), so the monitor can warn at the first logging steps instead of after
 * hours of GPU time.
 */

export interface GrpoWarning {
  id: 'no_reward_signal' | 'completions_clipped';
  message: string;
  /** The step of the latest point the warning is based on. */
  step: number;
}

type Point = Record<string, number | undefined>;

/** Consecutive logged steps a condition must hold before it is reported (one noisy step is not a trend). */
const SUSTAINED = 2;
const CLIPPED_MAJORITY = 0.5;

function lastRun(points: Point[], holds: (p: Point) => boolean): Point[] {
  const run: Point[] = [];
  for (let i = points.length - 1; i >= 0 && holds(points[i]); i--) run.unshift(points[i]);
  return run;
}

export function grpoWarnings(points: Point[]): GrpoWarning[] {
  const grpo = points.filter((p) => typeof p.reward === 'number' || typeof p['completions/clipped_ratio'] === 'number');
  const out: GrpoWarning[] = [];
  // No signal: every group scored the same (std 0), so every advantage is 0 and nothing is learned.
  const flat = lastRun(grpo, (p) => p.reward_std === 0 || p.frac_reward_zero_std === 1);
  if (flat.length >= SUSTAINED) {
    const zero = flat.every((p) => p.reward === 0);
    out.push({
      id: 'no_reward_signal',
      step: flat[flat.length - 1].step ?? 0,
      message: `${zero ? 'Every reward is 0' : 'Every completion of each prompt gets the same reward'} for ${flat.length} logged steps: GRPO learns only from differences within a group, so nothing is learned. `
        + 'Run ml-intern reward-test on the recipe, check the answer column and that the prompt asks for the format the rewards read; raise TEMPERATURE or NUM_GENERATIONS for more varied completions.',
    });
  }
  const clipped = lastRun(grpo, (p) => (p['completions/clipped_ratio'] ?? 0) > CLIPPED_MAJORITY);
  if (clipped.length >= SUSTAINED) {
    const last = clipped[clipped.length - 1];
    out.push({
      id: 'completions_clipped',
      step: last.step ?? 0,
      message: `${Math.round((last['completions/clipped_ratio'] ?? 0) * 100)} % of completions hit MAX_COMPLETION_LENGTH for ${clipped.length} logged steps: cut-off answers lose their final answer and reward. `
        + 'Raise MAX_COMPLETION_LENGTH (memory grows with it), ask for shorter reasoning in SYSTEM_PROMPT, or add a length reward.',
    });
  }
  return out;
}

/** GRPO points kept while following a run: the warnings read only the latest stretch of steps. */
const KEPT_POINTS = 50;

/**
 * Follows a run's metric points as they come and hands back each warning the first time it holds:
 * the user is told once, not at every logging step after. `warned` outlives one attempt when the
 * caller shares it, so a repaired run that still cannot learn is not warned about again.
 */
export class GrpoWarningWatch {
  private readonly points: Point[] = [];

  constructor(private readonly warned: Set<string> = new Set()) {}

  add(points: Point[]): GrpoWarning[] {
    const grpo = points.filter((p) => typeof p.reward === 'number' || typeof p['completions/clipped_ratio'] === 'number');
    if (!grpo.length) return [];
    this.points.push(...grpo);
    this.points.splice(0, Math.max(0, this.points.length - KEPT_POINTS));
    const fresh = grpoWarnings(this.points).filter((w) => !this.warned.has(w.id));
    for (const w of fresh) this.warned.add(w.id);
    return fresh;
  }
}
