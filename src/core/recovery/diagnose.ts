/**
 * Diagnosis: from a raw training log (a pasted line or 100 MB of output) to a
 * named failure with verbatim evidence, a one-sentence summary and who can fix it.
 * Deterministic and bounded: the log is scanned once (see logScan.ts) and only
 * a few thousand kept lines are matched against the rules (see rules.ts).
 */
import { redactor } from '../util/redact';
import { LogLine, LogScanner, scanText } from './logScan';
import { TrainingSummary, TrainingSummaryReader } from '../logs/trainingSummary';
import { NAME_TO_MODULE, pipPackageFor, topModule } from './packages';
import { ERROR_LINE_RE, MISSING_NAME_RE, RULES, UPLOAD_CONTEXT_RE, WARNING_LINE_RE } from './rules';
import { Diagnosis, DiagnosisDetails, FailureCategory, FixKind } from './types';

const MAX_EVIDENCE = 5;

/**
 * Diagnose a whole log given as one string, or as lines (an iterable of lines
 * without their newlines, e.g. from readline).
 */
export function diagnose(log: string | Iterable<string>): Diagnosis {
  if (typeof log === 'string') return diagnoseLines(scanText(log));
  const s = new LogScanner();
  for (const line of log) s.push(line.endsWith('\n') ? line : `${line}\n`);
  return diagnoseLines(s.end());
}

/** Diagnose a log arriving as chunks of any size (a file stream, stdin). */
export async function diagnoseStream(chunks: AsyncIterable<string | Uint8Array> | Iterable<string>): Promise<Diagnosis> {
  return (await diagnoseWithTraining(chunks)).diagnosis;
}

/** Nothing matched, no error line, and the trainer closed its run: a healthy log, not an unexplained failure. */
export function ranCleanly(d: Diagnosis, training: TrainingSummary | undefined): boolean {
  return d.category === 'unknown' && !d.evidence.length && Boolean(training?.finished);
}

