// After a reload, an agent run waiting for a command it started: when no language model is there
// to go on with (VS Code's models not registered, none installed), the still-running command is
// shown in a re-attached terminal anyway, so the user can watch and stop it.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startDetached, DetachedRun } from '../../../src/core/exec/detached';
import { RunStore } from '../../../src/core/runs/runStore';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import type { Host } from '../../../src/vscode/host';
import { resumeAgentRuns } from '../../../src/vscode/session/chatAgent';
import { waitFor, workspaceRoot } from './review/helpers';

suite('agent runs after a reload', () => {
  let run: DetachedRun | undefined;
  const config = () => vscode.workspace.getConfiguration('mlIntern');

  teardown(async () => {
    await run?.stop('test over');
    run?.dispose();
    await config().update('provider', undefined, vscode.ConfigurationTarget.Workspace);
  });

  test('no language model to go on with: the command it was waiting for gets a re-attached terminal', async () => {
    const ext = vscode.extensions.getExtension<{ host?: Host }>('ml-intern.ml-intern');
    const host = (await ext!.activate()).host!;
    const root = workspaceRoot();
    const handle = await new RunStore(new NodeFileStore(root)).create({ goal: 'train it' });
    await handle.updateStatus({ state: 'running' });
    const dir = `${handle.folder}/logs/cmd-1`;
    await handle.appendTranscript({ kind: 'tool_call', callId: 'call_1', name: 'run', args: { command: ['python', 'loop.py'] } });
    await handle.appendTranscript({ kind: 'process', callId: 'call_1', dir, processId: `${handle.id}-cmd-1`, name: 'python loop.py', argv: ['python3', '-c', '…'], attempt: 1, startedAt: Date.now() });
    run = await startDetached(
      { argv: ['python3', '-c', 'import time\nwhile True:\n    print("training...", flush=True)\n    time.sleep(0.2)'], cwd: root, runDir: path.join(root, handle.folder), name: 'python loop.py' },
      { records: path.join(root, dir) },
    );
    // VS Code's language models: none in this host.
    await config().update('provider', 'vscode-lm', vscode.ConfigurationTarget.Workspace);
    await resumeAgentRuns(host, { tries: 1, delayMs: 0 });
    await waitFor(() => vscode.window.terminals.some((t) => t.name === 'ML Intern: python loop.py (re-attached)'), 'the re-attached terminal');
    assert.ok(readFileSync(run.logFile, 'utf8').includes('training...'), 'the command still runs');
    const status = JSON.parse(readFileSync(path.join(root, handle.folder, 'status.json'), 'utf8')) as { state: string };
    assert.equal(status.state, 'running', 'the run is left as it was, for the user to continue');
  });
});
