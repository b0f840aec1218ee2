/**
 * The agent's `run` commands, started detached from the extension host when the host can (see
 * ToolContext.detached): a window reload, a crashed extension host or a dropped SSH link leaves
 * the training the agent started running, and the reopened run waits for it and hands the model
 * its real exit code and output (resumeDetachedCommand) instead of "interrupted".
 *
 * Each command keeps its records in <run>/logs/cmd-N/ (train.log — redacted by the launcher —,
 * pid, launcher.json, exit_code), and the transcript a `process` entry that ties the tool call to
 * that folder. The card, chart and metrics.jsonl lines come from the same watch as a fine-tune
 * session's runs (watchRun); a re-attached command does not record its points twice.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AttachResult, DetachedExit, DetachedRun } from '../exec/detached';
import { attachSlurmRun, isSlurmExit } from '../exec/slurmRun';
import { ProcessTranscriptEntry } from '../runs/types';
import { endedRun, recordedMetrics } from '../run/reattach';
import { Recorded, watchRun } from '../run/watch';
import { commandResult, ProcessRequest } from './commandResult';
import { launchArgv } from '../sandbox/command';
import { nextAttempt } from './commandMetrics';
import type { SlurmDeps } from '../run/slurmJobs';
import { DetachedCommands, ToolContext, ToolResult } from './types';

/** What the transcript keeps of a detached command (besides the call id). */
export type CommandRecord = Omit<ProcessTranscriptEntry, 'kind' | 'callId'>;

const HEAD_BYTES = 8_000;

/** Start an approved command detached and follow it to its end. */
export async function runDetachedCommand(ctx: ToolContext, req: ProcessRequest): Promise<ToolResult> {
  const detached = ctx.detached!;
  const n = await ctx.nextNumber('cmd');
  const dir = `${ctx.runFolder}/logs/cmd-${n}`;
  const metricsFile = `${ctx.runFolder}/metrics.jsonl`;
  // The attempt is fixed now (not at the first point) so a re-attached command knows its own lines.
  const attempt = await nextAttempt(ctx, metricsFile);
  const record: CommandRecord = {
    dir,
    processId: `${ctx.runId}-cmd-${n}`,
    name: req.name,
    argv: req.argv,
    attempt,
    startedAt: Date.now(),
    ...(req.timeoutSeconds && req.timeoutSeconds > 0 ? { timeoutSeconds: req.timeoutSeconds } : {}),
  };
  // Recorded before the start: a host that dies the moment after must not leave the command untied to its call.
  await detached.remember(record);
  const run = await detached.launch(
    { argv: launchArgv(req, ctx.files.resolve(req.cwd || '.'), ctx.env), cwd: ctx.files.resolve(req.cwd || '.'), env: ctx.env, runDir: ctx.files.resolve(ctx.runFolder), name: req.name, python: ctx.python },
    { records: ctx.files.resolve(dir) },
  );
  ctx.emit({ type: 'process_started', runId: ctx.runId, processId: record.processId, name: req.name, argv: req.argv, ...(req.python ? { python: req.python } : {}), ...(req.sandbox ? { sandbox: req.sandbox.label } : {}) });
  return watchCommand(ctx, run, record);
}

/**
 * A command started before the window reloaded: wait for it (or read how it ended) and give
 * its result. Undefined when its folder holds no trace of a run (it never started).
 */
export async function resumeDetachedCommand(ctx: ToolContext, record: CommandRecord): Promise<ToolResult | undefined> {
  const detached = ctx.detached!;
  const records = ctx.files.resolve(record.dir);
  const found = await attachCommand(record, { runDir: ctx.files.resolve(ctx.runFolder), records, attach: detached.attach, slurm: detached.slurm, env: ctx.env });
  if (!found) return undefined;
  let live: DetachedRun | undefined;
  let run: DetachedRun;
  // (A live run first: the Detached class has a private `ended` field too.)
  if ('detached' in found) run = live = found;
  else if ('lost' in found) {
    const logRel = record.slurm ? record.dir : `${record.dir}/train.log`;
    return {
      ok: false,
      output: `$ ${record.argv.join(' ')}\n${found.lost} Its output so far: ${logRel} (read_file with offset/limit).`,
      data: { exitCode: -1, log: logRel, processId: record.processId, lost: true },
    };
  } else run = endedRun(records, found.ended.code, path.join(records, 'train.log'), found.ended.signal);
  const recorded = await recordedMetrics(ctx.files.resolve(detached.metrics.path('metrics.jsonl')), record.attempt);
  const shownAs = `${record.name} (re-attached)`;
  if (live) detached.show?.(live, shownAs);
  // A reopened panel draws the recorded points of the latest attempt on the "training" card
  // (runReplay): a command that logged some goes on drawing there.
  const processId = recorded.step > 0 || recorded.atStep > 0 ? 'training' : record.processId;
  ctx.emit({ type: 'process_started', runId: ctx.runId, processId, name: shownAs, argv: record.argv });
  return watchCommand(ctx, run, { ...record, processId }, recorded);
}

