/**
 * What the model sees of a code step: how it ended, the tool calls it made, the head and tail of
 * what it printed (the whole text is in the run folder), the value of its last expression, and
 * the exception with the last frames of its traceback.
 */
import { describeExit, StepOutcome } from './interpreter';
import { RelayedCall } from './relay';

export const OUTPUT_HEAD_CHARS = 2_000;
export const OUTPUT_TAIL_CHARS = 4_000;

/** The printed text of one step: its head, a rolling tail, and how much there was. */
export class OutputKeeper {
  private head = '';
  private tail = '';
  private total = 0;

  push(text: string): void {
    this.total += text.length;
    const room = OUTPUT_HEAD_CHARS - this.head.length;
    if (room > 0) {
      this.head += text.slice(0, room);
      text = text.slice(room);
    }
    if (!text) return;
    this.tail += text;
    // Keep a little more than shown so the cut lands on whole characters of the newest output.
    if (this.tail.length > OUTPUT_TAIL_CHARS * 2) this.tail = this.tail.slice(this.tail.length - OUTPUT_TAIL_CHARS);
  }

  /** The text the model gets, with the number of characters left out and where they are. */
  shown(logRel: string): string {
    const omitted = this.total - this.head.length - Math.min(this.tail.length, OUTPUT_TAIL_CHARS);
    if (omitted <= 0) return this.head + this.tail;
    const tail = this.tail.slice(this.tail.length - OUTPUT_TAIL_CHARS);
    return `${this.head}\n[... ${omitted} characters omitted; the whole output is in ${logRel} (read_file with offset/limit) ...]\n${tail}`;
  }

  get length(): number {
    return this.total;
  }
}

export interface StepReport {
  outcome: StepOutcome;
  seconds: number;
  calls: RelayedCall[];
  output: string;
  codeRel: string;
  logRel: string;
  /** "bubblewrap, network off", or undefined when unconfined. */
  sandbox?: string;
  /** Said before everything else: the interpreter was (re)started and earlier state is gone. */
  note?: string;
}

export function stepObservation(r: StepReport): { ok: boolean; text: string } {
  const where = r.sandbox ? `sandboxed (${r.sandbox})` : 'unconfined';
  const { ok, status } = statusLine(r.outcome);
  const lines = [`${r.note ? `${r.note}\n` : ''}Code step ${r.codeRel} (${where}): ${status} after ${r.seconds.toFixed(1)} s.`];
  if (r.calls.length) lines.push(`Tool calls (${r.calls.length}): ${r.calls.map((c) => c.summary).join('; ')}`);
  lines.push('--- output ---', r.output.trim() ? r.output.replace(/\s+$/, '') : '(nothing printed)');
  if (r.outcome.kind === 'done' && r.outcome.value !== null) lines.push('--- value of the last expression ---', r.outcome.value);
  const error = r.outcome.kind === 'done' || r.outcome.kind === 'interrupted' ? r.outcome.error : null;
  if (error) lines.push('--- exception ---', error.traceback.trim() || `${error.type}: ${error.message}`);
  return { ok, text: lines.join('\n') };
}

function statusLine(outcome: StepOutcome): { ok: boolean; status: string } {
  switch (outcome.kind) {
    case 'done':
      return outcome.ok
        ? { ok: true, status: 'ran' }
        : { ok: false, status: `raised ${outcome.error?.type ?? 'an exception'} (the interpreter keeps its variables)` };
    case 'timeout':
      return {
        ok: false,
        status: `timed out after ${outcome.seconds} s: the interpreter was stopped, its variables and imports are lost; the next step starts a fresh one (give timeout_s for longer work)`,
      };
    case 'interrupted':
      return outcome.killed
        ? { ok: false, status: 'stopped by the user: the interpreter did not stop in time and was killed; its variables are lost' }
        : { ok: false, status: 'interrupted by the user (KeyboardInterrupt); the interpreter keeps its variables' };
    case 'crashed':
      return {
        ok: false,
        status: `the interpreter died (${describeExit(outcome)}): its variables and imports are lost; the next step starts a fresh one`,
      };
  }
}
