/**
 * The `vllm serve` line for the model under try (the Try-it view's "Start a vLLM server"), and what a
 * server that died at start said, in a sentence. Pure: the host (core/export/vllmServer.ts) runs it.
 *
 * A LoRA adapter is served on its base with `--enable-lora --lora-modules NAME=ADAPTER`: one server
 * answers as the base's id and as NAME, so both columns come from one process and one copy of the
 * weights. A full (merged) model cannot be both: two servers are needed, and the view says so.
 * The chat template is found where the export and try_it.py find it (chatTemplate.ts: the folder's
 * chat_template.jinja, else tokenizer_config.json's chat_template); vLLM needs no EOS from it.
 *
 * Flags checked in vLLM's own source (github.com/vllm-project/vllm): vllm/config/lora.py at commit
 * a78dc92f43ae (MaxLoRARanks = Literal[1, 8, 16, 32, 64, 128, 256, 320, 512]: --max-lora-rank takes only
 * these, default 16); vllm/engine/arg_utils.py (--enable-lora, --max-lora-rank, --gpu-memory-utilization,
 * --max-model-len); vllm/entrypoints/openai/cli_args.py at commit 005223338608 (--lora-modules takes
 * 'name=path' only when the item has an '=' and no ',', split on every '=', else JSON
 * {"name", "path"}; --chat-template is a file path or the template itself; --host, --port).
 */
import type { ExportFiles } from './exportPlan';
import { chatTemplateOf } from './chatTemplate';

/** The ranks vLLM's LoRAConfig accepts for --max-lora-rank (vllm/config/lora.py, MaxLoRARanks). */
export const VLLM_LORA_RANKS = [1, 8, 16, 32, 64, 128, 256, 320, 512] as const;

/** The smallest rank vLLM accepts that holds an adapter of rank `r`; undefined above 512. */
export function vllmLoraRank(r: number): number | undefined {
  return VLLM_LORA_RANKS.find((k) => k >= r);
}

export interface VllmServeInput {
  /** The model folder, absolute (the server resolves the adapter from it, whatever its cwd). */
  modelDir: string;
  /** The folder as the user knows it (workspace-relative), for messages. */
  model: string;
  seen: ExportFiles;
  /** The name the trained model is served as (the view's "Trained served as"). */
  trainedName: string;
  /** The base a full model is compared with (an adapter names its own). */
  baseModel?: string;
  port: number;
  /** The program to run (`vllm`, or the python environment's bin/vllm). */
  program?: string;
  /** Where the chat template is written when it only lives inside tokenizer_config.json. */
  templateFile: string;
}

export type VllmServePlan =
  | {
      kind: 'lora';
      argv: string[];
      endpoint: string;
      baseName: string;
      trainedName: string;
      /** The template file to write before starting (absent when the folder's chat_template.jinja is used as is). */
      writeTemplate?: { path: string; content: string };
      notes: string[];
    }
  | { kind: 'full'; message: string; commands: string[][] };

export class VllmServeError extends Error {}

/** The template tokenizer_config.json carries; none when it is not JSON (vLLM then uses the base tokenizer's own, said in a note). */
function configTemplate(tokenizerConfig: string | undefined): string | undefined {
  if (tokenizerConfig === undefined) return undefined;
  try {
    return chatTemplateOf(JSON.parse(tokenizerConfig) as unknown);
  } catch {
    return undefined;
  }
}

/** The chat template flag: the folder's own chat_template.jinja when it has one, else the tokenizer's template written out. */
function templateArgs(i: VllmServeInput): { args: string[]; write?: { path: string; content: string } } {
  if (i.seen.chatTemplateJinja?.trim()) return { args: ['--chat-template', `${i.modelDir.replace(/[\\/]+$/, '')}/chat_template.jinja`] };
  const source = configTemplate(i.seen.tokenizerConfig);
  if (!source?.trim()) return { args: [] };
  return { args: ['--chat-template', i.templateFile], write: { path: i.templateFile, content: source } };
}

