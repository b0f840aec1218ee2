/**
 * Reasoning kept between tool calls, through the real Anthropic SDK against the fake wire-protocol
 * server: with mlIntern.reasoningEffort on, a thinking block (and a redacted_thinking block) of one
 * answer is in the next request byte for byte, also after the run is reopened from its folder; it is
 * never shown as the agent's text; a block that redaction would alter stays out of the transcript and
 * is not sent after a resume (an altered block would fail its signature); off changes nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AgentSession } from '../../../src/core/agent/agentLoop';
import { AnthropicProvider } from '../../../src/core/llm/anthropicProvider';
import { OpenAiProvider } from '../../../src/core/llm/openaiProvider';
import { ReasoningEffort } from '../../../src/core/settings';
import { createAgentRegistry } from '../../../src/core/tools/domain';
import { FakeLlmServer, FakeTurn, startFakeLlmServer } from '../../support/fakeLlmServer';
import { makeDeps, tempWorkspace } from './helpers';
import { FAKE_ANTHROPIC_KEY, FAKE_HF_TOKEN } from '../../support/fakeKeys';

const THOUGHT = 'The user wants a recipe. First look at the workspace: list_files, then read the data.';
const SIGNATURE = 'EqQBCkYIBxgCKkDsig+/=fake-signature-0123456789';
const REDACTED = 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlx';
const SECRET = FAKE_HF_TOKEN;

const listFiles = { toolCalls: [{ id: 'toolu_1', name: 'list_files', arguments: '{}' }] };

function provider(server: FakeLlmServer, effort: ReasoningEffort): AnthropicProvider {
  return new AnthropicProvider({ apiKey: FAKE_ANTHROPIC_KEY, model: 'claude-haiku-4-5', baseUrl: server.anthropicBaseUrl, reasoningEffort: effort });
}

type Block = { type: string; [k: string]: unknown };
/** The content blocks of the first assistant message of request i. */
function firstAssistant(server: FakeLlmServer, i: number): Block[] {
  const body = server.requests[i].body as { messages: Array<{ role: string; content: Block[] }> };
  return body.messages.find((m) => m.role === 'assistant')?.content ?? [];
}

async function run(turns: FakeTurn[], effort: ReasoningEffort, body: (server: FakeLlmServer, root: string) => Promise<void>): Promise<void> {
  const server = await startFakeLlmServer();
  server.script(turns);
  try {
    await body(server, tempWorkspace('mli-reasoning-'));
  } finally {
    await server.close();
  }
}

test('Anthropic: the thinking and redacted_thinking blocks of turn 1 are in the request of turn 2 byte for byte, first in the turn, and never shown as text', { timeout: 60_000 }, async () => {
  await run(
    [{ ...listFiles, text: 'Looking around.', thinking: [{ thinking: THOUGHT, signature: SIGNATURE }, { redacted: REDACTED }] }, { toolCalls: [{ id: 'toolu_2', name: 'finish', arguments: '{"summary":"done"}' }] }],
    'medium',
    async (server, root) => {
      const deps = makeDeps(provider(server, 'medium'), { root, tools: createAgentRegistry() });
      const { outcome } = await AgentSession.startRun(deps, { goal: 'Look around.' });
      assert.equal(outcome.state, 'succeeded', outcome.message);
      assert.deepEqual((server.requests[0].body as { thinking?: unknown }).thinking, { type: 'enabled', budget_tokens: 8192 });
      const blocks = firstAssistant(server, 1);
      assert.deepEqual(blocks.slice(0, 2), [
        { type: 'thinking', thinking: THOUGHT, signature: SIGNATURE },
        { type: 'redacted_thinking', data: REDACTED },
      ]);
      assert.deepEqual(blocks.slice(2).map((b) => b.type), ['text', 'tool_use']);
      const shown = [...deps.events.ofType('assistant_message').map((e) => e.text), ...deps.events.ofType('assistant_delta').map((e) => e.text)].join('');
      assert.doesNotMatch(shown, /list_files, then read/);
      assert.match(shown, /Looking around\./);
    },
  );
});

