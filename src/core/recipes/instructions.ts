/**
 * Free-text instructions ("3 epochs, max length 512, lr 1e-4") read by rules, so
 * recipe mode (no LLM) applies what it can to the script's CONFIG block — shown
 * in the reviewed diff — and says which parts it did not apply, instead of
 * silently training with the defaults. Pure: no I/O.
 */
import { ConfigValue } from './configBlock';

export interface InstructionReading {
  /** CONFIG name → value, ready for the request's `config` (applyOverrides). */
  config: Record<string, ConfigValue>;
  /** What was applied, one "NAME = value" per setting, in the order given. */
  applied: string[];
  /** The parts no rule understood (or whose value is out of range), each with why. */
  notApplied: string[];
}

export interface InstructionOptions {
  /** LoRA or QLoRA: the LORA_* names exist in the script. */
  peft: boolean;
}

const NUM = String.raw`(\d+(?:\.\d+)?(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?)`;
const SEP = String.raw`\s*(?:[:=]|\bof\b|\bto\b|\bat\b|\bis\b)?\s*`;

interface Rule {
  name: string;
  what: string;
  /** The first capture group is the value. */
  patterns: RegExp[];
  peftOnly?: boolean;
  integer?: boolean;
  min: number;
  max: number;
  /** A value read as a percentage ("10 %") is divided by 100. */
  fraction?: boolean;
}

const RULES: Rule[] = [
  { name: 'NUM_TRAIN_EPOCHS', what: 'epochs', patterns: [new RegExp(`${NUM}\\s*epochs?\\b`, 'i'), new RegExp(`\\b(?:num[\\s_-]*(?:train[\\s_-]*)?)?epochs?${SEP}${NUM}`, 'i')], min: 0.01, max: 100 },
  {
    name: 'MAX_LENGTH',
    what: 'max length',
    patterns: [new RegExp(`\\bmax(?:imum)?[\\s_-]*(?:seq(?:uence)?[\\s_-]*)?(?:len(?:gth)?|tokens)${SEP}${NUM}`, 'i'), new RegExp(`\\b(?:sequence|context)[\\s_-]*length${SEP}${NUM}`, 'i')],
    integer: true,
    min: 16,
    max: 1_048_576,
  },
  { name: 'LEARNING_RATE', what: 'learning rate', patterns: [new RegExp(`\\b(?:lr|learning[\\s_-]*rate)${SEP}${NUM}`, 'i')], min: 1e-9, max: 1 },
  {
    name: 'GRADIENT_ACCUMULATION_STEPS',
    what: 'gradient accumulation',
    patterns: [new RegExp(`\\bgrad(?:ient)?[\\s_-]*acc(?:um(?:ulation)?)?(?:[\\s_-]*steps)?${SEP}${NUM}`, 'i')],
    integer: true,
    min: 1,
    max: 4096,
  },
  {
    name: 'PER_DEVICE_TRAIN_BATCH_SIZE',
    what: 'batch size',
    patterns: [new RegExp(`(?<!(?:effective|global|total)[\\s_-])\\b(?:per[\\s_-]*device[\\s_-]*(?:train[\\s_-]*)?|micro[\\s_-]*)?batch(?:[\\s_-]*size)?${SEP}${NUM}`, 'i')],
    integer: true,
    min: 1,
    max: 4096,
  },
  { name: 'LORA_R', what: 'LoRA r', patterns: [new RegExp(`\\b(?:lora[\\s_-]*)?(?:r|rank)${SEP}${NUM}`, 'i')], peftOnly: true, integer: true, min: 1, max: 4096 },
  { name: 'LORA_ALPHA', what: 'LoRA alpha', patterns: [new RegExp(`\\b(?:lora[\\s_-]*)?alpha${SEP}${NUM}`, 'i')], peftOnly: true, min: 0.001, max: 100_000 },
  { name: 'LORA_DROPOUT', what: 'LoRA dropout', patterns: [new RegExp(`\\b(?:lora[\\s_-]*)?dropout${SEP}${NUM}\\s*(%?)`, 'i')], peftOnly: true, fraction: true, min: 0, max: 0.9 },
  { name: 'WARMUP_RATIO', what: 'warmup ratio', patterns: [new RegExp(`\\bwarm[\\s_-]*up(?:[\\s_-]*ratio)?${SEP}${NUM}\\s*(%?)`, 'i')], fraction: true, min: 0, max: 0.5 },
  { name: 'SEED', what: 'seed', patterns: [new RegExp(`\\b(?:random[\\s_-]*)?seed${SEP}${NUM}`, 'i')], integer: true, min: 0, max: 2 ** 32 - 1 },
  { name: 'LOGGING_STEPS', what: 'logging steps', patterns: [new RegExp(`\\blog(?:ging)?[\\s_-]*(?:every[\\s_-]*)?steps?${SEP}${NUM}`, 'i')], integer: true, min: 1, max: 1_000_000 },
  { name: 'SAVE_STEPS', what: 'save steps', patterns: [new RegExp(`\\bsave[\\s_-]*(?:every[\\s_-]*)?steps?${SEP}${NUM}`, 'i')], integer: true, min: 1, max: 1_000_000 },
];

