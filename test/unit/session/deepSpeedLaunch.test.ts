/**
 * DeepSpeed ZeRO-3 as the alternative to FSDP (mlIntern.sharding = "deepspeed", --sharding deepspeed):
 * the launch plan proposes ds_zero3.json instead of accelerate_fsdp.yaml and starts accelerate with
 * --use_deepspeed --deepspeed_config_file, on one node and across nodes; the node planner proposes
 * the same file; train.py loads without a per-rank device_map under it.
 */
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { planLaunch } from '../../../src/core/session/launchPlan';
import { deepSpeedZero3Config } from '../../../src/core/exec/launchers';
import { planNodes, renderRecipe, resolveDims } from '../../../src/core/recipes';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { FineTuneRequest } from '../../../src/core/session/types';
import { gpuEnvReport } from '../../support/gpuEnvReport';
import { shardingFrom } from '../../../src/cli/interaction';
import { parseArgs } from '../../../src/cli/command';
import { fineTuneCommand } from '../../../src/cli/commands/fineTune';

const PY = '/opt/venv/bin/python';
const common = { python: PY, script: 'train.py', folder: 'sft-x', folderAbs: '/ws/sft-x', runId: 'r1', runDirAbs: '/ws/.ml-intern/runs/r1' };
const full: FineTuneRequest = { baseModel: 'meta-llama/Llama-3.1-8B-Instruct', dataset: 'data/medical_qa.jsonl', method: 'sft', adapter: 'full', evalSplit: 0.05 };
const deepSpeed: Settings = { ...DEFAULT_SETTINGS, sharding: 'deepspeed' };

/**
 * The "auto" values transformers' HfTrainerDeepSpeedConfig fills (integrations/deepspeed.py,
 * trainer_config_process and trainer_config_finalize); an "auto" anywhere else reaches DeepSpeed
 * unfilled and fails its config parsing. fp16/bf16 "enabled" are filled by accelerate's
 * DeepSpeedPlugin.set_mixed_precision from --mixed_precision.
 */
const FILLED_AUTO = new Set([
  'train_micro_batch_size_per_gpu', 'gradient_accumulation_steps', 'train_batch_size', 'gradient_clipping',
  'optimizer.params.lr', 'optimizer.params.betas', 'optimizer.params.eps', 'optimizer.params.weight_decay',
  'fp16.enabled', 'bf16.enabled',
  'zero_optimization.reduce_bucket_size', 'zero_optimization.stage3_prefetch_bucket_size', 'zero_optimization.stage3_param_persistence_threshold',
]);

function autoKeys(value: unknown, prefix = ''): string[] {
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => (v === 'auto' ? [`${prefix}${k}`] : autoKeys(v, `${prefix}${k}.`)));
}

test('ZeRO-3 JSON: stage 3, 16-bit weights gathered at save, every "auto" one the Trainer or accelerate fills; offload names DeepSpeed\'s optimizer', () => {
  for (const options of [{}, { offload: true }, { mixedPrecision: 'fp16' as const }]) {
    const ds = JSON.parse(deepSpeedZero3Config(options));
    assert.equal(ds.zero_optimization.stage, 3);
    assert.equal(ds.zero_optimization.stage3_gather_16bit_weights_on_model_save, true, 'save_model writes a whole model');
    const unfilled = autoKeys(ds).filter((k) => !FILLED_AUTO.has(k));
    assert.deepEqual(unfilled, [], `"auto" values nothing fills: ${unfilled.join(', ')}`);
    assert.ok(autoKeys(ds).includes('train_micro_batch_size_per_gpu'), 'the batch comes from train.py, not the JSON');
  }
  const offload = JSON.parse(deepSpeedZero3Config({ offload: true }));
  assert.equal(offload.zero_optimization.offload_optimizer.device, 'cpu');
  // DeepSpeed refuses a client (torch) optimizer with ZeRO-Offload: the JSON names its own.
  assert.equal(offload.optimizer.type, 'AdamW');
  assert.equal(JSON.parse(deepSpeedZero3Config()).optimizer, undefined, 'without offload the Trainer\'s optimizer (OPTIM) is kept');
  const fp16 = JSON.parse(deepSpeedZero3Config({ mixedPrecision: 'fp16' }));
  assert.equal(fp16.bf16.enabled, false);
  assert.equal(fp16.fp16.enabled, 'auto');
});

test('one node, 4 GPUs, sharding deepspeed: ds_zero3.json is proposed instead of the FSDP config and accelerate launches with it', () => {
  const { plan, files } = planLaunch({ ...common, request: full, settings: deepSpeed, environment: gpuEnvReport(4) });
  assert.deepEqual(files.map((f) => f.name), ['ds_zero3.json']);
  assert.match(files[0].description, /DeepSpeed ZeRO-3 .* 4 GPUs.*pip install deepspeed/);
  assert.equal(JSON.parse(files[0].content).zero_optimization.stage, 3);
  assert.deepEqual(plan.argv, [PY, '-m', 'accelerate.commands.launch', '--num_processes', '4', '--use_deepspeed', '--deepspeed_config_file', 'ds_zero3.json', '--mixed_precision', 'bf16', '--num_machines', '1', 'train.py']);
  assert.equal(plan.configFile, 'ds_zero3.json');
  // FSDP stays the default, and QLoRA keeps data parallel whatever the setting (4-bit weights are not sharded).
  assert.deepEqual(planLaunch({ ...common, request: full, settings: DEFAULT_SETTINGS, environment: gpuEnvReport(4) }).files.map((f) => f.name), ['accelerate_fsdp.yaml']);
  assert.deepEqual(planLaunch({ ...common, request: { ...full, adapter: 'qlora' }, settings: deepSpeed, environment: gpuEnvReport(4) }).files.map((f) => f.name), ['accelerate_ddp.yaml']);
  // GPUs without bf16 (T4): accelerate fills the JSON's "auto" with fp16.
  const t4 = gpuEnvReport(2, { name: 'Tesla T4', memoryTotalMiB: 15360, memoryFreeMiB: 15000, computeCapability: '7.5', bf16: false, flashAttention: false });
  const fp16 = planLaunch({ ...common, request: full, settings: deepSpeed, environment: t4 });
  assert.deepEqual(fp16.plan.argv.slice(5, 10), ['--use_deepspeed', '--deepspeed_config_file', 'ds_zero3.json', '--mixed_precision', 'fp16']);
  assert.equal(JSON.parse(fp16.files[0].content).bf16.enabled, false);
});

