/**
 * renderRecipe: spec (+ data inspection + environment report) -> the files to write, the commands
 * to run and notes for the user. Deterministic: the same input gives the same bytes.
 */
import { resolveTargets, TargetVersions, versionAtLeast } from './libraryVersions';
import { lookupModel, ModelDims } from './modelTable';
import { planBatch } from './estimate';
import { MeasuredLengths, planRowLength } from './lengthPlan';
import { recipeVllm, trainingGpuCount } from './vllmShare';
import { fullWeightsDtype, kbitUpcast, planFullSharding, ShardPlan } from './shardPlan';
import { DatasetInspectionLike, EnvReportLike, RecipeSpec, resolveSpec, ResolvedSpec, SpecError, SupervisedMethod, TRAINING_METHODS } from './spec';
import { fitAccumulation, GRPO_MIN_TRL, renderGrpoScript } from './templates/grpo';
import { renderTrainScript } from './templates/train';
import { renderEval } from './templates/evaluate';
import { renderMerge } from './templates/merge';
import { modelCard, renderPush } from './templates/push';

export interface RecipeFile {
  /** Relative to the recipe's output folder. */
  path: string;
  content: string;
  description: string;
}

export interface RecipeCommand {
  argv: string[];
  description: string;
  /** Loads models (a GPU's or a lot of RAM's work): on the Slurm target it runs as a job on a compute node. */
  heavy?: boolean;
}

export interface RenderedRecipe {
  files: RecipeFile[];
  commands: RecipeCommand[];
  notes: string[];
  spec: ResolvedSpec;
  targets: TargetVersions;
}

export interface RenderOptions {
  inspection?: DatasetInspectionLike;
  env?: EnvReportLike;
  /** GPU memory to plan the batch for (default: the environment report's first GPU). */
  gpuMemoryMiB?: number;
  /** Model shape when the model is not in the built-in table (e.g. from a local config.json). */
  dims?: ModelDims;
  /** Token lengths the preview measured (python/preflight.py's lengths): the plan counts them instead of MAX_LENGTH per row. */
  lengths?: MeasuredLengths;
}

