/**
 * Log pipeline throughput and memory: a 1 GB realistic trainer log (generated
 * once into bench/.data/, git-ignored), streamed through LogPipeline with
 * fs.createReadStream; throughput as a ratio to `wc -l` on the same file in
 * the same run; peak RSS sampled while it runs. Goal: ≥ 30 % of wc -l, flat memory.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, openSync, closeSync, statSync, writeSync } from 'node:fs';
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

async function timePipeline(file: string): Promise<{ seconds: number; peakRss: number; rssAfterWarmup: number; points: number; progress: number }> {
  let points = 0;
  let progress = 0;
  const p = new LogPipeline({ onMetric: () => points++, onProgress: () => progress++ });
  let peak = process.memoryUsage().rss;
  let afterWarmup = 0;
  let bytes = 0;
  const size = statSync(file).size;
  const t0 = process.hrtime.bigint();
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1024 * 1024 });
  for await (const chunk of stream) {
    p.push(chunk as string);
    bytes += (chunk as string).length;
    const rss = process.memoryUsage.rss();
    if (rss > peak) peak = rss;
    if (!afterWarmup && bytes > size / 10) afterWarmup = rss;
  }
  p.end();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, peakRss: peak, rssAfterWarmup: afterWarmup, points, progress };
}

export default async function logPipelineBench(): Promise<BenchResult> {
  const file = ensureLog();
  const bytes = statSync(file).size;
  timeWc(file); // warm the page cache
  const wc = Math.min(timeWc(file), timeWc(file));
  const decode = await timeDecodeOnly(file);
  const run = await timePipeline(file);
  const mb = bytes / 1024 ** 2;
  const ratio = wc / run.seconds;
  return {
    name: 'log pipeline (1 GB trainer log, streamed)',
    goal: '≥ 30 % of wc -l throughput; flat memory',
    ok: ratio >= 0.3,
    figures: {
      'file size': `${mb.toFixed(0)} MiB`,
      'wc -l': `${wc.toFixed(2)} s (${(mb / wc).toFixed(0)} MiB/s)`,
      pipeline: `${run.seconds.toFixed(2)} s (${(mb / run.seconds).toFixed(0)} MiB/s)`,
      'throughput vs wc -l': `${(ratio * 100).toFixed(1)} %`,
      'UTF-8 streaming alone (ceiling of a string pipeline)': `${decode.toFixed(2)} s (${(mb / decode).toFixed(0)} MiB/s, ${((wc / decode) * 100).toFixed(1)} % of wc -l)`,
      'metric points / progress updates': `${run.points} / ${run.progress}`,
      'RSS after 10 % / peak': `${(run.rssAfterWarmup / 1024 ** 2).toFixed(0)} MiB / ${(run.peakRss / 1024 ** 2).toFixed(0)} MiB`,
    },
  };
}
