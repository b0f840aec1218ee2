/**
 * `ml-intern try-it <model> --vllm URL --served-name NAME`: the same prompts to a running vLLM
 * server (the export's `vllm serve` with the training chat template, an adapter served with
 * --lora-modules NAME=…) as its base and as NAME, through the OpenAI API. Nothing runs here, so
 * nothing is asked; the answers are printed as they stream and kept in <work folder>/try-<model>/transcript.jsonl.
 * The key, when the server wants one (vllm serve --api-key), comes from VLLM_API_KEY, never a flag.
 */
import { EXIT_FAILED, EXIT_OK, UsageError } from './command';
import type { StepsContext } from './artifactSteps';
import { artifactFolder } from '../core/session/artifactPlan';
import { TRANSCRIPT_FILE, TryItRequest } from '../core/export/tryItPlan';
import { keptInTranscript, tryItEventText } from '../core/export/tryItStream';
import { streamTryItVllm, VllmTryItError } from '../core/export/tryItVllm';

export async function tryItThroughVllm(ctx: StepsContext, endpoint: string, servedName: string | undefined, r: TryItRequest): Promise<number> {
  if (!servedName?.trim()) throw new UsageError('--vllm needs --served-name: the name the server answers as the trained model (vllm serve --served-model-name, or the LoRA module name)');
  let base = r.baseModel?.trim();
  if (!base) {
    const config = await ctx.files.readIfExists(`${r.model}/adapter_config.json`).catch(() => undefined);
    try {
      base = (JSON.parse(config ?? '{}') as { base_model_name_or_path?: string }).base_model_name_or_path?.trim();
    } catch {
      base = undefined;
    }
  }
  if (!base) throw new UsageError(`give --base: the name the server answers as the base model (${r.model} names none)`);
  // Where try_it.py keeps its own (the same work folder), so both backends' answers are in one file.
  const transcript = `${artifactFolder({ kind: 'try-it', model: r.model, prompts: r.prompts }, ctx.workFolder)}/${TRANSCRIPT_FILE}`;
  let kept: Promise<void> = Promise.resolve();
  try {
    await streamTryItVllm(
      { endpoint, apiKey: ctx.io.env.VLLM_API_KEY, baseModel: base, trainedModel: servedName.trim(), prompts: r.prompts, system: r.system, temperature: r.temperature ?? 0.7, topP: r.topP ?? 0.9, maxNewTokens: r.maxNewTokens ?? 256, seed: r.seed ?? 0 },
      (e) => {
        ctx.io.out(tryItEventText(e, transcript));
        if (keptInTranscript(e)) kept = kept.then(() => ctx.files.append(transcript, `${JSON.stringify(e)}\n`));
      },
    );
    await kept;
    return EXIT_OK;
  } catch (err) {
    await kept.catch(() => undefined);
    if (!(err instanceof VllmTryItError)) throw err;
    ctx.io.err(`\n${err.message}\nIs the server running (vllm serve … --port), and does it serve both names (GET ${endpoint.replace(/\/+$/, '')}/models)?\n`);
    return EXIT_FAILED;
  }
}
