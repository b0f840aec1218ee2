/**
 * What "Export" becomes before anything runs: the files to review (merge script, chat template,
 * Modelfile, vLLM smoke test) and the commands to approve, in order: merge (an adapter) → GGUF
 * through llama.cpp's converter → quantise → `ollama create` → the vLLM smoke test. The Modelfile
 * is only planned when its check passed; otherwise the plan says why and leaves it out.
 */
import { lookupModel } from '../recipes/modelTable';
import { TrainingTemplate, trainingTemplateFrom, TemplateRenderError } from './chatTemplate';
import { deriveModelfile, ModelfileResult, Sampling } from './modelfile';
import { mergeBf16Script, vllmSmokeScript } from './exportScripts';

/** llama-quantize's types offered, with their average bits per weight: tools/quantize/quantize.cpp's sizes at Llama-3-8B (e.g. Q4_K_M 4.58 GiB for 8.03 B weights). */
export const QUANT_BITS: Record<string, number> = { Q4_K_M: 4.89, Q5_K_M: 5.7, Q6_K: 6.56, Q8_0: 8.5 };

export interface ExportRequest {
  /** Workspace folder of the trained model: a LoRA adapter or a full model. */
  model: string;
  /** The base of an adapter (default: adapter_config.json's base_model_name_or_path). */
  baseModel?: string;
  /** Name for Ollama and vLLM. */
  name: string;
  /** llama.cpp checkout (convert_hf_to_gguf.py, build/bin/llama-quantize); no GGUF without it. */
  llamaCpp?: string;
  quants: string[];
  ollama: boolean;
  vllm: boolean;
  system?: string;
  sampling?: Sampling;
  contextLength?: number;
  /** A prompt for the smoke request (default: a generic one). */
  smokePrompt?: string;
}

export interface ExportFiles {
  adapterConfig?: string;
  tokenizerConfig?: string;
  chatTemplateJinja?: string;
}

export interface PlannedFile {
  path: string;
  content: string;
  description: string;
}

export interface PlannedCommand {
  argv: string[];
  description: string;
  heavy?: boolean;
}

export interface ExportPlan {
  files: PlannedFile[];
  commands: PlannedCommand[];
  notes: string[];
  modelfile: ModelfileResult | undefined;
}

export class ExportRequestError extends Error {}

/** Bytes of a model of `params` weights at `bits` per weight. */
export function sizeText(params: number, bits: number): string {
  const gib = (params * bits) / 8 / 2 ** 30;
  return gib >= 1 ? `${gib.toFixed(1)} GiB` : `${Math.round(gib * 1024)} MiB`;
}

/**
 * Paths in the plan are relative to the export folder, where the scripts run: `modelFromFolder`
 * is the trained model's folder as seen from there.
 */
