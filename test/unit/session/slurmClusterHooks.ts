// One real test Slurm per test file (node:test): started before the file's tests, every daemon
// stopped after them. Apart from slurmCluster.ts, which the extension-host suite (mocha) uses too.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, TestCluster } from './slurmCluster';

/** Registers the hooks; the returned function gives the running cluster. */
export function useTestCluster(options: { nodes?: number } = {}): () => TestCluster {
  let cluster: TestCluster | undefined;
  before(() => {
    cluster = startTestCluster(options);
  });
  after(() => {
    if (!cluster) return;
    const r = cluster.stop();
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.left, [], 'every daemon stopped');
  });
  return () => {
    if (!cluster) throw new Error('The test Slurm cluster is not running (its before hook failed).');
    return cluster;
  };
}
