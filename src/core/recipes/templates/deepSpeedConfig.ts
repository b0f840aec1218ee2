/**
 * The DeepSpeed ZeRO-3 JSON of a sharded run, the alternative to the FSDP accelerate config
 * (accelerateConfig.ts) when the user picks DeepSpeed (mlIntern.sharding). Written by the session's
 * launch plan and the node planner; callers propose it as a reviewable file. No value of the user's
 * goes into it (numbers and fixed keys only).
 */

export const DEEPSPEED_CONFIG_NAME = 'ds_zero3.json';

export interface DeepSpeedZero3Options {
  /** Offload optimizer states and parameters to CPU. */
  offload?: boolean;
  mixedPrecision?: 'bf16' | 'fp16';
}

/**
 * A DeepSpeed ZeRO-3 JSON for the HF Trainer integration, in the shape of transformers' documented
 * ZeRO-3 example: every "auto" value is filled by the Trainer from TrainingArguments (batch sizes,
 * accumulation, clipping, the bucket sizes from the model's hidden size) or by accelerate
 * (bf16/fp16 from --mixed_precision), so the JSON never disagrees with the CONFIG block of train.py.
 * The 16-bit weights are gathered at save_model, so the final model loads with from_pretrained.
 * With CPU offload the optimizer must be DeepSpeed's own (it refuses a client optimizer with
 * offload: "You are using ZeRO-Offload with a client provided optimizer"), so the JSON names AdamW
 * with "auto" parameters (the Trainer fills lr, betas, eps, weight_decay).
 */
export function deepSpeedZero3Config(o: DeepSpeedZero3Options = {}): string {
  const offload = o.offload ? { device: 'cpu', pin_memory: true } : { device: 'none' };
  const config: Record<string, unknown> = {
    bf16: { enabled: o.mixedPrecision !== 'fp16' ? 'auto' : false },
    fp16: { enabled: o.mixedPrecision === 'fp16' ? 'auto' : false },
    ...(o.offload ? { optimizer: { type: 'AdamW', params: { lr: 'auto', betas: 'auto', eps: 'auto', weight_decay: 'auto' } } } : {}),
    zero_optimization: {
      stage: 3,
      offload_optimizer: offload,
      offload_param: offload,
      overlap_comm: true,
      contiguous_gradients: true,
      sub_group_size: 1e9,
      reduce_bucket_size: 'auto',
      stage3_prefetch_bucket_size: 'auto',
      stage3_param_persistence_threshold: 'auto',
      stage3_max_live_parameters: 1e9,
      stage3_max_reuse_distance: 1e9,
      stage3_gather_16bit_weights_on_model_save: true,
    },
    gradient_accumulation_steps: 'auto',
    gradient_clipping: 'auto',
    steps_per_print: 2000,
    train_batch_size: 'auto',
    train_micro_batch_size_per_gpu: 'auto',
    wall_clock_breakdown: false,
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
