// Real data from other projects (dataset rows, trainer logs) lives in ../shared/data beside the
// repository on the team's machines and in CI; it may not be copied in. A clone alone has none of
// it, so every test that reads it asks here and skips — visibly, with this reason — when absent.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const SHARED_DATA = resolve(__dirname, '../../../shared/data');

/** The folder ../shared/data/<sub>, or undefined when this clone has no shared data beside it. */
export function sharedDataDir(sub: string): string | undefined {
  const dir = join(SHARED_DATA, sub);
  return existsSync(dir) && statSync(dir).isDirectory() ? dir : undefined;
}

/** The skip reason a test prints when ../shared/data/<sub> is absent. */
export function sharedAbsentReason(sub: string): string {
  return `../shared/data/${sub} is absent (real data of other projects, beside the repository on the team's machines and in CI; never copied in)`;
}
