// After a window reload a GRPO run's samples card comes back from the run folder's samples.jsonl
// (its newest complete line); a run without one, or with only garbage in it, gets no card.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replayRun } from '../../../src/ui/chat/runReplay';
import { MemoryFileStore } from '../../../src/core/testing/memoryPorts';
import { makeView } from './helpers';

const RUN_ID = '20261207-120000-grpo';
const FOLDER = `.ml-intern/runs/${RUN_ID}`;
const line = (step: number, completion: string) => JSON.stringify({ step, samples: [{ prompt: 'Janet has 3 apples', completion, rewards: { exact_answer_reward: 1, format_reward: 0 }, total: 1 }] });

async function replayWith(samples: string | undefined) {
  const files = new MemoryFileStore();
  await files.write(`${FOLDER}/status.json`, JSON.stringify({ state: 'succeeded', title: 'GRPO', created: '2026-12-07T12:00:00Z' }));
  await files.write(`${FOLDER}/transcript.jsonl`, JSON.stringify({ kind: 'message', message: { role: 'assistant', content: 'Training finished.' } }) + '\n');
  if (samples !== undefined) await files.write(`${FOLDER}/samples.jsonl`, samples);
  return (await replayRun(files, RUN_ID))!;
}

test('the samples card is put back from the newest complete line of samples.jsonl', async () => {
  const events = await replayWith(`${line(5, '#### 4')}\n${line(10, '#### 5')}\n{"step": 15, "sam`);
  const replayed = events.filter((e) => e.type === 'grpo_samples');
  assert.equal(replayed.length, 1);
  const { root, apply } = makeView();
  for (const e of events) apply(e);
  const card = root.querySelector('[data-testid="grpo-samples-card"]');
  assert.equal(card?.querySelector('[data-testid="grpo-samples-step"]')?.textContent, 'Sampled completions at step 10');
  assert.equal(card?.querySelector('[data-testid="grpo-sample-completion"]')?.textContent, '#### 5');
});

test('no samples.jsonl, or nothing readable in it: no card, nothing else changes', async () => {
  for (const bad of [undefined, '', 'garbage\n{"step": "x"}\n']) {
    const events = await replayWith(bad);
    assert.equal(events.filter((e) => e.type === 'grpo_samples').length, 0, String(bad));
    assert.ok(events.some((e) => e.type === 'assistant_message'));
  }
});
