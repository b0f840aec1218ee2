/**
 * GRPO's log lines (the fixture trainer's --method grpo, keys as trl 1.x's GRPOTrainer logs them)
 * go through the real log pipeline with their names intact: per-reward mean/std, reward, KL,
 * completion lengths and the clipped ratio reach the points and metrics.jsonl lines the chart reads.
 * Both byte-level and string-level paths are fed, as the runner feeds bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { runPipeline, TRAINER_FIXTURES } from './helpers';
import { LogPipeline } from '../../../src/core/logs/pipeline';
import { metricLine } from '../../../src/core/logs/metricsWriter';

const GRPO_KEYS = [
  'reward', 'reward_std', 'rewards/exact_answer_reward/mean', 'rewards/exact_answer_reward/std', 'rewards/format_reward/mean',
  'rewards/format_reward/std', 'kl', 'completions/mean_length', 'completions/clipped_ratio', 'clip_ratio/region_mean', 'frac_reward_zero_std',
];

function grpoLog(extra: string[] = []): string {
  return execFileSync('python3', [path.join(TRAINER_FIXTURES, 'fake_trainer.py'), '--steps', '20', '--logging-steps', '5', '--method', 'grpo', '--no-color', ...extra], { encoding: 'utf8' });
}

test('every GRPO key reaches the metric points by its trl name, step by step', () => {
  const r = runPipeline([grpoLog()]);
  const train = r.points.filter((p) => p.kind === 'train');
  assert.deepEqual(train.map((p) => p.step), [5, 10, 15, 20]);
  for (const p of train) for (const k of GRPO_KEYS) assert.equal(typeof (p as Record<string, unknown>)[k], 'number', `${k} at step ${p.step}`);
  // The fixture's answer reward learns: the chart would show it rising.
  const answer = train.map((p) => (p as Record<string, number>)['rewards/exact_answer_reward/mean']);
  assert.ok(answer[3] > answer[0], JSON.stringify(answer));
  const line = JSON.parse(metricLine(train[0], 'train')) as Record<string, unknown>;
  for (const k of GRPO_KEYS) assert.equal(typeof line[k], 'number', `metrics.jsonl keeps ${k}`);
});

test('the byte path gives the same GRPO points as the string path', () => {
  const log = grpoLog(['--grpo-rewards', 'zero']);
  const viaBytes: Record<string, unknown>[] = [];
  const p = new LogPipeline({ onMetric: (point, kind) => viaBytes.push({ ...point, kind }) });
  p.pushBytes(Buffer.from(log, 'utf8'));
  p.end();
  const viaString = runPipeline([log]).points.map((x) => ({ ...x }));
  assert.deepEqual(viaBytes, viaString);
  assert.ok(viaBytes.every((x) => x.kind !== 'train' || (x.reward === 0 && x.frac_reward_zero_std === 1)));
});
