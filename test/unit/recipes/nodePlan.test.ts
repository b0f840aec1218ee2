/**
 * planNodes: one GPU, one node or N nodes, from the model's size and the GPUs a node has, with the
 * memory per GPU under FSDP full-shard. The sharded model states are checked against DeepSpeed's
 * published ZeRO-3 estimator (deepspeed/runtime/zero/stage3.py, estimate_zero3_model_states_mem_needs,
 * v0.19.5, offload_param=none / offload_optimizer=none: per GPU = 4 x largest layer + 18 x params / GPUs;
 * docs/code-docs/source/memory.rst prints 6.09 GB per GPU for 2851M params, 32M largest layer, 8 GPUs).
 * FSDP with fp32 master weights keeps 16 of those 18 bytes (no separate 16-bit copy), so the planner
 * sits a little under DeepSpeed: within 15 %.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateMemory, lookupModel, planNodes } from '../../../src/core/recipes';

const H100_MIB = 81559;
const GIB = 2 ** 30;

/** DeepSpeed's ZeRO-3 per-GPU model states (bytes), transcribed from stage3.py v0.19.5. */
const deepSpeedZero3PerGpu = (totalParams: number, largestLayerParams: number, gpus: number): number => 4 * largestLayerParams + Math.floor((18 * totalParams) / gpus);

test('the DeepSpeed formula as transcribed reproduces the figure its docs print (t5-3b, 8 GPUs: 6.09 GB per GPU)', () => {
  assert.equal((deepSpeedZero3PerGpu(2851e6, 32e6, 8) / GIB).toFixed(2), '6.09');
});

for (const [model, gpus] of [['meta-llama/Llama-2-7b-hf', 8], ['meta-llama/Llama-2-13b-hf', 16], ['meta-llama/Llama-3.1-70B', 16], ['meta-llama/Llama-3.1-70B', 32]] as const) {
  test(`sharded model states of ${model} on ${gpus} GPUs are within 15 % of DeepSpeed ZeRO-3's estimate`, () => {
    const dims = lookupModel(model)!;
    const est = estimateMemory({ dims, adapter: 'full', maxLength: 2048, perDeviceTrainBatchSize: 1, gradientCheckpointing: true, shardAcross: gpus });
    const ours = est.breakdownGiB.weights + est.breakdownGiB.gradients + est.breakdownGiB.optimizer;
    // The largest layer of these models is the (untied) embedding matrix.
    const published = deepSpeedZero3PerGpu(dims.params, dims.vocabSize * dims.hiddenSize, gpus) / GIB;
    assert.ok(Math.abs(ours / published - 1) <= 0.15, `${model} x ${gpus}: planner ${ours.toFixed(2)} GiB vs DeepSpeed ${published.toFixed(2)} GiB`);
  });
}

const full = (baseModel: string, gpusPerNode: number, maxNodes: number) =>
  planNodes({ baseModel, adapter: 'full', method: 'sft', maxLength: 2048, perDeviceTrainBatchSize: 1, gpuMemoryMiB: H100_MIB, gpusPerNode, maxNodes });

test('a 1B full fine-tune fits one H100: one GPU, no sharding config', () => {
  const plan = full('meta-llama/Llama-3.2-1B', 8, 4);
  assert.equal(plan.scope, 'one-gpu');
  assert.equal(plan.nodes, 1);
  assert.equal(plan.processes, 1);
  assert.equal(plan.config, undefined);
});

test('an 8B full fine-tune on a node of 8 H100s: FSDP on that one node', () => {
  const plan = full('meta-llama/Llama-3.1-8B', 8, 4);
  assert.equal(plan.scope, 'one-node');
  assert.equal(plan.nodes, 1);
  assert.equal(plan.processes, 8);
  assert.ok(plan.perGpu.totalGiB < 72, `${plan.perGpu.totalGiB}`);
});

