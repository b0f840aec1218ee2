/**
 * A GRPO fine-tune tests its rewards before the training approval: rewards.py (as accepted) scored on
 * the data's first rows with the reference, a wrong and a malformed answer (python/reward_test.py, real
 * Python), the scores in the chat and reward-test.json; a reward set that cannot tell right from wrong
 * is warned about before any GPU time. The trainer is the fixture's (no torch here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { RunStore } from '../../../src/core/runs/runStore';
import { DEFAULT_SETTINGS } from '../../../src/core/settings';
import { FineTuneSession } from '../../../src/core/session/fineTuneSession';
import { startDetached } from '../../../src/core/exec/detached';
import { FineTuneRequest } from '../../../src/core/session/types';
import { GSM8K_GRPO_REQUEST } from '../../support/sampleRequest';

const REQUEST = GSM8K_GRPO_REQUEST;

async function grpoSession(request: FineTuneRequest) {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-reward-check-'));
  mkdirSync(join(ws, 'data'));
  cpSync('test/fixtures/datasets/gsm8k.jsonl', join(ws, 'data', 'gsm8k.jsonl'));
  const saved = { args: process.env.FAKE_TRAINER_ARGS, steps: process.env.FAKE_STEPS };
  Object.assign(process.env, { FAKE_TRAINER_ARGS: '--method grpo', FAKE_STEPS: '10' });
  // What the chat had said when the training approval came.
  let saidAtApproval: string[] = [];
  try {
    const files = new NodeFileStore(ws);
    const events = new RecordingEventSink();
    const session = await FineTuneSession.create(request, {
      files, runs: new RunStore(files), settings: () => DEFAULT_SETTINGS, python: resolve('test/fixtures/trainer/fake-python'),
      launch: (spec) => startDetached(spec), reviewer: new ScriptedReviewer(), events,
      approveCommand: async (req) => {
        if (req.argv.includes('train.py') && !saidAtApproval.length) saidAtApproval = events.ofType('assistant_message').map((e) => e.text);
        return { approved: true };
      },
    });
    const outcome = await session.execute();
    return { ws, outcome, events, saidAtApproval, folder: join(ws, session.handle.folder) };
  } finally {
    for (const [k, v] of [['FAKE_TRAINER_ARGS', saved.args], ['FAKE_STEPS', saved.steps]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

test('GRPO: the rewards are scored on the data before the run, shown in the chat and kept; a reward that reads the answer passes', { timeout: 120_000 }, async () => {
  const r = await grpoSession(REQUEST);
  try {
    assert.equal(r.outcome.kind, 'succeeded', JSON.stringify(r.outcome));
    const said = r.saidAtApproval.find((t) => t.startsWith('Reward test before any GPU time'));
    assert.ok(said, `said before the training approval: ${r.saidAtApproval.join('\n---\n')}`);
    assert.match(said, /exact_answer_reward|exact_answer/);
    assert.match(said, /OK: at least one reward tells right from wrong/);
    const saved = JSON.parse(readFileSync(join(r.folder, 'reward-test.json'), 'utf8'));
    assert.ok(saved.rows >= 1 && saved.rows <= 3, String(saved.rows));
    const exact = saved.rewards.find((x: { name: string }) => /exact_answer/.test(x.name));
    assert.equal(exact.distinguishes, true);
    assert.equal(r.events.ofType('notice').filter((n) => /rewards may teach nothing/.test(n.message)).length, 0);
  } finally {
    rmSync(r.ws, { recursive: true, force: true });
  }
});

test('GRPO with only a format reward on data that has answers: warned before the run that nothing tells right from wrong', { timeout: 120_000 }, async () => {
  const r = await grpoSession({ ...REQUEST, rewards: [{ name: 'format', weight: 1 }] });
  try {
    const warned = r.events.ofType('notice').filter((n) => n.level === 'warning' && /rewards may teach nothing/.test(n.message));
    assert.equal(warned.length, 1, JSON.stringify(r.events.ofType('notice')));
    assert.match(warned[0].message, /ml-intern reward-test /);
    // Warned, not stopped: the user decides at the training approval.
    assert.equal(r.outcome.kind, 'succeeded');
  } finally {
    rmSync(r.ws, { recursive: true, force: true });
  }
});
