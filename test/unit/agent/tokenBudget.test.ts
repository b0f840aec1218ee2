/**
 * mlIntern.maxTokens counts new spend: uncached input (cache writes included) plus output. Cache
 * reads — the unchanged prefix read again at a tenth of the price — are shown apart and never stop a
 * run. Through the real Anthropic SDK against the fake wire-protocol server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentSession } from '../../../src/core/agent/agentLoop';
import { AnthropicProvider } from '../../../src/core/llm/anthropicProvider';
import { FakeLlmServer, startFakeLlmServer } from '../../support/fakeLlmServer';
import { makeDeps } from './helpers';
import { FAKE_ANTHROPIC_KEY } from '../../support/fakeKeys';

const plan = (n: number) => ({ toolCalls: [{ id: `p${n}`, name: 'plan', arguments: JSON.stringify({ items: [{ text: `step ${n}`, status: 'in_progress' }] }) }] });
const anthropic = (s: FakeLlmServer) => new AnthropicProvider({ apiKey: FAKE_ANTHROPIC_KEY, model: 'claude-haiku-4-5', baseUrl: s.anthropicBaseUrl });

test('cache reads do not use up mlIntern.maxTokens; they are shown apart in the meter and the status', { timeout: 60_000 }, async () => {
  const server = await startFakeLlmServer();
  try {
    const usage = { inputTokens: 100, cacheWriteTokens: 50, cachedInputTokens: 5000, outputTokens: 20 };
    server.script([
      { ...plan(1), usage },
      { ...plan(2), usage },
      { toolCalls: [{ id: 'f', name: 'finish', arguments: JSON.stringify({ summary: 'Done.' }) }], usage },
    ]);
    const deps = makeDeps(anthropic(server), { settings: { maxTokens: 1000 } });
    const { session, outcome } = await AgentSession.startRun(deps, { goal: 'Plan three steps.' });
    // Counting cache reads, the first call alone (5,170) would have stopped the run at 1,000.
    assert.equal(outcome.state, 'succeeded', outcome.message);
    assert.equal(session.budgetState.tokens, 3 * (100 + 50 + 20));
    assert.equal(session.budgetState.cachedTokens, 3 * 5000);
    const meter = deps.events.ofType('usage').at(-1);
    assert.equal(meter?.budget.tokens, 510);
    assert.equal(meter?.totals.cachedInputTokens, 15000);
  } finally {
    await server.close();
  }
});

test('uncached input and output still stop the run at mlIntern.maxTokens, and the stop message shows cache reads apart', { timeout: 60_000 }, async () => {
  const server = await startFakeLlmServer();
  try {
    const usage = { inputTokens: 500, cachedInputTokens: 2000, outputTokens: 100 };
    server.script([{ ...plan(1), usage }, { ...plan(2), usage }, { ...plan(3), usage }]);
    const deps = makeDeps(anthropic(server), { settings: { maxTokens: 1000 } });
    const { outcome } = await AgentSession.startRun(deps, { goal: 'Plan.' });
    assert.equal(outcome.state, 'budget', outcome.message);
    assert.equal(server.requests.length, 2, 'the third call is not made once 1,200 new tokens are spent');
    assert.match(outcome.message, /1200 tokens \(\+4000 cached reads, not counted\)/);
  } finally {
    await server.close();
  }
});
