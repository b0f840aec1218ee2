/**
 * The playbook: deterministic fixes for well-known failures, zero LLM tokens.
 * Given a diagnosis, the current script, what was already tried and (when
 * known) the machine, it returns one next step: a new script to review, a
 * command to approve, a retry with a changed environment, a question for the
 * user, or 'llm' when no rule knows.
 */
import { ConfigValue, readConfig, setConfig } from '../recipes/configBlock';
import { attnToSdpa, bf16ToFp16, leanerOptimizer, ligerKernelOn, moveKwarg, padWithEos, renameForKwarg, setChatTemplate } from './fixes';
import { renameKwarg, findKwargs } from './scriptEdits';
import { asNumber, getParam, isTrue, setParam } from './scriptParams';
import { Diagnosis, FailureCategory, RecoveryEnvironment, bf16Supported } from './types';
import { RENAMES } from '../recipes/libraryVersions';
import { fitAccumulation } from '../recipes/templates/grpo';

export type PlaybookFix =
  | { kind: 'edit'; id: string; script: string; description: string }
  | { kind: 'command'; id: string; argv: string[]; description: string }
  | { kind: 'retry'; id: string; env: Record<string, string>; description: string }
  | { kind: 'user'; id: string; question: string }
  | { kind: 'llm'; reason: string };

/** One earlier attempt, as the playbook needs it. */
export interface AttemptSummary {
  category: FailureCategory;
  fixId?: string;
}

export interface PlaybookInput {
  diagnosis: Diagnosis;
  script: string;
  history?: AttemptSummary[];
  environment?: RecoveryEnvironment;
  /** Interpreter for pip commands (default python3). */
  python?: string;
}

const MIN_MAX_LENGTH = 256;

