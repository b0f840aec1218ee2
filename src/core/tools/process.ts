/**
 * Start one approved process through the Executor port, stream its output to
 * the UI (with the chart and progress of what it logs, see CommandMetrics), keep
 * the whole output in the run folder's logs/, and hand the model an exit code
 * plus the head and tail of the output.
 */
import { redactor } from '../util/redact';
import { launchArgv } from '../sandbox/command';
import { StreamRedactor } from '../util/streamRedact';
import { CommandMetrics } from './commandMetrics';
import { commandResult, HEAD_CHARS, ProcessRequest } from './commandResult';
import { runDetachedCommand } from './detachedCommand';
import { ToolContext, ToolResult } from './types';

export type { ProcessRequest } from './commandResult';

const KEEP_IN_MEMORY = 1_000_000;

export async function runProcess(ctx: ToolContext, req: ProcessRequest): Promise<ToolResult> {
  if (req.detach && ctx.detached) return runDetachedCommand(ctx, req);
  const n = await ctx.nextNumber('cmd');
  const logRel = `${ctx.runFolder}/logs/cmd-${n}.log`;
  await ctx.files.write(logRel, '');
  const processId = `${ctx.runId}-cmd-${n}`;
  const started = Date.now();
  // The log is written here, redacted, rather than by the executor: a script that prints a token
  // must not leave it on disk. Streamed redaction: a token split across two chunks is still hidden.
  const logRedaction = new StreamRedactor(redactor);
  const shownRedaction = new StreamRedactor(redactor);
  let writes: Promise<void> = Promise.resolve();
  const writeLog = (text: string) => {
    if (!text) return;
    writes = writes.then(() => ctx.files.append(logRel, text)).catch((err) => ctx.logger.warn(`log ${logRel}: ${String(err)}`));
  };
  const proc = await ctx.executor.start({
    argv: launchArgv(req, ctx.files.resolve(req.cwd || '.'), ctx.env),
    cwd: ctx.files.resolve(req.cwd || '.'),
    env: ctx.env,
    name: req.name,
  });
  ctx.emit({ type: 'process_started', runId: ctx.runId, processId, name: req.name, argv: req.argv, ...(req.python ? { python: req.python } : {}), ...(req.sandbox ? { sandbox: req.sandbox.label } : {}) });
  let head = '';
  let tail = '';
  let total = 0;
  // A training script's logs become the card's chart and progress, and metrics.jsonl lines.
  const metrics = new CommandMetrics(ctx, processId);
  const showOutput = (shown: string) => {
    if (!shown) return;
    ctx.emit({ type: 'process_output', runId: ctx.runId, processId, text: shown });
    metrics.push(shown);
  };
  const off = proc.onData((chunk) => {
    writeLog(logRedaction.push(chunk));
    total += chunk.length;
    if (head.length < HEAD_CHARS * 4) head += chunk;
    else {
      tail += chunk;
      if (tail.length > KEEP_IN_MEMORY) tail = tail.slice(tail.length - KEEP_IN_MEMORY / 2);
    }
    showOutput(shownRedaction.push(chunk));
  });
  let stopReason: string | undefined;
  const onAbort = () => {
    stopReason = 'cancelled';
    void proc.stop('cancelled');
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const timer = req.timeoutSeconds && req.timeoutSeconds > 0
    ? setTimeout(() => {
        stopReason = `timed out after ${req.timeoutSeconds} s`;
        void proc.stop(stopReason);
      }, req.timeoutSeconds * 1000)
    : undefined;
  let exit;
  try {
    exit = await proc.exit;
  } finally {
    off();
    ctx.signal.removeEventListener('abort', onAbort);
    if (timer) clearTimeout(timer);
  }
  writeLog(logRedaction.end());
  showOutput(shownRedaction.end());
  await writes;
  await metrics.end();
  ctx.emit({ type: 'process_exited', runId: ctx.runId, processId, code: exit.code });
  return commandResult({
    argv: req.argv,
    status: stopReason ? `stopped (${stopReason}), exit code ${exit.code}` : `exit code ${exit.code}`,
    ok: !stopReason && exit.code === 0,
    seconds: (Date.now() - started) / 1000,
    logRel,
    whole: total <= head.length + tail.length ? head + tail : `${head}\n[... output cut in memory ...]\n${tail}`,
    data: { exitCode: exit.code, log: logRel, processId, stopped: stopReason },
    // A command stopped on purpose (time limit, the user) did not fail: it gets head and tail.
    ...(stopReason ? {} : { exitCode: exit.code }),
  });
}
