import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { AgentSession } from '../../../src/core/agent/agentLoop';
import { createCoreRegistry } from '../../../src/core/tools/coreTools';
import { connectMcpServers, registerMcpServers } from '../../../src/core/mcp/mcpTools';
import { makeDeps, ScriptedLlm } from '../agent/helpers';

const SERVER = path.resolve(__dirname, '../../fixtures/mcp/server.mjs');

test('(h) an MCP stdio server: tools listed (prefixed), called by the agent, closed on dispose', async () => {
  const registry = createCoreRegistry();
  const hub = await registerMcpServers(registry, { gpu: { command: process.execPath, args: [SERVER], env: { FIXTURE_TAG: 'tagged' } } }, { cwd: process.cwd() });
  try {
    assert.deepEqual(hub.errors, []);
    assert.deepEqual(hub.tools.map((t) => t.name).sort(), ['mcp__gpu__always_fails', 'mcp__gpu__gpu_status']);
    const tool = registry.get('mcp__gpu__gpu_status');
    assert.equal(tool?.approval, 'run');
    assert.match(tool?.description ?? '', /free memory of a GPU/);
    const approvals: string[] = [];
    const llm = new ScriptedLlm([
      (req) => {
        const spec = req.tools?.find((t) => t.name === 'mcp__gpu__gpu_status');
        assert.deepEqual((spec?.parameters as unknown as { required: string[] }).required, ['index']);
        return { calls: [{ name: 'mcp__gpu__gpu_status', args: { index: 0 } }] };
      },
      { calls: [{ name: 'mcp__gpu__always_fails', args: {} }] },
      { calls: [{ name: 'finish', args: { summary: 'checked' } }] },
    ]);
    const deps = makeDeps(llm, { tools: registry, approveCommand: async (r) => (approvals.push(r.tool), { approved: true }) });
    const { session, outcome } = await AgentSession.startRun(deps, { goal: 'check the GPU' });
    assert.equal(outcome.state, 'succeeded');
    const results = session.conversation.filter((m) => m.role === 'tool');
    assert.equal(results[0].content, 'GPU 0: 79.1 GiB free of 80 GiB (tagged)');
    assert.match(results[1].content, /returned an error: the cluster is down/);
    assert.equal((results[1] as { isError?: boolean }).isError, true);
    assert.deepEqual(approvals, ['mcp__gpu__gpu_status', 'mcp__gpu__always_fails']);
  } finally {
    await hub.dispose();
  }
});

test('an MCP server that cannot start is reported, not fatal', async () => {
  const hub = await connectMcpServers({ broken: { command: '/nonexistent/server' } }, { startTimeoutMs: 5_000 });
  assert.equal(hub.tools.length, 0);
  assert.match(hub.errors[0], /MCP server 'broken'.*mlIntern\.mcpServers/);
  await hub.dispose();
});
