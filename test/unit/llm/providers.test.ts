/**
 * Both providers through the real SDKs over real HTTP (loopback) against the
 * fake LLM server. Each case runs for OpenAI and for Anthropic.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AnthropicProvider } from '../../../src/core/llm/anthropicProvider';
import { OpenAiProvider } from '../../../src/core/llm/openaiProvider';
import { costOf } from '../../../src/core/llm/pricing';
import { CallPolicyOptions } from '../../../src/core/llm/retry';
import { parseToolArguments } from '../../../src/core/llm/toolArgs';
import { ChatMessage, LlmError, LlmProvider, StreamEvent } from '../../../src/core/llm/types';
import { ManualClock } from '../../../src/core/testing/memoryPorts';
import { FakeLlmServer, startFakeLlmServer } from '../../support/fakeLlmServer';

/** Not shaped like a known key, so only our own code can keep it out of messages. */
const KEY = 'test-secret-key-7f3a9c1e5b';
const USER: ChatMessage[] = [
  { role: 'system', content: 'You are ML Intern.' },
  { role: 'user', content: 'Fine-tune Qwen on my data.' },
];
const LONG_TEXT = 'I will first inspect the dataset, then write the training script.';

interface Flavour {
  name: 'openai' | 'anthropic';
  model: string;
  make(baseUrl: string, opts?: CallPolicyOptions & { apiKey?: string }): LlmProvider;
  baseUrl(server: FakeLlmServer): string;
  /** Where the SDK put the key. */
  sentKey(headers: Record<string, string>): string;
}

const FLAVOURS: Flavour[] = [
  {
    name: 'openai',
    model: 'gpt-4.1',
    make: (baseUrl, opts = {}) => new OpenAiProvider({ apiKey: KEY, model: 'gpt-4.1', baseUrl, ...opts }),
    baseUrl: (s) => s.openaiBaseUrl,
    sentKey: (h) => h.authorization ?? '',
  },
  {
    name: 'anthropic',
    model: 'claude-haiku-4-5',
    make: (baseUrl, opts = {}) => new AnthropicProvider({ apiKey: KEY, model: 'claude-haiku-4-5', baseUrl, ...opts }),
    baseUrl: (s) => s.anthropicBaseUrl,
    sentKey: (h) => `${h['x-api-key'] ?? ''} ${h.authorization ?? ''}`,
  },
];