test('Anthropic: a run reopened from its folder still sends the thinking block back unchanged', { timeout: 60_000 }, async () => {
  await run(
    [{ ...listFiles, thinking: [{ thinking: THOUGHT, signature: SIGNATURE }] }, { text: 'Which model should I use?' }, { toolCalls: [{ id: 'toolu_3', name: 'finish', arguments: '{"summary":"ok"}' }] }],
    'low',
    async (server, root) => {
      const first = makeDeps(provider(server, 'low'), { root, tools: createAgentRegistry() });
      const { session, outcome } = await AgentSession.startRun(first, { goal: 'Look around.' });
      assert.equal(outcome.state, 'waiting', outcome.message);
      const again = makeDeps(provider(server, 'low'), { root, tools: createAgentRegistry() });
      const reopened = await AgentSession.reopen(again, session.id);
      const resumed = await reopened.continueRun('Qwen 0.5B.');
      assert.equal(resumed.state, 'succeeded', resumed.message);
      assert.deepEqual(firstAssistant(server, 2)[0], { type: 'thinking', thinking: THOUGHT, signature: SIGNATURE });
      assert.deepEqual((server.requests[2].body as { thinking?: unknown }).thinking, { type: 'enabled', budget_tokens: 2048 });
    },
  );
});

test('Anthropic: thinking that holds a secret goes back unaltered in the live run, stays out of the transcript, and is left out (not altered) after a resume', { timeout: 60_000 }, async () => {
  const secretThought = `The token ${SECRET} is in the notes; I must not print it.`;
  await run(
    [{ ...listFiles, thinking: [{ thinking: secretThought, signature: SIGNATURE }] }, { text: 'Shall I go on?' }, { toolCalls: [{ id: 'toolu_4', name: 'finish', arguments: '{"summary":"ok"}' }] }],
    'high',
    async (server, root) => {
      const first = makeDeps(provider(server, 'high'), { root, tools: createAgentRegistry() });
      const { session } = await AgentSession.startRun(first, { goal: 'Look around.' });
      // The live run: the block as signed.
      assert.deepEqual(firstAssistant(server, 1)[0], { type: 'thinking', thinking: secretThought, signature: SIGNATURE });
      const transcript = readFileSync(path.join(root, session.folder, 'transcript.jsonl'), 'utf8');
      assert.ok(!transcript.includes(SECRET), 'the secret is not on disk');
      assert.match(transcript, /"reasoningDropped":true/);

      const again = makeDeps(provider(server, 'high'), { root, tools: createAgentRegistry() });
      const reopened = await AgentSession.reopen(again, session.id);
      await reopened.continueRun('Yes.');
      const resumedBlocks = firstAssistant(server, 2);
      assert.deepEqual(resumedBlocks.map((b) => b.type), ['tool_use'], 'sent without the dropped block, never an altered one');
      assert.ok(!JSON.stringify(server.requests[2].body).includes('[REDACTED'), 'no redacted thinking text is sent');
    },
  );
});

test('reasoningEffort off (the default) and models without thinking: no thinking parameter, requests as before', { timeout: 60_000 }, async () => {
  const server = await startFakeLlmServer();
  try {
    const off = provider(server, 'off').buildBody({ messages: [{ role: 'user', content: 'hi' }] });
    assert.equal('thinking' in off, false);
    const old = new AnthropicProvider({ apiKey: FAKE_ANTHROPIC_KEY, model: 'claude-3-5-haiku-20241022', baseUrl: server.anthropicBaseUrl, reasoningEffort: 'high' });
    assert.equal('thinking' in old.buildBody({ messages: [{ role: 'user', content: 'hi' }] }), false);
  } finally {
    await server.close();
  }
});

// ---------------------------------------------------------------- OpenAI Responses API

