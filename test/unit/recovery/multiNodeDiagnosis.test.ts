/**
 * Where a multi-node job failed first, from its output as `srun --label` writes it: torch elastic's
 * failure summary when it arrived, else srun's task exits and the workers' own rank-prefixed errors.
 * The texts follow torch (elastic's ChildFailedError summary, ProcessGroupNCCL's watchdog) and srun.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnoseMultiNode, lostNode } from '../../../src/core/recovery/multiNodeDiagnosis';

const label = (node: number, text: string): string => text.split('\n').map((l) => `${node}: ${l}`).join('\n');
const summary = (host: string, rank: number, local: number, exitcode: number): string => [
  'torch.distributed.elastic.multiprocessing.errors.ChildFailedError: ',
  '============================================================',
  'train.py FAILED',
  '------------------------------------------------------------',
  'Failures:',
  '  <NO_OTHER_FAILURES>',
  '------------------------------------------------------------',
  'Root Cause (first observed failure):',
  '[0]:',
  '  time      : 2026-12-07_10:00:00',
  `  host      : ${host}`,
  `  rank      : ${rank} (local_rank: ${local})`,
  `  exitcode  : ${exitcode} (pid: 4242)`,
  '  error_file: <N/A>',
  '============================================================',
].join('\n');

test('the node whose worker failed is named, not the node that was killed because of it', () => {
  const out = [
    label(0, "{'loss': 1.2, 'epoch': 0.1}"),
    label(1, 'RuntimeError: CUDA error: an illegal memory access was encountered'),
    label(1, summary('gpu-b', 3, 1, 1)),
    'srun: error: gpu-b: task 1: Exited with exit code 1',
    label(0, summary('gpu-a', 0, 0, -15)),
    'srun: error: gpu-a: task 0: Terminated',
  ].join('\n');
  const d = diagnoseMultiNode(out);
  assert.equal(d.firstFailingNode, 1);
  assert.equal(d.firstFailingRank, 3);
  assert.equal(d.firstFailingHost, 'gpu-b');
  assert.match(d.summary, /node 1 \(gpu-b\), rank 3/);
});

test('without torch\'s summary (the step ended before it arrived) the rank comes from the worker\'s own prefixed error', () => {
  const out = [
    label(0, "[rank0]:{'loss': 1.2}"),
    'srun: error: gpu-b: task 1: Exited with exit code 1',
    label(1, '[rank3]: Traceback (most recent call last):'),
    label(1, '[rank3]:   File "train.py", line 9, in <module>'),
    label(1, '[rank3]: RuntimeError: rank 3 was told to fail'),
  ].join('\n');
  const d = diagnoseMultiNode(out);
  assert.equal(d.firstFailingNode, 1);
  assert.equal(d.firstFailingRank, 3);
  // A rank-prefixed error on another node does not stand in for the failing node's.
  const other = diagnoseMultiNode(['srun: error: gpu-b: task 1: Exited with exit code 1', label(0, '[rank1]: Traceback (most recent call last):')].join('\n'));
  assert.equal(other.firstFailingNode, 1);
  assert.equal(other.firstFailingRank, undefined);
});

test('an NCCL watchdog time-out says how long the collective waited and what to raise', () => {
  const out = label(1, '[rank2]:[E ProcessGroupNCCL.cpp:616] [Rank 2] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=1234, OpType=ALLREDUCE, NumelIn=1, NumelOut=1, Timeout(ms)=600000) ran for 600060 milliseconds before timing out.');
  const d = diagnoseMultiNode(out);
  assert.equal(d.kind, 'nccl_timeout');
  assert.match(d.summary, /ALLREDUCE #1234\) waited 600 s/);
  assert.ok(d.actions.some((a) => /ddp_timeout/.test(a)));
});

test('a node taken down mid-job: srun names it (the end of a real 2-node job output from the test cluster, scontrol update NodeName=mli2 State=DOWN)', () => {
  const output = [
    label(1, '  Number of trainable parameters = 20,971,520'),
    'slurmstepd-mli1: error: *** JOB 1 ON mli1 CANCELLED AT 2026-12-07T16:32:50 DUE TO NODE FAILURE, SEE SLURMCTLD LOG FOR DETAILS ***',
    '0: slurmstepd-mli1: error: *** STEP 1.1 ON mli1 CANCELLED AT 2026-12-07T16:32:50 DUE TO NODE FAILURE, SEE SLURMCTLD LOG FOR DETAILS ***',
    'srun: error: Node failure on mli2',
    'srun: Job step aborted: Waiting up to 7 seconds for job step to finish.',
  ].join('\n');
  assert.equal(lostNode(output), 'mli2', 'the lost node, not the batch host whose step was cancelled');
  const d = diagnoseMultiNode(output);
  assert.equal(d.kind, 'node_lost');
  assert.match(d.summary, /\(mli2\)/);
  // One node (no srun): the cancellation says NODE FAILURE but names no lost node.
  assert.equal(lostNode(output.split('\n').slice(0, 2).join('\n')), undefined);
});
