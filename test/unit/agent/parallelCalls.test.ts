/**
 * Two tool calls in one model response, through the real OpenAI and Anthropic SDKs against the fake
 * wire-protocol server: independent read-only calls run at the same time, and every result goes back
 * to the model in the next request, in the order it asked; a call that writes still waits its turn.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { AgentSession } from '../../../src/core/agent/agentLoop';
import { AnthropicProvider } from '../../../src/core/llm/anthropicProvider';
import { OpenAiProvider } from '../../../src/core/llm/openaiProvider';
import { LlmProvider } from '../../../src/core/llm/types';
import { createAgentRegistry } from '../../../src/core/tools/domain';
import { FakeLlmServer, startFakeLlmServer } from '../../support/fakeLlmServer';
import { makeDeps, tempWorkspace } from './helpers';
import { FAKE_ANTHROPIC_KEY } from '../../support/fakeKeys';

const call = (name: string, args: unknown, id: string) => ({ id, name, arguments: JSON.stringify(args) });

const PROVIDERS: Array<[string, (s: FakeLlmServer) => LlmProvider]> = [
  ['OpenAI', (s) => new OpenAiProvider({ apiKey: 'sk-test-000000000000000000000000', model: 'gpt-4.1', baseUrl: s.openaiBaseUrl })],
  ['Anthropic', (s) => new AnthropicProvider({ apiKey: FAKE_ANTHROPIC_KEY, model: 'claude-haiku-4-5', baseUrl: s.anthropicBaseUrl })],
];

/** The tool results of request i as [call id, text], in wire order (either format). */
function results(server: FakeLlmServer, i: number): Array<[string, string]> {
  const body = server.requests[i].body as { messages: Array<{ role: string; content: unknown; tool_call_id?: string }> };
  const out: Array<[string, string]> = [];
  for (const m of body.messages) {
    if (m.role === 'tool') out.push([String(m.tool_call_id), String(m.content)]);
    if (m.role === 'user' && Array.isArray(m.content)) {
      for (const b of m.content as Array<{ type: string; tool_use_id?: string; content?: unknown }>) if (b.type === 'tool_result') out.push([String(b.tool_use_id), String(b.content)]);
    }
  }
  return out;
}

for (const [name, provider] of PROVIDERS) {
  test(`${name}: two read-only calls in one response run concurrently and both results come back in one turn, in order`, { timeout: 60_000 }, async () => {
    const server = await startFakeLlmServer();
    const root = tempWorkspace('mli-parallel-');
    writeFileSync(path.join(root, 'a.txt'), 'alpha contents\n');
    writeFileSync(path.join(root, 'b.txt'), 'beta contents\n');
    try {
      const registry = createAgentRegistry();
      // A read-only probe that finishes only once the other probe has started: run one after the other, it times out.
      let started = 0;
      let release: () => void = () => undefined;
      const bothStarted = new Promise<void>((r) => (release = r));
      registry.register({
        name: 'probe',
        description: 'test probe',
        parameters: { type: 'object', properties: { tag: { type: 'string' } }, required: ['tag'] },
        approval: 'free',
        handler: async (args: { tag: string }) => {
          if (++started === 2) release();
          const together = await Promise.race([bothStarted.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
          return { ok: true, output: `${args.tag}: ${together ? 'ran alongside the other call' : 'ran alone'}` };
        },
      });
      server.script([
        { toolCalls: [call('read_file', { path: 'a.txt' }, 'id_a'), call('read_file', { path: 'b.txt' }, 'id_b')] },
        { toolCalls: [call('probe', { tag: 'first' }, 'id_p1'), call('probe', { tag: 'second' }, 'id_p2')] },
        { toolCalls: [call('finish', { summary: 'Read both.' }, 'id_f')] },
      ]);
      const deps = makeDeps(provider(server), { root, tools: registry });
      const { outcome } = await AgentSession.startRun(deps, { goal: 'Read a.txt and b.txt.' });
      assert.equal(outcome.state, 'succeeded', outcome.message);
      assert.equal(server.requests.length, 3, 'one LLM call per turn: the two calls of a turn are answered together');

      const afterReads = results(server, 1);
      assert.deepEqual(afterReads.map(([id]) => id), ['id_a', 'id_b']);
      assert.match(afterReads[0][1], /alpha contents/);
      assert.match(afterReads[1][1], /beta contents/);

      const afterProbes = results(server, 2).slice(2);
      assert.deepEqual(afterProbes, [
        ['id_p1', 'first: ran alongside the other call'],
        ['id_p2', 'second: ran alongside the other call'],
      ]);
    } finally {
      await server.close();
    }
  });
}

test('a write between two reads waits its turn: the read after it sees what it wrote', { timeout: 60_000 }, async () => {
  const server = await startFakeLlmServer();
  const root = tempWorkspace('mli-parallel-');
  writeFileSync(path.join(root, 'c.txt'), 'old\n');
  try {
    server.script([
      {
        toolCalls: [
          call('read_file', { path: 'c.txt' }, 'r1'),
          call('write_file', { path: 'c.txt', content: 'new\n', description: 'rewrite' }, 'w1'),
          call('read_file', { path: 'c.txt' }, 'r2'),
        ],
      },
      { toolCalls: [call('finish', { summary: 'Done.' }, 'f')] },
    ]);
    const deps = makeDeps(PROVIDERS[0][1](server), { root, tools: createAgentRegistry(), settings: { autoApprove: 'all' } });
    const { outcome } = await AgentSession.startRun(deps, { goal: 'Rewrite c.txt.' });
    assert.equal(outcome.state, 'succeeded', outcome.message);
    const [first, written, second] = results(server, 1);
    assert.doesNotMatch(written[1], /^Error|refused|rejected/i, written[1]);
    assert.match(first[1], /old/);
    assert.match(second[1], /new/);
  } finally {
    await server.close();
  }
});
