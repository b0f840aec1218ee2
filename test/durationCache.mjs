// Last run's seconds per test file or flow, kept in .ml-intern-cache/ (git-ignored), so the test
// runners start the longest first next time. Losing it only loses the ordering hint.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function readDurations(file) {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8'));
    return data && typeof data === 'object' ? data : {};
  } catch {
    return {};
  }
}

/** Keeps the previous entries and overwrites those measured now (a subset run keeps the rest). */
export function writeDurations(file, previous, measured) {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ ...previous, ...measured }, null, 1));
  } catch {
    // A read-only clone still runs its tests.
  }
}
