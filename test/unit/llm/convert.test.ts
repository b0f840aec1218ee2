/** What goes on the wire: our ChatMessage/ToolSpec in each provider's format. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnthropicProvider } from '../../../src/core/llm/anthropicProvider';
import { OpenAiProvider } from '../../../src/core/llm/openaiProvider';
import { ChatMessage, ToolSpec } from '../../../src/core/llm/types';
import { startFakeLlmServer } from '../../support/fakeLlmServer';

const TOOLS: ToolSpec[] = [
  { name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } } } },
  { name: 'run', description: 'Run a command', parameters: { type: 'object' } },
];
const CONVERSATION: ChatMessage[] = [
  { role: 'system', content: 'You are ML Intern.' },
  { role: 'user', content: 'Train it.' },
  {
    role: 'assistant',
    content: 'Reading both.',
    toolCalls: [
      { id: 'c1', name: 'read_file', arguments: '{"path":"a.py"}' },
      { id: 'c2', name: 'read_file', arguments: '{"path":"b.py"}' },
    ],
  },
  { role: 'tool', toolCallId: 'c1', name: 'read_file', content: 'print(1)' },
  { role: 'tool', toolCallId: 'c2', name: 'read_file', content: 'no such file', isError: true },
  { role: 'user', content: 'Go on.' },
];

test('OpenAI wire format: assistant tool_calls, tool role messages, function tools', async () => {
  const server = await startFakeLlmServer();
  try {
    server.script([{ text: 'ok' }]);
    const p = new OpenAiProvider({ apiKey: 'k-123456', model: 'gpt-4.1', baseUrl: server.openaiBaseUrl });
    await p.chat({ messages: CONVERSATION, tools: TOOLS, maxTokens: 1000, temperature: 0.2 });
    const body = server.requests[0].body!;
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.equal(body.max_completion_tokens, 1000);
    assert.equal(body.temperature, 0.2);
    assert.deepEqual(body.messages, [
      { role: 'system', content: 'You are ML Intern.' },
      { role: 'user', content: 'Train it.' },
      {
        role: 'assistant',
        content: 'Reading both.',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'read_file', arguments: '{"path":"a.py"}' } },
          { id: 'c2', type: 'function', function: { name: 'read_file', arguments: '{"path":"b.py"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'print(1)' },
      { role: 'tool', tool_call_id: 'c2', content: 'Error: no such file' },
      { role: 'user', content: 'Go on.' },
    ]);
    assert.deepEqual(body.tools, TOOLS.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } })));
  } finally {
    await server.close();
  }
});

test('OpenAI-compatible endpoints get max_tokens; reasoning models get no temperature', () => {
  const compat = new OpenAiProvider({ id: 'openai-compatible', apiKey: 'x', model: 'llama3', baseUrl: 'http://localhost:11434/v1' });
  const b = compat.buildBody({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 50, temperature: 0 });
  assert.equal(b.max_tokens, 50);
  assert.equal(b.max_completion_tokens, undefined);
  assert.equal(b.temperature, 0);
  const o3 = new OpenAiProvider({ apiKey: 'x', model: 'o3' }).buildBody({ messages: [], temperature: 0.5 });
  assert.equal(o3.temperature, undefined);
});

test('Anthropic wire format: separate cached system, merged tool results, cached tools and last message', async () => {
  const server = await startFakeLlmServer();
  try {
    server.script([{ text: 'ok' }]);
    const p = new AnthropicProvider({ apiKey: 'k-123456', model: 'claude-haiku-4-5', baseUrl: `${server.anthropicBaseUrl}/v1` });
    await p.chat({ messages: CONVERSATION, tools: TOOLS, maxTokens: 1000 });
    const req = server.requests[0];
    assert.equal(req.path, '/v1/messages', 'a trailing /v1 in mlIntern.baseUrl is not doubled');
    const body = req.body!;
    assert.equal(body.max_tokens, 1000);
    assert.deepEqual(body.system, [{ type: 'text', text: 'You are ML Intern.', cache_control: { type: 'ephemeral' } }]);
    assert.deepEqual(body.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Train it.' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Reading both.' },
          { type: 'tool_use', id: 'c1', name: 'read_file', input: { path: 'a.py' } },
          { type: 'tool_use', id: 'c2', name: 'read_file', input: { path: 'b.py' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'c1', content: 'print(1)' },
          { type: 'tool_result', tool_use_id: 'c2', content: 'no such file', is_error: true },
          { type: 'text', text: 'Go on.', cache_control: { type: 'ephemeral' } },
        ],
      },
    ]);
    assert.deepEqual(body.tools, [
      { name: 'read_file', description: 'Read a file', input_schema: TOOLS[0].parameters },
      { name: 'run', description: 'Run a command', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral' } },
    ]);
  } finally {
    await server.close();
  }
});

test('Anthropic: max_tokens defaults to the model limit (the API requires it)', () => {
  const p = new AnthropicProvider({ apiKey: 'x', model: 'claude-3-5-haiku-20241022' });
  assert.equal(p.buildBody({ messages: [{ role: 'user', content: 'hi' }] }).max_tokens, 8192);
  assert.equal(p.contextWindow, 200_000);
});
