/**
 * The vscode-lm provider with stand-ins for the vscode classes (the real
 * module only exists inside VS Code; the workbench suite covers that side).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import { LlmError, StreamEvent } from '../../../src/core/llm/types';
import { LmApi, selectVsCodeModel, toVsCodeMessages, VsCodeLmProvider } from '../../../src/vscode/llm/vscodeLmProvider';

class TextPart {
  constructor(public value: string) {}
}
class ToolCallPart {
  constructor(public callId: string, public name: string, public input: object) {}
}
class ToolResultPart {
  constructor(public callId: string, public content: unknown[]) {}
}
class Msg {
  constructor(public role: 'user' | 'assistant', public content: unknown) {}
  static User(content: unknown) {
    return new Msg('user', content);
  }
  static Assistant(content: unknown) {
    return new Msg('assistant', content);
  }
}
class Cts {
  cancelled = false;
  listeners: Array<() => void> = [];
  token = { isCancellationRequested: false, onCancellationRequested: (l: () => void) => (this.listeners.push(l), { dispose() {} }) };
  cancel() {
    this.cancelled = true;
    this.token.isCancellationRequested = true;
    this.listeners.forEach((l) => l());
  }
  dispose() {}
}

interface FakeModel {
  id: string;
  name: string;
  vendor: string;
  family: string;
  version: string;
  maxInputTokens: number;
  sent: Array<{ messages: unknown[]; options: vscode.LanguageModelChatRequestOptions }>;
  sendRequest(messages: unknown[], options: vscode.LanguageModelChatRequestOptions, token: Cts['token']): Promise<{ stream: AsyncIterable<unknown> }>;
  countTokens(v: unknown): Promise<number>;
}

function fakeModel(parts: unknown[], opts: { id?: string; family?: string; vendor?: string; fail?: Error; gate?: Promise<void> } = {}): FakeModel {
  const model: FakeModel = {
    id: opts.id ?? 'copilot-gpt-4.1',
    name: 'GPT-4.1',
    vendor: opts.vendor ?? 'copilot',
    family: opts.family ?? 'gpt-4.1',
    version: '1',
    maxInputTokens: 64_000,
    sent: [],
    async sendRequest(messages, options, token) {
      model.sent.push({ messages, options });
      if (opts.fail) throw opts.fail;
      return {
        stream: (async function* () {
          for (const [i, p] of parts.entries()) {
            if (i === 1 && opts.gate) await opts.gate;
            if (token.isCancellationRequested) return;
            yield p;
          }
        })(),
      };
    },
    async countTokens(v) {
      return typeof v === 'string' ? Math.ceil(v.length / 4) : 7;
    },
  };
  return model;
}

function api(models: FakeModel[] = []): LmApi {
  return {
    LanguageModelChatMessage: Msg,
    LanguageModelTextPart: TextPart,
    LanguageModelToolCallPart: ToolCallPart,
    LanguageModelToolResultPart: ToolResultPart,
    CancellationTokenSource: Cts,
    lm: { selectChatModels: async () => models },
  } as unknown as LmApi;
}

const asModel = (m: FakeModel) => m as unknown as vscode.LanguageModelChat;

test('streams text and whole tool calls as events; estimates usage with countTokens', async () => {
  const m = fakeModel([new TextPart('Checking '), new TextPart('the GPU.'), new ToolCallPart('t1', 'gpu_info', { verbose: true })]);
  const p = new VsCodeLmProvider(asModel(m), api());
  const events: StreamEvent[] = [];
  const res = await p.chat(
    { messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'hi' }], tools: [{ name: 'gpu_info', description: 'GPU', parameters: { type: 'object' } }] },
    (e) => events.push(e),
  );
  assert.equal(res.text, 'Checking the GPU.');
  assert.deepEqual(res.toolCalls, [{ id: 't1', name: 'gpu_info', arguments: '{"verbose":true}' }]);
  assert.equal(res.stopReason, 'tool_calls');
  assert.deepEqual(events.slice(0, 4), [
    { type: 'text', delta: 'Checking ' },
    { type: 'text', delta: 'the GPU.' },
    { type: 'tool_call_start', index: 0, id: 't1', name: 'gpu_info' },
    { type: 'tool_call_delta', index: 0, argumentsDelta: '{"verbose":true}' },
  ]);
  assert.equal(res.usage.inputTokens, 14);
  assert.ok(res.usage.outputTokens > 0);
  assert.deepEqual(m.sent[0].options.tools, [{ name: 'gpu_info', description: 'GPU', inputSchema: { type: 'object' } }]);
  assert.equal(p.contextWindow, 64_000);
});

test('messages: system as a leading user message, tool calls, merged tool results', () => {
  const out = toVsCodeMessages(
    [
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'go' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'a', name: 'read', arguments: '{"p":1}' }, { id: 'b', name: 'read', arguments: 'broken' }] },
      { role: 'tool', toolCallId: 'a', name: 'read', content: 'x' },
      { role: 'tool', toolCallId: 'b', name: 'read', content: 'bad args', isError: true },
    ],
    api(),
  ) as unknown as Msg[];
  assert.deepEqual(out.map((m) => m.role), ['user', 'user', 'assistant', 'user']);
  assert.deepEqual(out[2].content, [new ToolCallPart('a', 'read', { p: 1 }), new ToolCallPart('b', 'read', {})]);
  assert.deepEqual(out[3].content, [new ToolResultPart('a', [new TextPart('x')]), new ToolResultPart('b', [new TextPart('Error: bad args')])]);
});

test('abort mid-stream → cancelled, and the token is cancelled', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const m = fakeModel([new TextPart('a'), new TextPart('b'), new TextPart('c')], { gate });
  const ac = new AbortController();
  const p = new VsCodeLmProvider(asModel(m), api());
  const pending = p.chat({ messages: [{ role: 'user', content: 'x' }], signal: ac.signal }, (e) => {
    if (e.type === 'text') {
      ac.abort();
      release();
    }
  });
  await assert.rejects(pending, (e: unknown) => e instanceof LlmError && e.kind === 'cancelled');
});

test('LanguageModelError codes map to actionable kinds', async () => {
  const noPerm = Object.assign(new Error('no'), { code: 'NoPermissions' });
  const p = new VsCodeLmProvider(asModel(fakeModel([], { fail: noPerm })), api());
  await assert.rejects(p.chat({ messages: [] }), (e: unknown) => e instanceof LlmError && e.kind === 'auth' && /Manage Language Model Access/.test(e.message));
  const notFound = new VsCodeLmProvider(asModel(fakeModel([], { fail: Object.assign(new Error('x'), { code: 'NotFound' }) })), api());
  await assert.rejects(notFound.chat({ messages: [] }), (e: unknown) => e instanceof LlmError && e.kind === 'not_found' && /Select Model/.test(e.message));
});

test('selectVsCodeModel: by id or family, Copilot gpt-4.1 by default, clear errors otherwise', async () => {
  const a = fakeModel([], { id: 'claude-x', family: 'claude-sonnet-4', vendor: 'copilot' });
  const b = fakeModel([], { id: 'copilot-gpt-4.1', family: 'gpt-4.1', vendor: 'copilot' });
  assert.equal((await selectVsCodeModel(api([a, b]), '')).model, 'copilot-gpt-4.1');
  assert.equal((await selectVsCodeModel(api([a, b]), 'claude-sonnet-4')).model, 'claude-x');
  await assert.rejects(selectVsCodeModel(api([a, b]), 'nope'), (e: unknown) => e instanceof LlmError && e.kind === 'not_found' && /claude-x/.test(e.message));
  await assert.rejects(selectVsCodeModel(api([]), ''), (e: unknown) => e instanceof LlmError && e.kind === 'no_provider' && /GitHub Copilot/.test(e.message));
});
