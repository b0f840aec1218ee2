/**
 * train.py for GRPO (trl's GRPOTrainer): prompts from the data, completions sampled by the model,
 * scored by rewards.py beside it. Keywords follow the trl version in libraryVersions.ts (GRPO first
 * shipped in trl 0.14.0; vllm_mode 0.18; reward_weights 0.16; max_prompt_length gone in 0.28).
 * Values reach Python only through pyStr / configBlock (escape.ts).
 */
import { TargetVersions, versionAtLeast, importModule } from '../libraryVersions';
import { isLocalDataset, ResolvedSpec } from '../spec';
import { ConfigLine, call, configBlock } from './pyutil';
import { pyDocText, pyStr } from './escape';
import { MESSAGE_HELPERS } from './mapping';
import { chooseReportTo, datasetLoad } from './train';
import { defaultRewards, renderRewards } from './rewards';
import { CODE_TEST_EXTRA_COLUMNS } from './rewardsCode';
import { GRPO_SAMPLES_PY, SAMPLES_ENV, SAMPLES_FILE } from './grpoSamples';
import { recipeVllm, VLLM_COLOCATE_SHARE, VLLM_SERVER_PORT } from '../vllmShare';

export const GRPO_MIN_TRL = '0.14.0';

export interface GrpoScript {
  files: { path: string; content: string; description: string }[];
  notes: string[];
  requirements: string[];
}

/**
 * trl refuses a generation batch (micro-batch x accumulation x GPUs) that does not hold whole groups
 * of num_generations completions ("generation_batch_size (...) must be divisible by num_generations").
 * Returns the smallest accumulation >= the given one that makes it divisible.
 */
export function fitAccumulation(perDevice: number, accumulation: number, numGenerations: number, gpus = 1): number {
  let g = Math.max(1, accumulation);
  while ((perDevice * g * gpus) % numGenerations !== 0 && g < accumulation + numGenerations) g++;
  return g;
}

/** The prompt column's role: prompt text, a chat transcript, or a user turn. */
function promptRole(spec: ResolvedSpec): 'prompt' | 'messages' | 'user' {
  const m = spec.columnMapping;
  return m.prompt ? 'prompt' : m.messages ? 'messages' : 'user';
}

