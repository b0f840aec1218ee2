/**
 * Evaluate / Merge on the Slurm target, against a REAL single-node Slurm: the steps that load
 * models (merging the adapter, each LightEval run) are approved as batch scripts and run as jobs
 * on a compute node; the light ones (the comparison table) stay on this machine. test/fixtures/eval
 * stands in for the GPU box (a fake interpreter and a fake `lighteval` next to it). Needs root and
 * slurm-wlm + munge: without them this FAILS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { RunStore } from '../../../src/core/runs/runStore';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { ArtifactSession, parseComparison } from '../../../src/core/session/artifactSession';
import { startDetached } from '../../../src/core/exec/detached';
import { SlurmBackend } from '../../../src/core/exec/slurm';
import { CommandApprovalRequest } from '../../../src/core/tools/types';
import { useTestCluster } from '../session/slurmClusterHooks';
import { ADAPTER, artifactWorkspace } from '../session/artifactWorkspace';

const cluster = useTestCluster();
const FAKE_PYTHON = resolve('test/fixtures/eval/fake-python');

const workspace = () => artifactWorkspace('ml-intern-artifact-slurm-');

function session(ws: string, slurm: Settings['slurm']) {
  const files = new NodeFileStore(ws);
  const events = new RecordingEventSink();
  const approvals: CommandApprovalRequest[] = [];
  const launched: string[][] = [];
  const create = () =>
    ArtifactSession.create({ kind: 'eval', model: ADAPTER, tasks: ['gsm8k', 'hellaswag'], limit: 50 }, {
      files,
      reviewer: new ScriptedReviewer(),
      events,
      runs: new RunStore(files),
      settings: () => ({ ...DEFAULT_SETTINGS, executionTarget: 'slurm', slurm }),
      python: FAKE_PYTHON,
      launch: async (spec) => {
        launched.push(spec.argv);
        return startDetached(spec);
      },
      approveCommand: async (req) => {
        approvals.push(req);
        return { approved: true };
      },
      slurm: { backend: (extra = {}) => new SlurmBackend({ env: { ...cluster().env, ...extra }, pollMs: 200 }), pollMs: 200 },
    });
  return { create, events, approvals, launched };
}

const SLURM: Settings['slurm'] = { partition: 'debug', gpus: 1, timeLimit: '00:10:00', extraDirectives: ['--cpus-per-task=1'] };

test('Evaluate on Slurm: merging and each LightEval run are jobs on a compute node, approved as batch scripts; the table is made here', { timeout: 180_000 }, async () => {
  const ws = workspace();
  try {
    const h = session(ws, SLURM);
    const s = await h.create();
    const outcome = await s.execute();
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));
    const runDir = join(ws, s.handle.folder);
    assert.deepEqual(h.approvals.map((a) => a.argv.map((x) => x.replace(runDir, '<run>'))), [
      ['sbatch', '<run>/scripts/step-1.sbatch'],
      ['sbatch', '<run>/scripts/step-2.sbatch'],
      ['sbatch', '<run>/scripts/step-3.sbatch'],
      [FAKE_PYTHON, 'compare_results.py'],
    ]);
    assert.match(h.approvals[1].reason, /Evaluate the base model on gsm8k, hellaswag \(50 samples per task\) \(step 2 of 4\) — Slurm job: partition debug, 1 GPU, time limit 00:10:00/);
    const script = h.approvals[1].detail ?? '';
    assert.match(script, /^#SBATCH --gres=gpu:1$/m);
    assert.match(script, /^#SBATCH --partition=debug$/m);
    assert.match(script, /test\/fixtures\/eval\/lighteval accelerate .*--output-dir results\/base --max-samples 50 2>&1 \| /);
    assert.match(h.approvals[0].detail ?? '', /Then:\n- lighteval accelerate .* \(a Slurm job\)\n/);
    assert.deepEqual(h.launched.map((a) => a.slice(0, 2)), [[FAKE_PYTHON, 'compare_results.py']], 'only the table ran on this machine');
    const rows = parseComparison(readFileSync(join(ws, 'ml-intern/eval-run1', 'results', 'comparison.json'), 'utf8'));
    assert.deepEqual(rows, [
      { task: 'gsm8k (lighteval, 5-shot, em)', base: 0.312, trained: 0.355 },
      { task: 'hellaswag (lighteval, 0-shot, acc)', base: 0.492, trained: 0.501 },
    ]);
    const names = h.events.ofType('process_started').map((e) => e.name);
    assert.equal(names.filter((n) => /^Slurm job \d+: /.test(n)).length, 3, names.join(' | '));
    assert.match(readFileSync(join(runDir, 'logs', 'step-2.log'), 'utf8'), /\|lighteval\|gsm8k\|5/, 'the job\'s output is kept per step');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('Evaluate on Slurm with a partition the cluster does not have: the first step fails with sbatch\'s reason and what to check', { timeout: 60_000 }, async () => {
  const ws = workspace();
  try {
    const h = session(ws, { ...SLURM, partition: 'nope' });
    const outcome = await (await h.create()).execute();
    assert.equal(outcome.kind, 'failed');
    assert.match(outcome.summary, /Step 1 of 4 \(Merge the adapter .*\) failed with exit code 1: Submitting .*step-1\.sbatch to Slurm failed: .*invalid partition.* Fix: Check the mlIntern\.slurm\.\* settings/is);
    assert.deepEqual(h.launched, [], 'nothing ran on this machine');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
