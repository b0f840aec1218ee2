/**
 * The script edits the playbook and the preflight share. Each returns the new
 * script (or undefined when it has nothing to change) and a description part.
 */
import { readConfig, setConfig } from '../recipes/configBlock';
import { Rename, RENAMES, versionAtLeast } from '../recipes/libraryVersions';
import { findCalls, findKwargs, indentAt, insertAfterLineOf, insertKwarg, renameKwarg, replaceKwargValue, removeKwarg } from './scriptEdits';
import { ARGS_CLASSES, getParam, isTrue, setParam } from './scriptParams';
import { installedVersion, RecoveryEnvironment } from './types';

export interface Edit {
  script: string;
  changes: string[];
}

/** bf16 → fp16: BF16=False, FP16=True, tf32 off, bfloat16 model/compute dtypes → float16. */
export function bf16ToFp16(script: string): Edit | undefined {
  let s = script;
  const changes: string[] = [];
  if (isTrue(getParam(s, 'bf16'))) {
    s = setParam(s, 'bf16', false) ?? s;
    s = setParam(s, 'fp16', true) ?? s;
    changes.push('bf16 → fp16');
  }
  if (isTrue(getParam(s, 'tf32'))) {
    s = setParam(s, 'tf32', false) ?? s;
    changes.push('tf32 off');
  }
  let dtypes = false;
  for (const kw of ['torch_dtype', 'dtype', 'bnb_4bit_compute_dtype']) {
    for (const site of findKwargs(s, kw)) {
      if (/^(?:torch\.bfloat16|["']bfloat16["'])$/.test(site.value.trim())) dtypes = true;
    }
    s = replaceMatchingKwarg(s, kw, /^torch\.bfloat16$/, 'torch.float16');
    s = replaceMatchingKwarg(s, kw, /^(["'])bfloat16\1$/, '"float16"');
  }
  if (dtypes) changes.push('bfloat16 weights → float16');
  return s === script ? undefined : { script: s, changes };
}

function replaceMatchingKwarg(s: string, kw: string, re: RegExp, value: string): string {
  const hit = findKwargs(s, kw).find((k) => re.test(k.value.trim()));
  if (!hit) return s;
  const next = s.slice(0, hit.arg.valueStart) + value + s.slice(hit.arg.valueEnd);
  return replaceMatchingKwarg(next, kw, re, value);
}

/** FlashAttention 2 → PyTorch SDPA. */
export function attnToSdpa(script: string): Edit | undefined {
  let s = script;
  const attn = getParam(s, 'attn');
  if (attn && attn.value !== 'sdpa') s = setParam(s, 'attn', 'sdpa') ?? s;
  if (findKwargs(s, 'use_flash_attention_2').length) {
    s = renameKwarg(s, 'use_flash_attention_2', 'attn_implementation');
    s = replaceKwargValue(s, 'attn_implementation', '"sdpa"', ['from_pretrained']);
  }
  return s === script ? undefined : { script: s, changes: ['attention flash_attention_2 → sdpa'] };
}

export function requestsFlashAttention(script: string): boolean {
  const attn = getParam(script, 'attn');
  if (attn?.value === 'flash_attention_2' || attn?.value === 'flash_attention_3') return true;
  return findKwargs(script, 'use_flash_attention_2').some((k) => k.value.trim() === 'True');
}

const TOKENIZER_RE = /^([^\S\n]*)([A-Za-z_]\w*)\s*=\s*(?:[\w.]*\.)?(?:AutoTokenizer|AutoProcessor|\w*Tokenizer(?:Fast)?)\.from_pretrained\(/m;

/** Where the tokenizer is made: its variable and the end of the statement. */
function tokenizerStatement(script: string): { name: string; end: number; indent: string } | undefined {
  const m = TOKENIZER_RE.exec(script);
  if (!m) return undefined;
  const call = findCalls(script, ['from_pretrained']).find((c) => c.start >= m.index && c.start < m.index + m[0].length);
  if (!call) return undefined;
  return { name: m[2], end: call.close, indent: indentAt(script, m.index + m[1].length) };
}

/** `tokenizer.pad_token = tokenizer.eos_token` right after the tokenizer is made. */
export function padWithEos(script: string): Edit | undefined {
  const t = tokenizerStatement(script);
  if (!t || new RegExp(`\\b${t.name}\\.pad_token\\s*=`).test(script)) return undefined;
  const s = insertAfterLineOf(script, t.end, [
    `${t.indent}if ${t.name}.pad_token is None:`,
    `${t.indent}    ${t.name}.pad_token = ${t.name}.eos_token  # the model has no pad token: pad with EOS (masked out of the loss)`,
  ]);
  return { script: s, changes: [`${t.name}.pad_token = ${t.name}.eos_token`] };
}

/** ChatML, written out so it works with any tokenizer and any trl version (no embedding resize). */
const CHATML =
  `"{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\\\n' + message['content'] + '<|im_end|>' + '\\\\n' }}{% endfor %}"\n` +
  `        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\\\n' }}{% endif %}"`;

export function setChatTemplate(script: string): Edit | undefined {
  const t = tokenizerStatement(script);
  if (!t || new RegExp(`\\b${t.name}\\.chat_template\\s*=`).test(script)) return undefined;
  const s = insertAfterLineOf(script, t.end, [
    `${t.indent}if ${t.name}.chat_template is None:`,
    `${t.indent}    # A base model ships no chat template: use ChatML so conversational data can be formatted.`,
    `${t.indent}    ${t.name}.chat_template = (`,
    ...CHATML.split('\n').map((l) => `${t.indent}${l.replace(/^ {8}/, '        ')}`),
    `${t.indent}    )`,
  ]);
  return { script: s, changes: ['ChatML chat template set'] };
}

/** A keyword → its replacement (or back, when the installed version predates the rename). */
export function renameForKwarg(kwarg: string, className?: string): { from: string; to: string; rename: Rename } | undefined {
  const simple = (r: Rename) => r.new !== null && /^\w+$/.test(r.new);
  const bySymbol = (r: Rename) => !className || r.symbol === className || (r.symbol === 'TrainingArguments' && ARGS_CLASSES.includes(className)) || (r.symbol === 'Trainer' && /Trainer$/.test(className));
  const fwd = RENAMES.filter((r) => r.old === kwarg && simple(r));
  const f = fwd.find(bySymbol) ?? (className ? undefined : fwd[0]) ?? fwd[0];
  if (f) return { from: kwarg, to: f.new!, rename: f };
  const back = RENAMES.filter((r) => r.new === kwarg && simple(r) && r.removedIn);
  const b = back.find(bySymbol) ?? back[0];
  if (b) return { from: kwarg, to: b.old, rename: b };
  // Moved from a trainer to its Config class (SFTTrainer(max_seq_length=…) → SFTConfig(max_length=…)).
  return undefined;
}

/** Moves `kwarg` from a trainer call into its Config call ('SFTConfig.max_length'). */
export function moveKwarg(script: string, kwarg: string, fromClass: string, target: string): Edit | undefined {
  const [cls, to] = target.split('.');
  const site = findKwargs(script, kwarg, [fromClass])[0];
  if (!site || !findCalls(script, [cls]).length) return undefined;
  const removed = removeKwarg(script, kwarg, [fromClass]);
  const s = setKwargIn(removed, to, site.value.trim(), cls);
  return s ? { script: s, changes: [`${fromClass}(${kwarg}=…) → ${cls}(${to}=…)`] } : undefined;
}

function setKwargIn(s: string, kw: string, value: string, cls: string): string | undefined {
  if (findKwargs(s, kw, [cls]).length) return replaceKwargValue(s, kw, value, [cls]);
  return insertKwarg(s, kw, value, [cls]);
}

/** Full-precision AdamW variants: 8 bytes of optimizer state per trainable parameter. */
const FULL_ADAMW = ['adamw_torch', 'adamw_torch_fused', 'adamw_hf', 'adamw'];

/**
 * The CONFIG's OPTIM from full-precision AdamW to one that keeps less state: 8-bit AdamW
 * (bitsandbytes, ~2 bytes per parameter) when it is installed, else Adafactor (factored second
 * moments, built into transformers). Same data, model and method: the task is kept.
 */
export function leanerOptimizer(script: string, env: RecoveryEnvironment | undefined): Edit | undefined {
  const optim = readConfig(script).OPTIM;
  if (typeof optim !== 'string' || !FULL_ADAMW.includes(optim)) return undefined;
  const next = installedVersion(env, 'bitsandbytes') ? 'adamw_bnb_8bit' : 'adafactor';
  const s = setConfig(script, 'OPTIM', next);
  return s === script ? undefined : { script: s, changes: [`optimizer ${optim} → ${next} (${next === 'adafactor' ? 'factored second moments' : '8-bit states'}: less memory for the same training)`] };
}

/**
 * Liger's fused kernels for an SFT script (the logits are never materialized: same training, less
 * memory) when liger-kernel is installed, with a transformers that reads use_liger_kernel (4.45) and
 * a trl that keeps the loss masks under it (0.22; see recipes/templates/sftSpeed.ts). A recipe
 * written while it was installed has it on already; this is for one installed since, or a
 * hand-written script. Undefined when it does not apply or is on.
 */
export function ligerKernelOn(script: string, env: RecoveryEnvironment | undefined): Edit | undefined {
  const liger = installedVersion(env, 'liger_kernel');
  const trl = installedVersion(env, 'trl');
  const transformers = installedVersion(env, 'transformers');
  if (!liger || !trl || !transformers || !versionAtLeast(trl, '0.22.0') || !versionAtLeast(transformers, '4.45.0')) return undefined;
  if (findCalls(script, ['SFTConfig']).length === 0 || isTrue(getParam(script, 'liger'))) return undefined;
  const s = setParam(script, 'liger', true);
  return s && s !== script ? { script: s, changes: [`Liger kernel on (liger-kernel ${liger} is installed: fused kernels, the logits never materialized)`] } : undefined;
}
