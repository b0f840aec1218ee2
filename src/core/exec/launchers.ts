/**
 * Multi-GPU launch commands and the config files they take. Every command is
 * an argv array for the user's interpreter (`python -m …`), so the launcher
 * that runs is the one installed next to the libraries the script uses.
 * Config generators return file contents: callers propose them as reviewable
 * files; nothing here writes.
 */

export type LauncherKind = 'python' | 'accelerate' | 'torchrun';

export interface LaunchSpec {
  python: string;
  script: string;
  /** GPUs on this node; 1 (or less) runs a single process. */
  gpus: number;
  launcher: LauncherKind;
  /** accelerate: --config_file (FSDP/DeepSpeed YAML); torchrun: ignored. */
  configFile?: string;
  /** Arguments for the script itself. */
  scriptArgs?: string[];
  /** Extra launcher flags, e.g. ['--mixed_precision', 'bf16']. */
  launcherArgs?: string[];
}

export function launchArgv(spec: LaunchSpec): string[] {
  const gpus = Math.max(1, Math.floor(spec.gpus));
  const tail = [spec.script, ...(spec.scriptArgs ?? [])];
  switch (spec.launcher) {
    case 'python':
      return [spec.python, ...tail];
    case 'torchrun':
      // `python -m torch.distributed.run` is torchrun, from the interpreter's own torch.
      return [spec.python, '-m', 'torch.distributed.run', '--standalone', '--nnodes', '1', '--nproc_per_node', String(gpus), ...(spec.launcherArgs ?? []), ...tail];
    case 'accelerate': {
      const argv = [spec.python, '-m', 'accelerate.commands.launch', '--num_processes', String(gpus)];
      if (spec.configFile) argv.push('--config_file', spec.configFile);
      else if (gpus > 1) argv.push('--multi_gpu');
      argv.push('--num_machines', '1');
      return [...argv, ...(spec.launcherArgs ?? []), ...tail];
    }
  }
}

// The FSDP config is written by the recipes (a full fine-tune sharded across GPUs) and by the session's launch plan.
export { fsdpAccelerateConfig } from '../recipes/templates/accelerateConfig';
export type { FsdpConfigOptions } from '../recipes/templates/accelerateConfig';

export interface DeepSpeedZero3Options {
  /** Offload optimizer states and parameters to CPU. */
  offload?: boolean;
  mixedPrecision?: 'bf16' | 'fp16';
}

/**
 * A DeepSpeed ZeRO-3 JSON for the HF Trainer integration ("auto" values are
 * filled from TrainingArguments), saving 16-bit weights at the end.
 */
export function deepSpeedZero3Config(o: DeepSpeedZero3Options = {}): string {
  const offload = o.offload ? { device: 'cpu', pin_memory: true } : { device: 'none' };
  const config: Record<string, unknown> = {
    bf16: { enabled: o.mixedPrecision !== 'fp16' ? 'auto' : false },
    fp16: { enabled: o.mixedPrecision === 'fp16' ? 'auto' : false },
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
