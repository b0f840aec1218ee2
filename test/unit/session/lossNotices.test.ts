/**
 * Runs that fail nowhere and still go wrong, said once as a warning notice while they run: a loss of
 * exactly 0 log after log (trl's SFTTrainer logs 0.0 when every label of a batch is masked), and an
 * eval loss rising while the training loss falls (overfitting). The fixture trainer logs them through
 * the real session; DPO's and GRPO's points and the edge cases are checked on the watches themselves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { RunStore } from '../../../src/core/runs/runStore';
import { DEFAULT_SETTINGS } from '../../../src/core/settings';
import { FineTuneSession } from '../../../src/core/session/fineTuneSession';
import { startDetached } from '../../../src/core/exec/detached';
import { ZeroLossWatch, ZERO_LOSS_RUN } from '../../../src/core/recovery/zeroLoss';
import { OverfitWatch } from '../../../src/core/recovery/overfit';
import { MEDICAL_QA_REQUEST } from '../../support/sampleRequest';

async function sftRun(trainerArgs: string): Promise<{ notices: string[]; outcome: string }> {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-zero-loss-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  try {
    const files = new NodeFileStore(ws);
    const events = new RecordingEventSink();
    const session = await FineTuneSession.create(MEDICAL_QA_REQUEST, {
      files, runs: new RunStore(files), settings: () => DEFAULT_SETTINGS, python: resolve('test/fixtures/trainer/fake-python'),
      launch: (spec) => startDetached(spec), reviewer: new ScriptedReviewer(), events, approveCommand: async () => ({ approved: true }),
      processEnv: async () => ({ FAKE_TRAINER_ARGS: trainerArgs, FAKE_STEPS: '40', FAKE_DELAY_MS: '20' }),
    });
    const outcome = await session.execute();
    return { notices: events.ofType('notice').filter((n) => n.level === 'warning').map((n) => n.message), outcome: outcome.kind };
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}

test('an SFT run logging loss 0.0 from step 10 on: one warning naming masked labels, at the third zero log; the run itself goes on', { timeout: 120_000 }, async () => {
  const { notices, outcome } = await sftRun('--zero-loss-from 10');
  assert.equal(outcome, 'succeeded', 'nothing fails: that is why it must be said');
  const zero = notices.filter((n) => /exactly 0/.test(n));
  assert.equal(zero.length, 1, notices.join('\n'));
  assert.match(zero[0], new RegExp(`^Step 20: The training loss has been exactly 0 for ${ZERO_LOSS_RUN} logs in a row: nothing is being learned\\. trl logs 0\\.0 when every label of a batch is masked`));
  const healthy = await sftRun('');
  assert.deepEqual(healthy.notices.filter((n) => /exactly 0/.test(n)), []);
});

test('DPO at 0 names its saturated margins; GRPO points and a loss that comes back are left alone', () => {
  const dpo = (step: number, loss: number) => ({ step, loss, 'rewards/chosen': 15, 'rewards/rejected': -1.2, 'rewards/margins': 16.2, 'rewards/accuracies': 1 });
  const w = new ZeroLossWatch();
  assert.equal(w.add([dpo(1, 0.001), dpo(2, 0), dpo(3, 0)]), undefined);
  const warning = w.add([dpo(4, 0)]);
  assert.match(warning?.message ?? '', /^The DPO loss has been exactly 0 for 3 logs in a row \(rewards\/margins 16\.2\): the preference margins saturated/);
  assert.equal(w.add([dpo(5, 0)]), undefined, 'said once');
  const grpo = new ZeroLossWatch();
  assert.equal(grpo.add([1, 2, 3, 4].map((step) => ({ step, loss: 0, reward: 0.5, reward_std: 0.2 }))), undefined);
  const back = new ZeroLossWatch();
  assert.equal(back.add([{ step: 1, loss: 0 }, { step: 2, loss: 0 }, { step: 3, loss: 1.3 }, { step: 4, loss: 0 }]), undefined);
});

test('an SFT run whose eval loss rises from step 20 while its training loss falls: one overfitting warning naming the best step', { timeout: 120_000 }, async () => {
  const { notices, outcome } = await sftRun('--eval-steps 5 --overfit-from 20');
  assert.equal(outcome, 'succeeded');
  const over = notices.filter((n) => /memorising/.test(n));
  assert.equal(over.length, 1, notices.join('\n'));
  assert.match(over[0], /^Step 30: The eval loss has risen for 2 evaluations \(from [\d.]+ at step 20 to [\d.]+\) while the training loss kept falling .*The lowest eval loss was at step 20/);
  const healthy = await sftRun('--eval-steps 5');
  assert.deepEqual(healthy.notices.filter((n) => /memorising/.test(n)), []);
});

test('no overfitting warning for noise, a single rise, or a training loss that rose too', () => {
  const pts = (evals: number[], trains: number[]) => evals.flatMap((e, i) => [{ step: (i + 1) * 10, loss: trains[i] }, { step: (i + 1) * 10, evalLoss: e }]);
  assert.equal(new OverfitWatch().add(pts([1.0, 0.9, 0.905, 0.91], [1.2, 1.0, 0.9, 0.8])), undefined, 'within 2% of the best: noise');
  assert.equal(new OverfitWatch().add(pts([1.0, 0.9, 1.0, 0.95], [1.2, 1.0, 0.9, 0.8])), undefined, 'one rise, then down again');
  assert.equal(new OverfitWatch().add(pts([1.0, 0.9, 1.0, 1.1], [1.2, 1.0, 1.1, 1.2])), undefined, 'both rising: diverging, not overfitting');
  const w = new OverfitWatch();
  assert.match(w.add(pts([1.0, 0.9, 1.0, 1.1], [1.2, 1.0, 0.9, 0.8]))?.message ?? '', /from 0\.900 at step 20 to 1\.10/);
  assert.equal(w.add(pts([1.2], [0.7])), undefined, 'said once');
});
