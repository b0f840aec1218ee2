/**
 * Log pipeline throughput and memory: a 1 GB realistic trainer log (generated
 * once into bench/.data/, git-ignored), read the way the product reads a run's
 * log — the file follower (followFile, raw Buffers, 8 MiB slices with the event
 * loop free between them) feeding LogPipeline.pushBytes, as watchRun does when
 * it catches up a run after a reload; throughput as a ratio to `wc -l` on the
 * same file in the same run; peak RSS sampled while it runs. The string path
 * (the text follower into push()) is reported too, and both must give the same
 * figures. Goal: ≥ 30 % of wc -l, flat memory.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readSync, rmSync, statSync, symlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { followFile } from '../src/core/exec/fileFollower';
import { startDetached } from '../src/core/exec/detached';
import { RunStore } from '../src/core/runs/runStore';
import { endedRun } from '../src/core/run/reattach';
import { watchRun } from '../src/core/run/watch';
import { NodeFileStore } from '../src/core/util/nodeFileStore';
import * as path from 'node:path';
import { LogPipeline } from '../src/core/logs/pipeline';
import type { BenchResult } from './run';

const DATA = path.join(__dirname, '.data');
const SIZE = Number(process.env.BENCH_LOG_BYTES ?? 1024 ** 3);

/**
 * ~1 MB of trainer output as a 120-column terminal shows it: a tqdm redraw per step
 * (a 70-cell bar), a loss dict every 10 steps, an eval every 200, a peft UserWarning,
 * torchtitan-style rank lines, ANSI colours.
 */
function block(startStep: number, total: number): { text: string; steps: number } {
  const parts: string[] = [];
  let step = startStep;
  let size = 0;
  while (size < 1024 * 1024) {
    step++;
    const shown = ((step - 1) % total) + 1; // epochs repeat the bar
    const pct = Math.floor((100 * shown) / total);
    const filled = Math.floor((pct * 70) / 100);
    const bar = `${String(pct).padStart(3)}%|${'█'.repeat(filled)}${' '.repeat(70 - filled)}| ${shown}/${total} [1:02:03<2:03:04,  2.41s/it]`;
    let s = `\r${bar}`;
    if (step % 10 === 0) {
      s += `\r${' '.repeat(60)}\r{'loss': ${(2 * Math.exp(-shown / total) + 0.3).toFixed(4)}, 'grad_norm': ${(0.5 + (step % 7) / 10).toFixed(6)}, 'learning_rate': ${(2e-5 * (1 - shown / total)).toExponential(6)}, 'rewards/chosen': -0.1718759834766388, 'mean_token_accuracy': 0.8984374925494194, 'epoch': ${(step / total).toFixed(2)}}\n\r${bar}`;
    }
    if (step % 200 === 0) {
      s += `\n\r{'eval_loss': 0.4417378902435303, 'eval_runtime': 148.0671, 'eval_samples_per_second': 1.56, 'eval_steps_per_second': 1.56, 'epoch': ${(step / total).toFixed(2)}}\n\r${bar}`;
    }
    if (step % 97 === 0) {
      s += `\n\x1b[33m/usr/local/lib/python3.11/dist-packages/peft/utils/save_and_load.py:309: UserWarning: Setting \`save_embedding_layers\` to \`True\` as the embedding layer has been resized during finetuning.\x1b[0m\n  warnings.warn(\n`;
    }
    if (step % 50 === 0) s += `\n[rank0]:[titan] 2025-03-12 11:10:21,511 - root - INFO - step: ${step}  loss:  6.2250  memory:  1.41GiB(1.79%)  tps: 193,831\n`;
    parts.push(s);
    size += s.length;
  }
  return { text: parts.join(''), steps: step - startStep };
}

function ensureLog(): string {
  mkdirSync(DATA, { recursive: true });
  const file = path.join(DATA, `trainer-${SIZE}.log`);
  if (existsSync(file) && statSync(file).size >= SIZE) return file;
  const fd = openSync(file, 'w');
  let written = 0;
  let step = 0;
  const total = 1_000_000;
  while (written < SIZE) {
    const b = block(step, total);
    step += b.steps;
    written += writeSync(fd, b.text);
  }
  closeSync(fd);
  return file;
}

