// What a diagnosis says the log shows of the training: how far it got, the loss, whether it ran to its
// end, and a loss stuck at exactly 0. On the repository's real trainer log, cut and whole, on written
// lines, and on every real log in ../shared/data/logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describeTraining, TrainingSummary, TrainingSummaryReader, ZERO_LOSS_LOGS } from '../../../src/core/logs/trainingSummary';
import { diagnoseWithTraining } from '../../../src/core/recovery/diagnose';
import { readShared, SHARED_LOGS_SKIP, sharedLogFiles } from './helpers';

const REAL = readFileSync(path.resolve(__dirname, '../../fixtures/real-gpu/transformers-5.17-trainer.log'), 'utf8');

function summary(text: string): TrainingSummary {
  const r = new TrainingSummaryReader();
  // Cut anywhere, as a stream arrives.
  for (let i = 0; i < text.length; i += 97) r.push(text.slice(i, i + 97));
  return r.end();
}

test('a whole run: every logged step up to the total, the loss, and the closing summary', () => {
  const s = summary(REAL);
  assert.equal(s.finished, true);
  assert.equal(s.lastStep, 80);
  assert.equal(s.totalSteps, 80);
  assert.ok(s.trainPoints > 0 && s.evalPoints > 0);
  assert.match(describeTraining(s)!, /^The log shows training: \d+ logged training steps up to step 80 of 80; loss [\d.]+ → [\d.]+; last eval loss [\d.]+\. It ends with the trainer's closing summary/);
});

test('the same run cut before its end: where it stopped, and what can end a run without an error', () => {
  const cut = REAL.slice(0, REAL.indexOf("'train_runtime'"));
  const s = summary(cut.slice(0, cut.lastIndexOf('\n', cut.length / 2)));
  assert.equal(s.finished, false);
  assert.ok(s.lastStep! < 80, String(s.lastStep));
  assert.match(describeTraining(s)!, new RegExp(`It stops at step ${s.lastStep} of 80 with no closing summary: if no error follows, the process was ended from outside \\(the system out-of-memory killer`));
  // With a failure diagnosed, that failure is what ended it.
  assert.match(describeTraining(s, { failed: true })!, new RegExp(`The failure above stopped it after step ${s.lastStep}\\.$`));
});

test(`a loss of exactly 0, ${ZERO_LOSS_LOGS} logs in a row, is pointed out; fewer are not; a log without metrics says nothing`, () => {
  const line = (loss: number, epoch: number) => `{'loss': ${loss}, 'grad_norm': 0.5, 'learning_rate': 0.0002, 'epoch': ${epoch}}\n`;
  const zeros = summary(line(2.1, 0.1) + line(0.0, 0.2) + line(0.0, 0.3) + line(0.0, 0.4));
  assert.equal(zeros.zeroLossTail, 3);
  assert.match(describeTraining(zeros)!, /The last 3 logged losses are exactly 0: in SFT that means no token is trained \(every label masked/);
  const two = summary(line(2.1, 0.1) + line(0.0, 0.2) + line(0.0, 0.3));
  assert.doesNotMatch(describeTraining(two)!, /exactly 0/);
  const recovered = summary(line(0.0, 0.1) + line(0.0, 0.2) + line(0.0, 0.3) + line(1.2, 0.4));
  assert.equal(recovered.zeroLossTail, 0);
  assert.equal(describeTraining(summary('Loading checkpoint shards: done\nSaving model\n')), undefined);
});

test('the diagnosis and the training summary come from one pass over a stream (stdin cannot be read twice)', async () => {
  async function* chunks() {
    for (let i = 0; i < REAL.length; i += 1000) yield Buffer.from(REAL.slice(i, i + 1000));
  }
  const { diagnosis, training } = await diagnoseWithTraining(chunks());
  assert.equal(diagnosis.category, 'unknown');
  assert.equal(training.finished, true);
  assert.equal(training.lastStep, 80);
});

test('every real log in ../shared/data/logs with training metrics is described; a finished one says so', { skip: SHARED_LOGS_SKIP }, () => {
  const described: string[] = [];
  for (const name of sharedLogFiles()) {
    const text = describeTraining(summary(readShared(name)));
    if (text) described.push(name);
    if (name.includes('end_train_runtime')) assert.match(text ?? '', /ran to its end/, name);
  }
  // The interleaved multi-rank startup log has no training step yet; all the others do.
  assert.ok(described.length >= sharedLogFiles().length - 1, `described: ${described.join(', ')}`);
});
