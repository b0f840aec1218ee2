/** estimate_memory: the GPU memory a training run needs and a batch plan that fits the GPU (docs/MEMORY-ESTIMATE.md). */
import { Adapter, ADAPTERS, estimateMemory, planBatch, TRAINING_METHODS, TrainingMethod } from '../../recipes';
import { errorMessage } from '../text';
import { ToolContext, ToolDefinition } from '../types';
import { modelDims } from './modelShape';
import { cachedEnvReport } from './shared';

interface EstimateArgs {
  baseModel: string;
  method?: TrainingMethod;
  adapter?: Adapter;
  maxLength?: number;
  perDeviceTrainBatchSize?: number;
  gradientAccumulationSteps?: number;
  gradientCheckpointing?: boolean;
  loraR?: number;
  targetModules?: string[];
  gpuMemoryMiB?: number;
}

/** The GPU to plan for: the argument, else the environment report's first GPU. */
async function gpuMemory(args: EstimateArgs, ctx: ToolContext): Promise<{ mib?: number; source: string }> {
  if (args.gpuMemoryMiB !== undefined) return { mib: args.gpuMemoryMiB, source: 'as given' };
  try {
    const report = await cachedEnvReport(ctx);
    const g = report.gpus[0];
    if (g?.memoryTotalMiB) return { mib: g.memoryTotalMiB, source: `${g.name}, from the environment report` };
    return { source: 'the environment report found no GPU' };
  } catch (err) {
    return { source: `the environment check failed (${errorMessage(err)})` };
  }
}

