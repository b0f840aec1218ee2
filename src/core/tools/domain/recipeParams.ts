/**
 * write_recipe's hyper-parameters as the model names them and as the script holds them. Models
 * write the libraries' own snake_case names (`learning_rate`, `num_train_epochs`, `lora_r`): they
 * are aliases of the spec's fields, so a value is honoured rather than dropped. The answer echoes
 * what the written train.py really carries, and says so loudly when a value asked for is not there.
 */
import { readConfig } from '../../recipes/configBlock';
import { RecipeSpec } from '../../recipes';
import { GRPO_CONFIG_OF } from './grpoArgs';

/** transformers TrainingArguments / trl *Config / peft LoraConfig names → the spec's fields. */
export const RECIPE_ALIASES: Readonly<Record<string, string>> = {
  learning_rate: 'learningRate',
  lr: 'learningRate',
  num_train_epochs: 'epochs',
  num_epochs: 'epochs',
  max_length: 'maxLength',
  max_seq_length: 'maxLength',
  max_prompt_length: 'maxPromptLength',
  per_device_train_batch_size: 'perDeviceTrainBatchSize',
  batch_size: 'perDeviceTrainBatchSize',
  gradient_accumulation_steps: 'gradientAccumulationSteps',
  gradient_checkpointing: 'gradientCheckpointing',
  lora_r: 'loraR',
  r: 'loraR',
  lora_alpha: 'loraAlpha',
  lora_dropout: 'loraDropout',
  target_modules: 'targetModules',
  lora_target_modules: 'targetModules',
  warmup_ratio: 'warmupRatio',
  lr_scheduler_type: 'lrSchedulerType',
  logging_steps: 'loggingSteps',
  eval_steps: 'evalSteps',
  save_steps: 'saveSteps',
  save_total_limit: 'saveTotalLimit',
  seed: 'seed',
  output_dir: 'outputDir',
  hub_model_id: 'hubRepo',
  attn_implementation: 'attnImplementation',
  model_name_or_path: 'baseModel',
  base_model: 'baseModel',
  dataset_name: 'dataset',
  system_prompt: 'systemPrompt',
  column_mapping: 'columnMapping',
  dataset_split: 'datasetSplit',
  eval_split: 'evalSplit',
};

/** Spec field → the CONFIG name the training script keeps it under. */
const CONFIG_OF: ReadonlyArray<[keyof RecipeSpec, string, string]> = [
  ['learningRate', 'LEARNING_RATE', 'learning rate'],
  ['epochs', 'NUM_TRAIN_EPOCHS', 'epochs'],
  ['maxLength', 'MAX_LENGTH', 'max length'],
  ['maxPromptLength', 'MAX_PROMPT_LENGTH', 'max prompt length'],
  ['perDeviceTrainBatchSize', 'PER_DEVICE_TRAIN_BATCH_SIZE', 'micro-batch'],
  ['gradientAccumulationSteps', 'GRADIENT_ACCUMULATION_STEPS', 'gradient accumulation'],
  ['gradientCheckpointing', 'GRADIENT_CHECKPOINTING', 'gradient checkpointing'],
  ['loraR', 'LORA_R', 'LoRA r'],
  ['loraAlpha', 'LORA_ALPHA', 'LoRA alpha'],
  ['loraDropout', 'LORA_DROPOUT', 'LoRA dropout'],
  ['warmupRatio', 'WARMUP_RATIO', 'warmup ratio'],
  ['lrSchedulerType', 'LR_SCHEDULER_TYPE', 'scheduler'],
  ['beta', 'BETA', 'beta'],
  ['seed', 'SEED', 'seed'],
  ['bf16', 'BF16', 'bf16'],
  ['fp16', 'FP16', 'fp16'],
  ['attnImplementation', 'ATTN_IMPLEMENTATION', 'attention'],
  ...GRPO_CONFIG_OF,
];

function shown(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function same(asked: unknown, held: unknown): boolean {
  if (typeof asked === 'number' && typeof held === 'number') return Math.abs(asked - held) <= 1e-12 * Math.max(1, Math.abs(asked));
  return JSON.stringify(asked) === JSON.stringify(held);
}

/**
 * "Hyper-parameters in <file>: …" from the script's CONFIG block, plus a line per value the model
 * asked for that the script does not hold (the engine or a preflight fix changed it, or it does
 * not apply to this method).
 */
export function hyperParameterLines(script: string, asked: RecipeSpec): string[] {
  const config = readConfig(script);
  const parts: string[] = [];
  const differs: string[] = [];
  for (const [field, name, label] of CONFIG_OF) {
    const held = config[name];
    const want = asked[field];
    if (!(name in config)) {
      if (want !== undefined) differs.push(`${label} ${shown(want)} was asked for but the script has no ${name} (not used by this method/adapter)`);
      continue;
    }
    parts.push(`${label} ${shown(held)}`);
    if (want !== undefined && !same(want, held)) differs.push(`${label}: asked ${shown(want)}, the script has ${shown(held)}`);
  }
  const batch = config.PER_DEVICE_TRAIN_BATCH_SIZE;
  const acc = config.GRADIENT_ACCUMULATION_STEPS;
  if (typeof batch === 'number' && typeof acc === 'number') parts.push(`effective batch ${batch * acc} per GPU`);
  if ('OPTIM' in config) parts.push(`optimizer ${shown(config.OPTIM)}`);
  const lines = parts.length ? [`Hyper-parameters in train.py (its CONFIG block): ${parts.join(', ')}.`] : [];
  if (differs.length) lines.push(`NOT AS ASKED: ${differs.join('; ')}. Tell the user, or change CONFIG with edit_file after asking.`);
  return lines;
}
