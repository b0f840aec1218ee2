// On the Slurm target the Fine-tune wizard's environment report takes its GPUs from a compute node
// (a short check job, shown in a notification), not from the login node the extension runs on —
// in the real extension host, against a real single-node Slurm (needs root and slurm-wlm + munge).
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Services } from '../../../src/vscode/services';
import { startTestCluster, TestCluster } from '../../unit/session/slurmCluster';
import { workspaceRoot } from './review/helpers';

suite('the GPU check on the Slurm target', () => {
  let cluster: TestCluster | undefined;
  const savedConf = process.env.SLURM_CONF;
  const config = () => vscode.workspace.getConfiguration('mlIntern');

  teardown(async () => {
    for (const key of ['execution.target', 'slurm.partition', 'slurm.gpus']) await config().update(key, undefined, vscode.ConfigurationTarget.Workspace);
    // The report was the window's own: the later tests must not get the cluster's.
    (await vscode.extensions.getExtension<{ services?: Services }>('ml-intern.ml-intern')!.activate()).services!.environment.forget();
    if (savedConf === undefined) delete process.env.SLURM_CONF;
    else process.env.SLURM_CONF = savedConf;
    const stopped = cluster?.stop();
    cluster = undefined;
    if (stopped) assert.equal(stopped.status, 0, stopped.stderr);
  });

  test("the wizard's report names a compute node as the source of its GPUs, and the answer is kept in the workspace", async function () {
    this.timeout(120_000);
    cluster = startTestCluster();
    process.env.SLURM_CONF = cluster.env.SLURM_CONF;
    // The window's own environment report, the one the wizard and the sessions share.
    const environment = (await vscode.extensions.getExtension<{ services?: Services }>('ml-intern.ml-intern')!.activate()).services!.environment;
    await config().update('execution.target', 'slurm', vscode.ConfigurationTarget.Workspace);
    await config().update('slurm.partition', 'debug', vscode.ConfigurationTarget.Workspace);
    await config().update('slurm.gpus', 1, vscode.ConfigurationTarget.Workspace);
    environment.forget();
    const report = await environment.report();
    assert.ok(report, 'a report');
    assert.match(report.gpusFrom ?? '', /^a compute node \(Slurm job \d+, partition debug, checked /, JSON.stringify(report.problems));
    const kept = path.join(workspaceRoot(), '.ml-intern', 'node-check');
    assert.ok(existsSync(kept) && readdirSync(kept).some((f) => /^[0-9a-f]{16}\.json$/.test(f)), 'the answer is kept for the next run');
  });
});
