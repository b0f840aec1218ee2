/**
 * How a session starts its process: one interface with a local and a Slurm implementation (a
 * sandboxed one can join them). The session says what to run; what it gets back names the process
 * ("pid 4242", "Slurm job 17") and says whether it is a batch job, whose end carries the cluster's
 * word — so the sessions never ask which class of process they follow.
 */
import { DetachedRun } from '../exec/detached';
import { stateText } from '../exec/slurm';
import { SlurmRun, submitSlurmJob } from '../exec/slurmRun';
import { SlurmDeps } from './slurmJobs';
import { DetachedLauncher } from './watch';

/** A process a session started or found again. */
export interface Launched {
  readonly run: DetachedRun;
  /** How messages name it: "pid 4242", "Slurm job 17". */
  readonly label: string;
  /** The batch job's id on the Slurm target (its exit then carries the cluster's word: isSlurmExit); undefined for a local process. */
  readonly jobId?: string;
}

/** What every start names: the terminal title, the run folder (absolute), the extra environment (HF_TOKEN, a repair's settings). */
export interface LaunchSpec {
  name: string;
  runDir: string;
  env?: Record<string, string>;
}

export interface Launcher {
  readonly target: 'local' | 'slurm';
  start(spec: LaunchSpec): Promise<Launched>;
}

/** A program started here, detached (the host's `launch` also opens a terminal on it). */
export function localLauncher(launch: DetachedLauncher, program: { argv: string[]; cwd: string; python: string }): Launcher {
  return {
    target: 'local',
    start: async (spec) => launchedRun(await launch({ argv: program.argv, cwd: program.cwd, ...(spec.env ? { env: spec.env } : {}), runDir: spec.runDir, name: spec.name, python: program.python })),
  };
}

/** A reviewed batch script, submitted with sbatch (the environment goes to sbatch, which exports it to the job). */
export interface JobSpec {
  /** The batch script, absolute. */
  scriptPath: string;
  /** Its --output, absolute, with %j for the job id. */
  outputPattern: string;
  /** Where slurm.json goes (default: the run folder's logs/). */
  records?: string;
  timeLimit?: string;
  /** Each state the poll sees: `job` is "Slurm job 17", `state` "PENDING (Resources)". */
  onState(job: string, state: string): void;
}

export function slurmLauncher(slurm: SlurmDeps, job: JobSpec): Launcher {
  return {
    target: 'slurm',
    start: async (spec) => {
      let run: SlurmRun | undefined = undefined;
      run = await submitSlurmJob(
        slurm.backend(spec.env),
        { scriptPath: job.scriptPath, runDir: spec.runDir, name: spec.name, outputPattern: job.outputPattern, ...(job.records ? { records: job.records } : {}) },
        {
          ...(slurm.pollMs ? { pollMs: slurm.pollMs } : {}),
          ...(job.timeLimit ? { timeLimit: job.timeLimit } : {}),
          onState: (s) => job.onState(`Slurm job ${run?.jobId ?? ''}`, stateText(s)),
        },
      );
      return launchedRun(run);
    },
  };
}

/** A started or re-attached process, named by what it is: the one place that tells a Slurm job from a local process. */
export function launchedRun(run: DetachedRun): Launched {
  if (run instanceof SlurmRun) return { run, label: `Slurm job ${run.jobId}`, jobId: run.jobId };
  return { run, label: `pid ${run.pid}` };
}
