/**
 * A fine-tune session's attempts on the Slurm target: sbatch the reviewed script, follow the job,
 * keep its output, and — while the cluster cuts the jobs short (time limit, preemption, node
 * failure) after they saved a newer checkpoint — submit the same script again, which goes on from
 * there. The session keeps the attempt counter and how it follows a process; this file only
 * decides what one job's end means for the next.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { RunHandle } from '../runs/runStore';
import { RunResult } from '../recovery/repairLoop';
import { isSlurmExit, endsWithoutRepair } from '../exec/slurmRun';
import { RunContext, WatchSpec } from '../run/runContext';
import { Launched, slurmLauncher } from '../run/launchers';
import { archiveJobOutput, defaultSlurmDeps, jobStatusPatch, SessionEndError } from '../run/slurmJobs';
import { checkpointState, CheckpointState, CUT_SHORT } from '../run/checkpoints';
import { LaunchPlan } from './launchPlan';
import { lostNode } from '../recovery/multiNodeDiagnosis';
import { SessionDeps, whyNotResumed } from './fineTuneParts';

/** What the attempts use of their session: its run, its ports, its attempt counter, how it follows a process. */
export interface SlurmAttemptPorts {
  readonly handle: RunHandle;
  readonly ctx: RunContext;
  readonly deps: Pick<SessionDeps, 'files' | 'settings' | 'slurm' | 'python' | 'showRun'>;
  /** The session's current attempt number. */
  attempt(): number;
  /** A new job is a new attempt: its logs and its card are numbered apart. */
  nextAttempt(): void;
  watchSpec(launched: Launched): WatchSpec;
}

export class SlurmAttempts {
  constructor(private readonly session: SlurmAttemptPorts) {}

  /** One job, submitted again while the cluster cuts it short after a newer checkpoint; the last job's result. */
  async untilDone(plan: LaunchPlan, env: Record<string, string>, scriptPath: string): Promise<RunResult> {
    let resumed = 0;
    for (;;) {
      const before = await checkpointState(this.session.deps.files, scriptPath);
      const { launched, result } = await this.submitOnce(plan, env);
      try {
        await this.afterJob(launched, this.session.attempt());
        return result;
      } catch (err) {
        await this.goesOnFrom(err, launched, scriptPath, before, resumed++);
        this.session.nextAttempt();
      }
    }
  }

  /**
   * After a job's end that stops the session (afterJob threw `err`): when the cluster cut it short
   * and it saved a checkpoint newer than `before`, say that a new job goes on from there; else
   * throw `err`, saying why nothing goes on.
   */
  async goesOnFrom(err: unknown, launched: Launched, scriptPath: string, before: CheckpointState, resumed: number): Promise<void> {
    const { ctx, deps } = this.session;
    const exit = await launched.run.exit;
    if (!(err instanceof SessionEndError) || !isSlurmExit(exit) || !CUT_SHORT.has(exit.state)) throw err;
    const now = await checkpointState(deps.files, scriptPath);
    const lost = exit.state === 'NODE_FAIL' ? await lostNodeOf(launched.run.logFile) : '';
    if (!now.resumes || now.step <= before.step || resumed >= deps.settings().maxRecoveryAttempts) {
      throw new SessionEndError(`${exit.message}${lost}${whyNotResumed(now, before, resumed)}`, err.state);
    }
    const attempt = this.session.attempt();
    const message = `${exit.message.split('. ')[0]}.${lost} It saved ${now.folder}: a new job goes on from there (attempt ${attempt + 1}).`;
    await ctx.say(message);
    await ctx.record({ kind: 'note', text: `attempt ${attempt}: resubmitting to go on from ${now.folder}` });
    ctx.emit({ type: 'run_state', runId: ctx.runId, state: 'running', message });
  }

  /** Record how the job ended and keep its output; an end no script change fixes ends the session. */
  async afterJob(launched: Launched, attempt: number): Promise<void> {
    const { ctx, deps, handle } = this.session;
    const exit = await launched.run.exit;
    await archiveJobOutput(deps.files.resolve(handle.folder), attempt, launched.run.logFile);
    const state = isSlurmExit(exit) ? exit.state : 'UNKNOWN';
    await ctx.record({ kind: 'note', text: `attempt ${attempt}: ${launched.label} ended ${state} (exit code ${exit.code})` });
    if (ctx.abort.signal.aborted) return;
    if (exit.lost) throw new SessionEndError(exit.lost, 'failed');
    if (isSlurmExit(exit) && endsWithoutRepair(exit)) throw new SessionEndError(exit.message, exit.state === 'CANCELLED' ? 'stopped' : 'failed');
  }

  /** One attempt on the Slurm target: sbatch the reviewed script, follow the job, keep its output. */
  private async submitOnce(plan: LaunchPlan, env: Record<string, string>): Promise<{ launched: Launched; result: RunResult }> {
    const { ctx, deps, handle } = this.session;
    const attempt = this.session.attempt();
    const launcher = slurmLauncher(deps.slurm ?? defaultSlurmDeps, {
      scriptPath: deps.files.resolve(plan.sbatchPath!),
      outputPattern: plan.outputPattern!,
      timeLimit: plan.timeLimit,
      onState: (job, state) => {
        const message = `${job}: ${state}`;
        ctx.emit({ type: 'run_state', runId: ctx.runId, state: 'running', message });
        void handle.updateStatus({ lastMessage: message }).catch(() => undefined);
      },
    });
    let launched: Launched;
    try {
      launched = await launcher.start({ name: `ML Intern: ${path.basename(plan.sbatchPath!)} (attempt ${attempt})`, runDir: deps.files.resolve(handle.folder), env });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`Submitting ${plan.sbatchPath} to Slurm failed: ${why}. Check the mlIntern.slurm.* settings (partition, GPUs, time limit, extra directives) or try \`sbatch ${plan.sbatchPath}\` in a terminal.`);
    }
    const { run, label } = launched;
    const spec = this.session.watchSpec(launched);
    ctx.started(run, spec);
    ctx.emit({ type: 'process_started', runId: ctx.runId, processId: `attempt-${attempt}`, name: label, argv: ['sbatch', plan.sbatchPath!], python: deps.python });
    deps.showRun?.(run, `${path.basename(plan.sbatchPath!)} — ${label} (attempt ${attempt})`);
    await handle.updateStatus(jobStatusPatch(await handle.readStatus(), launched.jobId!, attempt));
    await ctx.record({ kind: 'note', text: `attempt ${attempt}: submitted ${plan.sbatchPath} as ${label} (runs ${plan.argv.join(' ')}; output ${run.logFile})` });
    return { launched, result: await ctx.watch(run, spec) };
  }
}

/**
 * On several nodes srun names the node it lost ("srun: error: Node failure on mli2", read from the
 * end of the job's output): said with how to keep the next job off it. '' when not named.
 */
async function lostNodeOf(outputFile: string): Promise<string> {
  let tail = '';
  try {
    const handle = await fs.open(outputFile, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 64 * 1024);
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(length), 0, length, size - length);
      tail = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
  const node = lostNode(tail);
  return node ? ` The node lost was ${node}; if it fails again, keep jobs off it with "--exclude=${node}" in mlIntern.slurm.extraDirectives.` : '';
}
