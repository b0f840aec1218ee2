/**
 * A GRPO run that cannot learn does not crash, so the session says so while it runs: the fixture
 * trainer replays GRPOTrainer's log lines (test/fixtures/trainer/fake_trainer.py --method grpo) through
 * the real session, and each warning (no reward variance, completions clipped) reaches the user once,
 * as a warning notice, before the run ends; a learning run gets none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { RunStore } from '../../../src/core/runs/runStore';
import { DEFAULT_SETTINGS } from '../../../src/core/settings';
import { FineTuneSession } from '../../../src/core/session/fineTuneSession';
import { startDetached } from '../../../src/core/exec/detached';
import { GSM8K_GRPO_REQUEST } from '../../support/sampleRequest';

const FAKE_PYTHON = resolve('test/fixtures/trainer/fake-python');

const REQUEST = GSM8K_GRPO_REQUEST;

/** Runs the GRPO session on the fixture trainer with these trainer flags; the events it emitted. */
async function grpoRun(trainerArgs: string): Promise<{ events: RecordingEventSink; outcome: string; files: string[] }> {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-grpo-'));
  mkdirSync(join(ws, 'data'));
  cpSync('test/fixtures/datasets/gsm8k.jsonl', join(ws, 'data', 'gsm8k.jsonl'));
  const saved = { args: process.env.FAKE_TRAINER_ARGS, steps: process.env.FAKE_STEPS, delay: process.env.FAKE_DELAY_MS };
  // 40 steps of 100 ms, logged every 5: the log is read while the trainer is still writing it.
  Object.assign(process.env, { FAKE_TRAINER_ARGS: `--method grpo ${trainerArgs}`, FAKE_STEPS: '40', FAKE_DELAY_MS: '100' });
  try {
    const files = new NodeFileStore(ws);
    const reviewer = new ScriptedReviewer();
    const events = new RecordingEventSink();
    const session = await FineTuneSession.create(REQUEST, {
      files,
      runs: new RunStore(files),
      settings: () => DEFAULT_SETTINGS,
      python: FAKE_PYTHON,
      launch: (spec) => startDetached(spec),
      reviewer,
      events,
      approveCommand: async () => ({ approved: true }),
    });
    const outcome = await session.execute();
    return { events, outcome: outcome.kind, files: reviewer.seen.map((c) => c.path) };
  } finally {
    for (const [k, v] of [['FAKE_TRAINER_ARGS', saved.args], ['FAKE_STEPS', saved.steps], ['FAKE_DELAY_MS', saved.delay]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(ws, { recursive: true, force: true });
  }
}

const grpoNotices = (events: RecordingEventSink) => events.ofType('notice').filter((n) => /MAX_COMPLETION_LENGTH|GRPO learns only/.test(n.message));

test('zero rewards and clipped completions: each warned once, as a warning notice, while the run goes on', { timeout: 120_000 }, async () => {
  const { events, outcome, files } = await grpoRun('--grpo-rewards zero --grpo-clipped 0.8');
  assert.equal(outcome, 'succeeded', 'the warnings do not stop the run');
  assert.deepEqual(files, ['ml-intern/grpo-qwen2-5-0-5b-instruct/train.py', 'ml-intern/grpo-qwen2-5-0-5b-instruct/rewards.py', 'ml-intern/grpo-qwen2-5-0-5b-instruct/requirements.txt']);
  const notices = grpoNotices(events);
  assert.equal(notices.length, 2, notices.map((n) => n.message).join('\n'));
  assert.ok(notices.every((n) => n.level === 'warning'));
  const zero = notices.find((n) => /Every reward is 0/.test(n.message));
  const clipped = notices.find((n) => /80 % of completions hit MAX_COMPLETION_LENGTH/.test(n.message));
  assert.ok(zero && clipped, notices.map((n) => n.message).join('\n'));
  // Said at the first logging steps that show it, not once the 40 steps are over.
  const step = Number(/^Step (\d+):/.exec(zero.message)?.[1]);
  assert.ok(step >= 10 && step <= 30, zero.message);
  const lastPoints = events.events.map((e) => e.type).lastIndexOf('metrics');
  assert.ok(events.events.indexOf(zero) < lastPoints, 'warned before the last points came');
  // The samples card shows why: no completion earns anything.
  const samples = events.ofType('grpo_samples');
  assert.ok(samples.length && samples.every((e) => e.samples.every((x) => x.total === 0)), JSON.stringify(samples.at(-1)));
});

test('a learning GRPO run gets no GRPO warning', { timeout: 120_000 }, async () => {
  const { events, outcome } = await grpoRun('');
  assert.equal(outcome, 'succeeded');
  assert.deepEqual(grpoNotices(events), []);
  assert.ok(events.ofType('metrics').some((e) => e.points.some((p) => typeof p.reward === 'number')), 'the reward points reached the panel');
  // train.py's recorder (run by the fixture with the recipe's real rewards.py) wrote samples.jsonl in the run folder; the run followed it.
  const samples = events.ofType('grpo_samples');
  assert.ok(samples.length >= 1, 'sampled completions reached the panel');
  const last = samples[samples.length - 1];
  assert.equal(last.step, 40, 'the last logging step is shown');
  assert.equal(last.samples.length, 4, 'SAMPLES_PER_LOG completions');
  for (const s of last.samples) {
    assert.deepEqual(Object.keys(s.rewards), ['exact_answer_reward', 'format_reward']);
    const want = (s.rewards.exact_answer_reward ?? 0) * 1 + (s.rewards.format_reward ?? 0) * 0.2;
    assert.ok(Math.abs((s.total ?? NaN) - want) < 1e-9, `total is the weighted sum: ${JSON.stringify(s)}`);
    assert.equal(s.rewards.exact_answer_reward, /#### 5$/.test(s.completion) ? 1 : 0, `exact_answer scores the completion: ${s.completion}`);
  }
});
