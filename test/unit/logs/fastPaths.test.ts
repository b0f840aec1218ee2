// The byte fast paths of LogPipeline.pushBytes (bars ended by \r or \n, dict lines, display lines
// decoded only if still in the tail at the chunk's end) on a benchmark-like log: same points,
// progress events, stats, tail and final progress as push(string), for several chunkings and tail sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StringDecoder } from 'node:string_decoder';
import { MetricPoint, ProgressInfo } from '../../../src/core/events';
import { LogPipeline } from '../../../src/core/logs/pipeline';

function log(steps: number, total: number): Buffer {
  let s = '';
  for (let step = 1; step <= steps; step++) {
    const shown = ((step - 1) % total) + 1;
    const pct = Math.floor((100 * shown) / total);
    const filled = Math.floor(pct / 10);
    const bar = `${String(pct).padStart(3)}%|${'█'.repeat(filled)}${' '.repeat(10 - filled)}| ${shown}/${total} [00:${String(step % 60).padStart(2, '0')}<01:02,  ${step % 3 === 0 ? '2.41s/it' : '1.5it/s'}]`;
    s += `\r${bar}`;
    if (step % 4 === 0) s += `\r${' '.repeat(20)}\r{'loss': ${(2 / step).toFixed(4)}, 'grad_norm': ${step % 7}.5, 'learning_rate': ${(2e-5 / step).toExponential(6)}, 'epoch': ${(step / total).toFixed(2)}}\n\r${bar}`;
    if (step % 9 === 0) s += `\n\r{'eval_loss': 0.44, 'eval_runtime': 1.5, 'epoch': ${(step / total).toFixed(2)}}\n\r${bar}`;
    if (step % 11 === 0) s += `\n\x1b[33mUserWarning: something\x1b[0m\n`;
    if (step % 13 === 0) s += `\n[rank0]: step: ${step}  loss:  6.2250  memory:  1.41GiB(1.79%)\n`;
    if (step % 5 === 0) s += `\r${' '.repeat(30 + (step % 7))}\r\n`;
    if (step % 17 === 0) s += `\n{'step': ${step}, 'loss': 1.25, 'lr': 1e-5}\r`;
  }
  return Buffer.from(s + '\n', 'utf8');
}

function run(chunks: Buffer[], bytes: boolean, tailLines: number) {
  const points: Array<{ point: MetricPoint; kind: string }> = [];
  const progress: ProgressInfo[] = [];
  const p = new LogPipeline({ tailLines, onMetric: (pt, kind) => points.push({ point: { ...pt }, kind }), onProgress: (pr) => progress.push({ ...pr }) });
  const d = new StringDecoder('utf8');
  for (const c of chunks) {
    if (bytes) {
      const copy = Buffer.from(c);
      p.pushBytes(copy);
      copy.fill(0x41);
    } else p.push(d.write(c));
  }
  if (!bytes) p.push(d.end());
  p.end();
  return { points, progress, stats: { ...p.stats }, tail: p.tail(), last: p.progress };
}

test('pushBytes fast paths = push(string) on a benchmark-like log', () => {
  const buf = log(400, 150);
  for (const size of [buf.length, 4096, 997, 64]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < buf.length; i += size) chunks.push(buf.subarray(i, i + size));
    for (const tailLines of [3, 500]) {
      const a = run(chunks, true, tailLines);
      assert.deepEqual(a, run(chunks, false, tailLines), `chunk ${size}, tail ${tailLines}`);
      assert.ok(a.points.length > 100 && a.progress.length > 100);
    }
  }
});
