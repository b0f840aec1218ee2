/**
 * What the fine-tune session needs for the Slurm target besides the backend:
 * where the job ids go in status.json, each job's output kept per attempt,
 * and the ends that stop the session instead of going to the repair loop.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { RunState } from '../events';
import { SlurmBackend } from '../exec/slurm';
import { slurmBackendFor } from '../exec/slurmRun';
import { RunStatus } from '../runs/types';

export interface SlurmDeps {
  /**
   * The backend for sbatch/squeue/scontrol/scancel. `extraEnv` (HF_TOKEN, a
   * repair's PYTORCH_CUDA_ALLOC_CONF) goes into sbatch's environment, which
   * sbatch exports to the job: secrets never go into the script.
   */
  backend(extraEnv?: Record<string, string>): SlurmBackend;
  /** How often the job's state is asked (default 3 s). */
  pollMs?: number;
}

export const defaultSlurmDeps: SlurmDeps = { backend: (extraEnv) => slurmBackendFor(extraEnv) };

export function slurmJobIdOf(status: RunStatus): string | undefined {
  const id = status.slurmJobId;
  return typeof id === 'string' && id ? id : undefined;
}

/** The status patch recording a newly submitted job. */
export function jobStatusPatch(status: RunStatus, jobId: string, attempt: number): Partial<RunStatus> {
  const ids = status.slurmJobIds ?? [];
  return { slurmJobId: jobId, slurmJobIds: [...ids, jobId], attempt, pid: undefined };
}

/** An end the session reports as is (time limit, outside cancel, node failure): no script change fixes it. */
export class SessionEndError extends Error {
  constructor(
    message: string,
    readonly state: Extract<RunState, 'failed' | 'stopped'>,
  ) {
    super(message);
  }
}

/** Keep each job's output as logs/attempt-N.log, like the local runs' logs. */
export async function archiveJobOutput(runDirAbs: string, attempt: number, outputFile: string): Promise<void> {
  try {
    await fs.copyFile(outputFile, path.join(runDirAbs, 'logs', `attempt-${attempt}.log`));
  } catch {
    // a job cancelled while pending has no output
  }
}
