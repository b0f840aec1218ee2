// `ml-intern fine-tune` run on a real GPU machine (H200; trl 1.9.0, datasets 5.0.1, transformers
// 5.17.0, peft 0.21.0; scripts/gpu-check/trl-e2e/cli-fine-tune.sh): the product's own session,
// with no API key, for an SFT and a DPO run. What it left in the run folder is kept in
// test/fixtures/real-gpu/cli/<method>/ (status.json, metrics.jsonl, transcript.jsonl, the accepted
// script, the attempt's log, the command's output).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { MetricPoint } from '../../../src/core/events';
import { LogPipeline } from '../../../src/core/logs/pipeline';
import { readConfig } from '../../../src/core/recipes/configBlock';

const DIR = path.resolve(__dirname, '../../fixtures/real-gpu/cli');
const read = (method: string, file: string) => readFileSync(path.join(DIR, method, file), 'utf8');

for (const method of ['sft', 'dpo']) {
  test(`${method}: the session ran to success with no API key, its script loading the data from its own folder`, () => {
    const status = JSON.parse(read(method, 'status.json'));
    assert.equal(status.state, 'succeeded');
    assert.equal(status.usage.llmCalls, 0);
    const output = read(method, 'cli-output.txt');
    assert.match(output, /No API key: recipe mode/);
    const id = /^Run (\S+) \(\.ml-intern\/runs\/\1\)$/m.exec(output)?.[1];
    assert.ok(id, 'the run id and its folder are printed first');
    assert.match(output, new RegExp(`^Run ${id}: succeeded\nTraining finished\.`, 'm'));
    const cfg = readConfig(read(method, 'accepted-train.py'));
    assert.equal(cfg.DATASET, '../data/train.jsonl');
    assert.equal(cfg.MODEL_ID, '/tmp/mli-tiny/llama-chat');
  });

  test(`${method}: metrics.jsonl holds exactly what the log pipeline reads from the attempt's real log`, () => {
    const recorded = read(method, 'metrics.jsonl').split('\n').filter(Boolean).map((l) => JSON.parse(l) as MetricPoint);
    const parsed: MetricPoint[] = [];
    const p = new LogPipeline({ onMetric: (point) => parsed.push({ ...point }) });
    p.pushBytes(readFileSync(path.join(DIR, method, 'attempt-1.log')));
    p.end();
    assert.ok(recorded.length > 0);
    assert.deepEqual(recorded.map((r) => [r.step, r.loss, r.evalLoss, r.train_loss]), parsed.map((r) => [r.step, r.loss, r.evalLoss, r.train_loss]));
  });
}

test('the DPO run recorded its reward figures; the SFT run its token accuracy', () => {
  const last = (m: string) => read(m, 'metrics.jsonl').split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((p) => p.evalLoss !== undefined);
  assert.equal(typeof last('dpo')['eval_rewards/margins'], 'number');
  assert.equal(typeof last('sft').eval_mean_token_accuracy, 'number');
});
