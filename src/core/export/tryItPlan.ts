/**
 * What "Try it" becomes before anything runs: try_it.py (reviewable) and the one command that runs
 * it. The trained folder must carry the tokenizer it was trained with (its chat template and EOS):
 * that is what both sides are prompted through, so a folder without one is refused here, with why,
 * not after the models have loaded on the GPU machine.
 */
import { TemplateRenderError, trainingTemplateFrom } from './chatTemplate';
import { ExportFiles, ExportRequestError, PlannedCommand, PlannedFile } from './exportPlan';
import { promptsFromRows, tryItScript } from './tryItScript';

export interface TryItRequest {
  /** Workspace folder of the trained model: a LoRA adapter or a full model. */
  model: string;
  /** The model to compare with (default: an adapter's base_model_name_or_path). */
  baseModel?: string;
  prompts: string[];
  system?: string;
  temperature?: number;
  topP?: number;
  maxNewTokens?: number;
  seed?: number;
  /** The side-by-side view follows the output: JSON lines (no --text), parsed by tryItStream.ts. */
  stream?: boolean;
}

export const TRANSCRIPT_FILE = 'transcript.jsonl';

export function planTryIt(r: TryItRequest, seen: ExportFiles, modelFromFolder: string): { files: PlannedFile[]; commands: PlannedCommand[]; notes: string[] } {
  const prompts = r.prompts.map((p) => p.trim()).filter(Boolean);
  if (!prompts.length) throw new ExportRequestError('Try it needs at least one prompt: type one, or take them from the held-out data.');
  const isAdapter = seen.adapterConfig !== undefined;
  let base = r.baseModel?.trim() || undefined;
  if (isAdapter && !base) {
    try {
      base = (JSON.parse(seen.adapterConfig ?? '{}') as { base_model_name_or_path?: string }).base_model_name_or_path?.trim() || undefined;
    } catch {
      throw new ExportRequestError(`${r.model}/adapter_config.json is not valid JSON: give the base model.`);
    }
  }
  if (!base) throw new ExportRequestError(isAdapter ? `${r.model}/adapter_config.json names no base model: give the base model to compare with.` : `${r.model} is a full model, not an adapter: give the base model to compare it with.`);
  try {
    trainingTemplateFrom(seen, r.model);
  } catch (err) {
    if (err instanceof TemplateRenderError) throw new ExportRequestError(`${err.message} Try it prompts both models through the trained tokenizer's chat template.`);
    throw err;
  }
  const script = tryItScript({
    baseModel: base,
    trained: modelFromFolder,
    isAdapter,
    prompts,
    ...(r.system?.trim() ? { system: r.system.trim() } : {}),
    temperature: r.temperature ?? 0.7,
    topP: r.topP ?? 0.9,
    maxNewTokens: r.maxNewTokens ?? 256,
    transcript: TRANSCRIPT_FILE,
    seed: r.seed ?? 0,
  });
  const notes = isAdapter
    ? [`The adapter is loaded once onto ${base}: the base answers come from the same weights with the adapter switched off, so one copy of the model is in memory.`]
    : [`${r.model} and ${base} are both loaded: memory for two models is needed.`];
  return {
    files: [{ path: 'try_it.py', content: script, description: `Sends ${prompts.length} prompt${prompts.length === 1 ? '' : 's'} to ${base} and to ${r.model}, side by side, with the training chat template; answers kept in ${TRANSCRIPT_FILE}` }],
    commands: [{ argv: r.stream ? ['python', 'try_it.py'] : ['python', 'try_it.py', '--text'], description: `Try ${r.model} beside ${base} (${prompts.length} prompt${prompts.length === 1 ? '' : 's'})`, heavy: true }],
    notes,
  };
}

/** Up to `n` user prompts from the first rows of a JSON Lines or JSON data file (e.g. the held-out split). */
export function promptsFromDataText(text: string, fileName: string, n: number): string[] {
  let rows: unknown[];
  if (/\.jsonl$/i.test(fileName)) {
    rows = text.split('\n').filter((l) => l.trim()).slice(0, 500).map((l, i) => {
      try {
        return JSON.parse(l) as unknown;
      } catch {
        throw new ExportRequestError(`${fileName} line ${i + 1} is not JSON`);
      }
    });
  } else if (/\.json$/i.test(fileName)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ExportRequestError(`${fileName} is not valid JSON`);
    }
    rows = Array.isArray(parsed) ? parsed : [];
  } else {
    throw new ExportRequestError(`prompts are read from .jsonl or .json files, not ${fileName}: type the prompts instead`);
  }
  const prompts = promptsFromRows(rows, n);
  if (!prompts.length) throw new ExportRequestError(`${fileName} has no user prompt in its first rows (messages, conversations, prompt, instruction or question)`);
  return prompts;
}
