/** The JSON python/preflight.py prints: what a recipe trains on, before any GPU time. */

export interface PreflightToken {
  /** The token decoded alone; special tokens (EOS, role markers) appear as their text. */
  text: string;
  /** True when labels != -100 for this position: the loss is computed on it. */
  trained: boolean;
  special: boolean;
}

export interface PreflightSequence {
  /** "example" for SFT; "chosen"/"rejected" (DPO, ORPO) or "completion" (KTO) for preference rows. */
  name: string;
  tokens: PreflightToken[];
  count: number;
  trained: number;
  /** Before truncation at max_length: larger than `count` when the row is cut. */
  length_before_truncation: number;
}

export interface PreflightRow {
  index: number;
  sequences: PreflightSequence[];
  /** trl removes the row before training (no trained token left, or a prompt that fills max_length). */
  dropped: boolean;
}

export type PreflightCheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface PreflightCheck {
  id: 'template' | 'assistant_masks' | 'eos' | 'system' | 'thinking' | 'pad_eos' | 'prompt_prefix';
  title: string;
  status: PreflightCheckStatus;
  detail: string;
  /** What to change when the check fails or warns. */
  fix?: string;
}

export interface PreflightHistogramBin {
  from: number;
  to: number;
  count: number;
}

export interface PreflightLengths {
  rows: number;
  /** True when the dataset has more rows than were measured (sample_limit). */
  sampled: boolean;
  sample_limit: number;
  total_rows: number | null;
  max_length: number | null;
  mean: number;
  longest: number;
  p95: number;
  p99: number;
  truncated: number;
  dropped: number;
  histogram: PreflightHistogramBin[];
  measured: string;
  packing_efficiency?: number;
}

export interface PreflightReport {
  script: string;
  model: string;
  dataset: string;
  method: 'sft' | 'dpo' | 'orpo' | 'kto';
  trl: { version: string; source: 'installed' | 'given' | "the script's target" };
  transformers: string | null;
  /** The labels rule applied, keyed on the trl version and what the script enables. */
  rule: { id: string; text: string };
  max_length: number | null;
  rows: PreflightRow[];
  checks: PreflightCheck[];
  lengths: PreflightLengths;
}
