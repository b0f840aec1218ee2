/**
 * Before the first run: the requirements of the generated script that the environment report says
 * are not installed in the training interpreter (trl and datasets are often missing on a fresh GPU
 * box). Installing them all at once, with one approval, saves a failed start per missing package.
 * Only packages the report checked and found absent count; a package it does not report is unknown
 * and left alone.
 */
import * as path from 'node:path';
import { EnvReport } from '../python/types';
import { FileStore } from '../ports';
import { pipFailureAdvice } from '../recovery/packages';

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

export interface InstallPorts {
  files: Pick<FileStore, 'readIfExists'>;
  environment: EnvReport | undefined;
  python: string;
  /** The approval of one command (the run's gate); false when declined. */
  approve(argv: string[], reason: string): Promise<boolean>;
  run(argv: string[]): Promise<{ exitCode: number; logText: string }>;
  say(text: string): Promise<void>;
  note(text: string): Promise<void>;
}

/**
 * Before the first local run: the requirements the environment check found missing, installed with
 * one approved pip command instead of one failed start per missing package. Declined: training
 * starts anyway (a "No module named" failure proposes the install again). Resolves to the run's
 * failure message when pip failed, else undefined. A Slurm job's nodes may have another
 * environment, so jobs are left to the playbook.
 */
export async function installMissingRequirements(p: InstallPorts, scriptPath: string): Promise<string | undefined> {
  const requirements = await p.files.readIfExists(`${path.dirname(scriptPath)}/requirements.txt`);
  const missing = requirements ? missingRequirements(requirements.split('\n'), p.environment) : [];
  if (!missing.length) return undefined;
  const argv = pipInstallArgv(p.python, missing);
  if (!(await p.approve(argv, `Install what ${path.basename(scriptPath)} needs and the environment check found missing in ${p.python}: ${missing.join(', ')}`))) {
    await p.say(`Not installing ${missing.join(', ')}: training starts without them. If it stops with "No module named …", the fix proposes the install again.`);
    return undefined;
  }
  const result = await p.run(argv);
  await p.note(`installed the missing requirements (${missing.join(' ')}): exit code ${result.exitCode}`);
  if (result.exitCode === 0) return undefined;
  return (
    `Installing ${missing.join(', ')} into ${p.python} failed (exit code ${result.exitCode}; the terminal shows pip's error). ` +
    `${pipFailureAdvice(result.logText, p.python)} Then run "ML Intern: Fine-tune" again: the accepted scripts are kept.`
  );
}