const ITEM = { id: 'rs_1', summary: 'Plan: list the files, then read the data.', encryptedContent: 'gAAAAABfakeEncryptedReasoning0123456789==' };
const ITEM_WIRE = { type: 'reasoning', id: ITEM.id, summary: [{ type: 'summary_text', text: ITEM.summary }], encrypted_content: ITEM.encryptedContent };

function openai(server: FakeLlmServer, model: string, effort: ReasoningEffort): OpenAiProvider {
  return new OpenAiProvider({ apiKey: 'sk-test-000000000000000000000000', model, baseUrl: server.openaiBaseUrl, reasoningEffort: effort });
}
const inputOf = (server: FakeLlmServer, i: number) => (server.requests[i].body as { input: Array<Record<string, unknown>> }).input;

test('OpenAI reasoning model: the Responses API with the effort, encrypted reasoning included, nothing stored; turn 1\'s reasoning item is in turn 2\'s input byte for byte, before its call, and never shown', { timeout: 60_000 }, async () => {
  await run(
    [{ ...listFiles, text: 'Looking around.', reasoning: [ITEM] }, { toolCalls: [{ id: 'call_2', name: 'finish', arguments: '{"summary":"done"}' }] }],
    'medium',
    async (server, root) => {
      const deps = makeDeps(openai(server, 'gpt-5', 'medium'), { root, tools: createAgentRegistry() });
      const { outcome } = await AgentSession.startRun(deps, { goal: 'Look around.' });
      assert.equal(outcome.state, 'succeeded', outcome.message);
      assert.deepEqual(server.requests.map((r) => r.path), ['/v1/responses', '/v1/responses']);
      const first = server.requests[0].body as Record<string, unknown>;
      assert.deepEqual([first.reasoning, first.include, first.store], [{ effort: 'medium' }, ['reasoning.encrypted_content'], false]);
      assert.equal(first.instructions, 'You are a test agent.');
      const input = inputOf(server, 1);
      const at = input.findIndex((x) => x.type === 'reasoning');
      assert.deepEqual(input[at], ITEM_WIRE);
      assert.deepEqual(input.slice(at + 1, at + 3).map((x) => x.type ?? x.role), ['assistant', 'function_call']);
      assert.deepEqual(input[at + 3], { type: 'function_call_output', call_id: 'toolu_1', output: input[at + 3].output });
      const shown = deps.events.ofType('assistant_message').map((e) => e.text).join('');
      assert.equal(shown, 'Looking around.');
    },
  );
});

test('OpenAI: a run reopened from its folder still sends the reasoning item back unchanged', { timeout: 60_000 }, async () => {
  await run(
    [{ ...listFiles, reasoning: [ITEM] }, { text: 'Which model?' }, { toolCalls: [{ id: 'call_3', name: 'finish', arguments: '{"summary":"ok"}' }] }],
    'high',
    async (server, root) => {
      const { session } = await AgentSession.startRun(makeDeps(openai(server, 'gpt-5', 'high'), { root, tools: createAgentRegistry() }), { goal: 'Look around.' });
      const reopened = await AgentSession.reopen(makeDeps(openai(server, 'gpt-5', 'high'), { root, tools: createAgentRegistry() }), session.id);
      const resumed = await reopened.continueRun('Qwen.');
      assert.equal(resumed.state, 'succeeded', resumed.message);
      assert.deepEqual(inputOf(server, 2).find((x) => x.type === 'reasoning'), ITEM_WIRE);
    },
  );
});

test('OpenAI: effort off, or a model without reasoning, stays on Chat Completions as before', { timeout: 60_000 }, async () => {
  await run(
    [{ text: 'a' }, { text: 'b' }],
    'off',
    async (server, root) => {
      await AgentSession.startRun(makeDeps(openai(server, 'gpt-5', 'off'), { root }), { goal: 'hi' });
      await AgentSession.startRun(makeDeps(openai(server, 'gpt-4.1', 'high'), { root }), { goal: 'hi' });
      assert.deepEqual(server.requests.map((r) => r.path), ['/v1/chat/completions', '/v1/chat/completions']);
    },
  );
});