async function rejection(p: Promise<unknown>): Promise<LlmError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof LlmError, `expected an LlmError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

for (const f of FLAVOURS) {
  describe(`${f.name} provider over the real SDK`, { timeout: 20_000 }, () => {
    let server: FakeLlmServer;
    let clock: ManualClock;
    let provider: LlmProvider;
    beforeEach(async () => {
      server = await startFakeLlmServer();
      clock = new ManualClock(1_000_000);
      provider = f.make(f.baseUrl(server), { clock });
    });
    afterEach(async () => {
      await server.close();
    });

    test('streams an answer in several text deltas and sends the key', async () => {
      server.script([{ text: LONG_TEXT }]);
      const events: StreamEvent[] = [];
      const res = await provider.chat({ messages: USER }, (e) => events.push(e));
      const deltas = events.filter((e) => e.type === 'text').map((e) => (e as { delta: string }).delta);
      assert.ok(deltas.length > 3, `expected several deltas, got ${deltas.length}`);
      assert.equal(deltas.join(''), LONG_TEXT);
      assert.equal(res.text, LONG_TEXT);
      assert.equal(res.stopReason, 'end');
      assert.deepEqual(res.toolCalls, []);
      assert.equal(events[events.length - 1].type, 'usage');
      assert.equal(server.requests.length, 1);
      assert.match(f.sentKey(server.requests[0].headers), new RegExp(KEY));
      assert.equal(server.requests[0].body?.stream, true);
    });

    test('assembles a tool call whose arguments arrive split over chunks', async () => {
      const args = '{"path": "data/train.jsonl", "limit": 50}';
      server.script([{ text: 'Let me look.', toolCalls: [{ id: 'call_abc', name: 'read_file', arguments: args }, { id: 'call_def', name: 'gpu_info', arguments: '{}' }] }]);
      const events: StreamEvent[] = [];
      const res = await provider.chat({ messages: USER, tools: [{ name: 'read_file', description: 'Read a file', parameters: { type: 'object' } }] }, (e) => events.push(e));
      const starts = events.filter((e) => e.type === 'tool_call_start');
      assert.deepEqual(starts, [
        { type: 'tool_call_start', index: 0, id: 'call_abc', name: 'read_file' },
        { type: 'tool_call_start', index: 1, id: 'call_def', name: 'gpu_info' },
      ]);
      const argDeltas = events.filter((e) => e.type === 'tool_call_delta' && e.index === 0).map((e) => (e as { argumentsDelta: string }).argumentsDelta);
      assert.ok(argDeltas.length > 3, 'arguments should arrive in several deltas');
      assert.equal(argDeltas.join(''), args);
      assert.deepEqual(res.toolCalls, [
        { id: 'call_abc', name: 'read_file', arguments: args },
        { id: 'call_def', name: 'gpu_info', arguments: '{}' },
      ]);
      assert.equal(res.stopReason, 'tool_calls');
      assert.equal(res.text, 'Let me look.');
      assert.deepEqual(parseToolArguments(res.toolCalls[0]), { ok: true, value: { path: 'data/train.jsonl', limit: 50 } });
    });

    test('reports usage with cached tokens and prices them at the cached rate', async () => {
      const cacheWrite = f.name === 'anthropic' ? 400 : 0;
      server.script([{ text: 'ok', usage: { inputTokens: 1200, cachedInputTokens: 8000, cacheWriteTokens: cacheWrite, outputTokens: 300 } }]);
      const events: StreamEvent[] = [];
      const res = await provider.chat({ messages: USER }, (e) => events.push(e));
      assert.deepEqual(res.usage, { inputTokens: 1200, outputTokens: 300, cachedInputTokens: 8000, cacheWriteTokens: cacheWrite });
      assert.deepEqual(events.filter((e) => e.type === 'usage'), [{ type: 'usage', usage: res.usage }]);
      const cost = costOf(res.model, res.usage);
      assert.equal(cost.known, true);
      // gpt-4.1: $2 in, $0.50 cached, $8 out. claude-haiku-4-5: $1 in, $0.10 cached, $1.25 write, $5 out.
      const expected =
        f.name === 'openai' ? (1200 * 2 + 8000 * 0.5 + 300 * 8) / 1e6 : (1200 * 1 + 8000 * 0.1 + 400 * 1.25 + 300 * 5) / 1e6;
      assert.ok(Math.abs(cost.usd - expected) < 1e-12, `cost ${cost.usd} != ${expected}`);
      // Ignoring the cache would bill 8000 tokens at the full rate: the cached price must be lower.
      assert.ok(cost.usd < costOf(res.model, { ...res.usage, inputTokens: 9200, cachedInputTokens: 0 }).usd);
    });

    test('retries a 429 after the retry-after header, sleeping exactly that long', async () => {
      server.script([{ status: 429, retryAfter: 3 }, { text: 'ok after waiting' }]);
      const res = await provider.chat({ messages: USER });
      assert.equal(res.text, 'ok after waiting');
      assert.equal(server.requests.length, 2);
      assert.deepEqual(clock.sleeps, [3000]);
    });

    test('honours retry-after-ms', async () => {
      server.script([{ status: 429, retryAfterMs: 250 }, { text: 'ok' }]);
      await provider.chat({ messages: USER });
      assert.deepEqual(clock.sleeps, [250]);
    });

    test('retries 500s with growing backoff, then surfaces a clear server error', async () => {
      server.script([{ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }, { text: 'never reached' }]);
      const err = await rejection(provider.chat({ messages: USER }));
      assert.equal(err.kind, 'server');
      assert.equal(err.status, 500);
      assert.match(err.message, /server error \(500\)/);
      assert.match(err.message, /gave up after 4 attempts/);
      assert.equal(server.requests.length, 4);
      assert.equal(clock.sleeps.length, 3);
      assert.ok(clock.sleeps[0] < clock.sleeps[2], `backoff should grow: ${clock.sleeps.join(', ')}`);
      assert.equal(server.remaining(), 1);
    });

    test('401 is an auth error naming the command, without the key, and is not retried', async () => {
      server.script([{ status: 401, message: `Incorrect API key provided: ${KEY}.` }, { text: 'unused' }]);
      const err = await rejection(provider.chat({ messages: USER }));
      assert.equal(err.kind, 'auth');
      assert.match(err.message, /ML Intern: Set API Key/);
      assert.match(err.message, /rejected \(401\)/);
      assert.ok(!err.message.includes(KEY), err.message);
      assert.ok(!/\n\s+at /.test(err.message), 'no stack trace');
      assert.equal(server.requests.length, 1);
    });

    test('404 names mlIntern.model and the Select Model command', async () => {
      server.script([{ status: 404 }]);
      const err = await rejection(provider.chat({ messages: USER }));
      assert.equal(err.kind, 'not_found');
      assert.match(err.message, /mlIntern\.model/);
      assert.match(err.message, /ML Intern: Select Model/);
      assert.match(err.message, new RegExp(f.model));
    });

    test('a prompt that is too long is a context_length error, not retried', async () => {
      const message = f.name === 'openai'
        ? "This model's maximum context length is 128000 tokens. However, your messages resulted in 131000 tokens."
        : 'prompt is too long: 210000 tokens > 200000 maximum';
      server.script([{ status: 400, message, code: f.name === 'openai' ? 'context_length_exceeded' : undefined }]);
      const err = await rejection(provider.chat({ messages: USER }));
      assert.equal(err.kind, 'context_length');
      assert.match(err.message, /mlIntern\.contextWindow/);
      assert.equal(server.requests.length, 1);
    });

    test('a stream cut in the middle of the text rejects with stream_cut (no hang, no retry)', async () => {
      server.script([{ text: LONG_TEXT, cutAfterChunks: 6 }, { text: 'must not be used' }]);
      const events: StreamEvent[] = [];
      const err = await rejection(provider.chat({ messages: USER }, (e) => events.push(e)));
      assert.equal(err.kind, 'stream_cut');
      assert.ok(events.some((e) => e.type === 'text'), 'some text had been streamed');
      assert.equal(server.requests.length, 1);
    });

    test('a stream cut in the middle of a tool call rejects with stream_cut', async () => {
      server.script([{ toolCalls: [{ name: 'write_file', arguments: '{"path": "train.py", "text": "import torch\\n"}' }], cutAfterChunks: 5 }]);
      const events: StreamEvent[] = [];
      const err = await rejection(provider.chat({ messages: USER }, (e) => events.push(e)));
      assert.equal(err.kind, 'stream_cut');
      assert.ok(events.some((e) => e.type === 'tool_call_delta'), 'part of the call had been streamed');
    });

    test('a stream that ends cleanly without its finish marker is stream_cut too', async () => {
      server.script([{ toolCalls: [{ name: 'write_file', arguments: '{"path": "train.py", "text": "x"}' }], endAfterChunks: 5 }]);
      const err = await rejection(provider.chat({ messages: USER }, () => undefined));
      assert.equal(err.kind, 'stream_cut');
      assert.match(err.message, /write_file/);
    });

    test('a stream cut before anything was shown is retried', async () => {
      server.script([{ text: LONG_TEXT, cutAfterChunks: 1 }, { text: 'second try' }]);
      const res = await provider.chat({ messages: USER });
      assert.equal(res.text, 'second try');
      assert.equal(server.requests.length, 2);
    });

    test('malformed tool-call JSON still resolves; parseToolArguments reports it', async () => {
      server.script([{ toolCalls: [{ name: 'run', arguments: '{"argv": ["python", "train.py"' }] }]);
      const res = await provider.chat({ messages: USER });
      assert.equal(res.toolCalls.length, 1);
      const parsed = parseToolArguments(res.toolCalls[0]);
      assert.equal(parsed.ok, false);
      assert.ok(!parsed.ok && /'run'.*not valid JSON/.test(parsed.error), JSON.stringify(parsed));
    });

    test('aborting mid-stream rejects with cancelled at once', async () => {
      server.script([{ text: LONG_TEXT, holdAfterChunks: 6 }]);
      const controller = new AbortController();
      const started = Date.now();
      const err = await rejection(
        provider.chat({ messages: USER, signal: controller.signal }, (e) => {
          if (e.type === 'text') controller.abort();
        }),
      );
      assert.equal(err.kind, 'cancelled');
      assert.ok(Date.now() - started < 5000);
      assert.equal(server.requests.length, 1);
      assert.deepEqual(clock.sleeps, []);
    });

    test('an already-aborted signal sends nothing', async () => {
      server.script([{ text: 'x' }]);
      const err = await rejection(provider.chat({ messages: USER, signal: AbortSignal.abort() }));
      assert.equal(err.kind, 'cancelled');
      assert.equal(server.requests.length, 0);
    });

    test('a wrong base URL (nothing listening) is a network error naming mlIntern.baseUrl', async () => {
      const dead = await startFakeLlmServer();
      const deadUrl = f.baseUrl(dead);
      await dead.close();
      const p = f.make(deadUrl, { clock });
      const err = await rejection(p.chat({ messages: USER }));
      assert.equal(err.kind, 'network');
      assert.match(err.message, /mlIntern\.baseUrl/);
      assert.match(err.message, /refused/);
      assert.equal(clock.sleeps.length, 3, 'connection failures are retried');
    });

    test('the first-byte timeout fires when the server says nothing, and is retried', async () => {
      server.script([{ text: 'late', delayFirstByteMs: 5000 }, { text: 'prompt' }]);
      const p = f.make(f.baseUrl(server), { clock, timeouts: { firstByteTimeoutMs: 150 } });
      const started = Date.now();
      const res = await p.chat({ messages: USER });
      assert.equal(res.text, 'prompt');
      assert.ok(Date.now() - started < 4000);
      assert.equal(server.requests.length, 2);
    });

    test('the first-byte timeout surfaces as kind timeout when retries run out', async () => {
      server.script([{ text: 'late', delayFirstByteMs: 5000 }]);
      const p = f.make(f.baseUrl(server), { clock, timeouts: { firstByteTimeoutMs: 100 }, retry: { maxAttempts: 1 } });
      const err = await rejection(p.chat({ messages: USER }));
      assert.equal(err.kind, 'timeout');
    });
  });
}