export function playbook(input: PlaybookInput): PlaybookFix {
  const { diagnosis: d, script } = input;
  const history = input.history ?? [];
  const tried = (id: string) => history.some((h) => h.fixId === id);
  switch (d.category) {
    case 'cuda_oom':
      return oomLadder(script, history, input.environment);
    case 'bf16_unsupported': {
      const e = bf16ToFp16(script);
      return e ? edit('bf16:fp16', e.script, `bf16 is not supported on this GPU: ${e.changes.join(', ')}`) : llm('no bf16 setting found in the script');
    }
    case 'flash_attn_missing': {
      const e = attnToSdpa(script);
      return e ? edit('attn:sdpa', e.script, 'FlashAttention 2 unavailable: attention implementation → "sdpa" (PyTorch scaled-dot-product attention)') : llm('no attention setting found in the script');
    }
    case 'missing_pad_token': {
      const e = padWithEos(script);
      return e ? edit('pad:eos', e.script, `The tokenizer has no pad token: pad with EOS (${e.changes[0]})`) : llm('the tokenizer is made in a way the rule does not recognise, or a pad token is already set');
    }
    case 'missing_chat_template': {
      const e = setChatTemplate(script);
      return e ? edit('chat:chatml', e.script, 'The tokenizer has no chat template: set ChatML before the data is formatted') : llm('the tokenizer is made in a way the rule does not recognise, or a template is already set');
    }
    case 'unexpected_kwarg':
      return kwargFix(d, script);
    case 'module_not_found': {
      const pkg = d.details?.pipPackage;
      if (!pkg) return llm('the missing module is not named in the log');
      const upgrade = /cannot import name|requires? `?[\w-]+[<>=]/.test(d.evidence.join('\n'));
      const id = `pip:${pkg}`;
      if (tried(id)) return user(id, `Installing '${pkg}' did not fix it: ${d.summary} Check that training runs with the interpreter the package went into (setting mlIntern.pythonPath).`);
      const argv = [input.python ?? 'python3', '-m', 'pip', 'install', ...(upgrade ? ['-U'] : []), pkg];
      return { kind: 'command', id, argv, description: `${upgrade ? 'Upgrade' : 'Install'} the missing package: ${argv.join(' ')}` };
    }
    case 'disk_full': {
      const limit = getParam(script, 'saveTotalLimit');
      if (asNumber(limit) !== 1 && !tried('disk:save_total_limit')) {
        const s = setParam(script, 'saveTotalLimit', 1);
        if (s && s !== script) return edit('disk:save_total_limit', s, `Disk full: keep only the last checkpoint (save_total_limit ${limit?.text ?? 'unset'} → 1)`);
      }
      const out = getParam(script, 'outputDir');
      return user('disk:output_dir', `The disk is full${out ? ` (outputs go to ${out.text})` : ''}. Where should checkpoints and outputs go instead? Give a folder on a disk with free space (or free some space and retry).`);
    }
    case 'gated_or_auth': {
      const repo = d.details?.repoId ?? modelId(script);
      const page = repo ? `https://huggingface.co/${repo}` : 'the model page on https://huggingface.co';
      return user('auth:licence', `Access to ${repo ? `'${repo}'` : 'the model'} was refused. If it is gated, accept its licence at ${page} with the account of your token; then make sure a valid Hugging Face token is set with the 'ML Intern: Set API Key' command, and retry.`);
    }
    case 'hub_push': {
      const repo = d.details?.repoId ?? hubModelId(script);
      return user('push:permission', `Pushing${repo ? ` to '${repo}'` : ''} to the Hub failed. Use a token with write access (set it with 'ML Intern: Set API Key'), check that you may create repos under that namespace, then push again.`);
    }
    case 'sandbox_unavailable':
      return user('sandbox:user', `${d.summary} ${d.fix.description} Then run it again.`);
    case 'cuda_driver':
      return user('driver:user', `${d.summary} Install or update the NVIDIA driver (nvidia-smi must work), or install a PyTorch build that matches the driver, then retry.`);
    case 'grpo_generation_batch':
      // trl 0.15-0.16 count micro-batch x GPUs only: accumulation cannot fix it there.
      if (d.evidence.some((e) => /global (?:train|eval) batch size/.test(e))) {
        return user('grpo:batch-user', 'This trl groups generations within micro-batch x GPUs (accumulation does not count): set PER_DEVICE_TRAIN_BATCH_SIZE to a multiple of NUM_GENERATIONS, or NUM_GENERATIONS to one of the values trl lists, or upgrade trl (>= 0.17 counts accumulation).');
      }
      return grpoBatchFix(script, input.environment);
    case 'nan_loss':
      return nanFix(script, input.environment, tried);
    case 'network_timeout':
      if (tried('net:timeouts')) return user('net:user', 'The Hugging Face Hub is still unreachable with longer time-outs. Check the network or proxy (HTTPS_PROXY), or download the model on a connected machine and set HF_HUB_OFFLINE=1; then retry.');
      return { kind: 'retry', id: 'net:timeouts', env: { HF_HUB_DOWNLOAD_TIMEOUT: '60', HF_HUB_ETAG_TIMEOUT: '60' }, description: 'Hub connection failed: retry with longer Hub time-outs (HF_HUB_DOWNLOAD_TIMEOUT=60, HF_HUB_ETAG_TIMEOUT=60)' };
    default:
      return llm(`no playbook rule for ${d.category}`);
  }
}

/** GRPO: the smallest GRADIENT_ACCUMULATION_STEPS that makes the generation batch hold whole groups (same micro-batch, so no new OOM risk per step). */
function grpoBatchFix(script: string, env: RecoveryEnvironment | undefined): PlaybookFix {
  const cfg = readConfig(script);
  const [bs, ga, n] = [cfg.PER_DEVICE_TRAIN_BATCH_SIZE, cfg.GRADIENT_ACCUMULATION_STEPS, cfg.NUM_GENERATIONS];
  if (typeof bs !== 'number' || typeof ga !== 'number' || typeof n !== 'number') return llm('the script has no PER_DEVICE_TRAIN_BATCH_SIZE / GRADIENT_ACCUMULATION_STEPS / NUM_GENERATIONS CONFIG values');
  const gpus = env?.gpus?.length || 1;
  const fitted = fitAccumulation(bs, ga, n, gpus);
  if ((bs * fitted * gpus) % n !== 0 || fitted === ga) return llm(`no accumulation near ${ga} makes ${bs} x accumulation x ${gpus} a multiple of ${n}`);
  return edit('grpo:accumulation', setConfig(script, 'GRADIENT_ACCUMULATION_STEPS', fitted),
    `GRPO needs whole groups of ${n} generations per batch: GRADIENT_ACCUMULATION_STEPS ${ga} -> ${fitted} (${bs} x ${fitted} x ${gpus} GPU(s) = ${bs * fitted * gpus})`);
}

