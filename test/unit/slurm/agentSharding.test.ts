/**
 * submit_job's `sharding` argument, through the production agent registry: the approved batch
 * script launches the agent's `python train.py …` as the fine-tune session launches a sharded run
 * (the same accelerate argv as planLaunch on one node, the same per-node DeepSpeed launcher across
 * nodes); a value outside fsdp|deepspeed, a missing config, one GPU or torchrun are refused before
 * any approval. The user declines every job here, so nothing reaches a cluster.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { AgentSession } from '../../../src/core/agent/agentLoop';
import { startDetached } from '../../../src/core/exec/detached';
import { SlurmBackend } from '../../../src/core/exec/slurm';
import { LlmRequest } from '../../../src/core/llm/types';
import { planLaunch } from '../../../src/core/session/launchPlan';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { CommandApprovalRequest } from '../../../src/core/tools/types';
import { createAgentRegistry } from '../../../src/core/tools/domain';
import { makeDeps, ScriptedLlm, tempWorkspace } from '../agent/helpers';
import { gpuEnvReport } from '../../support/gpuEnvReport';
import { deepSpeedZero3Config } from '../../../src/core/recipes/templates/deepSpeedConfig';

const slurm = { partition: 'gpu', gpus: 4, timeLimit: '01:00:00', extraDirectives: [] };
const job = (args: Record<string, unknown>, command = ['python', 'train.py', '--epochs', '1']) => ({ name: 'submit_job', args: { command, reason: 'train', cwd: 'sft', ...args } });

async function runAgent(root: string, calls: ReturnType<typeof job>[]): Promise<{ outputs: string[]; approvals: CommandApprovalRequest[] }> {
  const approvals: CommandApprovalRequest[] = [];
  let outputs: string[] = [];
  const llm = new ScriptedLlm([
    ...calls.map((c, i) => ({ calls: [{ id: `c${i}`, ...c }] })),
    (req: LlmRequest) => {
      outputs = req.messages.flatMap((m) => (m.role === 'tool' ? [m.content] : []));
      return { calls: [{ name: 'finish', args: { summary: 'done' } }] };
    },
  ]);
  const deps = makeDeps(llm, {
    root,
    settings: { executionTarget: 'slurm', slurm },
    tools: createAgentRegistry({ executionTarget: 'slurm' }),
    approveCommand: async (req) => {
      approvals.push(req);
      return { approved: false, auto: false, reason: 'only reading the script' };
    },
    detached: {
      launch: (spec, options) => startDetached(spec, options),
      slurm: { backend: (extra) => new SlurmBackend({ env: { ...extra } }), pollMs: 200 },
    },
  });
  const session = await AgentSession.create(deps, { goal: 'Train sharded.' });
  await session.start();
  return { outputs, approvals };
}

/** The files the session proposes (a ZeRO-3 JSON is the one it writes, bf16 unless told otherwise). */
function workspace(files: string[], contents: Record<string, string> = {}): string {
  const root = tempWorkspace('mli-agent-shard-');
  mkdirSync(path.join(root, 'sft'), { recursive: true });
  for (const f of ['train.py', ...files]) writeFileSync(path.join(root, 'sft', f), contents[f] ?? (f.endsWith('.json') ? deepSpeedZero3Config() : '# reviewed\n'));
  return root;
}

/** The session's launch of a full fine-tune on 4 GPUs of one node, as the tool must reproduce it. */
function sessionArgv(sharding: Settings['sharding']): string[] {
  const request = { baseModel: 'Qwen/Qwen2.5-7B-Instruct', dataset: 'data/x.jsonl', method: 'sft' as const, adapter: 'full' as const, evalSplit: 0.05 };
  const { plan } = planLaunch({ request, settings: { ...DEFAULT_SETTINGS, sharding }, environment: gpuEnvReport(4), python: 'PY', script: 'train.py', folder: 'sft', folderAbs: '/ws/sft', runId: 'r', runDirAbs: '/ws/r' });
  return plan.argv.slice(1);
}

