/**
 * GRPO's sampled completions: train.py appends one JSON line per logging step to samples.jsonl
 * ({"step": 10, "samples": [{"prompt", "completion", "rewards": {name: score}, "total"}]}; the
 * recorder is src/core/recipes/templates/grpoSamples.ts). The file is written by a process that runs
 * the user's and the model's text, so every line is checked and bounded here before the panel sees it.
 */
import type { GrpoSample } from '../events';

/** Completions kept per step: a card, not a data dump. */
export const MAX_SAMPLES = 8;
/** Characters kept of a prompt or completion (the card truncates further, with an expand). */
export const MAX_TEXT = 4000;
const MAX_REWARDS = 16;
const MAX_NAME = 80;

export interface GrpoSamplesLine {
  step: number;
  samples: GrpoSample[];
}

function text(v: unknown): string {
  const s = typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s;
}

function score(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function sample(v: unknown): GrpoSample | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const rewards: Record<string, number | null> = {};
  if (o.rewards && typeof o.rewards === 'object' && !Array.isArray(o.rewards)) {
    for (const [name, value] of Object.entries(o.rewards as Record<string, unknown>).slice(0, MAX_REWARDS)) {
      if (name === '__proto__') continue;
      rewards[name.slice(0, MAX_NAME)] = score(value);
    }
  }
  return { prompt: text(o.prompt), completion: text(o.completion), rewards, total: score(o.total) };
}

/** One line of samples.jsonl, or undefined when it is not one (a partial write, garbage). */
export function parseSamplesLine(line: string): GrpoSamplesLine | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.step !== 'number' || !Number.isInteger(o.step) || o.step < 0 || !Array.isArray(o.samples)) return undefined;
  const samples = o.samples.slice(0, MAX_SAMPLES).map(sample).filter((s): s is GrpoSample => s !== undefined);
  return samples.length ? { step: o.step, samples } : undefined;
}

/** The latest valid line of a chunk of complete lines (the card shows only the newest step). */
export function latestSamples(lines: string[]): GrpoSamplesLine | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const parsed = lines[i].trim() ? parseSamplesLine(lines[i]) : undefined;
    if (parsed) return parsed;
  }
  return undefined;
}