export const estimateMemoryTool: ToolDefinition<EstimateArgs> = {
  name: 'estimate_memory',
  description:
    'Estimate the peak GPU memory of one training process (weights, gradients, optimizer states, activations, logits, overhead; ±25 %) for a model, method, adapter and batch, ' +
    "and plan the largest micro-batch / gradient accumulation / checkpointing that fits the GPU (default: the first GPU of the user's machine), " +
    'and, when it does not fit as asked, what would (LoRA, QLoRA: a change of the user\'s plan to ask them about). The model is a Hub id from the built-in table (Llama, Qwen, Mistral, Gemma, Phi, SmolLM…) or a workspace folder with config.json. ' +
    'Use it to check the plan and choose the batch before write_recipe. Reads only; needs no approval.',
  parameters: {
    type: 'object',
    properties: {
      baseModel: { type: 'string', description: 'Hub id (e.g. "Qwen/Qwen2.5-7B-Instruct") or a workspace folder holding config.json.' },
      method: { type: 'string', enum: TRAINING_METHODS, description: 'Training method (default sft). dpo/orpo/kto process chosen and rejected together (2x tokens).' },
      adapter: { type: 'string', enum: ADAPTERS, description: 'lora (default), qlora (4-bit base) or full fine-tuning.' },
      maxLength: { type: 'integer', description: 'Tokens per example (default 2048 for sft, 1024 otherwise).' },
      perDeviceTrainBatchSize: { type: 'integer', description: 'Micro-batch per GPU (default 4 for sft, 2 otherwise).' },
      gradientAccumulationSteps: { type: 'integer', description: 'Accumulation steps (default 4 for sft, 8 otherwise); micro-batch x accumulation is the effective batch the plan keeps.' },
      gradientCheckpointing: { type: 'boolean', description: 'Force checkpointing on (true) or let the plan decide (omit).' },
      loraR: { type: 'integer', description: 'LoRA rank (default 16).' },
      targetModules: { type: 'array', items: { type: 'string' }, description: 'LoRA target modules (default all linear layers).' },
      gpuMemoryMiB: { type: 'number', description: "GPU memory to plan for, in MiB (e.g. 81920 for an 80 GB card). Default: the user's first GPU." },
    },
    required: ['baseModel'],
  },
  approval: 'free',
  async handler(args, ctx) {
    const method = args.method ?? 'sft';
    const adapter = args.adapter ?? 'lora';
    const preference = method !== 'sft';
    const maxLength = args.maxLength ?? (method === 'sft' ? 2048 : 1024);
    const bs = args.perDeviceTrainBatchSize ?? (preference ? 2 : 4);
    const gas = args.gradientAccumulationSteps ?? (preference ? 8 : 4);
    for (const [name, v] of [['maxLength', maxLength], ['perDeviceTrainBatchSize', bs], ['gradientAccumulationSteps', gas], ['loraR', args.loraR ?? 16], ['gpuMemoryMiB', args.gpuMemoryMiB ?? 1]] as const) {
      if (!(v > 0)) return { ok: false, output: `${name} must be a positive number (got ${v}).` };
    }
    let dims;
    try {
      dims = await modelDims(ctx, args.baseModel);
    } catch (err) {
      return { ok: false, output: `Cannot read the shape of ${args.baseModel}: ${errorMessage(err)}` };
    }
    if (!dims) {
      return {
        ok: false,
        output: `${args.baseModel} is not in the built-in model table and is not a workspace folder with config.json. Download its config.json into a folder (or give a known model of the same size) and call estimate_memory again.`,
      };
    }
    const targetModules = args.targetModules?.length ? args.targetModules : 'all-linear';
    const est = estimateMemory({ dims, adapter, method, maxLength, perDeviceTrainBatchSize: bs, gradientCheckpointing: args.gradientCheckpointing ?? false, loraR: args.loraR, targetModules });
    const b = est.breakdownGiB;
    const lines = [
      `${args.baseModel}: ${(est.params / 1e9).toFixed(2)}B parameters, ${(est.trainableParams / 1e6).toFixed(1)}M trainable (${method.toUpperCase()}, ${adapter}).`,
      `Estimated peak with micro-batch ${bs}, ${maxLength} tokens, gradient checkpointing ${args.gradientCheckpointing ? 'on' : 'off'}: ~${est.totalGiB} GiB ` +
        `(weights ${b.weights}, gradients ${b.gradients}, optimizer ${b.optimizer}, activations ${b.activations}, logits ${b.logits}, overhead ${b.overhead} GiB; real peaks vary by about ±25 %).`,
    ];
    const gpu = await gpuMemory(args, ctx);
    let plan;
    if (gpu.mib) {
      plan = planBatch({ baseModel: args.baseModel, dims, adapter, method, maxLength, perDeviceTrainBatchSize: bs, gradientAccumulationSteps: gas, gradientCheckpointing: args.gradientCheckpointing, loraR: args.loraR, targetModules }, gpu.mib);
      lines.push(
        `Plan for ${Math.round(gpu.mib / 1024)} GiB (${gpu.source}; 90 % usable): ${plan.fits ? 'FITS' : 'DOES NOT FIT'} with adapter ${plan.adapter}, micro-batch ${plan.perDeviceTrainBatchSize}, ` +
          `gradient accumulation ${plan.gradientAccumulationSteps}, gradient checkpointing ${plan.gradientCheckpointing ? 'on' : 'off'} -> ~${plan.estimate.totalGiB} GiB.`,
      );
      if (plan.notes.length) lines.push(...plan.notes.map((n) => `- ${n}`));
      if (plan.fits && plan.adapter === adapter) {
        lines.push(
          `It fits as asked: perDeviceTrainBatchSize ${plan.perDeviceTrainBatchSize}, gradientAccumulationSteps ${plan.gradientAccumulationSteps} ` +
            '(write_recipe also plans the batch itself from the same report).',
        );
      } else {
        // Another adapter is another training: the user decides, the agent does not switch on its own.
        const what = plan.fits ? `only with adapter "${plan.adapter}" instead of "${adapter}"` : 'not even with the leanest setting';
        lines.push(
          `SCOPE: ${adapter} fits this GPU ${what}. Changing the adapter, shortening maxLength (it truncates the data) or the model changes the user's training: ` +
            'do not switch on your own; ask the user (ask_user) with these figures, e.g. a bigger GPU, or their choice among the options.',
        );
      }
    } else {
      lines.push(`No batch plan: ${gpu.source}. Pass gpuMemoryMiB (e.g. 24576 for a 24 GB card) to plan for a GPU.`);
    }
    return {
      ok: true,
      output: lines.join('\n'),
      data: { estimate: est, gpuMemoryMiB: gpu.mib ?? null, plan: plan ? { ...plan } : null },
    };
  },
};