test('two Slurm nodes x 4 GPUs, sharding deepspeed: every node\'s accelerate gets the JSON, the standard launcher and its machine rank', () => {
  const settings: Settings = { ...deepSpeed, executionTarget: 'slurm', slurm: { partition: 'gpu', gpus: 4, timeLimit: '12:00:00', extraDirectives: [], nodes: 2 } };
  const { plan, files } = planLaunch({ ...common, request: full, settings, environment: gpuEnvReport(4) });
  assert.deepEqual(files.map((f) => f.name), ['ds_zero3.json', 'train.sbatch']);
  assert.match(files[0].description, /8 GPUs .* across 2 nodes/);
  const sbatch = files[1].content;
  assert.match(sbatch, /^#SBATCH --nodes=2$/m);
  assert.match(sbatch, /^#SBATCH --gpus-per-node=4$/m);
  // pdsh (accelerate's default multi-node DeepSpeed launcher) would ssh to the hosts; under srun each node has its launcher.
  assert.match(sbatch, /accelerate\.commands\.launch --use_deepspeed --deepspeed_config_file ds_zero3\.json --mixed_precision bf16 --deepspeed_multinode_launcher standard --num_machines 2 --num_processes 8 --machine_rank @SLURM_NODEID@ /);
  assert.doesNotMatch(sbatch, /--config_file/);
  assert.deepEqual(plan.argv.slice(0, 9), ['accelerate', 'launch', '--use_deepspeed', '--deepspeed_config_file', 'ds_zero3.json', '--mixed_precision', 'bf16', '--num_machines', '2']);
  assert.equal(plan.nodes, 2);
  assert.equal(plan.gpus, 8);
});

test('the node planner proposes ds_zero3.json with sharding deepspeed (same memory per GPU as FSDP), and train.py drops the device_map under it', () => {
  const input = { dims: resolveDims({ baseModel: 'meta-llama/Llama-3.1-70B-Instruct' }), adapter: 'full' as const, method: 'sft' as const, maxLength: 2048, perDeviceTrainBatchSize: 1, gpuMemoryMiB: 81559, gpusPerNode: 8, maxNodes: 8 };
  const fsdp = planNodes(input);
  const ds = planNodes({ ...input, sharding: 'deepspeed' });
  assert.equal(ds.scope, 'multi-node');
  assert.equal(ds.nodes, fsdp.nodes);
  assert.equal(ds.perGpu.totalGiB, fsdp.perGpu.totalGiB);
  assert.equal(ds.config?.name, 'ds_zero3.json');
  assert.equal(JSON.parse(ds.config!.content).zero_optimization.stage, 3);
  assert.match(ds.note, new RegExp(`DeepSpeed ZeRO-3 across ${ds.nodes} nodes.*--nodes ${ds.nodes} --sharding deepspeed`));

  const script = renderRecipe({ baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/x.jsonl', method: 'sft', adapter: 'full', columnMapping: { user: 'q', assistant: 'a' } }).files.find((f) => f.path === 'train.py')!.content;
  const line = script.split('\n').find((l) => l.includes('sharded = '))!.trim();
  assert.match(script, /if torch\.cuda\.is_available\(\) and not sharded else None/);
  // The script's own test, run as accelerate launch sets its variables (ACCELERATE_USE_DEEPSPEED=true under --use_deepspeed).
  const sharded = (env: Record<string, string>) => execFileSync('python3', ['-c', `import os\n${line}\nprint(sharded)`], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' }).trim();
  assert.equal(sharded({ ACCELERATE_USE_DEEPSPEED: 'true' }), 'True');
  assert.equal(sharded({ ACCELERATE_USE_FSDP: 'true' }), 'True');
  assert.equal(sharded({}), 'False', 'plain data parallel keeps one whole copy per GPU');
});

test('--sharding on the CLI and mlIntern.sharding in the extension: fsdp by default, deepspeed when asked, anything else refused', () => {
  assert.deepEqual(shardingFrom(parseArgs(['--sharding', 'deepspeed'])), { sharding: 'deepspeed' });
  assert.deepEqual(shardingFrom(parseArgs(['--sharding', 'fsdp'])), { sharding: 'fsdp' });
  assert.deepEqual(shardingFrom(parseArgs([])), {});
  assert.throws(() => shardingFrom(parseArgs(['--sharding', 'zero3'])), /--sharding must be fsdp or deepspeed, got 'zero3'/);
  assert.match(fineTuneCommand.usage, /--sharding fsdp\|deepspeed/);
  const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
  const props = Object.assign({}, ...pkg.contributes.configuration.map((c: { properties: object }) => c.properties));
  assert.deepEqual(props['mlIntern.sharding'].enum, ['fsdp', 'deepspeed']);
  assert.equal(props['mlIntern.sharding'].default, 'fsdp');
});