export function renderGrpoScript(spec: ResolvedSpec, t: TargetVersions): GrpoScript {
  const notes: string[] = [];
  const trl = (v: string): boolean => versionAtLeast(t.trl, v);
  const tf = (v: string): boolean => versionAtLeast(t.transformers, v);
  const adapter = spec.adapter;
  const peft = adapter !== 'full';
  const qlora = adapter === 'qlora';
  const m = spec.columnMapping;
  const role = promptRole(spec);
  const promptColumn = m[role] ?? '';
  const answerColumn = m.answer;
  const rewards = spec.rewards ?? defaultRewards(Boolean(answerColumn));
  const numGenerations = spec.numGenerations ?? 8;
  const reportTo = chooseReportTo(spec, t);
  const vllmModes = trl('0.18.0');
  // Two GPUs or more with vLLM installed: `trl vllm-serve` on the last one (the launch script starts it).
  const server = recipeVllm({ ...spec, packages: spec.env?.packages, gpus: spec.env?.gpus?.length }, t.trl)?.mode === 'server';
  if (spec.hubRepo) notes.push('GRPO recipes do not push yet: push OUTPUT_DIR afterwards with the push recipe.');
  if (!vllmModes) notes.push(`trl ${t.trl} runs vLLM on a separate GPU only (colocate mode came in 0.18.0): generation uses transformers.`);
  if (qlora) notes.push('QLoRA: generation uses transformers (vLLM cannot load the 4-bit base with the adapter); it is slower than vLLM.');

  const cfg: (ConfigLine | string)[] = [
    { name: 'MODEL_ID', value: spec.baseModel ?? '', comment: 'base model: an instruct model learns fastest from rewards' },
    { name: 'DATASET', value: spec.dataset ?? '', comment: isLocalDataset(spec.dataset ?? '') ? 'file or folder, relative to where the script runs' : 'Hub dataset id' },
    { name: 'DATASET_SPLIT', value: spec.datasetSplit },
    { name: 'PROMPT_COLUMN', value: promptColumn, comment: role === 'messages' ? 'a conversation: its turns up to the last user turn are the prompt' : 'the question the model answers' },
    { name: 'ANSWER_COLUMN', value: answerColumn ?? null, comment: 'the reference answer: trl passes it to every reward as a keyword argument of this name' },
  ];
  if (m.choices) cfg.push({ name: 'CHOICES_COLUMN', value: m.choices, comment: 'multiple choice: the options, lettered A, B, C... under the question' });
  cfg.push(
    { name: 'SEED', value: spec.seed },
    { name: 'OUTPUT_DIR', value: spec.outputDir, comment: 'checkpoints and the final ' + (peft ? 'adapter' : 'model') },
    '',
    { name: 'NUM_GENERATIONS', value: numGenerations, comment: 'completions per prompt; rewards are compared within each group (>= 2)' },
    { name: 'MAX_COMPLETION_LENGTH', value: spec.maxCompletionLength ?? 512, comment: 'longer completions are cut: watch completions/clipped_ratio' },
  );
  if (!trl('0.28.0')) cfg.push({ name: 'MAX_PROMPT_LENGTH', value: spec.maxPromptLength, comment: 'prompts are truncated from the left past this' });
  cfg.push(
    { name: 'TEMPERATURE', value: spec.temperature ?? 1.0, comment: 'sampling temperature: too low and a group\'s completions agree, leaving no signal' },
    { name: 'BETA', value: spec.beta, comment: 'KL weight to the starting model; 0 = no reference model in memory' },
  );
  if (trl('0.17.0') && spec.lossType) cfg.push({ name: 'LOSS_TYPE', value: spec.lossType, comment: '"dapo", "grpo", "dr_grpo" or "bnpo"' });
  cfg.push(
    { name: 'USE_VLLM', value: vllmModes && !qlora ? null : false, comment: `None = use vLLM (${server ? 'a trl vllm-serve server on the last GPU' : 'colocated on this GPU'}) when it is installed, else transformers` },
    ...(server
      ? [{ name: 'VLLM_MODE', value: 'server', comment: 'the launch script runs `trl vllm-serve` on the last GPU and training on the others' }, { name: 'VLLM_SERVER_PORT', value: VLLM_SERVER_PORT, comment: 'where that server listens (its --port)' }]
      : [{ name: 'VLLM_GPU_MEMORY_UTILIZATION', value: VLLM_COLOCATE_SHARE, comment: 'colocate: the share of GPU memory vLLM takes from training' }]),
    { name: 'NUM_TRAIN_EPOCHS', value: spec.epochs },
    { name: 'MAX_STEPS', value: -1, comment: 'stop after this many optimizer steps (-1 = train NUM_TRAIN_EPOCHS; the smoke run sets 10)' },
    { name: 'LEARNING_RATE', value: spec.learningRate, comment: 'RL from rewards: small steps' },
    { name: 'LR_SCHEDULER_TYPE', value: spec.lrSchedulerType },
    { name: 'WARMUP_RATIO', value: spec.warmupRatio },
    { name: 'PER_DEVICE_TRAIN_BATCH_SIZE', value: spec.perDeviceTrainBatchSize, comment: 'completions per micro-batch (not prompts)' },
    { name: 'GRADIENT_ACCUMULATION_STEPS', value: spec.gradientAccumulationSteps, comment: 'micro-batch x this x GPUs must be a multiple of NUM_GENERATIONS' },
    { name: 'GRADIENT_CHECKPOINTING', value: spec.gradientCheckpointing },
    { name: 'BF16', value: spec.bf16 },
    { name: 'FP16', value: spec.fp16 },
    { name: 'ATTN_IMPLEMENTATION', value: spec.attnImplementation },
  );
  if (peft) {
    cfg.push('', { name: 'LORA_R', value: spec.loraR }, { name: 'LORA_ALPHA', value: spec.loraAlpha }, { name: 'LORA_DROPOUT', value: spec.loraDropout }, { name: 'LORA_TARGET_MODULES', value: spec.targetModules });
  }
  if (qlora) cfg.push({ name: 'LOAD_IN_4BIT', value: true, comment: 'QLoRA: frozen base weights in 4-bit NF4' });
  cfg.push(
    '',
    { name: 'LOGGING_STEPS', value: spec.loggingSteps },
    { name: 'SAMPLES_PER_LOG', value: 4, comment: `completions written with their rewards to ${SAMPLES_FILE} at each logging step (0 = none)` },
    { name: 'SAVE_STEPS', value: spec.saveSteps },
    { name: 'SAVE_TOTAL_LIMIT', value: spec.saveTotalLimit },
    { name: 'REPORT_TO', value: reportTo },
    { name: 'SYSTEM_PROMPT', value: spec.systemPrompt ?? null, comment: 'e.g. ask for <think>...</think> then the answer when the format reward is on' },
  );

  const ck: [string, string, string?][] = [
    ['output_dir', 'OUTPUT_DIR'], ['num_train_epochs', 'NUM_TRAIN_EPOCHS'], ['max_steps', 'MAX_STEPS'],
    ['per_device_train_batch_size', 'PER_DEVICE_TRAIN_BATCH_SIZE'], ['gradient_accumulation_steps', 'GRADIENT_ACCUMULATION_STEPS'],
    ['gradient_checkpointing', 'GRADIENT_CHECKPOINTING'], ['gradient_checkpointing_kwargs', '{"use_reentrant": False}'],
    ['learning_rate', 'LEARNING_RATE'], ['lr_scheduler_type', 'LR_SCHEDULER_TYPE'],
    [tf('5.0.0') ? 'warmup_steps' : 'warmup_ratio', 'WARMUP_RATIO'],
    ['bf16', 'BF16'], ['fp16', 'FP16'], ['logging_steps', 'LOGGING_STEPS'], ['save_strategy', '"steps"'], ['save_steps', 'SAVE_STEPS'],
    ['save_total_limit', 'SAVE_TOTAL_LIMIT'], ['report_to', 'REPORT_TO'], ['seed', 'SEED'],
    ['model_init_kwargs', 'None', 'the model is loaded below'],
    ['num_generations', 'NUM_GENERATIONS'], ['max_completion_length', 'MAX_COMPLETION_LENGTH'], ['temperature', 'TEMPERATURE'], ['beta', 'BETA'],
  ];
  if (!trl('0.28.0')) ck.push(['max_prompt_length', 'MAX_PROMPT_LENGTH']);
  if (trl('0.16.0')) ck.push(['reward_weights', 'rewards.REWARD_WEIGHTS']);
  if (trl('0.17.0') && spec.lossType) ck.push(['loss_type', 'LOSS_TYPE']);
  ck.push(['use_vllm', 'use_vllm']);
  if (vllmModes && server) ck.push(['vllm_mode', 'VLLM_MODE', 'several GPUs: vLLM serves from a GPU of its own'], ['vllm_server_base_url', 'f"http://127.0.0.1:{VLLM_SERVER_PORT}"']);
  else if (vllmModes) ck.push(['vllm_mode', '"colocate"', 'one GPU: vLLM shares it with training'], ['vllm_gpu_memory_utilization', 'VLLM_GPU_MEMORY_UTILIZATION']);
  const tk: [string, string, string?][] = [
    ['model', 'model'], ['reward_funcs', trl('0.16.0') ? 'recorder.wrap(rewards.REWARD_FUNCS)' : 'recorder.wrap(weighted_rewards())'], ['args', 'training_args'],
    ['train_dataset', 'train_dataset'], ['processing_class', 'tokenizer'], ['callbacks', '[recorder]', 'writes a few completions and their rewards per logging step'],
  ];
  if (peft) tk.push(['peft_config', 'peft_config']);
  const indent = (s: string): string => s.split('\n').join('\n    ');
  const trainerModule = importModule('trl', 'GRPOTrainer', t.trl);
  const promptFn = role === 'messages'
    ? `    messages = as_messages(row[PROMPT_COLUMN], "user")
    last_user = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=len(messages) - 1)
    prompt = messages[: last_user + 1]`
    : `    value = row[PROMPT_COLUMN]
    if isinstance(value, list) and value and all(isinstance(turn, str) for turn in value):
        # Several user turns per row (MT-Bench's "turns"): the later ones follow an answer not given yet.
        value = value[0]
    prompt = as_messages(value, "user")`;
  const choicesFn = m.choices ? `

def with_choices(prompt, options):
    """The options lettered under the last user turn: 'A. ...', 'B. ...' (ARC's {"text": [...], "label": [...]} too)."""
    if isinstance(options, dict):
        texts = options.get("text") or []
        labels = options.get("label") or [chr(ord("A") + i) for i in range(len(texts))]
        options = list(zip(labels, texts))
    else:
        options = [(chr(ord("A") + i), text) for i, text in enumerate(options or [])]
    lettered = "\\n".join(f"{label}. {text}" for label, text in options)
    last = prompt[-1]
    return prompt[:-1] + [{**last, "content": f"{last['content']}\\n\\n{lettered}"}]
` : '';

  const content = `#!/usr/bin/env python3
"""
Group Relative Policy Optimization (GRPO) of ${pyDocText(spec.baseModel ?? '')} with ${adapter === 'full' ? 'full fine-tuning' : adapter === 'qlora' ? 'QLoRA' : 'LoRA'}.
Data: ${pyDocText(spec.dataset ?? '')} -> conversational prompts${answerColumn ? ` with the reference in ${pyDocText(answerColumn)}` : ''}.
Rewards: rewards.py beside this script (${rewards.map((r) => r.name).join(', ')}). Check them first:  ml-intern reward-test .
Written by ML Intern's recipe engine for trl ${pyDocText(t.trl)}${t.guessed.trl ? ' (assumed)' : ''}, transformers ${pyDocText(t.transformers)}.
Review it, edit the CONFIG block, then run:  python train.py
"""
${configBlock(cfg)}
import functools
import importlib.util
import inspect
import json
import math
import os
import re
import sys

import torch
from datasets import load_dataset
from transformers import ${qlora ? 'AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig, TrainerCallback' : 'AutoModelForCausalLM, AutoTokenizer, TrainerCallback'}
${peft ? `from peft import LoraConfig${qlora ? ', prepare_model_for_kbit_training' : ''}\n` : ''}from ${trainerModule} import GRPOConfig, GRPOTrainer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rewards  # noqa: E402  (rewards.py beside this script)
${MESSAGE_HELPERS}

def to_grpo_row(row):
    """The prompt as chat messages for trl; the reference answer keeps its column name for the rewards."""
${promptFn}${m.choices ? `
    prompt = with_choices(prompt, row[CHOICES_COLUMN])` : ''}
    example = {"prompt": with_system(prompt)}
    if ANSWER_COLUMN:
        example[ANSWER_COLUMN] = row[ANSWER_COLUMN]${rewards.some((r) => r.name === 'code_tests') ? `
    # code_tests_reward also reads these when the data has them (HumanEval's entry_point, MBPP's test_setup_code).
    for column in (${CODE_TEST_EXTRA_COLUMNS.map(pyStr).join(', ')}):
        if column in row:
            example[column] = row[column]` : ''}
    return example
${choicesFn}${trl('0.16.0') ? '' : `

def weighted_rewards():
    """trl ${pyDocText(t.trl)} has no reward_weights: scale each reward here, keeping its name for the metrics."""
    def scaled(func, weight):
        def reward(completions, **kwargs):
            return [weight * s for s in func(completions, **kwargs)]
        reward.__name__ = func.__name__
        return reward
    return [scaled(f, w) for f, w in zip(rewards.REWARD_FUNCS, rewards.REWARD_WEIGHTS)]
`}${GRPO_SAMPLES_PY}

def main():
    world = int(os.environ.get("WORLD_SIZE", 1))
    if (PER_DEVICE_TRAIN_BATCH_SIZE * ${trl('0.17.0') ? 'GRADIENT_ACCUMULATION_STEPS' : '1'} * world) % NUM_GENERATIONS:
        # trl would refuse it after loading the model; say it now, with the numbers to change.
        raise SystemExit(
${trl('0.17.0') ? `            f"PER_DEVICE_TRAIN_BATCH_SIZE x GRADIENT_ACCUMULATION_STEPS x GPUs = {PER_DEVICE_TRAIN_BATCH_SIZE} x "
            f"{GRADIENT_ACCUMULATION_STEPS} x {world} must be a multiple of NUM_GENERATIONS ({NUM_GENERATIONS}): "
            "change GRADIENT_ACCUMULATION_STEPS or NUM_GENERATIONS in the CONFIG block."` : `            f"this trl groups generations within PER_DEVICE_TRAIN_BATCH_SIZE x GPUs = {PER_DEVICE_TRAIN_BATCH_SIZE} x {world}: "
            f"it must be a multiple of NUM_GENERATIONS ({NUM_GENERATIONS}); change one of them in the CONFIG block, or upgrade trl to 0.17 or newer."`}
        )
    if rewards.ANSWER_COLUMN != ANSWER_COLUMN:
        raise SystemExit(f"rewards.py reads the answer from {rewards.ANSWER_COLUMN!r} but ANSWER_COLUMN is {ANSWER_COLUMN!r}: make them the same.")
    if len(rewards.REWARD_FUNCS) != len(rewards.REWARD_WEIGHTS):
        raise SystemExit("rewards.py: REWARD_FUNCS and REWARD_WEIGHTS must have the same length.")
    use_vllm = USE_VLLM if USE_VLLM is not None else importlib.util.find_spec("vllm") is not None
    print(f"Generation with {'vLLM (${server ? 'server' : 'colocate'})' if use_vllm else 'transformers'}")
    # ML Intern's run names the file it follows; run by hand, the samples go beside the model.
    samples_file = os.environ.get(${pyStr(SAMPLES_ENV)}) or os.path.join(OUTPUT_DIR, ${pyStr(SAMPLES_FILE)})
    recorder = SampleRecorder(samples_file, ${trl('0.16.0') ? 'rewards.REWARD_WEIGHTS' : '[1.0] * len(rewards.REWARD_FUNCS)'}, SAMPLES_PER_LOG)

    dataset = ${datasetLoad(spec)}
    train_dataset = dataset.map(to_grpo_row, remove_columns=dataset.column_names)
    print("First prompt after mapping:", json.dumps(train_dataset[0], ensure_ascii=False)[:1000])

    tokenizer = AutoTokenizer.from_pretrained(MODEL_ID)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    # Generation pads on the left so every completion starts right after its prompt.
    tokenizer.padding_side = "left"

    dtype = ${adapter === 'full' ? 'torch.bfloat16 if BF16 else torch.float32' : 'torch.bfloat16 if BF16 else torch.float16'}
    device_map = {"": int(os.environ.get("LOCAL_RANK", 0))} if torch.cuda.is_available() else None
${qlora ? `    quantization_config = ${call('BitsAndBytesConfig', [['load_in_4bit', 'LOAD_IN_4BIT'], ['bnb_4bit_quant_type', '"nf4"'], ['bnb_4bit_use_double_quant', 'True'], ['bnb_4bit_compute_dtype', 'dtype']], '    ')}
` : ''}    model = ${call('AutoModelForCausalLM.from_pretrained', [['pretrained_model_name_or_path', 'MODEL_ID'], ...(qlora ? [['quantization_config', 'quantization_config'] as [string, string]] : []), [tf('4.56.0') ? 'dtype' : 'torch_dtype', 'dtype'], ['attn_implementation', 'ATTN_IMPLEMENTATION'], ['device_map', 'device_map']], '    ').replace('pretrained_model_name_or_path=MODEL_ID', 'MODEL_ID')}
${qlora ? `    model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=GRADIENT_CHECKPOINTING, gradient_checkpointing_kwargs={"use_reentrant": False})
` : ''}${peft ? `    peft_config = ${call('LoraConfig', [['r', 'LORA_R'], ['lora_alpha', 'LORA_ALPHA'], ['lora_dropout', 'LORA_DROPOUT'], ['target_modules', 'LORA_TARGET_MODULES'], ['bias', '"none"'], ['task_type', '"CAUSAL_LM"']], '    ')}
` : ''}
    training_args = ${indent(call('GRPOConfig', ck))}
    trainer = ${indent(call('GRPOTrainer', tk))}
    trainer.train()
    trainer.save_model(OUTPUT_DIR)
    tokenizer.save_pretrained(OUTPUT_DIR)
    print(f"Saved to {OUTPUT_DIR}")


if __name__ == "__main__":
    main()
`;
  const minor = (v: string): string => (/^\d+(?:\.\d+){0,2}/.exec(v)?.[0] ?? '0');
  const requirements = [`trl>=${minor(t.trl)}`, `transformers>=${minor(t.transformers)}`, 'datasets', 'accelerate'];
  if (peft) requirements.push(`peft>=${minor(t.peft)}`);
  if (qlora) requirements.push('bitsandbytes');
  if (reportTo !== 'none') requirements.push(reportTo);
  return {
    files: [
      { path: 'train.py', content, description: `GRPO training script (${adapter})` },
      { path: 'rewards.py', content: renderRewards(rewards, answerColumn), description: `Reward functions: ${rewards.map((r) => `${r.name} x${r.weight ?? 1}`).join(', ')}` },
      { path: 'requirements.txt', content: requirements.join('\n') + '\n', description: 'Python packages the script needs' },
    ],
    notes,
    requirements,
  };
}

