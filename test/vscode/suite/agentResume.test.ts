// After a reload, an agent run waiting for a command it started: when no language model is there
// to go on with (VS Code's models not registered, none installed), the still-running command is
// shown in a re-attached terminal anyway, so the user can watch and stop it.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startDetached, DetachedRun } from '../../../src/core/exec/detached';
import { renderSbatch } from '../../../src/core/exec/slurm';
import { slurmBackendFor, submitSlurmJob } from '../../../src/core/exec/slurmRun';
import { startTestCluster, TestCluster } from '../../unit/session/slurmCluster';
import { RunStore } from '../../../src/core/runs/runStore';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import type { Services } from '../../../src/vscode/services';
import { waitFor, workspaceRoot } from './review/helpers';

suite('agent runs after a reload', () => {
  let run: DetachedRun | undefined;
  const config = () => vscode.workspace.getConfiguration('mlIntern');

  let cluster: TestCluster | undefined;
  const savedConf = process.env.SLURM_CONF;

  teardown(async () => {
    await run?.stop('test over');
    run?.dispose();
    run = undefined;
    await config().update('provider', undefined, vscode.ConfigurationTarget.Workspace);
    if (cluster) {
      const stopped = cluster.stop();
      cluster = undefined;
      if (savedConf === undefined) delete process.env.SLURM_CONF;
      else process.env.SLURM_CONF = savedConf;
      assert.equal(stopped.status, 0, stopped.stderr);
    }
  });

  test('no language model to go on with: the command it was waiting for gets a re-attached terminal', async () => {
    const ext = vscode.extensions.getExtension<{ services?: Services }>('ml-intern.ml-intern');
    const api = await ext!.activate();
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
    // The window's own chat agent, as after a reload.
    await api.services!.agent.resumeAgentRuns({ tries: 1, delayMs: 0 });
    await waitFor(() => vscode.window.terminals.some((t) => t.name === 'python loop.py (re-attached) · ML Intern'), 'the re-attached terminal');
    assert.ok(readFileSync(run.logFile, 'utf8').includes('training...'), 'the command still runs');
    const status = JSON.parse(readFileSync(path.join(root, handle.folder, 'status.json'), 'utf8')) as { state: string };
    assert.equal(status.state, 'running', 'the run is left as it was, for the user to continue');
  });

  test('the same for a Slurm job the agent submitted (submit_job): its re-attached terminal follows the job', async function () {
    this.timeout(120_000);
    // A real single-node Slurm (needs root and slurm-wlm + munge, as CI has); the extension asks it
    // through SLURM_CONF, as on a login node.
    cluster = startTestCluster();
    process.env.SLURM_CONF = cluster.env.SLURM_CONF;
    const ext = vscode.extensions.getExtension<{ services?: Services }>('ml-intern.ml-intern');
    const api = await ext!.activate();
    const root = workspaceRoot();
    const handle = await new RunStore(new NodeFileStore(root)).create({ goal: 'train it on the cluster' });
    await handle.updateStatus({ state: 'running' });
    const dir = `${handle.folder}/logs/cmd-1`;
    const records = path.join(root, dir);
    const scriptPath = path.join(root, handle.folder, 'scripts', 'job-1.sbatch');
    await handle.writeFile('scripts/job-1.sbatch', renderSbatch({
      jobName: 'ml-intern-exthost-test',
      partition: 'debug',
      timeLimit: '00:05:00',
      command: ['python3', '-c', 'import time\nfor _ in range(600):\n    print("training on the node...", flush=True)\n    time.sleep(0.2)'],
      outputFile: path.join(records, 'slurm-%j.out'),
      workdir: root,
    }));
    await handle.appendTranscript({ kind: 'tool_call', callId: 'call_1', name: 'submit_job', args: { command: ['python', 'loop.py'] } });
    await handle.appendTranscript({ kind: 'process', callId: 'call_1', dir, processId: `${handle.id}-cmd-1`, name: 'python loop.py', argv: ['python3', 'loop.py'], attempt: 1, startedAt: Date.now(), slurm: { script: `${handle.folder}/scripts/job-1.sbatch` } });
    run = await submitSlurmJob(slurmBackendFor(), { scriptPath, runDir: path.join(root, handle.folder), name: 'python loop.py', outputPattern: path.join(records, 'slurm-%j.out'), records });
    await config().update('provider', 'vscode-lm', vscode.ConfigurationTarget.Workspace);
    // The window's own chat agent, as after a reload.
    await api.services!.agent.resumeAgentRuns({ tries: 1, delayMs: 0 });
    await waitFor(() => vscode.window.terminals.some((t) => t.name === 'python loop.py (re-attached) · ML Intern'), 'the re-attached terminal of the Slurm job');
    await waitFor(() => { try { return readFileSync(run!.logFile, 'utf8').includes('training on the node...'); } catch { return false; } }, 'the job to run');
  });
});
