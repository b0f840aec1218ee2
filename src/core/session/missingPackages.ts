/**
 * Before the first run: the requirements of the generated script that the environment report says
 * are not installed in the training interpreter (trl and datasets are often missing on a fresh GPU
 * box). Installing them all at once, with one approval, saves a failed start per missing package.
 * Only packages the report checked and found absent count; a package it does not report is unknown
 * and left alone.
 */
import { EnvReport } from '../python/types';

/** A requirement line's distribution name ("trl>=1.0" → "trl", "flash-attn" → "flash-attn"). */
export function requirementName(line: string): string | undefined {
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(line);
  return m ? m[1] : undefined;
}

const norm = (s: string) => s.toLowerCase().replace(/[-_.]+/g, '_');

/** The requirement lines (as written, with their version bounds) whose package the report found missing. */
export function missingRequirements(requirements: string[], report: EnvReport | undefined): string[] {
  const libraries = report?.libraries;
  if (!libraries) return [];
  const reported = new Map(Object.entries(libraries).map(([k, v]) => [norm(k), v]));
  const out: string[] = [];
  for (const raw of requirements) {
    const line = raw.replace(/#.*/, '').trim();
    const name = line && requirementName(line);
    if (!name) continue;
    const key = norm(name);
    if (reported.has(key) && reported.get(key) === null) out.push(line);
  }
  return out;
}

/** The pip command that installs them into the training interpreter (argv, never a shell line). */
export function pipInstallArgv(python: string, requirements: string[]): string[] {
  return [python, '-m', 'pip', 'install', ...requirements];
}