const CHECKPOINTING_OFF = /\b(?:no|without|disable|turn\s+off)\s+gradient[\s_-]*checkpointing\b|\bgradient[\s_-]*checkpointing\s*(?:[:=]|\bis\b)?\s*(?:off|false|no|disabled)\b/i;
const CHECKPOINTING_ON = /\bgradient[\s_-]*checkpointing\b/i;

/** What the rules understand, for the message about the parts they did not. */
export const UNDERSTOOD = 'epochs, max length, learning rate (lr), batch size, gradient accumulation, LoRA r / alpha / dropout, warmup, seed, logging and save steps, gradient checkpointing on/off';

function format(v: ConfigValue): string {
  return typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v);
}

/** One clause ("lr 1e-4") → the settings it names, or why not. */
function readClause(clause: string, options: InstructionOptions, out: InstructionReading): boolean {
  let understood = false;
  const set = (name: string, value: ConfigValue) => {
    out.config[name] = value;
    out.applied.push(`${name} = ${format(value)}`);
  };
  if (CHECKPOINTING_OFF.test(clause)) {
    set('GRADIENT_CHECKPOINTING', false);
    return true;
  }
  if (CHECKPOINTING_ON.test(clause)) {
    set('GRADIENT_CHECKPOINTING', true);
    understood = true;
    clause = clause.replace(CHECKPOINTING_ON, ' ');
  }
  for (const rule of RULES) {
    const m = rule.patterns.map((p) => p.exec(clause)).find((x) => x !== null);
    if (!m) continue;
    understood = true;
    let value = Number(m[1]);
    if (rule.fraction && (m[2] === '%' || value >= 1)) value /= 100;
    if (rule.peftOnly && !options.peft) {
      out.notApplied.push(`"${clause.trim()}" (a full fine-tune has no LoRA ${rule.what.replace('LoRA ', '')})`);
    } else if (!Number.isFinite(value) || value < rule.min || value > rule.max || (rule.integer && !Number.isInteger(value))) {
      out.notApplied.push(`"${clause.trim()}" (${rule.what} must be ${rule.integer ? 'a whole number ' : ''}from ${rule.min} to ${rule.max})`);
    } else set(rule.name, value);
    // The rest of the clause may name another setting ("batch 4 lr 2e-4").
    clause = clause.slice(0, m.index) + ' ' + clause.slice(m.index + m[0].length);
  }
  return understood;
}

/** Read the instructions clause by clause (split at commas, semicolons, new lines and "and"). */
export function readInstructions(text: string, options: InstructionOptions): InstructionReading {
  const out: InstructionReading = { config: {}, applied: [], notApplied: [] };
  const clauses = text
    .split(/[,;\n]|\band\b|\.(?=\s|$)/i)
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
  for (const clause of clauses) {
    if (!readClause(clause, options, out)) out.notApplied.push(`"${clause}"`);
  }
  return out;
}