export function planExport(r: ExportRequest, seen: ExportFiles, modelFromFolder: string): ExportPlan {
  for (const q of r.quants) if (!(q in QUANT_BITS)) throw new ExportRequestError(`GGUF quantisation ${q} is not offered: use one of ${Object.keys(QUANT_BITS).join(', ')}.`);
  if (!/^[a-z0-9][a-z0-9._-]*(:[a-z0-9._-]+)?$/.test(r.name)) throw new ExportRequestError(`name "${r.name}" is not a valid Ollama model name: use lower-case letters, digits, ".", "_" and "-" (e.g. qwen-medical).`);
  const files: PlannedFile[] = [];
  const commands: PlannedCommand[] = [];
  const notes: string[] = [];
  let base = r.baseModel;
  const isAdapter = seen.adapterConfig !== undefined;
  if (isAdapter) {
    try {
      base ??= (JSON.parse(seen.adapterConfig ?? '{}') as { base_model_name_or_path?: string }).base_model_name_or_path;
    } catch {
      throw new ExportRequestError(`${r.model}/adapter_config.json is not valid JSON: give the base model (--base).`);
    }
    if (!base) throw new ExportRequestError(`${r.model}/adapter_config.json names no base model: give the base model (--base).`);
  }
  let template: TrainingTemplate;
  try {
    template = trainingTemplateFrom(seen, r.model);
  } catch (err) {
    if (err instanceof TemplateRenderError) throw new ExportRequestError(err.message);
    throw err;
  }
  const modelDir = isAdapter ? 'merged' : modelFromFolder;
  if (isAdapter) {
    files.push({ path: 'merge_bf16.py', content: mergeBf16Script({ baseModel: base ?? '', adapterDir: modelFromFolder, mergedDir: 'merged' }), description: `Merges the adapter ${r.model} into ${base} (bf16 safetensors) with the training tokenizer` });
    commands.push({ argv: ['python', 'merge_bf16.py'], description: `Merge ${r.model} into ${base} → merged/ (bf16 safetensors)`, heavy: true });
  }
  files.push({ path: 'chat_template.jinja', content: template.source, description: 'The chat template the model was trained with (vLLM --chat-template; the Modelfile is derived from it)' });

  const params = base ? lookupModel(base)?.params : undefined;
  const size = (bits: number) => (params ? ` (about ${sizeText(params, bits)})` : '');
  const finalGguf = r.quants.length ? `model-${r.quants[0].toLowerCase()}.gguf` : 'model-bf16.gguf';
  if (r.llamaCpp) {
    const llama = r.llamaCpp.replace(/\/+$/, '');
    commands.push({ argv: ['python', `${llama}/convert_hf_to_gguf.py`, modelDir, '--outfile', 'model-bf16.gguf', '--outtype', 'bf16'], description: `Convert to GGUF, bf16${size(16)}`, heavy: true });
    for (const q of r.quants) {
      commands.push({ argv: [`${llama}/build/bin/llama-quantize`, 'model-bf16.gguf', `model-${q.toLowerCase()}.gguf`, q], description: `Quantise to ${q}${size(QUANT_BITS[q])}` });
    }
  } else {
    notes.push(
      `No GGUF: llama.cpp was not given (--llama-cpp <checkout with convert_hf_to_gguf.py and build/bin/llama-quantize>). The Modelfile imports the bf16 safetensors in ${modelDir}/ instead, which Ollama converts itself for the architectures it supports (Llama, Mistral, Gemma, Phi3, Qwen2/3 …); \`ollama create --quantize q4_K_M\` quantises on import.`,
    );
  }
  if (!params && r.llamaCpp) notes.push(`Sizes are not shown: ${base ?? r.model} is not in the built-in model table.`);

  // Without a GGUF, FROM names the safetensors folder (Ollama's documented import): never a file no step writes.
  // A folder path is written as it is, so only a plain one (a newline would add a Modelfile line).
  const plainDir = /^[A-Za-z0-9._/-]+$/.test(modelDir);
  const from = r.llamaCpp ? `./${finalGguf}` : !plainDir ? undefined : /^(\.{1,2}\/|\/)/.test(modelDir) ? modelDir : `./${modelDir}`;
  if (!from) notes.push(`No Modelfile: the model folder's path ${JSON.stringify(modelDir)} has characters a Modelfile's FROM line cannot hold; give llama.cpp (a GGUF is named plainly) or move the model to a plain path.`);
  const modelfile = from === undefined ? undefined : deriveModelfile({ template, from, ...(r.sampling ? { sampling: r.sampling } : {}), ...(r.contextLength ? { contextLength: r.contextLength } : {}), ...(r.system ? { system: r.system } : {}) });
  if (modelfile?.ok) {
    files.push({ path: 'Modelfile', content: modelfile.modelfile, description: `Ollama Modelfile: TEMPLATE and stop tokens derived from the ${modelfile.family} training template and checked against it` });
    notes.push(...modelfile.notes);
    if (r.ollama) commands.push({ argv: ['ollama', 'create', r.name, '-f', 'Modelfile'], description: `Create the Ollama model ${r.name} from ${r.llamaCpp ? finalGguf : `the safetensors in ${modelDir}/`}` });
  } else if (modelfile) {
    notes.push(`No Modelfile: ${modelfile.message}`);
  }
  if (r.vllm) {
    files.push({ path: 'vllm_smoke.py', content: vllmSmokeScript({ modelDir, servedName: r.name, chatTemplate: 'chat_template.jinja', port: 8011, prompt: r.smokePrompt ?? 'In one sentence, what can you help me with?' }), description: 'Starts vllm serve with the training chat template, sends one chat request through the OpenAI API, stops it' });
    commands.push({ argv: ['python', 'vllm_smoke.py'], description: `Serve ${modelDir} with vLLM and the training chat template; one smoke request`, heavy: true });
  }
  return { files, commands, notes, modelfile };
}

/** What an export or Try it reads from the trained model's folder (absent files are undefined). */
export async function modelFolderFiles(folder: string, readIfExists: (p: string) => Promise<string | undefined>): Promise<ExportFiles> {
  const dir = folder.replace(/[\\/]+$/, '');
  const read = (name: string) => readIfExists(`${dir}/${name}`).catch(() => undefined);
  const [adapterConfig, tokenizerConfig, chatTemplateJinja] = await Promise.all([read('adapter_config.json'), read('tokenizer_config.json'), read('chat_template.jinja')]);
  return { ...(adapterConfig !== undefined ? { adapterConfig } : {}), ...(tokenizerConfig !== undefined ? { tokenizerConfig } : {}), ...(chatTemplateJinja !== undefined ? { chatTemplateJinja } : {}) };
}
