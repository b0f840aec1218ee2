import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { CliCommand, EXIT_OK, flagNumber, printResult, UsageError } from '../command';
import { dimsFromConfig, estimateMemory, fullWeightsDtype, kbitUpcast, lookupModel, ModelDims, planBatch, planNodes, RecipeSpec, resolveSpec, resolveTargets } from '../../core/recipes';
import { readJsonFile } from './recipe';
import { recipeVllm } from '../../core/recipes/vllmShare';

/** The model's shape: a local folder's config.json, else the built-in table. */
function modelDims(baseModel: string, cwd: string): ModelDims {
  const dir = isAbsolute(baseModel) ? baseModel : resolve(cwd, baseModel);
  const cfg = join(dir, 'config.json');
  if (existsSync(cfg)) return dimsFromConfig(JSON.parse(readFileSync(cfg, 'utf8')));
  const known = lookupModel(baseModel);
  if (!known) throw new Error(`${baseModel} is not in the built-in model table and has no local config.json: point baseModel at a folder with config.json`);
  return known;
}

export const estimateCommand: CliCommand = {
  name: 'estimate',
  summary: 'Estimate GPU memory for a training spec and plan a batch that fits',
  usage: 'ml-intern estimate <spec.json> [--gpu-memory MiB] [--gpus-per-node N] [--nodes-max N] [--json]\n  Without --gpu-memory the spec\'s env.gpus[0].memoryTotalMiB is used (if any).\n  --gpus-per-node / --nodes-max: also plan one GPU, one node or several (FSDP full-shard) and the memory per GPU.',
  async run(args, io) {
    const specPath = args.positional[0];
    if (!specPath) throw new UsageError('a spec file is required');
    const raw = readJsonFile(specPath, io.cwd, 'spec file') as RecipeSpec;
    const gpuFlag = flagNumber(args, 'gpu-memory');
    if (gpuFlag !== undefined && gpuFlag <= 0) throw new UsageError('--gpu-memory must be a positive number of MiB');
    const gpusPerNode = flagNumber(args, 'gpus-per-node');
    const nodesMax = flagNumber(args, 'nodes-max');
    for (const [name, v] of [['gpus-per-node', gpusPerNode], ['nodes-max', nodesMax]] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new UsageError(`--${name} must be a whole number of at least 1`);
    }
    const spec = resolveSpec(raw);
    if (!spec.baseModel) throw new UsageError('the spec needs a baseModel to estimate');
    const dims = modelDims(spec.baseModel, io.cwd);
    const gpu = gpuFlag ?? spec.env?.gpus?.[0]?.memoryTotalMiB;
    // GRPO generates with vLLM colocated when the spec's environment has it, as train.py does.
    const vllm = recipeVllm({ ...spec, packages: spec.env?.packages, gpus: spec.env?.gpus?.length }, resolveTargets(spec.env?.packages).trl);
    const input = { dims, vllm, gpuMemoryMiB: gpu, adapter: spec.adapter, method: spec.method, maxLength: spec.maxLength, perDeviceTrainBatchSize: spec.perDeviceTrainBatchSize, gradientCheckpointing: spec.gradientCheckpointing, loraR: spec.loraR, targetModules: spec.targetModules, loraDropout: spec.loraDropout, precision: fullWeightsDtype(spec.method, spec.bf16), kbitUpcast: spec.adapter === 'qlora' && kbitUpcast(spec.method, resolveTargets(spec.env?.packages).trl) };
    const est = estimateMemory(input);
    const plan = gpu ? planBatch({ ...spec, dims, vllm, gradientCheckpointing: raw.gradientCheckpointing, precision: input.precision, kbitUpcast: input.kbitUpcast }, gpu) : undefined;
    const wantsNodes = gpusPerNode !== undefined || nodesMax !== undefined;
    if (wantsNodes && !gpu) throw new UsageError('a node plan needs the GPU memory: pass --gpu-memory <MiB> (or env.gpus in the spec)');
    const nodes = wantsNodes && gpu
      ? planNodes({ dims, adapter: spec.adapter, method: spec.method, maxLength: spec.maxLength, perDeviceTrainBatchSize: 1, loraR: spec.loraR, targetModules: spec.targetModules, loraDropout: spec.loraDropout, precision: input.precision, kbitUpcast: input.kbitUpcast, gpuMemoryMiB: gpu, gpusPerNode: gpusPerNode ?? Math.max(1, spec.env?.gpus?.length ?? 1), maxNodes: nodesMax ?? 1 })
      : undefined;
    const result = {
      model: spec.baseModel,
      params: est.params,
      trainableParams: est.trainableParams,
      breakdownGiB: est.breakdownGiB,
      totalGiB: est.totalGiB,
      gpuMemoryMiB: gpu ?? null,
      fits: gpu ? est.totalGiB <= (gpu / 1024) * 0.9 : null,
      plan: plan ? { perDeviceTrainBatchSize: plan.perDeviceTrainBatchSize, gradientAccumulationSteps: plan.gradientAccumulationSteps, gradientCheckpointing: plan.gradientCheckpointing, adapter: plan.adapter, fits: plan.fits, totalGiB: plan.estimate.totalGiB } : null,
      nodePlan: nodes ? { scope: nodes.scope, nodes: nodes.nodes, gpusPerNode: nodes.gpusPerNode, processes: nodes.processes, perGpuGiB: nodes.perGpu.totalGiB, config: nodes.config?.name ?? null, note: nodes.note } : null,
      notes: [...(plan?.notes ?? []), ...(gpu ? [] : ['Pass --gpu-memory <MiB> (or env.gpus in the spec) for a fitted batch plan.'])],
    };
    printResult(io, args, result, (r: typeof result) => [
      `${r.model}: ${(r.params / 1e9).toFixed(2)}B parameters, ${(r.trainableParams / 1e6).toFixed(1)}M trainable (${spec.adapter}, ${spec.method})`,
      `Estimated peak: ${r.totalGiB} GiB  (weights ${r.breakdownGiB.weights}, gradients ${r.breakdownGiB.gradients}, optimizer ${r.breakdownGiB.optimizer}, activations ${r.breakdownGiB.activations}, logits ${r.breakdownGiB.logits}, overhead ${r.breakdownGiB.overhead}${r.breakdownGiB.vllm !== undefined ? `, vLLM ${r.breakdownGiB.vllm}` : ''})`,
      ...(r.plan ? [`Plan for ${r.gpuMemoryMiB} MiB: adapter ${r.plan.adapter}, micro-batch ${r.plan.perDeviceTrainBatchSize}, accumulation ${r.plan.gradientAccumulationSteps}, checkpointing ${r.plan.gradientCheckpointing ? 'on' : 'off'} -> ~${r.plan.totalGiB} GiB${r.plan.fits ? '' : ' (does NOT fit)'}`] : []),
      ...(r.nodePlan ? [`Node plan: ${r.nodePlan.scope}, ${r.nodePlan.nodes} node(s) x ${r.nodePlan.gpusPerNode} GPUs, ${r.nodePlan.processes} process(es), ~${r.nodePlan.perGpuGiB} GiB per GPU at micro-batch 1 -- ${r.nodePlan.note}`] : []),
      ...r.notes.map((n) => `- ${n}`),
    ].join('\n'));
    return EXIT_OK;
  },
};
