// After a fine-tune the panel shows the saved model with its next steps — Try it, Evaluate, Export —
// each posting the host a checked message with the folder; a
// reload rebuilds the card from status.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWebviewMessage, isParseError } from '../../../src/core/protocol';
import { replayRun } from '../../../src/ui/chat/runReplay';
import { MemoryFileStore } from '../../../src/core/testing/memoryPorts';
import { EVAL_FINISHED } from '../../../src/core/session/artifactPlan';
import { makeView, RUN } from './helpers';

test('a model_ready event shows the folder and three buttons that post a valid modelAction with it', () => {
  const { root, apply, posted } = makeView();
  apply({ type: 'model_ready', runId: RUN, folder: 'sft-qwen2-5/outputs/20261207-sft' });
  const card = root.querySelector('[data-testid="model-card"]')!;
  assert.match(card.textContent ?? '', /sft-qwen2-5\/outputs\/20261207-sft/);
  for (const action of ['tryIt', 'evaluate', 'export'] as const) {
    (card.querySelector(`[data-testid="model-${action}"]`) as HTMLElement).click();
  }
  assert.deepEqual(posted.filter((m) => m.type === 'modelAction'), [
    { type: 'modelAction', action: 'tryIt', folder: 'sft-qwen2-5/outputs/20261207-sft' },
    { type: 'modelAction', action: 'evaluate', folder: 'sft-qwen2-5/outputs/20261207-sft' },
    { type: 'modelAction', action: 'export', folder: 'sft-qwen2-5/outputs/20261207-sft' },
  ]);
  for (const m of posted) assert.ok(!isParseError(parseWebviewMessage(m)), JSON.stringify(m));
});

test('the evaluation card offers Try it on the evaluated folder (a Hub model id gets no button)', () => {
  const { root, apply, posted } = makeView();
  apply({ type: 'eval_results', runId: RUN, rows: [{ task: 'gsm8k', base: 0.31, trained: 0.36 }], model: 'sft/outputs/run1' });
  (root.querySelector('[data-testid="eval-tryIt"]') as HTMLElement).click();
  assert.deepEqual(posted.filter((m) => m.type === 'modelAction'), [{ type: 'modelAction', action: 'tryIt', folder: 'sft/outputs/run1' }]);
  const other = makeView();
  other.apply({ type: 'eval_results', runId: RUN, rows: [{ task: 'gsm8k', base: 0.31, trained: 0.36 }] });
  assert.ok(other.root.querySelector('[data-testid="eval-table"]'));
  assert.equal(other.root.querySelector('[data-testid="eval-tryIt"]'), null);
});

test('a hostile folder name stays text, never markup', () => {
  const { root, apply } = makeView();
  apply({ type: 'model_ready', runId: RUN, folder: '<img src=x onerror=alert(1)>' });
  const card = root.querySelector('[data-testid="model-card"]')!;
  assert.equal(card.querySelector('img'), null);
  assert.match(card.querySelector('code')!.textContent ?? '', /<img src=x/);
});

test('after a reload a succeeded fine-tune gets its model card back from status.json; a failed one does not', async () => {
  const files = new MemoryFileStore();
  const id = '20261207-120000-sft';
  await files.write(`.ml-intern/runs/${id}/status.json`, JSON.stringify({ state: 'succeeded', title: 'SFT', created: '2026-12-07T12:00:00Z', model: 'sft/outputs/x' }));
  const events = (await replayRun(files, id))!;
  assert.deepEqual(events.filter((e) => e.type === 'model_ready'), [{ type: 'model_ready', runId: id, folder: 'sft/outputs/x' }]);
  await files.write(`.ml-intern/runs/${id}/status.json`, JSON.stringify({ state: 'failed', title: 'SFT', created: '2026-12-07T12:00:00Z', model: 'sft/outputs/x' }));
  assert.equal((await replayRun(files, id))!.filter((e) => e.type === 'model_ready').length, 0);
});

test('after a reload the evaluation card keeps its Try it while the evaluated folder is in the workspace', async () => {
  const files = new MemoryFileStore();
  const id = '20261207-130000-eval';
  const run = `.ml-intern/runs/${id}`;
  await files.write(`${run}/spec.json`, JSON.stringify({ title: 'Evaluate', request: { kind: 'eval', model: 'sft/outputs/x', tasks: ['gsm8k'] } }));
  await files.write(`${run}/status.json`, JSON.stringify({ state: 'succeeded', title: 'Evaluate', created: '2026-12-07T13:00:00Z' }));
  await files.write(`${run}/transcript.jsonl`, `${JSON.stringify({ kind: 'message', message: { role: 'assistant', content: `${EVAL_FINISHED} sft/outputs/x against its base (the table above).` } })}\n`);
  await files.write(`${run}/results/comparison.json`, JSON.stringify([{ task: 'gsm8k', base: 0.31, trained: 0.36 }]));
  const evalCard = async () => (await replayRun(files, id))!.find((e) => e.type === 'eval_results') as { model?: string } | undefined;
  assert.equal((await evalCard())?.model, undefined, 'the folder is gone: no Try it');
  await files.write('sft/outputs/x/adapter_config.json', '{}');
  assert.equal((await evalCard())?.model, 'sft/outputs/x');
});
