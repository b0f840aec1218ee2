import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { RecipeFile } from '../../../src/core/recipes';

export const CHECK_CALLS = join(__dirname, '..', '..', 'fixtures', 'check_calls.py');

export function writeFiles(files: RecipeFile[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-recipe-'));
  for (const f of files) {
    const p = join(dir, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content);
  }
  return dir;
}

/** python3 -m py_compile on each file; returns stderr ('' when all compile). */
export function pyCompile(paths: string[]): string {
  const r = spawnSync('python3', ['-m', 'py_compile', ...paths], { encoding: 'utf8' });
  return r.status === 0 ? '' : r.stderr || r.stdout || `exit ${r.status}`;
}

export interface CallInfo {
  name: string;
  keywords: string[];
  splat: boolean;
  line: number;
}

export function extractCalls(path: string): { calls: CallInfo[]; imports: { module: string; names: string[] }[] } {
  const r = spawnSync('python3', [CHECK_CALLS, path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}
