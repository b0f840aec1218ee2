import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { CliCommand, EXIT_OK, flagNumber, printResult, UsageError } from '../command';
import { dimsFromConfig, estimateMemory, fullWeightsDtype, kbitUpcast, lookupModel, ModelDims, planBatch, RecipeSpec, resolveSpec, resolveTargets } from '../../core/recipes';
import { readJsonFile } from './recipe';

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
  usage: 'ml-intern estimate <spec.json> [--gpu-memory MiB] [--json]\n  Without --gpu-memory the spec\'s env.gpus[0].memoryTotalMiB is used (if any).',
  async run(args, io) {
    const specPath = args.positional[0];
    if (!specPath) throw new UsageError('a spec file is required');
    const raw = readJsonFile(specPath, io.cwd, 'spec file') as RecipeSpec;
    const gpuFlag = flagNumber(args, 'gpu-memory');
    if (gpuFlag !== undefined && gpuFlag <= 0) throw new UsageError('--gpu-memory must be a positive number of MiB');
    const spec = resolveSpec(raw);
    if (!spec.baseModel) throw new UsageError('the spec needs a baseModel to estimate');
    const dims = modelDims(spec.baseModel, io.cwd);
    const input = { dims, adapter: spec.adapter, method: spec.method, maxLength: spec.maxLength, perDeviceTrainBatchSize: spec.perDeviceTrainBatchSize, gradientCheckpointing: spec.gradientCheckpointing, loraR: spec.loraR, targetModules: spec.targetModules, loraDropout: spec.loraDropout, precision: fullWeightsDtype(spec.method, spec.bf16), kbitUpcast: spec.adapter === 'qlora' && kbitUpcast(spec.method, resolveTargets(spec.env?.packages).trl) };
    const est = estimateMemory(input);
    const gpu = gpuFlag ?? spec.env?.gpus?.[0]?.memoryTotalMiB;
    const plan = gpu ? planBatch({ ...spec, dims, gradientCheckpointing: raw.gradientCheckpointing, precision: input.precision, kbitUpcast: input.kbitUpcast }, gpu) : undefined;
    const result = {
      model: spec.baseModel,
      params: est.params,
      trainableParams: est.trainableParams,
      breakdownGiB: est.breakdownGiB,
      totalGiB: est.totalGiB,
      gpuMemoryMiB: gpu ?? null,
      fits: gpu ? est.totalGiB <= (gpu / 1024) * 0.9 : null,
      plan: plan ? { perDeviceTrainBatchSize: plan.perDeviceTrainBatchSize, gradientAccumulationSteps: plan.gradientAccumulationSteps, gradientCheckpointing: plan.gradientCheckpointing, adapter: plan.adapter, fits: plan.fits, totalGiB: plan.estimate.totalGiB } : null,
      notes: [...(plan?.notes ?? []), ...(gpu ? [] : ['Pass --gpu-memory <MiB> (or env.gpus in the spec) for a fitted batch plan.'])],
    };
    printResult(io, args, result, (r: typeof result) => [
      `${r.model}: ${(r.params / 1e9).toFixed(2)}B parameters, ${(r.trainableParams / 1e6).toFixed(1)}M trainable (${spec.adapter}, ${spec.method})`,
      `Estimated peak: ${r.totalGiB} GiB  (weights ${r.breakdownGiB.weights}, gradients ${r.breakdownGiB.gradients}, optimizer ${r.breakdownGiB.optimizer}, activations ${r.breakdownGiB.activations}, logits ${r.breakdownGiB.logits}, overhead ${r.breakdownGiB.overhead})`,
      ...(r.plan ? [`Plan for ${r.gpuMemoryMiB} MiB: adapter ${r.plan.adapter}, micro-batch ${r.plan.perDeviceTrainBatchSize}, accumulation ${r.plan.gradientAccumulationSteps}, checkpointing ${r.plan.gradientCheckpointing ? 'on' : 'off'} -> ~${r.plan.totalGiB} GiB${r.plan.fits ? '' : ' (does NOT fit)'}`] : []),
      ...r.notes.map((n) => `- ${n}`),
    ].join('\n'));
    return EXIT_OK;
  },
};
