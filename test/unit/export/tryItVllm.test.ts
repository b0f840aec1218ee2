// Try it through an OpenAI-compatible vLLM server: the real `openai` client over real HTTP to the
// fake server (its chat-completions SSE wire format), the same events as try_it.py prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeLlmServer } from '../../support/fakeLlmServer';
import { streamTryItVllm, VllmTryItError, vllmEndpoint } from '../../../src/core/export/tryItVllm';
import { TryItBoard, TryItEvent } from '../../../src/core/export/tryItStream';

const OPTIONS = { baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', trainedModel: 'qwen-medical', prompts: ['What is a normal resting heart rate?'], system: 'Be brief.', temperature: 0.2, topP: 0.9, maxNewTokens: 64, seed: 7 };

test('both served models answer in streamed pieces, base then trained, with the system prompt and sampling sent', async () => {
  const server = await startFakeLlmServer();
  try {
    server.script([
      { text: 'I am not sure, please ask a doctor.', usage: { inputTokens: 20, outputTokens: 9 } },
      { text: 'A resting rate of 60 to 100 beats per minute is normal.', usage: { inputTokens: 20, outputTokens: 14 } },
    ]);
    const events: TryItEvent[] = [];
    await streamTryItVllm({ ...OPTIONS, endpoint: server.openaiBaseUrl }, (e) => events.push(e));
    const board = new TryItBoard();
    events.forEach((e) => board.apply(e));
    const row = board.state.rows[0];
    assert.equal(row.base.text, 'I am not sure, please ask a doctor.');
    assert.equal(row.trained.text, 'A resting rate of 60 to 100 beats per minute is normal.');
    assert.equal(row.base.tokens, 9, 'the usage chunk gives the token count');
    assert.equal(row.trained.tokens, 14);
    assert.ok(events.filter((e) => e.event === 'delta' && e.side === 'trained').length > 5, 'the trained answer streamed in pieces');
    assert.equal(events.at(-1)?.event, 'end');
    const [base, trained] = server.requests.map((r) => r.body as Record<string, unknown>);
    assert.equal(base.model, 'Qwen/Qwen2.5-0.5B-Instruct');
    assert.equal(trained.model, 'qwen-medical');
    for (const body of [base, trained]) {
      assert.equal(body.stream, true);
      assert.deepEqual(body.messages, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'What is a normal resting heart rate?' }]);
      assert.equal(body.temperature, 0.2);
      assert.equal(body.top_p, 0.9);
      assert.equal(body.max_tokens, 64);
      assert.equal(body.seed, 7);
    }
  } finally {
    await server.close();
  }
});

test('a model the server does not serve is named with the side and the server error', async () => {
  const server = await startFakeLlmServer();
  try {
    server.script([{ text: 'base answer' }, { status: 404, message: 'The model `qwen-medical` does not exist.' }]);
    const events: TryItEvent[] = [];
    await assert.rejects(streamTryItVllm({ ...OPTIONS, endpoint: server.openaiBaseUrl }, (e) => events.push(e)), (err: Error) => {
      assert.ok(err instanceof VllmTryItError);
      assert.match(err.message, /trained model qwen-medical .*did not answer: .*does not exist/);
      return true;
    });
    assert.ok(events.some((e) => e.event === 'answer' && e.side === 'base' && e.text === 'base answer'), 'the base column kept its answer');
  } finally {
    await server.close();
  }
});

test('endpoints: http(s) only, a trailing slash dropped', () => {
  assert.equal(vllmEndpoint(' http://127.0.0.1:8000/v1/ '), 'http://127.0.0.1:8000/v1');
  assert.throws(() => vllmEndpoint('file:///etc/passwd'), /only http/);
  assert.throws(() => vllmEndpoint('localhost 8000'), /not a URL/);
});
