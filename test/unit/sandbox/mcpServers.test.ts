// MCP stdio servers the user marks `"sandbox": true`, with real bubblewrap and a real server
// process: it cannot read the planted ~/.ssh key nor write outside the workspace, its tool calls
// go through without a dialog under autoApprove "sandboxed"; an unmarked server is as before;
// a marked server is not started when no sandbox can start, and the error names the package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { tmpdir } from 'node:os';
import { connectMcpServers } from '../../../src/core/mcp/mcpTools';
import { ApprovalGate, CommandApprovalRequest } from '../../../src/core/policy/approval';
import { McpServerConfig } from '../../../src/core/settings';
import { SandboxMode } from '../../../src/core/sandbox/types';
import { ToolContext } from '../../../src/core/tools/types';
import { Box, makeBox, namespacesForbidden, REPO } from './helpers';

// The fixture server and the MCP SDK it imports live in this clone: under the host's /tmp the
// sandbox's private /tmp hides them (by design, docs/SECURITY.md), so a confined start cannot be tested there.
const underTmp = (REPO + path.sep).startsWith(path.resolve(tmpdir()) + path.sep)
  ? `this clone lives under ${tmpdir()}, which the sandbox's private /tmp hides: the fixture MCP server and its SDK are not visible inside (clone elsewhere to run it)`
  : undefined;
const skip = namespacesForbidden();
const skipConfined = skip ?? underTmp;
const SERVER = path.join(REPO, 'test', 'fixtures', 'mcp', 'fileServer.mjs');

/** The approval path a chat run uses, under autoApprove "sandboxed"; records each dialog shown. */
function sandboxedApprovals(box: Box) {
  const asked: CommandApprovalRequest[] = [];
  const gate = new ApprovalGate({
    policy: () => 'sandboxed',
    reviewer: { propose: async () => ({ kind: 'rejected', reason: 'not in this test' }) },
    approveCommand: async (request) => (asked.push(request), { approved: true }),
    runId: 'r1',
    record: async () => undefined,
    emit: () => undefined,
    nextChangeNumber: async () => 1,
    saveVersion: async () => '',
    write: async () => undefined,
    read: async () => undefined,
    workspaceCwd: (cwd) => path.join(box.workspace, cwd),
  });
  const ctx = { signal: new AbortController().signal, approveCommand: (r) => gate.approveCommand(r) } as Partial<ToolContext> as ToolContext;
  return { asked, ctx };
}

async function startServer(box: Box, config: Partial<McpServerConfig>, mode: SandboxMode, env: Record<string, string> = {}) {
  return connectMcpServers(
    { files: { command: process.execPath, args: [SERVER], ...config } },
    { cwd: box.workspace, startTimeoutMs: 20_000, sandbox: { settings: { mode, network: 'off', image: '' }, env: { HOME: box.home, ...env } } },
  );
}

async function call(hub: Awaited<ReturnType<typeof connectMcpServers>>, tool: string, args: Record<string, unknown>, ctx: ToolContext): Promise<string> {
  const found = hub.tools.find((t) => t.name === `mcp__files__${tool}`);
  assert.ok(found, `tool ${tool} listed: ${hub.errors.join('; ')}`);
  return (await found.handler(args, ctx)).output;
}

test('a server marked "sandbox": true runs confined: no ~/.ssh key, no writes outside, no dialog under "sandboxed"', { skip: skipConfined }, async () => {
  const box = makeBox();
  // The agent's own commands run unconfined (mode off): marking the server still asks for a sandbox.
  const hub = await startServer(box, { sandbox: true }, 'off');
  try {
    assert.deepEqual(hub.errors, []);
    const { asked, ctx } = sandboxedApprovals(box);
    const key = await call(hub, 'read_text', { path: path.join(box.home, '.ssh', 'id_ed25519') }, ctx);
    assert.doesNotMatch(key, new RegExp(box.canary));
    assert.match(await call(hub, 'write_text', { path: path.join(box.outside, 'dropped.txt') }, ctx), /refused: E(ROFS|ACCES|PERM)/);
    assert.equal(existsSync(path.join(box.outside, 'dropped.txt')), false);
    // Inside the workspace it works as usual.
    writeFileSync(path.join(box.workspace, 'notes.txt'), 'workspace notes');
    assert.equal(await call(hub, 'read_text', { path: path.join(box.workspace, 'notes.txt') }, ctx), 'read: [workspace notes]');
    assert.equal(await call(hub, 'write_text', { path: path.join(box.workspace, 'out.txt') }, ctx), 'wrote');
    assert.equal(existsSync(path.join(box.workspace, 'out.txt')), true);
    assert.equal(asked.length, 0, 'no dialog: the calls are confined with the network off');
  } finally {
    await hub.dispose();
    rmSync(box.root, { recursive: true, force: true });
  }
});

test('an unmarked server runs as before: unconfined, and each call asks under "sandboxed"', { skip }, async () => {
  const box = makeBox();
  const hub = await startServer(box, {}, 'bubblewrap');
  try {
    assert.deepEqual(hub.errors, []);
    const { asked, ctx } = sandboxedApprovals(box);
    assert.equal(await call(hub, 'read_text', { path: path.join(box.home, '.ssh', 'id_ed25519') }, ctx), `read: [${box.canary}]`);
    assert.equal(asked.length, 1, 'asked once');
    assert.equal(asked[0].sandbox, undefined);
    assert.deepEqual(asked[0].argv, ['mcp:files', 'read_text']);
  } finally {
    await hub.dispose();
    rmSync(box.root, { recursive: true, force: true });
  }
});

test('a marked server is not started when the sandbox cannot start, and the error names what to install', async () => {
  const box = makeBox();
  try {
    for (const mode of ['bubblewrap', 'off'] as const) {
      // No bwrap on this PATH (the server's node is an absolute path, so only the sandbox is missing).
      const hub = await startServer(box, { sandbox: true }, mode, { PATH: path.join(box.root, 'empty-bin') });
      try {
        assert.deepEqual(hub.tools, []);
        assert.equal(hub.errors.length, 1);
        assert.match(hub.errors[0], /MCP server 'files' is marked "sandbox": true but no sandbox can start here, so it was not started/);
        assert.match(hub.errors[0], process.platform === 'linux' ? /apt-get install bubblewrap/ : /sandbox/);
      } finally {
        await hub.dispose();
      }
    }
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});
