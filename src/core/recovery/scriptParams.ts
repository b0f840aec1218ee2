/**
 * Training parameters by meaning, wherever a script keeps them: the recipe
 * scripts' CONFIG block (`PER_DEVICE_TRAIN_BATCH_SIZE = 4`), a top-level
 * constant a keyword points to (`per_device_train_batch_size=BATCH`), or the
 * keyword itself in a hand-written `TrainingArguments(...)` / `SFTConfig(...)`.
 */
import { ConfigValue, parsePythonLiteral, readConfig, setConfig, toPythonLiteral } from '../recipes/configBlock';
import { findAssignment, findKwarg, insertKwarg, replaceKwargValue } from './scriptEdits';

/** Classes whose keywords are the trainer's arguments. */
export const ARGS_CLASSES = [
  'TrainingArguments', 'Seq2SeqTrainingArguments', 'SFTConfig', 'DPOConfig', 'ORPOConfig', 'KTOConfig',
  'GRPOConfig', 'CPOConfig', 'RewardConfig', 'PPOConfig', 'RLOOConfig', 'OnlineDPOConfig',
];

export interface ParamSpec {
  /** CONFIG-block names, preferred first. */
  constants: string[];
  /** Keyword names, preferred first (the first is used when inserting). */
  keywords: string[];
  /** Calls that take the keyword. */
  callees: string[];
}

export const PARAMS = {
  batch: { constants: ['PER_DEVICE_TRAIN_BATCH_SIZE'], keywords: ['per_device_train_batch_size'], callees: ARGS_CLASSES },
  accumulation: { constants: ['GRADIENT_ACCUMULATION_STEPS'], keywords: ['gradient_accumulation_steps'], callees: ARGS_CLASSES },
  checkpointing: { constants: ['GRADIENT_CHECKPOINTING'], keywords: ['gradient_checkpointing'], callees: ARGS_CLASSES },
  maxLength: { constants: ['MAX_LENGTH', 'MAX_SEQ_LENGTH'], keywords: ['max_length', 'max_seq_length'], callees: ARGS_CLASSES },
  learningRate: { constants: ['LEARNING_RATE'], keywords: ['learning_rate'], callees: ARGS_CLASSES },
  bf16: { constants: ['BF16'], keywords: ['bf16'], callees: ARGS_CLASSES },
  fp16: { constants: ['FP16'], keywords: ['fp16'], callees: ARGS_CLASSES },
  tf32: { constants: ['TF32'], keywords: ['tf32'], callees: ARGS_CLASSES },
  maxGradNorm: { constants: ['MAX_GRAD_NORM'], keywords: ['max_grad_norm'], callees: ARGS_CLASSES },
  saveTotalLimit: { constants: ['SAVE_TOTAL_LIMIT'], keywords: ['save_total_limit'], callees: ARGS_CLASSES },
  outputDir: { constants: ['OUTPUT_DIR'], keywords: ['output_dir'], callees: ARGS_CLASSES },
  attn: { constants: ['ATTN_IMPLEMENTATION'], keywords: ['attn_implementation'], callees: ['from_pretrained'] },
  load4bit: { constants: ['LOAD_IN_4BIT', 'USE_4BIT'], keywords: ['load_in_4bit'], callees: ['BitsAndBytesConfig', 'from_pretrained'] },
  modelId: { constants: ['MODEL_ID'], keywords: ['model_name_or_path'], callees: ['from_pretrained'] },
  liger: { constants: ['USE_LIGER_KERNEL'], keywords: ['use_liger_kernel'], callees: ['SFTConfig'] },
} satisfies Record<string, ParamSpec>;

export type ParamName = keyof typeof PARAMS;

type Where =
  | { kind: 'config'; name: string }
  | { kind: 'constant'; name: string }
  | { kind: 'keyword'; keyword: string; callees: string[] };

export interface ParamValue {
  /** The literal value, or undefined when the script computes it (an expression). */
  value: ConfigValue | undefined;
  /** The value's source text. */
  text: string;
  where: Where;
}

export function getParam(script: string, name: ParamName): ParamValue | undefined {
  const spec: ParamSpec = PARAMS[name];
  const config = readConfig(script);
  for (const c of spec.constants) {
    if (c in config) return { value: config[c], text: toPythonLiteral(config[c]), where: { kind: 'config', name: c } };
  }
  for (const kw of spec.keywords) {
    const site = findKwarg(script, kw, spec.callees);
    if (!site) continue;
    const text = site.value.trim();
    // `per_device_train_batch_size=BATCH_SIZE`: the constant is what to read and change.
    if (/^[A-Z][A-Z0-9_]*$/.test(text)) {
      const a = findAssignment(script, text);
      if (a) return { value: parsePythonLiteral(a.value), text: a.value, where: { kind: 'constant', name: text } };
    }
    return { value: parsePythonLiteral(text), text, where: { kind: 'keyword', keyword: kw, callees: spec.callees } };
  }
  return undefined;
}

/** The script with the parameter set; undefined when the script has nowhere to put it. */
export function setParam(script: string, name: ParamName, value: ConfigValue): string | undefined {
  const spec: ParamSpec = PARAMS[name];
  const cur = getParam(script, name);
  const lit = toPythonLiteral(value);
  if (cur?.where.kind === 'config') return setConfig(script, cur.where.name, value);
  if (cur?.where.kind === 'constant') {
    const a = findAssignment(script, cur.where.name)!;
    return script.slice(0, a.start) + lit + script.slice(a.end);
  }
  if (cur?.where.kind === 'keyword') return replaceKwargValue(script, cur.where.keyword, lit, cur.where.callees);
  return insertKwarg(script, spec.keywords[0], lit, spec.callees);
}

export function isTrue(v: ParamValue | undefined): boolean {
  return v?.value === true;
}

export function asNumber(v: ParamValue | undefined): number | undefined {
  return typeof v?.value === 'number' ? v.value : undefined;
}
