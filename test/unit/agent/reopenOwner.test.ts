// One driver per agent run in every host (issue 24 item 2, "also across the VS Code extension and
// the CLI at once"): the chat panel reopens a run with AgentSession.reopen, as `run --continue`
// does, so a run a terminal's `ml-intern run` still drives is refused there too, naming the pid,
// instead of being continued a second time; once that process is gone it reopens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { AgentSession } from '../../../src/core/agent/agentLoop';
import { RunStore } from '../../../src/core/runs/runStore';
import { makeDeps, ScriptedLlm } from './helpers';

test('a run another live process drives is not reopened (the chat panel\'s path): refused naming the pid; reopened once it is gone', async () => {
  const llm = new ScriptedLlm([{ calls: [{ name: 'finish', args: { summary: 'done' } }] }]);
  const deps = makeDeps(llm);
  const { session } = await AgentSession.startRun(deps, { goal: 'count the rows' });
  const asked = llm.requests.length;

  // Another process (a terminal's ml-intern run) drives it now: status.json names its pid.
  const other = spawn('sleep', ['60'], { stdio: 'ignore' });
  const exited = new Promise((r) => other.once('close', r));
  try {
    const handle = await new RunStore(deps.files).open(session.id);
    await handle.updateStatus({ state: 'running', pid: other.pid });
    await assert.rejects(
      AgentSession.reopen(deps, session.id),
      new RegExp(`Run ${session.id} is running in another process: pid ${other.pid} \\(.*sleep 60.*\\)\\. Continuing it here too would answer its steps twice`),
    );
    assert.equal(llm.requests.length, asked, 'the refused reopen asked the model nothing');
  } finally {
    other.kill('SIGKILL');
    await exited;
  }
  const again = await AgentSession.reopen(deps, session.id);
  assert.equal(again.id, session.id, 'a run whose driver is gone reopens');
  assert.equal(again.currentState, 'succeeded', 'in the state its transcript ended in');
});
