/**
 * Try it through a vLLM server (or any OpenAI-compatible one): the export's `vllm serve` with the
 * training chat template, so the server applies the template the model was trained with. An
 * adapter served with `--enable-lora --lora-modules NAME=…` answers as NAME and its base under the
 * base's id, from one server; a merged model needs its base served too (another endpoint or name).
 *
 * Emits the same events as try_it.py (tryItStream.ts), so the side-by-side view and the
 * transcript do not care which backend answered. Streams through the real `openai` client.
 */
import OpenAI from 'openai';
import { TryItEvent, TryItSide } from './tryItStream';

export interface VllmTryItOptions {
  /** The server's OpenAI API root, e.g. http://127.0.0.1:8000/v1. */
  endpoint: string;
  /** vLLM accepts any key unless started with --api-key. */
  apiKey?: string;
  /** Served model names: the base's id and the trained model's (LoRA module or --served-model-name). */
  baseModel: string;
  trainedModel: string;
  prompts: string[];
  system?: string;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  seed: number;
  signal?: AbortSignal;
  /** Tests and proxies: the fetch the client uses. */
  fetch?: typeof fetch;
}

export class VllmTryItError extends Error {}

/** The endpoint as the client needs it: http(s) only, no trailing slash. */
export function vllmEndpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new VllmTryItError(`"${raw}" is not a URL: give the server's API root, e.g. http://127.0.0.1:8000/v1.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new VllmTryItError(`${raw}: only http(s) endpoints are used.`);
  return url.toString().replace(/\/+$/, '');
}

export async function streamTryItVllm(o: VllmTryItOptions, emit: (e: TryItEvent) => void): Promise<void> {
  const client = new OpenAI({ apiKey: o.apiKey || 'EMPTY', baseURL: vllmEndpoint(o.endpoint), maxRetries: 0, timeout: 10 * 60_000, logLevel: 'off', ...(o.fetch ? { fetch: o.fetch } : {}) });
  const settings = { temperature: o.temperature, top_p: o.topP, max_new_tokens: o.maxNewTokens, seed: o.seed };
  emit({ event: 'start', base: o.baseModel, trained: o.trainedModel, system: o.system ?? '', settings, prompts: o.prompts });
  for (const [index, prompt] of o.prompts.entries()) {
    emit({ event: 'prompt', prompt: index, text: prompt });
    const messages = [...(o.system ? [{ role: 'system' as const, content: o.system }] : []), { role: 'user' as const, content: prompt }];
    for (const side of ['base', 'trained'] as TryItSide[]) {
      const model = side === 'base' ? o.baseModel : o.trainedModel;
      emit({ event: 'side', side, prompt: index });
      const started = Date.now();
      let text = '';
      let pieces = 0;
      let tokens: number | undefined;
      try {
        const stream = await client.chat.completions.create(
          { model, messages, stream: true, stream_options: { include_usage: true }, temperature: o.temperature, top_p: o.topP, max_tokens: o.maxNewTokens, seed: o.seed },
          { signal: o.signal },
        );
        for await (const chunk of stream) {
          const delta = chunk.choices[0]?.delta?.content;
          if (delta) {
            text += delta;
            pieces++;
            emit({ event: 'delta', side, prompt: index, text: delta });
          }
          if (chunk.usage?.completion_tokens !== undefined) tokens = chunk.usage.completion_tokens;
        }
      } catch (err) {
        if (o.signal?.aborted) throw err;
        throw new VllmTryItError(`The ${side} model ${model} at ${o.endpoint} did not answer: ${err instanceof Error ? err.message : String(err)}`);
      }
      // vLLM streams one token per chunk: without a usage chunk the pieces are the count.
      emit({ event: 'answer', side, prompt: index, text, tokens: tokens ?? pieces, seconds: Math.round((Date.now() - started) / 10) / 100 });
    }
  }
  emit({ event: 'end', prompts: o.prompts.length });
}