function timeWc(file: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('wc', ['-l', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wc -l failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** The ceiling of any string-based pipeline: streaming the file as UTF-8 and doing nothing. */
async function timeDecodeOnly(file: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  let n = 0;
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1024 * 1024 })) n += (chunk as string).length;
  if (n < 0) throw new Error('unreachable');
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

interface PipelineRun {
  seconds: number;
  peakRss: number;
  rssAfterWarmup: number;
  points: number;
  progress: number;
  lines: number;
  segments: number;
  lastLoss?: number;
}

/**
 * Catch up `file` through the product's follower: resolves once every byte went to `onChunk`.
 * The poll interval is an hour, so only the follower's own back-to-back slices get there.
 */
function catchUp(file: string, size: number, onChunk: (chunk: Buffer | string, bytes: number) => void, raw: boolean): Promise<void> {
  return new Promise((resolve) => {
    let bytes = 0;
    const done = () => {
      if (bytes < size) return;
      f.stop();
      resolve();
    };
    const f = raw
      ? followFile(file, (b: Buffer) => { bytes += b.length; onChunk(b, bytes); done(); }, { raw: true, pollMs: 3_600_000 })
      : followFile(file, (t: string) => { bytes += Buffer.byteLength(t); onChunk(t, bytes); done(); }, { pollMs: 3_600_000 });
    f.poll();
  });
}

async function timePipeline(file: string, mode: 'bytes' | 'string'): Promise<PipelineRun> {
  let points = 0;
  let progress = 0;
  const p = new LogPipeline({ onMetric: () => points++, onProgress: () => progress++ });
  let peak = process.memoryUsage().rss;
  let afterWarmup = 0;
  const size = statSync(file).size;
  const t0 = process.hrtime.bigint();
  await catchUp(
    file,
    size,
    (chunk, bytes) => {
      if (typeof chunk === 'string') p.push(chunk);
      else p.pushBytes(chunk);
      const rss = process.memoryUsage.rss();
      if (rss > peak) peak = rss;
      if (!afterWarmup && bytes > size / 10) afterWarmup = rss;
    },
    mode === 'bytes',
  );
  p.end();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, peakRss: peak, rssAfterWarmup: afterWarmup, points, progress, lines: p.stats.lines, segments: p.stats.segments, lastLoss: p.stats.lastLoss };
}

/** The follower reading the file and handing over Buffers nobody looks at: the ceiling of this harness. */
async function timeReadOnly(file: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  await catchUp(file, statSync(file).size, () => undefined, true);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * `wc -l` written in JavaScript: count the \n of 256 KiB Buffers byte by byte. What one
 * JavaScript pass over every byte costs on this machine, so the floor of any parser that looks
 * at each byte in JavaScript rather than skipping with native searches (Buffer.indexOf).
 */
function timeJsLineCount(file: string): { seconds: number; lines: number } {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(256 * 1024);
  let lines = 0;
  const t0 = process.hrtime.bigint();
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n <= 0) break;
    for (let i = 0; i < n; i++) if (buf[i] === 10) lines++;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  closeSync(fd);
  return { seconds, lines };
}

/**
 * The detached launcher carries a run's output to train.log and redacts it on the way (secrets
 * never reach the file): how fast, on the first `bytes` of the log. A trainer writes KB/s; this
 * says how far that is from a limit.
 */
