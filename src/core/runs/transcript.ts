/** transcript.jsonl: one JSON entry a line; a half-written or corrupt line is skipped with a warning. */
import { TranscriptEntry } from './types';

export interface ParsedTranscript {
  entries: TranscriptEntry[];
  warnings: string[];
}

export function parseTranscript(text: string): ParsedTranscript {
  const entries: TranscriptEntry[] = [];
  const warnings: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === 'object' && typeof (v as { kind?: unknown }).kind === 'string') entries.push(v as TranscriptEntry);
      else warnings.push(`transcript line ${i + 1}: not a transcript entry; skipped`);
    } catch {
      warnings.push(`transcript line ${i + 1}: corrupt JSON (half-written?); skipped`);
    }
  });
  return { entries, warnings };
}

export function serializeEntry(entry: TranscriptEntry): string {
  return JSON.stringify(entry) + '\n';
}
