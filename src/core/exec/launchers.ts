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
  /** accelerate: --config_file (FSDP/DDP YAML); torchrun: ignored. */
  configFile?: string;
  /** accelerate: a DeepSpeed JSON (`--use_deepspeed --deepspeed_config_file`), instead of configFile. */
  deepSpeedConfigFile?: string;
  /** accelerate with DeepSpeed: --mixed_precision, which fills the JSON's "auto" bf16/fp16 switches. */
  mixedPrecision?: 'bf16' | 'fp16' | 'no';
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
      if (spec.deepSpeedConfigFile) argv.push(...deepSpeedLaunchFlags(spec.deepSpeedConfigFile, spec.mixedPrecision));
      else if (spec.configFile) argv.push('--config_file', spec.configFile);
      else if (gpus > 1) argv.push('--multi_gpu');
      argv.push('--num_machines', '1');
      return [...argv, ...(spec.launcherArgs ?? []), ...tail];
    }
  }
}

// The FSDP config is written by the recipes (a full fine-tune sharded across GPUs) and by the session's launch plan.
export { fsdpAccelerateConfig } from '../recipes/templates/accelerateConfig';
export type { FsdpConfigOptions } from '../recipes/templates/accelerateConfig';
export { DEEPSPEED_CONFIG_NAME, deepSpeedZero3Config } from '../recipes/templates/deepSpeedConfig';
export type { DeepSpeedZero3Options } from '../recipes/templates/deepSpeedConfig';

/**
 * accelerate's flags for a DeepSpeed JSON. accelerate's DeepSpeedPlugin.set_mixed_precision fills the
 * JSON's "auto" bf16/fp16 switches from --mixed_precision (default "no"), and the Trainer then
 * refuses a config whose bf16 disagrees with TrainingArguments(bf16=True): so the flag is always given.
 */
export function deepSpeedLaunchFlags(configFile: string, mixedPrecision: 'bf16' | 'fp16' | 'no' = 'bf16'): string[] {
  return ['--use_deepspeed', '--deepspeed_config_file', configFile, '--mixed_precision', mixedPrecision];
}