test('sharding on one node: the batch script runs the fine-tune session\'s accelerate command, DeepSpeed ZeRO-3 or FSDP, with the script\'s arguments', async () => {
  const root = workspace(['ds_zero3.json', 'accelerate_fsdp.yaml']);
  const { approvals } = await runAgent(root, [job({ sharding: 'deepspeed' }), job({ sharding: 'fsdp' })]);
  assert.equal(approvals.length, 2);
  for (const [i, sharding] of (['deepspeed', 'fsdp'] as const).entries()) {
    const expected = [...sessionArgv(sharding), '--epochs', '1'].join(' ');
    const line = (approvals[i].detail ?? '').split('\n').find((l) => l.includes('accelerate.commands.launch')) ?? '';
    assert.ok(line.includes(expected), `${sharding}: ${line} should hold ${expected}`);
    assert.match(approvals[i].reason, new RegExp(`runs .*${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  }
  assert.match(approvals[0].detail ?? '', /--use_deepspeed --deepspeed_config_file ds_zero3\.json --mixed_precision bf16/);
  assert.match(approvals[1].detail ?? '', /--config_file accelerate_fsdp\.yaml/);
});

test('sharding deepspeed on two nodes: every node\'s accelerate reads ds_zero3.json with the standard launcher, as the session\'s multi-node job', async () => {
  const root = workspace(['ds_zero3.json']);
  const { approvals } = await runAgent(root, [job({ sharding: 'deepspeed', nodes: 2 })]);
  const script = approvals[0]?.detail ?? '';
  assert.match(script, /^#SBATCH --nodes=2$/m);
  assert.match(script, /accelerate\.commands\.launch --use_deepspeed --deepspeed_config_file ds_zero3\.json --mixed_precision bf16 --deepspeed_multinode_launcher standard --num_machines 2 --num_processes 8 --machine_rank @SLURM_NODEID@ /);
  assert.doesNotMatch(script, /--config_file/);
});

test('deepspeed: --mixed_precision follows the reviewed JSON — fp16 for a config written for an fp16-only GPU, none when both are off — and a broken JSON is refused', async () => {
  const fp16 = workspace(['ds_zero3.json'], { 'ds_zero3.json': deepSpeedZero3Config({ mixedPrecision: 'fp16' }) });
  const one = await runAgent(fp16, [job({ sharding: 'deepspeed' }), job({ sharding: 'deepspeed', nodes: 2 })]);
  assert.equal(one.approvals.length, 2);
  for (const a of one.approvals) {
    assert.match(a.detail ?? '', /--deepspeed_config_file ds_zero3\.json --mixed_precision fp16/);
    assert.doesNotMatch(a.detail ?? '', /--mixed_precision bf16/);
  }
  const off = workspace(['ds_zero3.json'], { 'ds_zero3.json': '{"bf16": {"enabled": false}, "zero_optimization": {"stage": 3}}' });
  assert.match((await runAgent(off, [job({ sharding: 'deepspeed' })])).approvals[0]?.detail ?? '', /--mixed_precision no/);
  const broken = workspace(['ds_zero3.json'], { 'ds_zero3.json': '{"bf16": {"enabled": "auto"},' });
  const refused = await runAgent(broken, [job({ sharding: 'deepspeed' })]);
  assert.equal(refused.approvals.length, 0);
  assert.match(refused.outputs[0] ?? '', /ds_zero3\.json is not valid JSON/);
  const both = workspace(['ds_zero3.json'], { 'ds_zero3.json': '{"bf16": {"enabled": true}, "fp16": {"enabled": "auto"}}' });
  assert.match((await runAgent(both, [job({ sharding: 'deepspeed' })])).outputs[0] ?? '', /turns on both bf16 and fp16/);
});

test('refused before any approval: an unknown sharding, a missing config, one GPU, torchrun, a command that is not a script', async () => {
  const root = workspace(['accelerate_fsdp.yaml']);
  const { outputs, approvals } = await runAgent(root, [
    job({ sharding: 'zero3' }),
    job({ sharding: 'deepspeed' }),
    job({ sharding: 'fsdp', gpus: 1 }),
    job({ sharding: 'fsdp', nodes: 2, launcher: 'torchrun' }),
    job({ sharding: 'fsdp' }, ['bash', 'go.sh']),
  ]);
  assert.equal(approvals.length, 0, 'nothing reached the approval');
  assert.match(outputs[0], /sharding must be one of "fsdp", "deepspeed", got "zero3"/);
  assert.match(outputs[1], /No job was submitted\. ds_zero3\.json is not in the job's folder .*write a DeepSpeed ZeRO-3 JSON there first/);
  assert.match(outputs[2], /sharding needs more than one GPU in all; this job has 1/);
  assert.match(outputs[3], /runs under accelerate/);
  assert.match(outputs[4], /give the training script itself, as \["python", "train\.py"/);
});
