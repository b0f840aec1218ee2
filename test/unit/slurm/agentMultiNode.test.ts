/**
 * The agent's submit_job with nodes = 2 on a REAL two-node Slurm (scripts/slurm-test-cluster.sh,
 * nodes mli1 and mli2): the approved batch script is the multi-node one, one stand-in torchrun per
 * node (test/fixtures/multinode) starts the workspace's train.py, both ranks meet at the rendezvous,
 * and the model gets the job's exit code and both nodes' output. A command that is not a Python
 * script is refused before anything is submitted. Needs root, slurm-wlm and munge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import * as path from 'node:path';
import { AgentSession } from '../../../src/core/agent/agentLoop';
import { startDetached } from '../../../src/core/exec/detached';
import { SlurmBackend } from '../../../src/core/exec/slurm';
import { LlmRequest } from '../../../src/core/llm/types';
import { CommandApprovalRequest } from '../../../src/core/tools/types';
import { createAgentRegistry } from '../../../src/core/tools/domain';
import { makeDeps, ScriptedLlm, tempWorkspace } from '../agent/helpers';
import { useTestCluster } from '../session/slurmClusterHooks';

const FIXTURE = path.resolve(__dirname, '../../fixtures/multinode');
const cluster = useTestCluster({ nodes: 2 });

function toolMessages(req: LlmRequest): string[] {
  return req.messages.flatMap((m) => (m.role === 'tool' ? [m.content] : []));
}

test('submit_job with nodes 2: the user approves the 2-node script, train.py runs on both nodes and the model gets both nodes\' output', { timeout: 120_000 }, async () => {
  const root = tempWorkspace('mli-agent-2n-');
  copyFileSync(path.join(FIXTURE, 'rank_worker.py'), path.join(root, 'train.py'));
  const seen: LlmRequest[] = [];
  const approvals: CommandApprovalRequest[] = [];
  const llm = new ScriptedLlm([
    { calls: [{ id: 'not-a-script', name: 'submit_job', args: { command: ['python3', '-m', 'torch.distributed.run', 'train.py'], reason: 'spread it myself', nodes: 2 } }] },
    { calls: [{ id: 'job', name: 'submit_job', args: { command: ['python3', 'train.py', '--steps', '3'], reason: 'train on two nodes', nodes: 2, launcher: 'torchrun' } }] },
    (req: LlmRequest) => {
      seen.push({ ...req, messages: req.messages.map((m) => ({ ...m })) });
      return { calls: [{ name: 'finish', args: { summary: 'Trained on two nodes.' } }] };
    },
  ]);
  const deps = makeDeps(llm, {
    root,
    settings: { executionTarget: 'slurm', slurm: { partition: '', gpus: 0, timeLimit: '00:10:00', extraDirectives: [] } },
    tools: createAgentRegistry({ executionTarget: 'slurm' }),
    // sbatch exports the submitting environment: the stand-in torchrun comes from PYTHONPATH.
    env: { PYTHONPATH: FIXTURE, MLI_TEST_RDZV_TIMEOUT: '20' },
    approveCommand: async (req) => {
      approvals.push(req);
      return { approved: true, auto: false };
    },
    detached: {
      launch: (spec, options) => startDetached(spec, { ...options, pollMs: 50 }),
      slurm: { backend: (extra) => new SlurmBackend({ env: { ...cluster().env, ...extra }, pollMs: 200 }), pollMs: 200 },
    },
  });
  const session = await AgentSession.create(deps, { goal: 'Train on two nodes.' });
  const outcome = await session.start();
  assert.equal(outcome.state, 'succeeded', outcome.message);

  const [refused, ran] = toolMessages(seen[0]);
  assert.match(refused, /No job was submitted\. With nodes > 1 give the training script itself/);
  assert.equal(approvals.length, 1, 'the refused command never asked for approval');
  assert.match(approvals[0].reason, /train on two nodes — Slurm job: .*2 nodes, no GPU per node/);
  const script = approvals[0].detail ?? '';
  assert.match(script, /^#SBATCH --nodes=2$/m);
  assert.match(script, /torch\.distributed\.run --nnodes 2 --nproc_per_node 1 .* train\.py --steps 3/);
  assert.match(script, /redact_output\.py/, 'every node\'s output goes through the redaction pump');

  assert.match(ran, /exit code 0 \(Slurm job \d+ COMPLETED\)/, ran);
  assert.match(ran, /worker rank=0 met ranks \[1\]/, 'rank 0 met the other node\'s rank');
  assert.match(ran, /node_id=1 node=mli2/, 'the second node\'s output reaches the model');
});