/**
 * Find a command again from its records: a local detached run through its launcher's files, a
 * Slurm job (submit_job) through its slurm.json and the controller. Undefined when it never started.
 */
export async function attachCommand(
  record: Pick<CommandRecord, 'slurm'>,
  o: { runDir: string; records: string; attach: DetachedCommands['attach']; slurm: SlurmDeps; env?: Record<string, string> },
): Promise<AttachResult | undefined> {
  if (!record.slurm) return o.attach(o.runDir, { records: o.records });
  return attachSlurmRun(o.runDir, o.slurm.backend(o.env), {
    records: o.records,
    ...(o.slurm.pollMs ? { pollMs: o.slurm.pollMs } : {}),
    ...(record.slurm.timeLimit ? { timeLimit: record.slurm.timeLimit } : {}),
  });
}

/** Follow a started (or re-attached) command to its end — a local detached run or a Slurm job — and give its result. */
export async function watchCommand(ctx: ToolContext, run: DetachedRun, record: CommandRecord, recorded?: Recorded): Promise<ToolResult> {
  let stopReason: string | undefined;
  const stop = (reason: string) => {
    stopReason ??= reason;
    void run.stop(reason);
  };
  const onAbort = () => stop('cancelled');
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  if (ctx.signal.aborted) onAbort();
  // A time limit counts from the start, also across a reload.
  const timer = record.timeoutSeconds
    ? setTimeout(() => stop(`timed out after ${record.timeoutSeconds} s`), Math.max(0, record.startedAt + record.timeoutSeconds * 1000 - Date.now()))
    : undefined;
  let logText: string;
  let exit: DetachedExit;
  try {
    ({ logText } = await watchRun(run, {
      runId: ctx.runId,
      processId: record.processId,
      handle: ctx.detached!.metrics,
      events: { emit: (e) => ctx.emit(e) },
      attempt: record.attempt,
      recorded,
      fullOutput: ctx.detached!.fullOutput,
    }));
    exit = await run.exit;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    if (timer) clearTimeout(timer);
    run.dispose();
  }
  // train.log for a local run, the job's output file (slurm-<job id>.out) for a Slurm job.
  const logRel = `${record.dir}/${path.basename(run.logFile)}`;
  const whole = await wholeOrCut(ctx.files.resolve(logRel), logText);
  const slurm = isSlurmExit(exit) && !exit.lost ? exit : undefined;
  const status = exit.lost
    ? `lost (${exit.lost})`
    : stopReason
      ? `stopped (${stopReason}), exit code ${exit.code}`
      : `exit code ${exit.code}${slurm ? ` (Slurm job ${slurm.jobId} ${slurm.state})` : ''}`;
  return commandResult({
    argv: record.argv,
    status,
    ok: !stopReason && !exit.lost && exit.code === 0,
    seconds: (Date.now() - record.startedAt) / 1000,
    logRel,
    whole,
    data: { exitCode: exit.code, log: logRel, processId: record.processId, stopped: stopReason, ...(slurm ? { slurmJobId: slurm.jobId, slurmState: slurm.state } : {}) },
    // A command stopped on purpose (time limit, the user) or lost did not fail: it gets head and tail.
    ...(exit.lost || stopReason ? {} : { exitCode: exit.code }),
    // A job the cluster ended (time limit, host memory, a cancel, a node failure) says so and what to change.
    ...(slurm && slurm.state !== 'COMPLETED' && slurm.state !== 'FAILED' ? { note: slurm.message } : {}),
  });
}

/** The log's text when watchRun's tail holds all of it, else its head, a cut mark and the tail. */
async function wholeOrCut(file: string, tail: string): Promise<string> {
  let fh;
  try {
    fh = await fs.open(file, 'r');
    const { size } = await fh.stat();
    if (Buffer.byteLength(tail) >= size) return tail;
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
    await fh.read(head, 0, head.length, 0);
    return `${head.toString('utf8')}\n[... output cut in memory ...]\n${tail}`;
  } catch {
    return tail;
  } finally {
    await fh?.close();
  }
}
