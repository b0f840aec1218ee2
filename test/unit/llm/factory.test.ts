import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProvider } from '../../../src/core/llm/factory';
import { LlmError, LlmProvider } from '../../../src/core/llm/types';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { MemorySecrets, ManualClock } from '../../../src/core/testing/memoryPorts';
import { redactor } from '../../../src/core/util/redact';
import { startFakeLlmServer } from '../../support/fakeLlmServer';

const settings = (s: Partial<Settings>): Settings => ({ ...DEFAULT_SETTINGS, ...s });

async function failure(p: Promise<unknown>): Promise<LlmError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof LlmError, String(e));
    return e;
  }
  assert.fail('expected a failure');
}

test("provider 'none' is recipe mode: no provider", async () => {
  assert.equal(await createProvider(settings({ provider: 'none' }), new MemorySecrets()), undefined);
});

test('a missing OpenAI key says how to set it', async () => {
  const e = await failure(createProvider(settings({ provider: 'openai' }), new MemorySecrets()));
  assert.equal(e.kind, 'auth');
  assert.equal(e.message, "No OpenAI key set. Run 'ML Intern: Set API Key' or set OPENAI_API_KEY for the CLI.");
});

test('a missing Anthropic key says how to set it', async () => {
  const e = await failure(createProvider(settings({ provider: 'anthropic' }), new MemorySecrets()));
  assert.equal(e.kind, 'auth');
  assert.match(e.message, /No Anthropic key set\. Run 'ML Intern: Set API Key'.*ANTHROPIC_API_KEY/);
});

test('openai-compatible needs a base URL and a model', async () => {
  const noUrl = await failure(createProvider(settings({ provider: 'openai-compatible', model: 'llama3' }), new MemorySecrets()));
  assert.equal(noUrl.kind, 'no_provider');
  assert.match(noUrl.message, /mlIntern\.baseUrl/);
  const noModel = await failure(createProvider(settings({ provider: 'openai-compatible', baseUrl: 'http://localhost:11434/v1' }), new MemorySecrets()));
  assert.match(noModel.message, /mlIntern\.model/);
});

test('openai-compatible works without a key (local servers) and talks to the base URL', async () => {
  const server = await startFakeLlmServer();
  try {
    server.script([{ text: 'hi from vllm' }]);
    const p = (await createProvider(settings({ provider: 'openai-compatible', baseUrl: server.openaiBaseUrl, model: 'Qwen/Qwen2.5-7B-Instruct' }), new MemorySecrets()))!;
    assert.equal(p.id, 'openai-compatible');
    assert.equal(p.contextWindow, 128_000);
    assert.equal((await p.chat({ messages: [{ role: 'user', content: 'x' }] })).text, 'hi from vllm');
    assert.equal(server.requests[0].body?.model, 'Qwen/Qwen2.5-7B-Instruct');
  } finally {
    await server.close();
  }
});

test('the Hugging Face router uses the HF token when no endpoint key is stored', async () => {
  const secrets = new MemorySecrets();
  const none = await failure(createProvider(settings({ provider: 'openai-compatible', baseUrl: 'https://router.huggingface.co/v1', model: 'm' }), secrets));
  assert.equal(none.kind, 'auth');
  await secrets.set('hf', 'hf_abcdefghijklmnopqrstuvwx');
  const p = await createProvider(settings({ provider: 'openai-compatible', baseUrl: 'https://router.huggingface.co/v1', model: 'm' }), secrets);
  assert.equal(p?.id, 'openai-compatible');
});

test('the stored key is used, sent, and registered with the redactor; defaults apply', async () => {
  const server = await startFakeLlmServer();
  try {
    server.script([{ text: 'ok' }]);
    const secrets = new MemorySecrets();
    const key = 'plain-key-value-981273';
    await secrets.set('openai', key);
    const p = (await createProvider(settings({ provider: 'openai', baseUrl: server.openaiBaseUrl }), secrets, { clock: new ManualClock() }))!;
    assert.equal(p.model, 'gpt-4.1');
    assert.equal(p.contextWindow, 1_047_576);
    await p.chat({ messages: [{ role: 'user', content: 'x' }] });
    assert.equal(server.requests[0].headers.authorization, `Bearer ${key}`);
    assert.equal(redactor.redact(`oops ${key}`), 'oops [REDACTED]');
  } finally {
    await server.close();
  }
});

test('mlIntern.contextWindow overrides the table', async () => {
  const secrets = new MemorySecrets();
  await secrets.set('anthropic', 'sk-ant-whatever-123456');
  const p = await createProvider(settings({ provider: 'anthropic', model: 'claude-haiku-4-5', contextWindow: 50_000 }), secrets);
  assert.equal(p?.contextWindow, 50_000);
  assert.equal(p?.id, 'anthropic');
});

test('hosts supply vscode-lm through extraProviders; without it the CLI gets a clear error', async () => {
  const fake: LlmProvider = { id: 'vscode-lm', model: 'copilot-gpt-4.1', contextWindow: 64_000, chat: async () => assert.fail('unused') };
  assert.equal(await createProvider(settings({ provider: 'vscode-lm' }), new MemorySecrets(), { extraProviders: { 'vscode-lm': () => fake } }), fake);
  const e = await failure(createProvider(settings({ provider: 'vscode-lm' }), new MemorySecrets()));
  assert.equal(e.kind, 'no_provider');
  assert.match(e.message, /ML Intern: Select Model/);
});

test('EnvSecrets (CLI) reads the variables the messages name', async () => {
  const { EnvSecrets } = await import('../../../src/core/llm/envSecrets');
  const s = new EnvSecrets({ OPENAI_API_KEY: ' env-openai-key-1234 ', HF_TOKEN: 'hf_x' });
  assert.equal(await s.get('openai'), 'env-openai-key-1234');
  assert.equal(await s.get('anthropic'), undefined);
  assert.equal(await s.get('hf'), 'hf_x');
  const e = await failure(createProvider(settings({ provider: 'anthropic' }), s));
  assert.match(e.message, /ANTHROPIC_API_KEY/);
});