/** The diagnosis and, from the same single pass (stdin cannot be read twice), what the log shows of the training. */
export async function diagnoseWithTraining(chunks: AsyncIterable<string | Uint8Array> | Iterable<string>): Promise<{ diagnosis: Diagnosis; training: TrainingSummary }> {
  const s = new LogScanner();
  const training = new TrainingSummaryReader();
  const decoder = new TextDecoder('utf-8');
  const push = (text: string) => {
    s.push(text);
    training.push(text);
  };
  for await (const chunk of chunks as AsyncIterable<string | Uint8Array>) push(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
  push(decoder.decode());
  return { diagnosis: diagnoseLines(s.end()), training: training.end() };
}

interface CategoryHits {
  strong: LogLine[];
  weak: LogLine[];
}

const GATED_SPECIFIC_RE = /gated|is restricted|authorized list|not a valid model identifier/i;

/** Diagnose from already-scanned lines (in log order). */
export function diagnoseLines(lines: LogLine[]): Diagnosis {
  const hits = new Map<FailureCategory, CategoryHits>();
  let lastUpload: LogLine | undefined;
  for (const line of lines) {
    if (UPLOAD_CONTEXT_RE.test(line.text)) lastUpload = line;
    const warning = WARNING_LINE_RE.test(line.text);
    for (const rule of RULES) {
      let kind: 'strong' | 'weak' | undefined;
      if (rule.strong.some((re) => re.test(line.text))) kind = warning ? 'weak' : 'strong';
      else if (rule.weak?.some((re) => re.test(line.text))) kind = 'weak';
      if (!kind) continue;
      let h = hits.get(rule.category);
      if (!h) hits.set(rule.category, (h = { strong: [], weak: [] }));
      h[kind].push(line);
    }
  }
  // An auth failure while uploading is a push problem, not a gated download.
  const auth = hits.get('gated_or_auth');
  if (auth && lastUpload && !auth.strong.some((l) => GATED_SPECIFIC_RE.test(l.text))) {
    const push = hits.get('hub_push') ?? { strong: [], weak: [] };
    push.strong.push(...auth.strong, lastUpload);
    push.strong.sort((a, b) => a.index - b.index);
    hits.set('hub_push', push);
    hits.delete('gated_or_auth');
  }

  const order = RULES.map((r) => r.category);
  let category: FailureCategory = 'unknown';
  let matched: LogLine[] = [];
  const strongCat = order.find((c) => (hits.get(c)?.strong.length ?? 0) > 0);
  const weakCat = order.find((c) => (hits.get(c)?.weak.length ?? 0) > 0);
  if (strongCat) {
    category = strongCat;
    matched = hits.get(strongCat)!.strong;
  } else if (weakCat) {
    category = weakCat;
    matched = hits.get(weakCat)!.weak;
  } else {
    const last = [...lines].reverse().find((l) => ERROR_LINE_RE.test(l.text) || /Segmentation fault|core dumped|Killed|Aborted/.test(l.text));
    matched = last ? [last] : [];
  }

  const evidence = pickEvidence(matched);
  const details = extractDetails(category, matched, lines);
  const summary = redactSecrets(summarise(category, evidence.map((e) => e.text), details));
  return {
    category,
    summary,
    evidence: evidence.map((e) => redactSecrets(e.raw)),
    fix: fixFor(category, details),
    ...(details && Object.keys(details).length ? { details } : {}),
  };
}

/**
 * Evidence must stay verbatim, so only lines that carry something key-shaped go
 * through the redactor (its generic `token = …` rule would also eat
 * `tokenizer.pad_token = tokenizer.eos_token`).
 */
function redactSecrets(line: string): string {
  return /hf_[A-Za-z0-9]{16,}|sk-[A-Za-z0-9_-]{16,}|Bearer\s|api[_-]?key|authorization/i.test(line) ? redactor.redact(line) : line;
}

/** The last few distinct messages (ranks repeat each other), in log order. */
function pickEvidence(matched: LogLine[]): LogLine[] {
  const seen = new Set<string>();
  const picked: LogLine[] = [];
  for (let i = matched.length - 1; i >= 0 && picked.length < MAX_EVIDENCE; i--) {
    const key = matched[i].text;
    if (seen.has(key)) continue;
    seen.add(key);
    picked.push(matched[i]);
  }
  return picked.reverse();
}

function extractDetails(category: FailureCategory, matched: LogLine[], all: LogLine[]): DiagnosisDetails | undefined {
  const texts = matched.map((l) => l.text);
  const find = (re: RegExp): RegExpExecArray | undefined => {
    for (let i = texts.length - 1; i >= 0; i--) {
      const m = re.exec(texts[i]);
      if (m) return m;
    }
    return undefined;
  };
  switch (category) {
    case 'unexpected_kwarg': {
      const m = find(/(?:([\w.]+)\.)?(\w+)\(\) got an unexpected keyword argument ['"](\w+)['"]/);
      if (!m) return undefined;
      const kwarg = m[3];
      let className: string | undefined;
      if (m[2] !== '__init__') className = m[1] ? `${m[1].split('.').pop()}.${m[2]}` : m[2];
      else if (m[1]) className = m[1].split('.').pop();
      else className = callerFromTraceback(matched[matched.length - 1], all);
      return className ? { kwarg, className } : { kwarg };
    }
    case 'module_not_found': {
      let m = find(/No module named ['"]([\w.]+)['"]/);
      if (m) return { module: topModule(m[1]), pipPackage: pipPackageFor(m[1]) };
      m = find(/cannot import name ['"]\w+['"] from ['"]([\w.]+)['"]/);
      if (m) return { module: topModule(m[1]), pipPackage: pipPackageFor(m[1]) };
      m = find(/not found in your environment: ([\w-]+)/);
      if (m) return { module: m[1], pipPackage: pipPackageFor(m[1]) };
      m = find(/\brequires? `?([A-Za-z][\w-]*)(?:[<>=]=?[\d.]+)?`?/);
      if (m) return { module: m[1], pipPackage: pipPackageFor(m[1]) };
      m = find(/No package metadata was found for ([\w.-]+)/);
      if (m) return { module: m[1], pipPackage: m[1] };
      m = find(MISSING_NAME_RE);
      if (m) return { module: NAME_TO_MODULE[m[1]], pipPackage: pipPackageFor(NAME_TO_MODULE[m[1]]) };
      return undefined;
    }
    case 'gated_or_auth':
    case 'hub_push': {
      const m =
        find(/Access to model ([\w.-]+\/[\w.-]+) is restricted/) ??
        find(/huggingface\.co\/(?:api\/models\/)?([\w.-]+\/[\w.-]+?)\/(?:resolve|tree|auth-check|revision|commit|preupload)/) ??
        find(/^(?:OSError: )?([\w.-]+\/[\w.-]+) is not a local folder/) ??
        find(/api\/models\/([\w.-]+\/[\w.-]+)/);
      return m ? { repoId: m[1] } : undefined;
    }
    default:
      return undefined;
  }
}

/** The class called on the user's line just above a TypeError (`trainer = SFTTrainer(`). */
function callerFromTraceback(errorLine: LogLine | undefined, all: LogLine[]): string | undefined {
  if (!errorLine) return undefined;
  const at = all.indexOf(errorLine);
  for (let i = at - 1; i >= Math.max(0, at - 12); i--) {
    const t = all[i].text;
    if (t.startsWith('File ') || t.startsWith('Traceback')) continue;
    const m = /\b([A-Z]\w*)\(/.exec(t);
    if (m) return m[1];
  }
  return undefined;
}

function summarise(category: FailureCategory, ev: string[], d: DiagnosisDetails | undefined): string {
  const all = ev.join('\n');
  const grab = (re: RegExp) => re.exec(all)?.[1];
  switch (category) {
    case 'cuda_oom': {
      const alloc = grab(/Tried to allocate ([\d.]+ [KMGT]i?B)/);
      const gpu = /GPU (\d+) has a total capacity of ([\d.]+ [KMGT]i?B)/.exec(all);
      return `The GPU ran out of memory${alloc ? ` while allocating ${alloc}` : ''}${gpu ? ` on GPU ${gpu[1]} (${gpu[2]} total)` : ''}.`;
    }
    case 'bf16_unsupported':
      return 'Training asks for bf16, but this GPU cannot do bf16 (it needs an Ampere or newer GPU such as A100, L4 or RTX 30xx; T4 and V100 cannot).';
    case 'flash_attn_missing':
      return 'The script asks for FlashAttention 2, but flash-attn is not installed or cannot run on this GPU.';
    case 'missing_pad_token':
      return 'The tokenizer has no padding token, so batches cannot be padded.';
    case 'missing_chat_template':
      return 'The tokenizer has no chat template, so conversational data cannot be formatted (usual with base models).';
    case 'gated_or_auth':
      return `Downloading ${d?.repoId ? `'${d.repoId}'` : 'the model'} was refused: it is gated or private, or the Hugging Face token is missing or invalid.`;
    case 'dataset_schema': {
      const missing = grab(/Unable to find ['"]([^'"]+)['"]/) ?? grab(/No such file or directory: ['"]([^'"]+)['"]/);
      if (missing) {
        return `The data file '${missing}' does not exist: the script looks for DATASET from the folder it runs in; set DATASET in the CONFIG block to the file's path from there (or an absolute path).`;
      }
      const col = grab(/KeyError: ['"]([^'"]+)['"]/) ?? grab(/Column(?:s)? \[?['"]?([\w-]+)/);
      return `The dataset does not have the columns or format the trainer expects${col ? ` (missing '${col}')` : ''}.`;
    }
    case 'grpo_generation_batch': {
      const n = grab(/(?:num_generations|generations per prompt) \((\d+)\)/);
      return `GRPO samples ${n ?? 'num_generations'} completions per prompt, and the generation batch (micro-batch x accumulation x GPUs) does not hold a whole number of such groups.`;
    }
    case 'unexpected_kwarg':
      return `${d?.className ? `${d.className}` : 'A call'} does not accept the keyword argument '${d?.kwarg ?? '?'}' in the installed library version (it was renamed or removed).`;
    case 'bitsandbytes_setup':
      return 'bitsandbytes is missing, outdated or not working with this CUDA setup, so 4-/8-bit quantization cannot load.';
    case 'nccl_or_distributed':
      if (/address already in use|EADDRINUSE/i.test(all)) return 'The distributed launch failed: the rendezvous port is already in use (another run may still hold it).';
      if (/timeout|timed out/i.test(all)) return 'A distributed collective or rendezvous timed out across ranks (NCCL watchdog or rendezvous time-out).';
      return 'A worker process of the distributed launch failed (NCCL, rendezvous or a rank exiting) without a more specific error.';
    case 'disk_full':
      return 'The disk ran out of space while writing (checkpoints, cache or outputs).';
    case 'cuda_driver':
      return 'PyTorch cannot use the GPU: the NVIDIA driver is missing or too old for this CUDA build, or no GPU is visible.';
    case 'module_not_found':
      if (/cannot import name/.test(all)) return `The installed '${d?.module ?? '?'}' lacks a name the script imports (version mismatch; pip package: ${d?.pipPackage ?? '?'}).`;
      return `The Python module '${d?.module ?? '?'}' is not installed in the training environment (pip package: ${d?.pipPackage ?? '?'}).`;
    case 'nan_loss':
      return 'The loss became NaN or infinite: training diverged (learning rate too high or fp16 overflow).';
    case 'shape_or_dtype':
      return `Tensor shapes, dtypes or devices do not match: ${clip(ev[ev.length - 1] ?? '', 160)}`.replace(/([^.])$/, '$1.');
    case 'hub_push':
      return `Pushing to the Hugging Face Hub failed${d?.repoId ? ` for '${d.repoId}'` : ''}: the repo does not exist or the token has no write permission.`;
    case 'network_timeout':
      return 'The Hugging Face Hub could not be reached (connection failed or timed out).';
    case 'sandbox_unavailable': {
      const node = grab(/compute node (\S+) has no working bubblewrap/);
      return node
        ? `Nothing ran: compute node ${node} has no working bubblewrap, and the sandbox (mlIntern.sandboxTrainings) asks for the job to run inside it.`
        : 'Nothing ran: bubblewrap cannot create its namespaces here (unprivileged user namespaces are not allowed).';
    }
    case 'unknown':
      return ev.length ? `No known failure pattern matched; the last error was: ${clip(ev[ev.length - 1], 160)}` : 'No known failure pattern matched.';
  }
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

const FIXES: Record<FailureCategory, { kind: FixKind; description: string }> = {
  cuda_oom: { kind: 'playbook', description: 'Halve the micro-batch and double gradient accumulation (same effective batch), turn on gradient checkpointing, then shorten sequences; QLoRA only with your consent.' },
  bf16_unsupported: { kind: 'playbook', description: 'Train in fp16 instead of bf16 (and turn tf32 off).' },
  flash_attn_missing: { kind: 'playbook', description: 'Use PyTorch SDPA attention (attn_implementation="sdpa") instead of FlashAttention 2.' },
  missing_pad_token: { kind: 'playbook', description: 'Pad with the EOS token (tokenizer.pad_token = tokenizer.eos_token).' },
  missing_chat_template: { kind: 'playbook', description: 'Give the tokenizer a chat template (ChatML) before formatting the data.' },
  gated_or_auth: { kind: 'user', description: "Accept the model's licence on its Hub page, or set a valid Hugging Face token with 'ML Intern: Set API Key'." },
  dataset_schema: { kind: 'llm', description: 'Map the dataset columns to the format the trainer expects.' },
  unexpected_kwarg: { kind: 'playbook', description: 'Use the keyword the installed library version expects (renames table), else let the agent rewrite the call.' },
  bitsandbytes_setup: { kind: 'llm', description: 'Install or upgrade bitsandbytes for this CUDA version, or train without quantization.' },
  nccl_or_distributed: { kind: 'llm', description: 'Check the distributed launch (free port, NCCL settings, the failing rank) and retry.' },
  disk_full: { kind: 'playbook', description: 'Keep only the last checkpoint (save_total_limit=1) and/or write outputs to a disk with space.' },
  cuda_driver: { kind: 'user', description: 'Install or update the NVIDIA driver, or use a PyTorch build that matches it; check that a GPU is visible (nvidia-smi).' },
  module_not_found: { kind: 'playbook', description: 'Install the missing package with pip (after your approval).' },
  nan_loss: { kind: 'playbook', description: 'Lower the learning rate, train in bf16 (or fp32) instead of fp16, and clip gradients harder.' },
  shape_or_dtype: { kind: 'llm', description: 'Fix the mismatched shapes or dtypes in the script.' },
  hub_push: { kind: 'user', description: "Create the Hub repo or use a token with write access ('ML Intern: Set API Key'), then push again." },
  grpo_generation_batch: { kind: 'playbook', description: 'Raise GRADIENT_ACCUMULATION_STEPS until micro-batch x accumulation x GPUs is a multiple of NUM_GENERATIONS (or choose NUM_GENERATIONS dividing it).' },
  network_timeout: { kind: 'playbook', description: 'Retry with longer Hub time-outs (HF_HUB_DOWNLOAD_TIMEOUT=60, HF_HUB_ETAG_TIMEOUT=60).' },
  sandbox_unavailable: { kind: 'user', description: 'Install the package bubblewrap where the job runs (Debian/Ubuntu: apt-get install bubblewrap) or allow unprivileged user namespaces there; or set mlIntern.sandboxNodesUnconfined (Slurm nodes) or mlIntern.sandbox to off to run unconfined.' },
  unknown: { kind: 'llm', description: 'Let the agent read the log and propose a fix.' },
};

function fixFor(category: FailureCategory, d: DiagnosisDetails | undefined): { kind: FixKind; description: string } {
  const f = FIXES[category];
  if (category === 'module_not_found' && d?.pipPackage) return { kind: 'playbook', description: `Install '${d.pipPackage}' with pip (after your approval).` };
  return { ...f };
}
