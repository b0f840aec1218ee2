/**
 * Which row length the memory plan counts, from the token lengths the preview measured
 * (python/preflight.py's `lengths`) instead of MAX_LENGTH for every row.
 *
 * Why the longest row and not p95/p99: trl's collators pad each micro-batch to its longest row
 * ("padded … to the maximum length of the batch": DataCollatorForLanguageModeling in
 * trl/trainer/sft_trainer.py and DataCollatorForPreference in dpo_trainer.py, v1.9.0, both with
 * pad_to_multiple_of None by default), so the activations of the step whose micro-batch holds the longest row are
 * micro-batch x that row's length, and that step sets the run's peak. A plan for p95 would run
 * out of memory on that one step. p95/p99 are still said (they say how much MAX_LENGTH could shrink).
 * With packing every row is filled towards MAX_LENGTH, so the plan keeps MAX_LENGTH.
 */

/** The fields of the preview's length report the plan reads (PreflightLengths has them all). */
export interface MeasuredLengths {
  /** Rows measured. */
  rows: number;
  /** The dataset has more rows than were measured. */
  sampled: boolean;
  total_rows: number | null;
  mean: number;
  /** The longest measured row before truncation. */
  longest: number;
  p95: number;
  p99: number;
  /** Rows longer than MAX_LENGTH (truncated by trl). */
  truncated: number;
  /** Present when the script packs rows. */
  packing_efficiency?: number;
}

export interface RowLengthPlan {
  /** Tokens per row the activations and logits are counted for. */
  tokens: number;
  /** Shorter than MAX_LENGTH: the measured lengths lowered the plan. */
  measured: boolean;
  /** Which length, and why, in one sentence for a note or a CONFIG comment. */
  why: string;
}

const n = (x: number): string => Math.round(x).toLocaleString('en-US');

/** The row length to plan memory for, with MAX_LENGTH = maxLength and the measured lengths. */
export function planRowLength(lengths: MeasuredLengths, maxLength: number): RowLengthPlan {
  if (lengths.packing_efficiency !== undefined) {
    return { tokens: maxLength, measured: false, why: `planned for MAX_LENGTH (${n(maxLength)} tokens): packing fills each row towards it (measured packing efficiency ${Math.round(lengths.packing_efficiency * 100)} %)` };
  }
  if (lengths.rows <= 0 || lengths.longest <= 0) {
    return { tokens: maxLength, measured: false, why: `planned for MAX_LENGTH (${n(maxLength)} tokens): no row length was measured` };
  }
  const tokens = Math.min(lengths.longest, maxLength);
  const spread = `p95 ${n(lengths.p95)}, p99 ${n(lengths.p99)}`;
  if (tokens >= maxLength) {
    return { tokens: maxLength, measured: false, why: `planned for MAX_LENGTH (${n(maxLength)} tokens): ${n(lengths.truncated)} measured row(s) reach it and are truncated (${spread})` };
  }
  const seen = lengths.sampled ? `the first ${n(lengths.rows)} of ${lengths.total_rows ? n(lengths.total_rows) : 'more'} rows` : `all ${n(lengths.rows)} rows`;
  const guarantee = lengths.sampled ? `; rows not measured may be longer: MAX_LENGTH = ${n(tokens)} makes it a bound` : '';
  return {
    tokens,
    measured: true,
    why: `planned for rows of up to ${n(tokens)} tokens, the longest of ${seen} as the preview tokenized them (${spread}; MAX_LENGTH ${n(maxLength)}): each micro-batch is padded to its longest row, so the batch holding it sets the peak${guarantee}`,
  };
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * The measured lengths in a token preview's JSON (`ml-intern preflight --json`, a run folder's
 * preview.json, or its `lengths` alone), checked field by field; a string says what is wrong.
 */
export function measuredLengthsOf(json: unknown): MeasuredLengths | string {
  const outer = json as { lengths?: unknown } | null;
  const l = (outer && typeof outer === 'object' && 'lengths' in outer ? outer.lengths : json) as Record<string, unknown> | null;
  if (!l || typeof l !== 'object') return 'no "lengths" object (write it with ml-intern preflight <recipe> --json)';
  for (const k of ['rows', 'mean', 'longest', 'p95', 'p99', 'truncated'] as const) if (!isCount(l[k])) return `lengths.${k} is not a number of tokens or rows`;
  if (typeof l.sampled !== 'boolean') return 'lengths.sampled is not true or false';
  if (l.total_rows !== null && l.total_rows !== undefined && !isCount(l.total_rows)) return 'lengths.total_rows is not a number of rows';
  if (l.packing_efficiency !== undefined && !(isCount(l.packing_efficiency) && l.packing_efficiency <= 1)) return 'lengths.packing_efficiency is not a fraction';
  return {
    rows: l.rows as number, sampled: l.sampled, total_rows: (l.total_rows as number | null | undefined) ?? null, mean: l.mean as number,
    longest: l.longest as number, p95: l.p95 as number, p99: l.p99 as number, truncated: l.truncated as number,
    ...(l.packing_efficiency !== undefined ? { packing_efficiency: l.packing_efficiency as number } : {}),
  };
}
