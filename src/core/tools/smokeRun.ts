/**
 * A smoke run is the recipe's train.py with MAX_STEPS > 0 in its CONFIG block: a few optimizer
 * steps that show the model and data load and the first losses. When one finishes, the `run`
 * result says so, so the model sets MAX_STEPS back before the full run instead of mistaking ten
 * steps for a trained model.
 */
import * as path from 'node:path';
import { readConfig } from '../recipes/configBlock';
import { ToolContext, ToolResult } from './types';

/** MAX_STEPS of the first .py script in argv, when its CONFIG block sets a positive one. */
export async function smokeSteps(argv: string[], cwd: string, files: ToolContext['files']): Promise<number | undefined> {
  const script = argv.find((a) => a.endsWith('.py'));
  if (!script) return undefined;
  const text = await files.readIfExists(path.posix.join(cwd || '.', script)).catch(() => undefined);
  if (!text) return undefined;
  const steps = readConfig(text).MAX_STEPS;
  return typeof steps === 'number' && steps > 0 ? steps : undefined;
}

/** The run's result with a line saying a smoke run finished (or failed) and what comes next. */
export function withSmokeNote(result: ToolResult, steps: number | undefined, script: string): ToolResult {
  if (steps === undefined) return result;
  const note = result.ok
    ? `Smoke run finished: ${script} stopped after MAX_STEPS = ${steps} steps (plain-text logs). If the losses above look sane, set MAX_STEPS = -1 in its CONFIG with edit_file and start the full run.`
    : `This was a smoke run (MAX_STEPS = ${steps} in ${script}): fix the failure before the full run.`;
  return { ...result, output: `${result.output}\n\n${note}` };
}