async function timeLauncherPump(file: string, bytes: number): Promise<{ seconds: number; bytes: number }> {
  const root = mkdtempSync(path.join(tmpdir(), 'mli-bench-pump-'));
  try {
    const t0 = process.hrtime.bigint();
    const run = await startDetached({ argv: ['head', '-c', String(bytes), file], cwd: root, runDir: root, name: 'pump', secrets: ['a-stored-secret-value'] }, { pollMs: 50 });
    await run.exit;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    run.dispose();
    return { seconds, bytes: statSync(run.logFile).size };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

interface CatchUpRun {
  seconds: number;
  metricsOnDisk: number;
  events: number;
  points: number;
  maxGapMs: number;
}

/**
 * What a user waits for after a reload when the run ended while the window was closed: the
 * session's watchRun on the ended run (follower → pipeline → panel events and metrics.jsonl
 * through a real run folder), until it returns and until metrics.jsonl is complete; and the
 * longest the event loop was held meanwhile (a 10 ms timer's largest gap).
 */
async function timeReloadCatchUp(file: string): Promise<CatchUpRun> {
  const root = mkdtempSync(path.join(tmpdir(), 'mli-bench-'));
  try {
    const handle = await new RunStore(new NodeFileStore(root)).create({ goal: 'bench' });
    const runDir = path.join(root, handle.folder);
    mkdirSync(path.join(runDir, 'logs'), { recursive: true });
    symlinkSync(file, path.join(runDir, 'logs', 'train.log'));
    let events = 0;
    let points = 0;
    let last = Date.now();
    let maxGapMs = 0;
    const tick = setInterval(() => {
      const now = Date.now();
      maxGapMs = Math.max(maxGapMs, now - last);
      last = now;
    }, 10);
    const t0 = process.hrtime.bigint();
    const emit = (e: { type: string; points?: unknown[] }) => {
      events++;
      if (e.type === 'metrics') points += e.points?.length ?? 0;
    };
    await watchRun(endedRun(runDir, 0), { runId: handle.id, processId: 'training', handle, events: { emit } });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    clearInterval(tick);
    await handle.appendMetrics([]); // queued behind every append of the run
    const metricsOnDisk = Number(process.hrtime.bigint() - t0) / 1e9;
    return { seconds, metricsOnDisk, events, points, maxGapMs };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export default async function logPipelineBench(): Promise<BenchResult> {
  const file = ensureLog();
  const bytes = statSync(file).size;
  timeWc(file); // warm the page cache
  const wc = Math.min(timeWc(file), timeWc(file));
  const read = Math.min(await timeReadOnly(file), await timeReadOnly(file));
  const jsWc = timeJsLineCount(file);
  const decode = await timeDecodeOnly(file);
  const str = await timePipeline(file, 'string');
  // Best of two for the byte path (the figure the goal is about); the first also warms the JIT.
  const a = await timePipeline(file, 'bytes');
  const b = await timePipeline(file, 'bytes');
  const run = a.seconds <= b.seconds ? a : b;
  const reload = await timeReloadCatchUp(file);
  const pump = await timeLauncherPump(file, 256 * 1024 ** 2);
  const same = (['points', 'progress', 'lines', 'segments', 'lastLoss'] as const).every((k) => run[k] === str[k]);
  const mb = bytes / 1024 ** 2;
  const ratio = wc / run.seconds;
  const rate = (s: number) => `${s.toFixed(2)} s (${(mb / s).toFixed(0)} MiB/s, ${((wc / s) * 100).toFixed(1)} % of wc -l)`;
  return {
    name: 'log pipeline (1 GB trainer log, streamed)',
    goal: '≥ 30 % of wc -l throughput; flat memory',
    ok: ratio >= 0.3 && same && run.peakRss < run.rssAfterWarmup * 1.5,
    figures: {
      'file size': `${mb.toFixed(0)} MiB`,
      'wc -l': `${wc.toFixed(2)} s (${(mb / wc).toFixed(0)} MiB/s)`,
      'pipeline, pushBytes (the run follower\'s Buffers, as watchRun after a reload; best of 2)': rate(run.seconds),
      'throughput vs wc -l': `${(ratio * 100).toFixed(1)} %`,
      'pipeline, push(string) (the text follower)': rate(str.seconds),
      'the follower reading the Buffers alone (ceiling of this harness)': rate(read),
      '`wc -l` written in JavaScript, byte by byte (floor of a parser that visits every byte)': `${rate(jsWc.seconds)}, ${jsWc.lines} lines`,
      'UTF-8 streaming alone (ceiling of a string pipeline)': rate(decode),
      'metric points / progress updates / lines (pushBytes)': `${run.points} / ${run.progress} / ${run.lines}`,
      'reload after the run ended: watchRun caught up / metrics.jsonl complete': `${reload.seconds.toFixed(2)} s / ${reload.metricsOnDisk.toFixed(2)} s (${reload.points} points in ${reload.events} panel events)`,
      'reload: longest the event loop was held': `${reload.maxGapMs} ms`,
      'detached launcher: output carried to train.log and redacted (first 256 MiB)': `${pump.seconds.toFixed(2)} s (${(pump.bytes / 1024 ** 2 / pump.seconds).toFixed(0)} MiB/s)`,
      'same results on both paths': same ? 'yes' : `NO (string path: ${str.points} / ${str.progress} / ${str.lines})`,
      'RSS after 10 % / peak (pushBytes)': `${(run.rssAfterWarmup / 1024 ** 2).toFixed(0)} MiB / ${(run.peakRss / 1024 ** 2).toFixed(0)} MiB`,
      'RSS after 10 % / peak (push(string))': `${(str.rssAfterWarmup / 1024 ** 2).toFixed(0)} MiB / ${(str.peakRss / 1024 ** 2).toFixed(0)} MiB`,
    },
  };
}
