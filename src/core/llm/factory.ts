/**
 * Builds the configured LlmProvider from Settings and Secrets.
 *
 * - provider 'none' → undefined (recipe mode: no LLM).
 * - 'openai' / 'anthropic' need a key; 'openai-compatible' needs mlIntern.baseUrl
 *   and a model, and a key only when the endpoint wants one.
 * - Hosts add providers the core cannot build ('vscode-lm') through `extraProviders`.
 */
import { Clock, SecretName, Secrets } from '../ports';
import { ProviderId, Settings } from '../settings';
import { redactor } from '../util/redact';
import { AnthropicProvider } from './anthropicProvider';
import { llmError } from './errors';
import { OpenAiProvider } from './openaiProvider';
import { DEFAULT_MODEL } from './pricing';
import { RetryPolicy, TimeoutPolicy } from './retry';
import { LlmProvider } from './types';

export type ProviderBuilder = (settings: Settings) => LlmProvider | Promise<LlmProvider>;

export interface ProviderDeps {
  clock?: Clock;
  fetch?: typeof fetch;
  retry?: Partial<RetryPolicy>;
  timeouts?: Partial<TimeoutPolicy>;
  /** Providers built by the host (e.g. 'vscode-lm'); they take precedence over the built-in ones. */
  extraProviders?: Partial<Record<ProviderId, ProviderBuilder>>;
}

const KEY_HELP: Record<'openai' | 'anthropic', string> = {
  openai: "No OpenAI key set. Run 'ML Intern: Set API Key' or set OPENAI_API_KEY for the CLI.",
  anthropic: "No Anthropic key set. Run 'ML Intern: Set API Key' or set ANTHROPIC_API_KEY for the CLI.",
};

/** Placeholder key for local endpoints (vLLM, Ollama, LM Studio) that want none; the SDK requires a value. */
export const NO_KEY = 'not-needed';

export async function createProvider(settings: Settings, secrets: Secrets, deps: ProviderDeps = {}): Promise<LlmProvider | undefined> {
  const provider = settings.provider;
  if (provider === 'none') return undefined;
  const extra = deps.extraProviders?.[provider];
  if (extra) return extra(settings);
  const common = { clock: deps.clock, fetch: deps.fetch, retry: deps.retry, timeouts: deps.timeouts, contextWindow: settings.contextWindow, reasoningEffort: settings.reasoningEffort };
  const baseUrl = settings.baseUrl.trim();

  switch (provider) {
    case 'openai':
    case 'anthropic': {
      const apiKey = await readKey(secrets, provider);
      if (!apiKey) throw llmError('auth', KEY_HELP[provider]);
      const model = settings.model.trim() || DEFAULT_MODEL[provider];
      return provider === 'openai'
        ? new OpenAiProvider({ ...common, id: 'openai', apiKey, model, baseUrl })
        : new AnthropicProvider({ ...common, apiKey, model, baseUrl });
    }
    case 'openai-compatible': {
      if (!baseUrl) {
        throw llmError(
          'no_provider',
          "The OpenAI-compatible provider needs mlIntern.baseUrl, e.g. http://localhost:11434/v1 (Ollama), http://localhost:8000/v1 (vLLM) or https://router.huggingface.co/v1. Set it, or run 'ML Intern: Select Model'.",
        );
      }
      const model = settings.model.trim();
      if (!model) {
        throw llmError('no_provider', "No model set for the OpenAI-compatible endpoint. Set mlIntern.model (e.g. Qwen/Qwen2.5-72B-Instruct) or run 'ML Intern: Select Model'.");
      }
      // The Hugging Face router takes the HF token when no endpoint key is stored.
      const apiKey =
        (await readKey(secrets, 'openai-compatible')) || (/huggingface\.co/i.test(baseUrl) ? await readKey(secrets, 'hf') : undefined) || NO_KEY;
      if (apiKey === NO_KEY && /huggingface\.co/i.test(baseUrl)) {
        throw llmError('auth', "No key for the Hugging Face router. Run 'ML Intern: Set API Key' and store a Hugging Face token (or an OpenAI-compatible endpoint key).");
      }
      return new OpenAiProvider({ ...common, id: 'openai-compatible', apiKey, model, baseUrl });
    }
    case 'vscode-lm':
      throw llmError('no_provider', "VS Code language models are only available inside VS Code. Pick another provider with 'ML Intern: Select Model' (or --provider for the CLI).");
    default:
      throw llmError('no_provider', `Unknown provider '${String(provider)}'. Set mlIntern.provider to none, openai, anthropic, openai-compatible or vscode-lm.`);
  }
}

async function readKey(secrets: Secrets, name: SecretName): Promise<string | undefined> {
  const v = (await secrets.get(name))?.trim();
  // Every key that reaches an SDK is redacted from all output from now on.
  if (v) redactor.addSecret(v);
  return v || undefined;
}
