// The Try-it view's message flow, host side: what the view posts starts the right backend with the
// user's settings, and the columns get the events as the output arrives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TryItToView, TryItViewController, TryItViewInit, TryItRunners } from '../../../src/core/export/tryItView';
import { TryItRequest } from '../../../src/core/export/tryItPlan';
import { streamTryItVllm } from '../../../src/core/export/tryItVllm';
import { TryItBoard } from '../../../src/core/export/tryItStream';
import { startFakeLlmServer } from '../../support/fakeLlmServer';

const INIT: TryItViewInit = {
  model: 'sft/outputs/run1', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', prompts: ['Q1', 'Q2'], system: '', temperature: 0.7, topP: 0.9, maxNewTokens: 256, seed: 0,
  vllm: { endpoint: 'http://127.0.0.1:8000/v1', baseName: 'Qwen/Qwen2.5-0.5B-Instruct', trainedName: 'run1' }, transcript: 'ml-intern/try-run1/transcript.jsonl',
};
const RUN = { type: 'run', backend: 'transformers', prompts: ['What is a fever?', '  '], system: ' Be brief. ', temperature: 0.3, topP: 0.95, maxNewTokens: 32, seed: 1 };

// The lines try_it.py prints (tryItScript.ts), with the loading noise a real run has.
const OUTPUT = [
  '{"event": "start", "base": "Qwen/Qwen2.5-0.5B-Instruct", "trained": "../sft/outputs/run1", "system": "Be brief.", "settings": {"temperature": 0.3, "top_p": 0.95, "max_new_tokens": 32, "seed": 1}, "prompts": ["What is a fever?"]}',
  '{"event": "prompt", "prompt": 0, "text": "What is a fever?"}',
  'Setting `pad_token_id` to `eos_token_id`:151645 for open-end generation.',
  '{"event": "side", "side": "base", "prompt": 0}',
  '{"event": "delta", "side": "base", "prompt": 0, "text": "A high "}',
  '{"event": "delta", "side": "base", "prompt": 0, "text": "temperature."}',
  '{"event": "answer", "side": "base", "prompt": 0, "text": "A high temperature.", "tokens": 4, "seconds": 0.2}',
  '{"event": "side", "side": "trained", "prompt": 0}',
  '{"event": "delta", "side": "trained", "prompt": 0, "text": "Above 38 °C."}',
  '{"event": "answer", "side": "trained", "prompt": 0, "text": "Above 38 °C.", "tokens": 5, "seconds": 0.3}',
  '{"event": "end", "prompts": 1}',
].join('\n') + '\n';

function harness(over: Partial<TryItRunners> = {}) {
  const posted: TryItToView[] = [];
  const requests: TryItRequest[] = [];
  const transcript: string[] = [];
  const runners: TryItRunners = {
    async script(request, onOutput) {
      requests.push(request);
      // The output arrives cut anywhere, as a pipe gives it.
      for (let i = 0; i < OUTPUT.length; i += 13) onOutput(OUTPUT.slice(i, i + 13));
      return { ok: true, message: 'Both models answered.' };
    },
    vllm: streamTryItVllm,
    async appendTranscript(text) {
      transcript.push(text);
    },
    ...over,
  };
  return { posted, requests, transcript, controller: new TryItViewController(INIT, runners, (m) => posted.push(m)) };
}

const board = (posted: TryItToView[]) => {
  const b = new TryItBoard();
  for (const m of posted) if (m.type === 'events') m.events.forEach((e) => b.apply(e));
  return b.state;
};

test('ready gets the prefilled prompts and settings; run starts try_it.py with the view\'s settings and the columns fill', async () => {
  const { posted, requests, controller } = harness();
  await controller.receive({ type: 'ready' });
  assert.deepEqual(posted[0], { type: 'init', init: INIT });
  await controller.receive(RUN);
  assert.deepEqual(requests, [{ model: 'sft/outputs/run1', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', prompts: ['What is a fever?'], system: 'Be brief.', temperature: 0.3, topP: 0.95, maxNewTokens: 32, seed: 1, stream: true }]);
  const states = posted.filter((m) => m.type === 'status').map((m) => (m as { state: string }).state);
  assert.deepEqual(states, ['waiting', 'running', 'done']);
  const s = board(posted);
  assert.equal(s.rows[0].base.text, 'A high temperature.');
  assert.equal(s.rows[0].trained.text, 'Above 38 °C.');
  assert.deepEqual(posted.filter((m) => m.type === 'log').flatMap((m) => (m as { lines: string[] }).lines), ['Setting `pad_token_id` to `eos_token_id`:151645 for open-end generation.']);
  assert.ok(posted.filter((m) => m.type === 'events').length > 3, 'events are posted as they arrive, not at the end');
});

test('a bad message starts nothing and says what is wrong', async () => {
  const { posted, requests, controller } = harness();
  for (const [bad, reason] of [
    [{ ...RUN, temperature: 'hot' }, /Temperature/],
    [{ ...RUN, prompts: Array(21).fill('x') }, /up to 20/],
    [{ ...RUN, prompts: [' '] }, /at least one prompt/],
    [{ ...RUN, maxNewTokens: 1e9 }, /Max new tokens/],
    [{ ...RUN, backend: 'shell' }, /backend/],
    [{ ...RUN, backend: 'vllm' }, /endpoint/],
  ] as const) {
    posted.length = 0;
    await controller.receive(bad);
    assert.equal(posted.length, 1);
    assert.equal(posted[0].type, 'status');
    assert.match((posted[0] as { message: string }).message, reason);
  }
  assert.equal(requests.length, 0);
});

test('Stop aborts the running script; its state says stopped', async () => {
  let release: () => void = () => undefined;
  const { posted, controller } = harness({
    script: (_r, onOutput, signal) => new Promise((resolve) => {
      onOutput(OUTPUT.split('\n').slice(0, 5).join('\n') + '\n');
      release = () => resolve({ ok: false, message: 'stopped by the user' });
      signal.addEventListener('abort', () => release());
    }),
  });
  const running = controller.receive(RUN);
  await new Promise((r) => setImmediate(r));
  assert.equal(controller.running, true);
  await controller.receive(RUN);
  assert.match(JSON.stringify(posted.at(-1)), /Already running/);
  await controller.receive({ type: 'stop' });
  await running;
  assert.equal((posted.at(-1) as { state: string }).state, 'stopped');
  assert.equal(board(posted).rows[0].base.text, 'A high ', 'what streamed before the stop stays');
});

test('the vLLM backend streams from the endpoint and keeps the transcript (whole answers, no pieces)', async () => {
  const server = await startFakeLlmServer();
  try {
    server.script([{ text: 'Base says hello.' }, { text: 'Trained says hello.' }]);
    const { posted, transcript, requests, controller } = harness();
    await controller.receive({ ...RUN, backend: 'vllm', prompts: ['Hi'], endpoint: server.openaiBaseUrl, baseName: 'Qwen/Qwen2.5-0.5B-Instruct', trainedName: 'run1' });
    assert.equal(requests.length, 0, 'nothing runs on this machine');
    const s = board(posted);
    assert.equal(s.rows[0].base.text, 'Base says hello.');
    assert.equal(s.rows[0].trained.text, 'Trained says hello.');
    assert.equal((posted.at(-1) as { state: string }).state, 'done');
    const kept = transcript.join('').trim().split('\n').map((l) => JSON.parse(l) as { event: string; text?: string });
    assert.deepEqual(kept.map((e) => e.event), ['start', 'prompt', 'answer', 'answer', 'end']);
    assert.equal(kept[3].text, 'Trained says hello.');
  } finally {
    await server.close();
  }
});
