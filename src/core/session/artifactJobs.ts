/**
 * The batch script of an Evaluate / Merge / Push step that loads models, on the Slurm target: a job
 * on a compute node (mlIntern.slurm.*), run from the step's script folder, its records in the run folder.
 */
import * as path from 'node:path';
import { Settings } from '../settings';
import { DetachedRun } from '../exec/detached';
import { jobScriptSpec, sbatchFrom } from './launchPlan';
import { SandboxedSpec, sandboxedJobSpec } from './sandboxedJob';

/** A node step's batch script as written to the run folder and approved. */
export interface JobScript {
  path: string;
  text: string;
  spec: SandboxedSpec;
}

/** Step `i`'s batch script: its spec (sandboxed when the settings say so) and the sbatch text. */
export function stepJob(settings: Settings, o: { workspace: string; runId: string; runDir: string; i: number; argv: string[]; workdir: string; python: string }): Omit<JobScript, 'path'> {
  const spec = sandboxedJobSpec(settings.sandbox, o.workspace, jobScriptSpec(settings.slurm, {
    jobName: `ml-intern-${o.runId}-step-${o.i + 1}`,
    gpus: Math.max(0, Math.floor(settings.slurm.gpus || 0)),
    command: o.argv,
    records: path.join(o.runDir, 'logs', `step-${o.i + 1}`),
    workdir: o.workdir,
    python: o.python,
  }));
  return { spec, text: sbatchFrom(spec) };
}

export function isRun(x: object): x is DetachedRun {
  return 'detached' in x && (x as DetachedRun).detached === true;
}