export function planVllmServe(i: VllmServeInput): VllmServePlan {
  const program = i.program ?? 'vllm';
  const host = ['--host', '127.0.0.1', '--port', String(i.port)];
  const template = templateArgs(i);
  if (i.seen.adapterConfig === undefined) {
    // One process serves one set of weights: the trained model and its base need a server each (other ports).
    const trained = [program, 'serve', i.modelDir, '--served-model-name', i.trainedName, ...template.args, '--host', '127.0.0.1', '--port', String(i.port)];
    const base = [program, 'serve', i.baseModel || '<base model id>', ...template.args, '--host', '127.0.0.1', '--port', String(i.port + 1)];
    return {
      kind: 'full',
      message:
        `${i.model} is a full model, not a LoRA adapter: one vLLM server cannot answer as both it and its base, so none was started. ` +
        `This view asks one endpoint for both names: use the transformers backend (it loads both), or serve each with the commands below (in a terminal; each needs its own GPU memory) and compare them apart.`,
      commands: [trained, base],
    };
  }
  let config: { base_model_name_or_path?: unknown; r?: unknown };
  try {
    config = JSON.parse(i.seen.adapterConfig) as typeof config;
  } catch {
    throw new VllmServeError(`${i.model}/adapter_config.json is not valid JSON.`);
  }
  const base = typeof config.base_model_name_or_path === 'string' ? config.base_model_name_or_path.trim() : '';
  if (!base) throw new VllmServeError(`${i.model}/adapter_config.json names no base model (base_model_name_or_path): vLLM needs it to serve the adapter.`);
  const r = typeof config.r === 'number' && Number.isInteger(config.r) && config.r > 0 ? config.r : undefined;
  if (r === undefined) throw new VllmServeError(`${i.model}/adapter_config.json has no LoRA rank (r): vLLM needs --max-lora-rank at least that.`);
  const rank = vllmLoraRank(r);
  if (rank === undefined) throw new VllmServeError(`${i.model} has LoRA rank ${r}: vLLM serves ranks up to ${VLLM_LORA_RANKS.at(-1)} (--max-lora-rank). Merge the adapter (Export) and serve the merged model instead.`);
  const dir = i.modelDir.replace(/[\\/]+$/, '');
  // 'name=path' is split on every '=' and a ',' makes vLLM read JSON: such a path goes as JSON.
  const module = /[=,]/.test(dir) ? JSON.stringify({ name: i.trainedName, path: dir }) : `${i.trainedName}=${dir}`;
  const notes = [`Rank ${r} → --max-lora-rank ${rank} (vLLM takes ${VLLM_LORA_RANKS.join(', ')}).`];
  if (!template.args.length) notes.push(`${i.model} carries no chat template: the server uses ${base}'s own.`);
  return {
    kind: 'lora',
    argv: [program, 'serve', base, '--enable-lora', '--lora-modules', module, '--max-lora-rank', String(rank), ...template.args, ...host],
    endpoint: `http://127.0.0.1:${i.port}/v1`,
    baseName: base,
    trainedName: i.trainedName,
    ...(template.write ? { writeTemplate: template.write } : {}),
    notes,
  };
}

/** Why a server ended before it was ready, from its log's tail and exit code: one sentence and what to do, no stack trace. */
export function explainVllmExit(tail: string, code: number | null, python: string): string {
  const text = tail.replace(/\r/g, '\n');
  if (/No module named ['"]?vllm|vllm: (command )?not found|No such file or directory: '[^']*vllm'|\[Errno 2\][^\n]*vllm|could not start '[^']*vllm'|program not found/i.test(text) || code === 127) {
    return `vLLM is not installed in the environment of ${python} (mlIntern.pythonPath): install it there with \`${python} -m pip install vllm\` (on a machine with an NVIDIA GPU), then start the server again.`;
  }
  if (/out of memory|OutOfMemoryError|No available memory for the cache blocks|larger than the (maximum number of tokens|available KV cache memory)|KV cache is needed/i.test(text)) {
    // vLLM's KV-cache check says which length would fit ("the estimated maximum model length is N").
    const fits = /estimated maximum model length is (\d+)/.exec(text)?.[1];
    return `The GPU ran out of memory while vLLM started: add --gpu-memory-utilization (e.g. 0.8, less when another process holds the GPU) or a smaller --max-model-len (${fits ? `at most ${fits}, vLLM says` : 'e.g. 4096'}) to the command, or free the GPU.`;
  }
  if (/lora[_ ]rank|max_lora_rank|--max-lora-rank/i.test(text)) {
    const line = lastErrorLine(text);
    return `vLLM refused the LoRA rank${line ? ` (${line})` : ''}: --max-lora-rank must be one of ${VLLM_LORA_RANKS.join(', ')} and at least the adapter's r.`;
  }
  const line = lastErrorLine(text);
  return `vLLM exited${code === null ? '' : ` with code ${code}`} before it was ready${line ? `: ${line}` : ''} (the whole output is in its terminal).`;
}

/** The last line that says what went wrong: an `XxxError: …` line, else the last line that is not part of a traceback. */
function lastErrorLine(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const error = [...lines].reverse().find((l) => /^[\w.]*(Error|Exception)\b.*:/.test(l) || /\berror:/i.test(l));
  const plain = [...lines].reverse().find((l) => !/^(Traceback|File "|\^|~|\[ML Intern\])/.test(l) && !/^\s*at /.test(l));
  return (error ?? plain)?.slice(0, 300);
}
