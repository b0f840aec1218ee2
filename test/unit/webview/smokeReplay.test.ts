// After a window reload the smoke card comes back from the run folder's smoke.json, right after
// the chat line that announced it; an unreadable or foreign smoke.json puts nothing back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replayRun } from '../../../src/ui/chat/runReplay';
import { MemoryFileStore } from '../../../src/core/testing/memoryPorts';

const RUN_ID = '20261207-120000-sft';
const FOLDER = `.ml-intern/runs/${RUN_ID}`;
const REPORT = {
  at: '2026-12-07T12:01:00.000Z', script: 'sft/train.py', steps: 10,
  measurement: { steps: 10, stepSeconds: 0.42, peakMemoryGiB: 18.751, gpuMemoryGiB: 22.06, losses: [2.1, 1.9], tokensPerSecondFrom: 'batch plan' },
  fullRunSteps: 120, etaSeconds: 50, warnings: [],
};
const message = (text: string) => JSON.stringify({ kind: 'message', message: { role: 'assistant', content: text } });

async function replayWith(smokeJson: string | undefined) {
  const files = new MemoryFileStore();
  await files.write(`${FOLDER}/status.json`, JSON.stringify({ state: 'running', title: 'SFT', created: '2026-12-07T12:00:00Z' }));
  await files.write(`${FOLDER}/transcript.jsonl`, [
    message('Smoke run: 10 steps of sft/train.py with its configuration'),
    message('Smoke run measured (10 steps): 0.42 s per step, peak 18.8 of 22.1 GiB, full run about 50 s.'),
    message('The fitted batch plan is in train.py: the full run uses it.'),
  ].join('\n') + '\n');
  if (smokeJson !== undefined) await files.write(`${FOLDER}/smoke.json`, smokeJson);
  return (await replayRun(files, RUN_ID))!;
}

test('the smoke card is put back after the line that announced it', async () => {
  const events = await replayWith(JSON.stringify(REPORT));
  const at = events.findIndex((e) => e.type === 'smoke_result');
  assert.ok(at > 0, JSON.stringify(events.map((e) => e.type)));
  const before = events[at - 1];
  assert.ok(before.type === 'assistant_message' && before.text.startsWith('Smoke run measured'));
  const card = events[at];
  assert.equal(card.type === 'smoke_result' ? card.report.measurement.peakMemoryGiB : undefined, 18.751);
});

test('a cut, foreign or missing smoke.json puts no card back and breaks nothing', async () => {
  for (const bad of [undefined, '{"steps": 10, "measu', '{"steps": "ten", "measurement": {}}', JSON.stringify({ ...REPORT, warnings: [1] }), JSON.stringify({ ...REPORT, fitted: { changes: 3 } }), '[]']) {
    const events = await replayWith(bad);
    assert.equal(events.filter((e) => e.type === 'smoke_result').length, 0, String(bad));
    assert.equal(events.filter((e) => e.type === 'assistant_message').length, 3);
  }
});