test('a 70B full fine-tune needs several nodes of 8 H100s: the node count, per-GPU memory that fits, and the FSDP config for every process', () => {
  const plan = full('meta-llama/Llama-3.1-70B', 8, 4);
  assert.equal(plan.scope, 'multi-node');
  assert.equal(plan.nodes, 3);
  assert.equal(plan.processes, 24);
  assert.ok(plan.perGpu.totalGiB <= (H100_MIB / 1024) * 0.9, `${plan.perGpu.totalGiB}`);
  // 16 bytes per parameter over 24 GPUs is ~44 GiB of states alone: the plan is not an unsharded figure.
  assert.ok(plan.perGpu.totalGiB > (16 * 70.5e9) / 24 / GIB, `${plan.perGpu.totalGiB}`);
  assert.match(plan.config!.content, /fsdp_sharding_strategy: FULL_SHARD/);
  assert.match(plan.config!.content, /^num_processes: 24$/m);
  assert.match(plan.note, /--nodes 3/);
});

test('when the nodes it needs exceed the allowed maximum, the plan says how many it takes instead of proposing too few', () => {
  const plan = full('meta-llama/Llama-3.1-70B', 8, 2);
  assert.equal(plan.scope, 'none');
  assert.equal(plan.nodes, 3);
  assert.match(plan.note, /3 nodes of 8 x 80 GiB GPUs/);
  assert.match(plan.note, /at most 2 are allowed/);
});

test('LoRA on a 70B model is not spread over nodes: one GPU when it fits, else the plan says it does not', () => {
  const lora = planNodes({ baseModel: 'meta-llama/Llama-3.1-70B', adapter: 'qlora', method: 'sft', maxLength: 2048, perDeviceTrainBatchSize: 1, gpuMemoryMiB: H100_MIB, gpusPerNode: 8, maxNodes: 4 });
  assert.equal(lora.scope, 'one-gpu');
  assert.equal(lora.nodes, 1);
});

test('ml-intern estimate prints the node plan when --gpus-per-node and --nodes-max are given', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { runCli } = await import('../../../src/cli/main');
  const { estimateCommand } = await import('../../../src/cli/commands/estimate');
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-nodes-'));
  writeFileSync(join(dir, 'spec.json'), JSON.stringify({ method: 'sft', adapter: 'full', baseModel: 'meta-llama/Llama-3.1-70B-Instruct', dataset: 'd.jsonl', columnMapping: { user: 'q', assistant: 'a' } }));
  const io = () => { const o = { stdout: '', stderr: '', cwd: dir, env: {} as NodeJS.ProcessEnv, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) }; return o; };
  const json = io();
  assert.equal(await runCli(['estimate', 'spec.json', '--gpu-memory', String(H100_MIB), '--gpus-per-node', '8', '--nodes-max', '4', '--json'], json, [estimateCommand]), 0, json.stderr);
  const r = JSON.parse(json.stdout);
  assert.equal(r.nodePlan.scope, 'multi-node');
  assert.equal(r.nodePlan.nodes, 3);
  assert.equal(r.nodePlan.config, 'accelerate_fsdp.yaml');
  const text = io();
  assert.equal(await runCli(['estimate', 'spec.json', '--gpu-memory', String(H100_MIB), '--gpus-per-node', '8', '--nodes-max', '4'], text, [estimateCommand]), 0, text.stderr);
  assert.match(text.stdout, /Node plan: multi-node, 3 node\(s\) x 8 GPUs, 24 process\(es\)/);
  const plain = io();
  assert.equal(await runCli(['estimate', 'spec.json', '--gpu-memory', String(H100_MIB)], plain, [estimateCommand]), 0);
  assert.doesNotMatch(plain.stdout, /Node plan/);
  const noMemory = io();
  assert.equal(await runCli(['estimate', 'spec.json', '--gpus-per-node', '8'], noMemory, [estimateCommand]), 2);
  assert.match(noMemory.stderr, /GPU memory/);
});
