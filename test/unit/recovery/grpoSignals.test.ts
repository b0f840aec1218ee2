/**
 * GRPO warnings from the real log pipeline fed by the fixture trainer's GRPO lines: a run whose
 * rewards are all zero, or whose completions are mostly cut at max_completion_length, is warned
 * about at its first logging steps; a learning run is not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { LogPipeline } from '../../../src/core/logs/pipeline';
import { grpoWarnings } from '../../../src/core/recovery/grpoSignals';

const TRAINER = path.join(__dirname, '..', '..', 'fixtures', 'trainer', 'fake_trainer.py');

function points(extra: string[]): Record<string, number>[] {
  const log = execFileSync('python3', [TRAINER, '--steps', '20', '--logging-steps', '5', '--method', 'grpo', '--no-color', ...extra], { encoding: 'utf8' });
  const out: Record<string, number>[] = [];
  const p = new LogPipeline({ onMetric: (point, kind) => { if (kind === 'train') out.push({ ...point } as Record<string, number>); } });
  p.pushBytes(Buffer.from(log, 'utf8'));
  p.end();
  return out;
}

test('a learning GRPO run gets no warning', () => {
  assert.deepEqual(grpoWarnings(points([])), []);
});

test('all rewards zero: warned with what to check, from the second logged step', () => {
  const pts = points(['--grpo-rewards', 'zero']);
  assert.deepEqual(grpoWarnings(pts.slice(0, 1)), [], 'one step is not a trend');
  const w = grpoWarnings(pts.slice(0, 2));
  assert.equal(w.length, 1);
  assert.equal(w[0].id, 'no_reward_signal');
  assert.equal(w[0].step, 10);
  assert.match(w[0].message, /Every reward is 0 for 2 logged steps.*ml-intern reward-test/);
});

test('most completions clipped: warned to raise MAX_COMPLETION_LENGTH', () => {
  const w = grpoWarnings(points(['--grpo-clipped', '0.8']));
  assert.deepEqual(w.map((x) => x.id), ['completions_clipped']);
  assert.match(w[0].message, /^80 % of completions hit MAX_COMPLETION_LENGTH for 4 logged steps.*Raise MAX_COMPLETION_LENGTH/);
});
