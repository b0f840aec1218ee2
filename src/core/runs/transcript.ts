/** transcript.jsonl: one JSON entry a line; a half-written or corrupt line is skipped with a warning. */
import { asEntry, entryProblem } from './records';
import { TranscriptEntry } from './types';

export interface ParsedTranscript {
  entries: TranscriptEntry[];
  warnings: string[];
}

/** Warnings kept for one file: a binary or garbled transcript would otherwise give one per line. */
const MAX_WARNINGS = 20;

/**
 * The entries of transcript.jsonl whose fields are sound (records.ts), each broken line skipped
 * with a warning naming its line number and what is wrong. `file` names it in the warnings.
 */
export function parseTranscript(text: string, file = 'transcript.jsonl'): ParsedTranscript {
  const entries: TranscriptEntry[] = [];
  const warnings: string[] = [];
  let skipped = 0;
  const skip = (line: number, why: string) => {
    if (++skipped <= MAX_WARNINGS) warnings.push(`${file} line ${line}: ${why}; skipped`);
  };
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      skip(i + 1, /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(line) ? 'not text (binary data)' : 'corrupt JSON (half-written?)');
      return;
    }
    if (!v || typeof v !== 'object' || Array.isArray(v) || typeof (v as { kind?: unknown }).kind !== 'string') return skip(i + 1, 'not a transcript entry');
    const problem = entryProblem(v as Record<string, unknown>);
    if (problem) return skip(i + 1, `'${(v as { kind: string }).kind}' entry: ${problem}`);
    entries.push(asEntry(v as Record<string, unknown>));
  });
  if (skipped > MAX_WARNINGS) warnings.push(`${file}: ${skipped - MAX_WARNINGS} more broken lines skipped`);
  return { entries, warnings };
}

export function serializeEntry(entry: TranscriptEntry): string {
  return JSON.stringify(entry) + '\n';
}
