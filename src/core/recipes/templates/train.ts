/**
 * train.py for SFT, DPO, ORPO and KTO with trl + peft: one readable, self-contained script with a
 * CONFIG block on top. Keyword names follow the library versions in `libraryVersions.ts`.
 */
import { hubCli, importModule, parseVersion, TargetVersions, valueSupported, versionAtLeast, MIN_TRL } from '../libraryVersions';
import { isLocalDataset, ResolvedSpec, SupervisedMethod } from '../spec';
import { ConfigLine, call, configBlock, pyStr } from './pyutil';
import { pyDocText } from './escape';
import { totalSteps } from '../stepPlan';
import { KTO_MIN_MICRO_BATCH } from '../estimate';
import { MESSAGE_HELPERS, preferenceFunction, sftRowFunctions, unpairedFunction } from './mapping';
import { resumeHelpers, RUN_RECORD_CALLBACK } from './resumePy';
import { CARD_FILL_PY, trainingSummaryPy, UPLOAD_IGNORE } from './cardPy';
import { modelSection } from './trainModel';
import { sftLossPlan } from './sftLoss';
import { sftSpeedPlan } from './sftSpeed';

export interface TrainScript {
  content: string;
  notes: string[];
  reportTo: string;
  requirements: string[];
}

const EXPLICIT_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

const CLASS: Record<SupervisedMethod, { config: string; trainer: string; title: string }> = {
  sft: { config: 'SFTConfig', trainer: 'SFTTrainer', title: 'Supervised fine-tuning (SFT)' },
  dpo: { config: 'DPOConfig', trainer: 'DPOTrainer', title: 'Direct Preference Optimization (DPO)' },
  orpo: { config: 'ORPOConfig', trainer: 'ORPOTrainer', title: 'Odds Ratio Preference Optimization (ORPO)' },
  kto: { config: 'KTOConfig', trainer: 'KTOTrainer', title: 'Kahneman-Tversky Optimization (KTO)' },
};

/** trackio > wandb > tensorboard > none, from what the environment report says is installed. */
export function chooseReportTo(spec: ResolvedSpec, t: TargetVersions): string {
  const p = spec.env?.packages ?? {};
  if (p.trackio && valueSupported('transformers', 'TrainingArguments', 'report_to', 'trackio', t.transformers)) return 'trackio';
  if (p.wandb) return 'wandb';
  if (p.tensorboard) return 'tensorboard';
  return 'none';
}

/** How train.py (and grpo.py's train.py) loads DATASET: a Hub id, or a local file with its builder. */
export function datasetLoad(spec: ResolvedSpec): string {
  const d = spec.dataset ?? '';
  if (!isLocalDataset(d)) return 'load_dataset(DATASET, split=DATASET_SPLIT)';
  const ext = /\.(jsonl?|csv|parquet)$/i.exec(d)?.[1]?.toLowerCase();
  if (ext) {
    const builder = ext.startsWith('json') ? 'json' : ext;
    // {"data": [...]}: without field= the json loader reads the whole document as one row.
    const field = builder === 'json' && spec.inspection?.jsonField ? `, field=${pyStr(spec.inspection.jsonField)}` : '';
    // Local files have a single split called "train" whatever DATASET_SPLIT says.
    return `load_dataset(${pyStr(builder)}, data_files=DATASET${field}, split="train")`;
  }
  return 'load_dataset(DATASET, split=DATASET_SPLIT)';
}

