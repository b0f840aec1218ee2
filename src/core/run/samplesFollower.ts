/**
 * Follows a GRPO run's samples.jsonl (train.py appends one line per logging step) and sends the
 * newest step's completions to the panel: one grpo_samples event per read, whatever the backlog
 * (a run re-attached after a reload reads the whole file once and shows only its last step).
 */
import { followFile } from '../exec/fileFollower';
import type { AgentEvent } from '../events';
import { latestSamples } from '../logs/grpoSamples';

/** A line longer than this is not one train.py writes (it bounds its own): it is dropped, not buffered. */
const MAX_PENDING_CHARS = 1024 * 1024;

export interface SamplesFollowerOptions {
  file: string;
  runId: string;
  processId: string;
  emit(event: AgentEvent): void;
  pollMs?: number;
}

/** Start following; the returned function reads what is left and stops. */
export function followSamples(o: SamplesFollowerOptions): () => void {
  let pending = '';
  let lastStep: number | undefined;
  let lastText = '';
  const follower = followFile(o.file, (chunk: string) => {
    pending += chunk;
    const cut = pending.lastIndexOf('\n');
    if (cut < 0) {
      if (pending.length > MAX_PENDING_CHARS) pending = '';
      return;
    }
    const lines = pending.slice(0, cut).split('\n');
    pending = pending.slice(cut + 1);
    const latest = latestSamples(lines);
    if (!latest) return;
    // The same step again (a re-read after the file was replaced) is not sent twice.
    const text = JSON.stringify(latest.samples);
    if (latest.step === lastStep && text === lastText) return;
    lastStep = latest.step;
    lastText = text;
    o.emit({ type: 'grpo_samples', runId: o.runId, processId: o.processId, step: latest.step, samples: latest.samples });
  }, { from: 'start', pollMs: o.pollMs ?? 500 });
  follower.poll();
  return () => {
    follower.drain();
    follower.stop();
  };
}