function edit(id: string, script: string, description: string): PlaybookFix {
  return { kind: 'edit', id, script, description };
}
function user(id: string, question: string): PlaybookFix {
  return { kind: 'user', id, question };
}
function llm(reason: string): PlaybookFix {
  return { kind: 'llm', reason };
}

/**
 * Out of memory, one rung per attempt: the script itself remembers what was
 * done (a halved batch stays halved), the history what was asked. The rungs keep
 * the user's task (same data, model, method and effective batch):
 * 1. halve the micro-batch, same effective batch through accumulation (+ checkpointing on)
 * 2. gradient checkpointing on
 * 3. a leaner optimizer (8-bit AdamW with bitsandbytes, else Adafactor)
 * 4. SFT: the Liger kernel when liger-kernel is installed (padding-free is no rung: at micro-batch 1
 *    there is no padding left to save)
 * What is left changes the training — a shorter MAX_LENGTH truncates their data,
 * QLoRA is another method, a smaller model another result — so it is a question, never an edit.
 */
function oomLadder(script: string, history: AttemptSummary[], env: RecoveryEnvironment | undefined): PlaybookFix {
  const batch = asNumber(getParam(script, 'batch'));
  const accParam = getParam(script, 'accumulation');
  const acc = asNumber(accParam) ?? (accParam ? undefined : 1);
  const gcOn = isTrue(getParam(script, 'checkpointing')) || /\.gradient_checkpointing_enable\(/.test(script);
  if (batch !== undefined && batch > 1 && acc !== undefined) {
    const nb = Math.max(1, Math.floor(batch / 2));
    const na = Math.ceil((acc * batch) / nb);
    let s = setParam(script, 'batch', nb);
    if (s) s = setParam(s, 'accumulation', na);
    const parts = [`micro-batch ${batch} → ${nb}`, `gradient accumulation ${acc} → ${na} (effective batch ${batch * acc}${na * nb === batch * acc ? ' kept' : ` → ${na * nb}`})`];
    if (s && !gcOn) {
      const g = setParam(s, 'checkpointing', true);
      if (g) {
        s = g;
        parts.push('gradient checkpointing on');
      }
    }
    if (s && s !== script) return edit('oom:batch', s, `Out of memory: ${parts.join(', ')}`);
  }
  if (!gcOn) {
    const s = setParam(script, 'checkpointing', true);
    if (s && s !== script) return edit('oom:checkpointing', s, 'Out of memory at micro-batch 1: gradient checkpointing on (recompute activations instead of storing them)');
  }
  const lean = leanerOptimizer(script, env);
  if (lean) return edit('oom:optim', lean.script, `Out of memory at micro-batch 1 with checkpointing: ${lean.changes.join(', ')}`);
  const liger = ligerKernelOn(script, env);
  if (liger) return edit('oom:liger', liger.script, `Out of memory at micro-batch 1 with checkpointing and a lean optimizer: ${liger.changes.join(', ')}`);
  const in4bit = isTrue(getParam(script, 'load4bit'));
  const L = asNumber(getParam(script, 'maxLength'));
  const options: string[] = [];
  if (L !== undefined && L > MIN_MAX_LENGTH) {
    const nl = Math.max(MIN_MAX_LENGTH, Math.floor(L / 2));
    options.push(`lower MAX_LENGTH ${L} → ${nl} (examples longer than ${nl} tokens get truncated: the model learns less of them)`);
  }
  if (!in4bit) options.push('switch to QLoRA (the base model in 4-bit with LoRA adapters: it changes the training method and the result)');
  options.push('a smaller model, or a GPU with more memory');
  const tried = [...new Set(history.filter((h) => h.category === 'cuda_oom' && h.fixId).map((h) => h.fixId))].length;
  return user(
    'oom:scope',
    `Still out of memory with micro-batch 1, gradient checkpointing and a lean optimizer${in4bit ? ' in 4-bit' : ''}${tried ? ` (after ${tried} kind${tried === 1 ? '' : 's'} of fix)` : ''}. ` +
      `What is left changes your training, so it is your choice: ${options.map((o, i) => `(${String.fromCharCode(97 + i)}) ${o}`).join('; ')}. Which one?`,
  );
}

function kwargFix(d: Diagnosis, script: string): PlaybookFix {
  const kwarg = d.details?.kwarg;
  if (!kwarg) return llm('the refused keyword is not named in the log');
  const cls = d.details?.className?.split('.')[0];
  const r = renameForKwarg(kwarg, cls);
  if (r) {
    const callees = cls && findKwargs(script, kwarg, [cls]).length ? [cls] : undefined;
    const s = renameKwarg(script, r.from, r.to, callees);
    if (s !== script) return edit(`kwarg:${r.from}->${r.to}`, s, `${cls ?? 'The call'} does not take '${r.from}' in the installed version: renamed to '${r.to}'`);
  }
  // Keywords that moved from the trainer to its Config class.
  const moved = RENAMES.find((x) => x.old === kwarg && x.new?.includes('.') && (!cls || x.symbol === cls));
  if (moved && moved.new) {
    const e = moveKwarg(script, kwarg, moved.symbol, moved.new);
    if (e) return edit(`kwarg:${kwarg}->${moved.new}`, e.script, `${moved.symbol} no longer takes '${kwarg}': ${e.changes[0]}`);
  }
  return llm(`no known rename for '${kwarg}'`);
}

function nanFix(script: string, env: RecoveryEnvironment | undefined, tried: (id: string) => boolean): PlaybookFix {
  let s = script;
  const parts: string[] = [];
  const lr = asNumber(getParam(s, 'learningRate'));
  if (lr !== undefined && lr > 0) {
    const next = Number((lr / 4).toPrecision(3));
    s = setParam(s, 'learningRate', next as ConfigValue) ?? s;
    parts.push(`learning rate ${lr} → ${next}`);
  }
  if (isTrue(getParam(s, 'fp16'))) {
    s = setParam(s, 'fp16', false) ?? s;
    if (bf16Supported(env) === true) {
      s = setParam(s, 'bf16', true) ?? s;
      parts.push('fp16 → bf16');
    } else parts.push('fp16 → fp32');
  }
  const gn = getParam(s, 'maxGradNorm');
  const g = asNumber(gn);
  if (g === undefined || g > 0.3) {
    const next = setParam(s, 'maxGradNorm', 0.3);
    if (next) {
      s = next;
      parts.push(`max_grad_norm ${g ?? 1.0} → 0.3`);
    }
  }
  if (s === script) return tried('nan:stabilise') ? llm('the NaN persists after the stabilising changes') : llm('no learning rate, precision or clipping setting to change');
  // Checkpoints saved after the loss became NaN hold NaN weights: the stabilised run starts over.
  if (readConfig(s).RESUME_FROM_CHECKPOINT === 'auto') {
    s = setConfig(s, 'RESUME_FROM_CHECKPOINT', null);
    parts.push('starting over (RESUME_FROM_CHECKPOINT → None: later checkpoints may hold NaN weights)');
  }
  return edit('nan:stabilise', s, `Loss became NaN: ${parts.join(', ')}`);
}

function modelId(script: string): string | undefined {
  const v = getParam(script, 'modelId')?.value;
  return typeof v === 'string' && /^[\w.-]+\/[\w.-]+$/.test(v) ? v : undefined;
}

function hubModelId(script: string): string | undefined {
  const m = /^HUB_MODEL_ID\s*=\s*["']([\w.-]+\/[\w.-]+)["']/m.exec(script);
  return m?.[1];
}