export function renderTrainScript(spec: ResolvedSpec, method: SupervisedMethod, t: TargetVersions): TrainScript {
  const notes: string[] = [];
  const trl = (v: string): boolean => versionAtLeast(t.trl, v);
  const tf = (v: string): boolean => versionAtLeast(t.transformers, v);
  const { config: configClass, trainer: trainerClass, title } = CLASS[method];
  const adapter = spec.adapter;
  const peft = adapter !== 'full';
  const rows = spec.inspection?.rows;
  const runSteps = typeof rows === 'number' && rows > 0
    ? totalSteps({ rows, evalSplit: spec.evalSplit, epochs: spec.epochs, perDeviceTrainBatchSize: spec.perDeviceTrainBatchSize, gradientAccumulationSteps: spec.gradientAccumulationSteps, gpus: spec.env?.gpus?.length ?? 1 })
    : undefined;
  const qlora = adapter === 'qlora';
  const reportTo = chooseReportTo(spec, t);
  if (!trl(MIN_TRL)) notes.push(`trl ${t.trl} is older than ${MIN_TRL}, the oldest release these recipes support: upgrade with pip install -U trl.`);

  const m = spec.columnMapping;
  const sft = method === 'sft' ? sftRowFunctions(m, { parallelTurns: spec.datasetFormat === 'parallel_turns', exchanges: spec.datasetFormat === 'turn_pairs', tree: spec.datasetFormat === 'message_tree' }) : undefined;
  // Which tokens train (answers only, pad != eos on old trl) and the speed switches the environment has.
  const loss = sft ? sftLossPlan(sft.fn === 'to_text' ? 'text' : sft.singleTurn ? 'single' : 'multi', t) : undefined;
  const speed = sft ? sftSpeedPlan(spec, t, sft.fn !== 'to_text') : undefined;
  if (speed) notes.push(...speed.notes);
  const conversationalPreference = method === 'sft' || trl('0.12.0');
  const allLinearOk = valueSupported('peft', 'LoraConfig', 'target_modules', 'all-linear', t.peft);
  let targetModules: string | string[] = spec.targetModules;
  if (targetModules === 'all-linear' && !allLinearOk) {
    targetModules = EXPLICIT_TARGETS;
    notes.push(`peft ${t.peft} predates target_modules="all-linear" (peft 0.8.0): the script lists the Llama-style projection names instead; check them against your model.`);
  }
  const warmupRuntime = t.guessed.transformers;
  // The login command of the installed huggingface_hub (`huggingface-cli` is gone in 1.0).
  const hubLogin = hubCli(spec.env?.packages?.huggingface_hub).login;
  const warmupKeyword = tf('5.0.0') ? 'warmup_steps' : 'warmup_ratio';

  // ------------------------------------------------------------------ CONFIG
  const cfg: (ConfigLine | string)[] = [
    { name: 'MODEL_ID', value: spec.baseModel ?? '', comment: 'base model: Hub id or local folder' },
    { name: 'DATASET', value: spec.dataset ?? '', comment: isLocalDataset(spec.dataset ?? '') ? 'file or folder, relative to where the script runs' : 'Hub dataset id' },
    { name: 'DATASET_SPLIT', value: spec.datasetSplit },
    { name: 'EVAL_SPLIT', value: spec.evalSplit, comment: 'fraction held out to measure overfitting (0 = no evaluation)' },
    { name: 'SEED', value: spec.seed, comment: 'same seed, same split: runs stay comparable' },
    { name: 'OUTPUT_DIR', value: spec.outputDir, comment: 'checkpoints and the final ' + (peft ? 'adapter' : 'model') },
    { name: 'HUB_MODEL_ID', value: spec.hubRepo ?? null, comment: 'push here when training ends (None = do not push)' },
    { name: 'HUB_PRIVATE', value: spec.hubPrivate, comment: 'create the Hub repository as private' },
    '',
    { name: 'MAX_LENGTH', value: spec.maxLength, comment: 'longer examples are truncated; memory grows with it' },
  ];
  const usesPromptLength = (method === 'dpo' && !trl('0.29.0')) || (method === 'orpo' && !trl('0.28.0')) || (method === 'kto' && !trl('0.27.0'));
  if (usesPromptLength) cfg.push({ name: 'MAX_PROMPT_LENGTH', value: spec.maxPromptLength, comment: 'prompt part of MAX_LENGTH' });
  cfg.push(
    { name: 'NUM_TRAIN_EPOCHS', value: spec.epochs, comment: method === 'sft' ? '1-3 epochs; more tends to overfit small sets' : 'one pass is usual for preference data' },
    { name: 'MAX_STEPS', value: -1, comment: 'stop after this many optimizer steps (-1 = train NUM_TRAIN_EPOCHS; the smoke run sets 10)' },
    { name: 'LEARNING_RATE', value: spec.learningRate, comment: peft ? 'adapters tolerate ~10x the full fine-tuning rate' : 'full fine-tuning: small steps' },
    { name: 'LR_SCHEDULER_TYPE', value: spec.lrSchedulerType },
    { name: 'WARMUP_RATIO', value: spec.warmupRatio, comment: 'fraction of steps spent ramping the learning rate up' },
    { name: 'PER_DEVICE_TRAIN_BATCH_SIZE', value: spec.perDeviceTrainBatchSize, comment: batchComment(method, spec.plannedRowTokens) },
    { name: 'PER_DEVICE_EVAL_BATCH_SIZE', value: spec.perDeviceTrainBatchSize },
    { name: 'GRADIENT_ACCUMULATION_STEPS', value: spec.gradientAccumulationSteps, comment: `effective batch = micro-batch x this x GPUs (${spec.perDeviceTrainBatchSize * spec.gradientAccumulationSteps} on one GPU)` },
    { name: 'GRADIENT_CHECKPOINTING', value: spec.gradientCheckpointing, comment: 'recompute activations: ~25 % slower, much less memory' },
    { name: 'BF16', value: spec.bf16, comment: peft ? 'bfloat16 mixed precision (Ampere or newer)' : 'bfloat16 autocast over the fp32 master weights (Ampere or newer)' },
    { name: 'FP16', value: spec.fp16, comment: 'float16 mixed precision for older GPUs (T4, V100)' },
    { name: 'ATTN_IMPLEMENTATION', value: spec.attnImplementation, comment: '"sdpa" works everywhere; "flash_attention_2" needs flash-attn' },
    { name: 'OPTIM', value: qlora ? 'paged_adamw_8bit' : 'adamw_torch', comment: qlora ? 'paged 8-bit AdamW: optimizer state spills to CPU instead of crashing' : 'AdamW' },
  );
  if (peft) {
    cfg.push(
      '',
      { name: 'LORA_R', value: spec.loraR, comment: 'adapter rank: capacity of the update' },
      { name: 'LORA_ALPHA', value: spec.loraAlpha, comment: 'scale = alpha / r; 2 x r is a common choice' },
      { name: 'LORA_DROPOUT', value: spec.loraDropout },
      { name: 'LORA_TARGET_MODULES', value: targetModules, comment: '"all-linear" adapts every linear layer but the output head' },
    );
  }
  if (qlora) cfg.push({ name: 'LOAD_IN_4BIT', value: true, comment: 'QLoRA: frozen base weights in 4-bit NF4 (~4x less memory)' });
  if (method !== 'sft') cfg.push({ name: 'BETA', value: spec.beta, comment: method === 'orpo' ? 'weight of the odds-ratio term (lambda in the paper)' : 'how far the policy may move from the reference (higher = closer)' });
  if (method === 'kto') cfg.push({ name: 'DESIRABLE_WEIGHT', value: null, comment: 'None = balance desirable vs undesirable rows (KTO paper, Eq. 8)' });
  cfg.push(
    '',
    { name: 'LOGGING_STEPS', value: spec.loggingSteps, ...(runSteps ? { comment: `~${runSteps} optimizer steps in this run (${spec.inspection!.rows} rows)` } : {}) },
    { name: 'EVAL_STEPS', value: spec.evalSteps },
    { name: 'SAVE_STEPS', value: spec.saveSteps },
    { name: 'SAVE_TOTAL_LIMIT', value: spec.saveTotalLimit, comment: 'keep only the newest checkpoints on disk' },
    { name: 'RESUME_FROM_CHECKPOINT', value: 'auto', comment: '"auto": a run cut short (time limit, preemption, crash) goes on from the newest checkpoint in OUTPUT_DIR; None: start over' },
    { name: 'REPORT_TO', value: reportTo, comment: 'metrics tracker: "trackio", "wandb", "tensorboard" or "none"' },
    { name: 'SYSTEM_PROMPT', value: spec.systemPrompt ?? null, comment: 'optional system message for every example (None = none)' },
  );
  if (loss && speed) cfg.push(...loss.config, ...speed.config);

  // ------------------------------------------------------------------ imports
  const imports = ['import hashlib', 'import json', 'import os', 'import re', 'import time', '', 'import torch', 'from datasets import load_dataset'];
  const tfImports = ['AutoModelForCausalLM', 'AutoTokenizer', 'TrainerCallback'];
  if (qlora) tfImports.push('BitsAndBytesConfig');
  imports.push(`from transformers import ${tfImports.sort().join(', ')}`);
  if (peft) imports.push('from peft import LoraConfig');
  const trainerModule = importModule('trl', trainerClass, t.trl);
  imports.push(`from ${trainerModule} import ${configClass}, ${trainerClass}`);
  if (trainerModule !== 'trl') notes.push(`trl ${t.trl} keeps ${trainerClass} in ${trainerModule} (moved out of the top-level trl package).`);
  if (loss) imports.push(...loss.imports);
  if (warmupRuntime) imports.push('import transformers');

  // ------------------------------------------------------------------ data functions
  let rowFn: string;
  let rowCode: string;
  if (method === 'sft') {
    rowFn = sft!.fn;
    rowCode = sft!.code + loss!.helpers;
  } else if (method === 'kto') {
    rowFn = 'to_unpaired';
    rowCode = unpairedFunction(m);
  } else {
    rowFn = 'to_preference';
    rowCode = preferenceFunction(m);
  }
  let textWrapper = '';
  if (method !== 'sft' && !conversationalPreference) {
    const parts = method === 'kto' ? ['completion'] : ['chosen', 'rejected'];
    textWrapper = `

def to_text_example(row):
    """trl ${pyDocText(t.trl)} does not apply chat templates to ${method.toUpperCase()} data: render the conversations here."""
    example = ${rowFn}(row)
    prompt = tokenizer.apply_chat_template(example["prompt"], tokenize=False, add_generation_prompt=True)
    rendered = {"prompt": prompt}
${parts.map((p) => `    rendered[${pyStr(p)}] = tokenizer.apply_chat_template(example["prompt"] + example[${pyStr(p)}], tokenize=False)[len(prompt):]`).join('\n')}
${method === 'kto' ? '    rendered["label"] = example["label"]\n' : ''}    return rendered
`;
    notes.push(`trl ${t.trl} predates conversational ${method.toUpperCase()} datasets (0.12.0): the script renders the chat template itself.`);
  }
  const mapFn = textWrapper ? 'to_text_example' : loss ? loss.mapFn : rowFn;

  // ------------------------------------------------------------------ model
  const model = modelSection(spec, method, t);
  notes.push(...model.notes);

  // ------------------------------------------------------------------ config class
  const ck: [string, string, string?][] = [
    ['output_dir', 'OUTPUT_DIR'],
    ['num_train_epochs', 'NUM_TRAIN_EPOCHS'],
    ['max_steps', 'MAX_STEPS'],
    // A smoke run's log is read by the agent: plain-text lines, the first step's loss included.
    ['disable_tqdm', '(MAX_STEPS > 0) or None', 'None keeps transformers\' own default'],
    ['logging_first_step', 'MAX_STEPS > 0'],
    ['per_device_train_batch_size', 'PER_DEVICE_TRAIN_BATCH_SIZE'],
    ['per_device_eval_batch_size', 'PER_DEVICE_EVAL_BATCH_SIZE'],
    ['gradient_accumulation_steps', 'GRADIENT_ACCUMULATION_STEPS'],
    ['gradient_checkpointing', 'GRADIENT_CHECKPOINTING'],
    ['gradient_checkpointing_kwargs', '{"use_reentrant": False}', 'the non-reentrant variant works with adapters and frozen inputs'],
    ['learning_rate', 'LEARNING_RATE'],
    ['lr_scheduler_type', 'LR_SCHEDULER_TYPE'],
  ];
  if (!warmupRuntime) ck.push([warmupKeyword, 'WARMUP_RATIO', warmupKeyword === 'warmup_steps' ? 'transformers 5: a float below 1 is a ratio' : undefined]);
  ck.push(
    ['optim', 'OPTIM'],
    ['bf16', 'BF16'],
    ['fp16', 'FP16'],
    ['logging_steps', 'LOGGING_STEPS'],
    [tf('4.41.0') ? 'eval_strategy' : 'evaluation_strategy', '"steps" if eval_dataset is not None else "no"'],
    ['eval_steps', 'EVAL_STEPS'],
    ['save_strategy', '"steps"'],
    ['save_steps', 'SAVE_STEPS'],
    ['save_total_limit', 'SAVE_TOTAL_LIMIT'],
    ['report_to', 'REPORT_TO'],
    ['seed', 'SEED'],
  );
  if (method === 'sft') {
    ck.push([trl('0.16.0') ? 'max_length' : 'max_seq_length', 'MAX_LENGTH']);
    ck.push(...speed!.configKwargs, ...loss!.configKwargs);
    if (sft!.fn === 'to_text') ck.push(['dataset_text_field', '"text"']);
  } else {
    ck.push(['beta', 'BETA'], ['max_length', 'MAX_LENGTH']);
    if (usesPromptLength) ck.push(['max_prompt_length', 'MAX_PROMPT_LENGTH']);
  }
  if (method === 'kto') ck.push(['desirable_weight', 'desirable_weight']);
  // ORPO's collator needs the raw prompt/chosen/rejected columns; trl turns this off itself with a warning otherwise.
  if (method === 'orpo') ck.push(['remove_unused_columns', 'False']);
  if (warmupRuntime) ck.push(['**warmup_kwargs()', '']);

  // ------------------------------------------------------------------ trainer
  const tk: [string, string, string?][] = [['model', 'model']];
  if (model.refModel) {
    tk.push(['ref_model', model.refModel, peft ? 'with an adapter, the frozen base (adapter disabled) is the reference' : 'the frozen 16-bit copy loaded above']);
  }
  tk.push(['args', 'training_args'], ['train_dataset', 'train_dataset'], ['eval_dataset', 'eval_dataset']);
  tk.push([trl('0.12.0') ? 'processing_class' : 'tokenizer', 'tokenizer']);
  if (peft) tk.push(['peft_config', 'peft_config']);
  if (loss) tk.push(...loss.trainerKwargs);

  const renderCall = (name: string, kwargs: [string, string, string?][]): string =>
    call(name, kwargs).replace(/^ {4}\*\*warmup_kwargs\(\)=,$/m, '    **warmup_kwargs(),');

  const dataShape = loss
    ? loss.dataShape
    : method === 'kto' ? 'conversational prompt/completion/label rows' : 'conversational prompt/chosen/rejected rows';

  const header = `#!/usr/bin/env python3
"""
${title} of ${pyDocText(spec.baseModel ?? '')} with ${adapter === 'full' ? 'full fine-tuning' : adapter === 'qlora' ? 'QLoRA (4-bit base + LoRA adapter)' : 'LoRA'}.

Data: ${pyDocText(spec.dataset ?? '')} -> ${dataShape}.
Written by ML Intern's recipe engine for trl ${pyDocText(t.trl)}${t.guessed.trl ? ' (assumed)' : ''}, transformers ${pyDocText(t.transformers)}${t.guessed.transformers ? ' (assumed)' : ''}, peft ${pyDocText(t.peft)}${t.guessed.peft ? ' (assumed)' : ''}.
Review it, edit the CONFIG block, then run:  python train.py   (several GPUs: accelerate launch train.py)
${spec.hubRepo ? `Pushing needs a Hugging Face token in the environment (HF_TOKEN or \`${hubLogin}\`); it is never written here.\n` : ''}"""`;

  const content = `${header}
${configBlock(cfg)}

${imports.join('\n')}


${MESSAGE_HELPERS}

${rowCode}${textWrapper}

def hub_token_available():
    """True when a Hugging Face token is configured (environment or ${hubLogin})."""
    if os.environ.get("HF_TOKEN"):
        return True
    try:
        from huggingface_hub import get_token
    except ImportError:
        return False
    return get_token() is not None


${resumeHelpers(cfg.flatMap((l) => (typeof l === 'string' ? [] : [l.name])))}


${RUN_RECORD_CALLBACK}


${trainingSummaryPy(cfg.flatMap((l) => (typeof l === 'string' ? [] : [l.name])), method, adapter)}


${CARD_FILL_PY}


def push_output():
    """Upload OUTPUT_DIR as saved (weights, tokenizer, the model card filled from what trained), once.
    The token comes from the environment, never from this file."""
    from huggingface_hub import HfApi
    card = os.path.join(os.path.dirname(os.path.abspath(__file__)), "README.md")
    if os.path.exists(card):
        with open(card, encoding="utf-8") as f:
            text = card_with_training(f.read(), read_training_summary(OUTPUT_DIR))
        with open(os.path.join(OUTPUT_DIR, "README.md"), "w", encoding="utf-8") as f:
            f.write(text)
    api = HfApi()
    repo = api.create_repo(HUB_MODEL_ID, private=HUB_PRIVATE, exist_ok=True)
    api.upload_folder(repo_id=repo.repo_id, folder_path=OUTPUT_DIR, commit_message="Upload with ML Intern", ignore_patterns=${JSON.stringify(UPLOAD_IGNORE)})
    print(f"Pushed to https://huggingface.co/{repo.repo_id}")
${method === 'kto' ? `

def balanced_desirable_weight(labels):
    """KTO wants desirable_weight x desirable rows / undesirable rows in [1, 4/3] (Eq. 8 of the KTO
    paper): aim for the middle, so unbalanced data neither drowns nor overweights the good answers."""
    desirable = sum(1 for label in labels if label)
    undesirable = len(labels) - desirable
    if not desirable or not undesirable:
        raise SystemExit(f"KTO needs both desirable and undesirable rows; the training split has {desirable} and {undesirable}.")
    weight = round(1.15 * undesirable / desirable, 3)
    print(f"KTO: {desirable} desirable and {undesirable} undesirable rows: desirable_weight = {weight} balances them")
    return weight
` : ''}${warmupRuntime ? `

def warmup_kwargs():
    """transformers 5 folded warmup_ratio into warmup_steps (a float below 1 is a ratio; PR #41326)."""
    if int(transformers.__version__.split(".")[0]) >= 5:
        return {"warmup_steps": WARMUP_RATIO}
    return {"warmup_ratio": WARMUP_RATIO}
` : ''}

def main():
    if BF16 and FP16:
        raise SystemExit("Set at most one of BF16 and FP16 in the CONFIG block.")
    if HUB_MODEL_ID and not hub_token_available():
        # Fail now rather than after hours of training.
        raise SystemExit("HUB_MODEL_ID is set but no Hugging Face token was found: export HF_TOKEN or run ${hubLogin}.")

    # ---- data
    dataset = ${datasetLoad(spec)}
    if EVAL_SPLIT and EVAL_SPLIT > 0:
        # A fixed seed keeps the held-out rows identical across runs, so evaluations compare.
        split = dataset.train_test_split(test_size=EVAL_SPLIT, seed=SEED)
        train_dataset, eval_dataset = split["train"], split["test"]
    else:
        train_dataset, eval_dataset = dataset, None

    # ---- tokenizer
    global tokenizer
    tokenizer = AutoTokenizer.from_pretrained(MODEL_ID)
    if tokenizer.pad_token is None:
        # Many causal LMs ship without a pad token; padding positions are masked out of the loss anyway.
        tokenizer.pad_token = tokenizer.eos_token
${sft?.fn === 'to_text' ? '' : `    if tokenizer.chat_template is None:
        # Base (non-instruct) models have no chat template; give them a plain one that ends each
        # answer with EOS so the model learns to stop.
        tokenizer.chat_template = (${loss?.markGeneration ? `
            # {% generation %} marks the answers, so assistant_only_loss can mask the rest.
            "{% for message in messages %}{{ '### ' + message['role'] + ':\\\\n' }}"
            "{% if message['role'] == 'assistant' %}{% generation %}{{ message['content'] + '\\\\n' + eos_token }}{% endgeneration %}"
            "{% else %}{{ message['content'] + '\\\\n' }}{% endif %}{% endfor %}"` : `
            "{% for message in messages %}{{ '### ' + message['role'] + ':\\\\n' + message['content'] + '\\\\n' }}"
            "{% if message['role'] == 'assistant' %}{{ eos_token }}{% endif %}{% endfor %}"`}
            "{% if add_generation_prompt %}{{ '### assistant:\\\\n' }}{% endif %}"
        )
`}${loss?.afterTokenizer ?? ''}
    # Turn rows into what trl expects; trl applies the chat template itself.
    columns = train_dataset.column_names
    train_dataset = train_dataset.map(${mapFn}, remove_columns=columns)
    if eval_dataset is not None:
        eval_dataset = eval_dataset.map(${mapFn}, remove_columns=columns)
    print("First training example after mapping:", json.dumps(train_dataset[0], ensure_ascii=False)[:1000])
${method === 'kto' ? `    desirable_weight = DESIRABLE_WEIGHT if DESIRABLE_WEIGHT is not None else balanced_desirable_weight(train_dataset["label"])
` : ''}
    # ---- training arguments (built first: under accelerate launch this sets up the processes, so that with
    # FSDP transformers loads the weights on rank 0 only instead of one fp32 copy per process)
    training_args = ${renderCall(configClass, ck).split('\n').join('\n    ')}
    training_args.device  # noqa: B018 - reading it starts the process group now, before the weights load

    # ---- model
${model.code}
${loss?.afterModel ?? ''}
    # ---- training
    trainer = ${renderCall(trainerClass, tk).split('\n').join('\n    ')}
${peft ? '    trainer.model.print_trainable_parameters()\n' : ''}${loss ? '    report_trained_tokens(trainer, tokenizer)\n' : ''}    resume_from = checkpoint_to_resume()
    trainer.add_callback(RunRecordCallback(run_record()))
    if resume_from is None:
        # Every process has decided (above) before the main one moves earlier checkpoints aside.
        trainer.accelerator.wait_for_everyone()
        if trainer.is_world_process_zero():
            set_aside_checkpoints()
        trainer.accelerator.wait_for_everyone()
    result = trainer.train(resume_from_checkpoint=resume_from)
    if torch.cuda.is_available() and trainer.is_world_process_zero():
        # Read by ML Intern's smoke run to fit the batch plan to the memory really used.
        print(f"ML_INTERN_PEAK_MEMORY peak_gib={torch.cuda.max_memory_allocated() / 2**30:.3f} total_gib={torch.cuda.get_device_properties(0).total_memory / 2**30:.3f}", flush=True)

    # ---- save, evaluate, push
    # Every process calls save_model and evaluate (under FSDP/DeepSpeed they gather the weights
    # together); what is written or uploaded once comes from the main process only, since
    # accelerate launch runs this whole script once per GPU.
    if getattr(trainer, "is_fsdp_enabled", False):
        # Checkpoints stay sharded (fast to save and resume); the final model must be whole for from_pretrained.
        trainer.accelerator.state.fsdp_plugin.set_state_dict_type("FULL_STATE_DICT")
    trainer.save_model(OUTPUT_DIR)
    metrics = trainer.evaluate() if eval_dataset is not None else None
    if trainer.is_world_process_zero():
        tokenizer.save_pretrained(OUTPUT_DIR)
        write_training_summary(result)
        if metrics is not None:
            trainer.save_metrics("eval", metrics)
            print("Held-out evaluation:", metrics)
        if HUB_MODEL_ID:
            push_output()
    trainer.accelerator.wait_for_everyone()


tokenizer = None

if __name__ == "__main__":
    main()
`;

  if (method === 'kto' && spec.perDeviceTrainBatchSize < KTO_MIN_MICRO_BATCH) {
    notes.push(`KTO with micro-batch ${spec.perDeviceTrainBatchSize}: trl's KTO docs ask for a per-step batch of at least ${KTO_MIN_MICRO_BATCH}, or the KL estimate is poor${spec.perDeviceTrainBatchSize <= 1 ? ' (trl refuses 1)' : ''}; raise PER_DEVICE_TRAIN_BATCH_SIZE (lower GRADIENT_ACCUMULATION_STEPS to keep the effective batch), with gradient checkpointing or QLoRA if memory is short.`);
  }
  if (reportTo === 'none') notes.push('No tracker (trackio, wandb, tensorboard) was reported installed: REPORT_TO = "none" (loss still prints to the console).');
  if (/gemma/i.test(spec.baseModel ?? '') && spec.systemPrompt) notes.push('Some Gemma chat templates reject a "system" role: if the template raises, fold SYSTEM_PROMPT into the first user turn.');
  if (warmupRuntime) notes.push('transformers version unknown: the script picks warmup_ratio (<5) or warmup_steps (>=5) at run time.');

  // Only the numbers of a reported version reach requirements.txt: a line there can be a pip option (--index-url …).
  const minor = (v: string): string => parseVersion(v).concat(0).slice(0, 2).join('.');
  const requirements = [`trl>=${minor(t.trl)}`, `transformers>=${minor(t.transformers)}`, 'datasets', 'accelerate'];
  if (peft) requirements.push(`peft>=${minor(t.peft)}`);
  if (qlora) requirements.push('bitsandbytes');
  if (reportTo !== 'none') requirements.push(reportTo);
  return { content, notes, reportTo, requirements };
}

/** The micro-batch's CONFIG comment; with the preview's lengths, which row length its memory plan counted. */
function batchComment(method: SupervisedMethod, plannedRowTokens?: number): string {
  const planned = plannedRowTokens ? `; planned for rows of up to ${plannedRowTokens} tokens (the longest the token preview measured), not MAX_LENGTH` : '';
  if (method === 'kto') return `micro-batch per GPU; KTO: keep it >= ${KTO_MIN_MICRO_BATCH} (its KL term is estimated within the micro-batch; 1 is refused)${planned}`;
  return `micro-batch per GPU${planned}: the first thing to lower on out-of-memory`;
}