export function renderRecipe(input: RecipeSpec, options: RenderOptions = {}): RenderedRecipe {
  const raw: RecipeSpec = {
    ...input,
    env: options.env ?? input.env,
    inspection: options.inspection ?? input.inspection,
  };
  if (!raw.datasetFormat && raw.inspection?.format) raw.datasetFormat = raw.inspection.format;
  const notes: string[] = [];
  const training = (TRAINING_METHODS as string[]).includes(raw.method);
  const dims = options.dims ?? (raw.baseModel ? lookupModel(raw.baseModel) : undefined);

  let spec = resolveSpec(raw);
  const targets = resolveTargets(spec.env?.packages);
  const gpuMiB = options.gpuMemoryMiB ?? spec.env?.gpus?.[0]?.memoryTotalMiB;
  let shard: ShardPlan | undefined;
  if (training && gpuMiB && dims) {
    // The estimate counts what the script and the installed trl do: fp32 master weights for full
    // fine-tuning, the fp32 upcast of prepare_model_for_kbit_training where it still runs, FSDP sharding.
    const precision = fullWeightsDtype(spec.method, spec.bf16);
    const upcast = spec.adapter === 'qlora' && kbitUpcast(spec.method, targets.trl);
    if (spec.adapter === 'full' && spec.method !== 'grpo') {
      shard = planFullSharding({ ...spec, dims, precision, gpusAvailable: spec.env?.gpus?.length ?? 1, gpuMemoryMiB: gpuMiB, mixedPrecision: spec.bf16 ? 'bf16' : 'fp16' });
      if (shard.strategy !== 'single') notes.push(shard.note);
    }
    const shardAcross = shard?.strategy === 'fsdp' ? shard.processes : 1;
    const rows = options.lengths && spec.method !== 'grpo' ? planRowLength(options.lengths, spec.maxLength) : undefined;
    const plan = planBatch({ ...spec, dims, rowTokens: rows?.tokens, gradientCheckpointing: input.gradientCheckpointing, precision, kbitUpcast: upcast, shardAcross, vllm: recipeVllm({ ...spec, packages: spec.env?.packages, gpus: spec.env?.gpus?.length }, targets.trl) }, gpuMiB);
    const userFixed = input.perDeviceTrainBatchSize !== undefined && input.gradientCheckpointing !== undefined;
    if (!userFixed) {
      spec = { ...spec, perDeviceTrainBatchSize: plan.perDeviceTrainBatchSize, gradientAccumulationSteps: plan.gradientAccumulationSteps, gradientCheckpointing: plan.gradientCheckpointing };
    }
    if (rows?.measured) spec = { ...spec, plannedRowTokens: rows.tokens };
    const length = rows ? rows.why : `planned for MAX_LENGTH (${spec.maxLength.toLocaleString('en-US')} tokens) per row: no token preview measured the rows`;
    notes.push(`Memory estimate: ~${plan.estimate.totalGiB} GiB of ${Math.round(gpuMiB / 1024)} GiB${shardAcross > 1 ? ` per GPU (FSDP across ${shardAcross})` : ''} with micro-batch ${plan.perDeviceTrainBatchSize}${plan.gradientCheckpointing ? ' and gradient checkpointing' : ''}, ${length}.`);
    notes.push(...plan.notes);
    if (plan.adapter !== spec.adapter) notes.push(`Consider adapter "${plan.adapter}" for this GPU.`);
  } else if (training && !gpuMiB) {
    notes.push('No GPU reported: batch settings are defaults (micro-batch ' + spec.perDeviceTrainBatchSize + ', gradient checkpointing on); select the Python of the machine with the GPU (setting mlIntern.pythonPath, or --python) for a fitted plan.');
  }
  if (spec.method === 'merge' && spec.mergeMethod === 'slerp' && spec.mergeLayers === undefined) {
    const layers = (spec.models ?? []).map((m) => lookupModel(m.model)?.numLayers).find((n) => n !== undefined);
    spec = { ...spec, mergeLayers: layers ?? 32 };
    if (layers === undefined) notes.push('slerp layer_range assumes 32 layers: set it to your models\' num_hidden_layers in config.yaml.');
  }
  if (spec.method === 'grpo') {
    if (!versionAtLeast(targets.trl, GRPO_MIN_TRL)) throw new SpecError([`method: grpo needs trl >= ${GRPO_MIN_TRL} (GRPOTrainer's first release; the environment has trl ${targets.trl}): pip install -U trl`]);
    const n = spec.numGenerations ?? 8;
    // In vLLM server mode one GPU serves generation: the groups are fitted to the GPUs that train.
    const gpus = trainingGpuCount({ ...spec, packages: spec.env?.packages, gpus: spec.env?.gpus?.length }, targets.trl);
    // trl < 0.17 groups generations within micro-batch x GPUs (no accumulation): train.py says so at start.
    const counted = versionAtLeast(targets.trl, '0.17.0');
    const fitted = counted ? fitAccumulation(spec.perDeviceTrainBatchSize, spec.gradientAccumulationSteps, n, gpus) : spec.gradientAccumulationSteps;
    if (!counted && (spec.perDeviceTrainBatchSize * gpus) % n !== 0) {
      notes.push(`trl ${targets.trl} needs micro-batch x GPUs (${spec.perDeviceTrainBatchSize} x ${gpus}) to be a multiple of numGenerations (${n}): raise perDeviceTrainBatchSize or lower numGenerations, or upgrade trl.`);
    }
    if (counted && (spec.perDeviceTrainBatchSize * fitted * gpus) % n !== 0) {
      throw new SpecError([`numGenerations: ${n} completions per prompt do not fit a generation batch of micro-batch ${spec.perDeviceTrainBatchSize} x accumulation x ${gpus} GPU(s): choose numGenerations dividing ${spec.perDeviceTrainBatchSize * gpus} x some accumulation (e.g. 4 or 8)`]);
    }
    if (fitted !== spec.gradientAccumulationSteps) {
      if (input.gradientAccumulationSteps !== undefined) throw new SpecError([`gradientAccumulationSteps: micro-batch ${spec.perDeviceTrainBatchSize} x ${spec.gradientAccumulationSteps} x ${gpus} GPU(s) is not a multiple of numGenerations (${n}), which trl refuses; use ${fitted}`]);
      notes.push(`Gradient accumulation ${spec.gradientAccumulationSteps} -> ${fitted}: trl needs micro-batch x accumulation x GPUs to hold whole groups of ${n} generations.`);
      spec = { ...spec, gradientAccumulationSteps: fitted };
    }
  }

  const files: RecipeFile[] = [];
  const commands: RecipeCommand[] = [];
  if (spec.method === 'grpo') {
    const g = renderGrpoScript(spec, targets);
    files.push(...g.files);
    commands.push({ argv: ['python', 'train.py'], description: `Train ${spec.baseModel} (GRPO, ${spec.adapter}) with the rewards of rewards.py` });
    notes.push(...g.notes);
  } else if (training) {
    const t = renderTrainScript(spec, spec.method as SupervisedMethod, targets);
    files.push({ path: 'train.py', content: t.content, description: `${spec.method.toUpperCase()} training script (${spec.adapter})` });
    files.push({ path: 'requirements.txt', content: t.requirements.join('\n') + '\n', description: 'Python packages the script needs' });
    if (spec.hubRepo) files.push({ path: 'README.md', content: modelCard(spec), description: `Model card pushed with the ${spec.adapter === 'full' ? 'model' : 'adapter'}` });
    const what = `Train ${spec.baseModel} (${spec.method.toUpperCase()}, ${spec.adapter})${spec.hubRepo ? ` and push to ${spec.hubRepo}` : ''}`;
    if (shard?.strategy === 'fsdp' && shard.config) {
      files.push({ path: shard.config.name, content: shard.config.content, description: `accelerate config: FSDP (full sharding, ${spec.bf16 ? 'bf16' : 'fp16'} mixed precision over fp32 master weights) on ${shard.processes} GPUs` });
      commands.push({ argv: ['accelerate', 'launch', '--config_file', shard.config.name, 'train.py'], description: `${what} on ${shard.processes} GPUs (FSDP)` });
    } else {
      commands.push({ argv: ['python', 'train.py'], description: what });
    }
    notes.push(...t.notes);
  } else {
    const r = spec.method === 'eval' ? renderEval(spec) : spec.method === 'merge' ? renderMerge(spec) : renderPush(spec);
    files.push(...r.files);
    commands.push(...r.commands);
    notes.push(...r.notes);
  }
  return { files, commands, notes, spec, targets };
}
