import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MemoryFileStore } from '../../../src/core/testing/memoryPorts';
import { MetricsJsonlWriter } from '../../../src/core/logs/metricsWriter';
import { parseMetricDict, parsePythonNumber } from '../../../src/core/logs/pyDict';
import { parseTqdm } from '../../../src/core/logs/progress';
import { splitRank, stripAnsi } from '../../../src/core/logs/logLine';
import { RingBuffer } from '../../../src/core/logs/ringBuffer';
import { stripRankPrefix } from '../../../src/core/recovery/logScan';
import { runPipeline } from './helpers';

test('metrics.jsonl through a FileStore: one JSON line per point, NaN kept visible', async () => {
  const store = new MemoryFileStore('/ws');
  const w = new MetricsJsonlWriter({ store, path: '.ml-intern/runs/r1/metrics.jsonl' });
  w.write({ step: 5, loss: 1.25, learningRate: 2e-5 }, 'train');
  w.write({ step: 10, loss: NaN }, 'train');
  w.write({ step: 10, evalLoss: 1.1 }, 'eval');
  await w.flush();
  const lines = (await store.read('.ml-intern/runs/r1/metrics.jsonl')).trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines, [
    { kind: 'train', step: 5, loss: 1.25, learningRate: 2e-5 },
    { kind: 'train', step: 10, loss: 'NaN' },
    { kind: 'eval', step: 10, evalLoss: 1.1 },
  ]);
});

test('metrics.jsonl to an absolute path, in order across flushes', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mli-metrics-'));
  try {
    const file = path.join(dir, 'sub', 'metrics.jsonl');
    const w = new MetricsJsonlWriter({ path: file });
    for (let i = 1; i <= 50; i++) {
      w.write({ step: i, loss: 1 / i });
      if (i % 7 === 0) await w.flush();
    }
    await w.flush();
    const steps = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).step);
    assert.deepEqual(steps, Array.from({ length: 50 }, (_, i) => i + 1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('python value reprs: tensors, numpy scalars, nan, inf', () => {
  assert.equal(parsePythonNumber("tensor(0.3120, device='cuda:0')"), 0.312);
  assert.equal(parsePythonNumber('np.float64(0.5)'), 0.5);
  assert.equal(parsePythonNumber('array(1.5, dtype=float32)'), 1.5);
  assert.ok(Number.isNaN(parsePythonNumber('nan')));
  assert.equal(parsePythonNumber('-inf'), -Infinity);
  assert.equal(parsePythonNumber("'text'"), undefined);
  assert.deepEqual(parseMetricDict("{'loss': tensor(1.25, device='cuda:0', grad_fn=<AddBackward0>), 'lr': [5e-05], 'epoch': np.float64(0.5)}"), { loss: 1.25, epoch: 0.5 });
});

test('a dict inside a message is not a metric; a dict after a bar is', () => {
  assert.equal(parseMetricDict("Updated tokens: {'eos_token_id': 128009, 'pad_token_id': 128256}."), undefined);
  assert.equal(parseMetricDict("{'eos_token_id': 128009}"), undefined, 'no training key');
  assert.deepEqual(parseMetricDict(" 45%|████▌     | 450/1000 [05:12<06:21,  1.44it/s]{'loss': 0.9, 'epoch': 0.45}   "), { loss: 0.9, epoch: 0.45 });
});

test('tqdm: last bar of a fused line, ETA, rate in s/it, description', () => {
  const b = parseTqdm(' 45%|████▌     | 450/1000 [05:12<06:21,  1.44it/s]');
  assert.deepEqual([b?.current, b?.total, b?.etaSeconds, b?.rate, b?.desc], [450, 1000, 381, 1.44, '']);
  const f = parseTqdm('Map:   0%|          | 0/1400 [00:00<?, ? examples/s]Map:  71%|#######1  | 1000/1400 [00:00<00:00, 9411.74 examples/s]');
  assert.deepEqual([f?.current, f?.total, f?.desc], [1000, 1400, 'Map']);
  const s = parseTqdm('  4%|▎         | 11/312 [02:27<1:00:48, 12.12s/it]10, 2.2398');
  assert.equal(s?.rate?.toFixed(4), (1 / 12.12).toFixed(4));
  assert.equal(s?.etaSeconds, 3648);
  assert.equal(s?.after, '10, 2.2398');
  const q = parseTqdm('  0%|          | 0/43 [00:00<?, ?it/s]');
  assert.deepEqual([q?.current, q?.etaSeconds], [0, undefined]);
  assert.equal(parseTqdm('no bar <here> [x]'), undefined);
});

test('rank prefixes', () => {
  assert.deepEqual(splitRank('[rank3]: Traceback'), { rank: 3, stream: 3, text: 'Traceback' });
  assert.deepEqual(splitRank('[rank0]:[titan] x'), { rank: 0, stream: 0, text: '[titan] x' });
  assert.deepEqual(splitRank('[default1]:{\'loss\': 1}'), { rank: 1, stream: 1, text: "{'loss': 1}" });
  assert.deepEqual(splitRank('0: hello'), { rank: 0, stream: 0, text: 'hello' });
  assert.deepEqual(splitRank('10\t2.36'), { text: '10\t2.36' });
});

test('one reader of rank prefixes: the chart pipeline sees the launchers the diagnosis sees', () => {
  // mpirun --tag-output, accelerate's `rankN:`, and srun --label around torchrun's `[rankN]:`.
  const cases: Array<[string, number]> = [
    ["[1,0]<stdout>:{'loss': 2.5, 'learning_rate': 0.0001, 'epoch': 0.1}", 0],
    ["rank0: {'loss': 2.5, 'learning_rate': 0.0001, 'epoch': 0.1}", 0],
    ["0: [rank0]: {'loss': 2.5, 'learning_rate': 0.0001, 'epoch': 0.1}", 0],
  ];
  for (const [line, rank] of cases) {
    const r = runPipeline([`${line}\n`]);
    assert.deepEqual(r.points.map((p) => p.loss), [2.5], line);
    assert.equal(stripRankPrefix(line).rank, String(rank), line);
    assert.equal(stripRankPrefix(line).text, splitRank(line).text, line);
  }
  // Two local ranks of one srun task are two streams: only the first one's metrics are charted.
  const twoRanks = ["0: [rank0]: {'loss': 2.5, 'epoch': 0.1}", "0: [rank1]: {'loss': 2.5, 'epoch': 0.1}", "0: [rank0]: {'loss': 2.0, 'epoch': 0.2}"];
  assert.deepEqual(runPipeline([twoRanks.join('\n') + '\n']).points.map((p) => p.loss), [2.5, 2.0]);
});

test('ANSI colours, cursor moves and OSC titles are removed', () => {
  assert.equal(stripAnsi('\x1b[1;31mError\x1b[0m \x1b[A\x1b[2K\x1b]0;title\x07ok'), 'Error ok');
});

test('ring buffer keeps the newest items in order', () => {
  const r = new RingBuffer<number>(3);
  for (let i = 1; i <= 7; i++) r.push(i);
  assert.deepEqual(r.toArray(), [5, 6, 7]);
});
