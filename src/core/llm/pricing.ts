/**
 * Model prices (USD per million tokens), context windows and output limits.
 *
 * Ids match by longest prefix, so dated ids ("gpt-4o-2024-08-06",
 * "claude-sonnet-4-5-20250929") find their family, and a vendor prefix
 * ("openai/gpt-4.1" on routers) is ignored. `mlIntern.prices` overrides the
 * table. An unknown model costs 0 with `known: false` so the UI can say
 * "price unknown" instead of pretending it was free.
 */
import { PriceOverride } from '../settings';
import { Usage } from './types';

export interface ModelPrice {
  input: number;
  output: number;
  /** Cache reads; defaults to the input price when the provider has no discount. */
  cachedInput: number;
  /** Cache writes; OpenAI charges none beyond input, Anthropic 1.25× input. */
  cacheWrite: number;
}

export interface ModelInfo {
  provider: 'openai' | 'anthropic';
  price: ModelPrice;
  contextWindow: number;
  /** Most output tokens one call may ask for. */
  maxOutput: number;
  /** Shown in the model picker. */
  note?: string;
}

const oa = (input: number, cachedInput: number, output: number, contextWindow: number, maxOutput: number, note?: string): ModelInfo => ({
  provider: 'openai',
  price: { input, output, cachedInput, cacheWrite: input },
  contextWindow,
  maxOutput,
  note,
});
const an = (input: number, output: number, contextWindow: number, maxOutput: number, note?: string): ModelInfo => ({
  provider: 'anthropic',
  price: { input, output, cachedInput: input / 10, cacheWrite: input * 1.25 },
  contextWindow,
  maxOutput,
  note,
});

/** Public list prices (standard tier), per million tokens. */
export const MODELS: Record<string, ModelInfo> = {
  'gpt-5': oa(1.25, 0.125, 10, 400_000, 128_000, 'strong, reasoning'),
  'gpt-5.1': oa(1.25, 0.125, 10, 400_000, 128_000, 'strong, reasoning'),
  'gpt-5-mini': oa(0.25, 0.025, 2, 400_000, 128_000, 'cheap, reasoning'),
  'gpt-5-nano': oa(0.05, 0.005, 0.4, 400_000, 128_000, 'cheapest'),
  'gpt-4.1': oa(2, 0.5, 8, 1_047_576, 32_768, 'good default for agents'),
  'gpt-4.1-mini': oa(0.4, 0.1, 1.6, 1_047_576, 32_768, 'cheap'),
  'gpt-4.1-nano': oa(0.1, 0.025, 0.4, 1_047_576, 32_768, 'cheapest'),
  'gpt-4o': oa(2.5, 1.25, 10, 128_000, 16_384),
  'gpt-4o-mini': oa(0.15, 0.075, 0.6, 128_000, 16_384, 'cheap'),
  o3: oa(2, 0.5, 8, 200_000, 100_000, 'reasoning'),
  'o3-pro': oa(20, 20, 80, 200_000, 100_000, 'reasoning, very expensive'),
  'o3-mini': oa(1.1, 0.55, 4.4, 200_000, 100_000, 'reasoning'),
  'o4-mini': oa(1.1, 0.275, 4.4, 200_000, 100_000, 'reasoning, cheap'),
  o1: oa(15, 7.5, 60, 200_000, 100_000, 'reasoning, expensive'),
  // Sonnet 5 / 5.5: $2 in, $10 out, cache read $0.20, 5-minute cache write $2.50 per million tokens.
  // Context window and output limit: the 4.x figures until Anthropic's model page is checked (a
  // smaller window only compacts earlier).
  'claude-sonnet-5-5': an(2, 10, 200_000, 64_000, 'good default for agents'),
  'claude-sonnet-5': an(2, 10, 200_000, 64_000),
  'claude-opus-4-5': an(5, 25, 200_000, 64_000, 'deprecated: end of life 2027-01-22'),
  'claude-opus-4-1': an(15, 75, 200_000, 32_000, 'expensive'),
  'claude-opus-4': an(15, 75, 200_000, 32_000, 'expensive'),
  'claude-sonnet-4-5': an(3, 15, 200_000, 64_000, 'deprecated: end of life 2026-11-30'),
  'claude-sonnet-4': an(3, 15, 200_000, 64_000),
  'claude-3-7-sonnet': an(3, 15, 200_000, 64_000),
  'claude-3-5-sonnet': an(3, 15, 200_000, 8_192),
  'claude-haiku-4-5': an(1, 5, 200_000, 64_000, 'fast, cheap'),
  'claude-3-5-haiku': { ...an(0.8, 4, 200_000, 8_192, 'cheapest'), price: { input: 0.8, output: 4, cachedInput: 0.08, cacheWrite: 1 } },
  'claude-3-haiku': { ...an(0.25, 1.25, 200_000, 4_096), price: { input: 0.25, output: 1.25, cachedInput: 0.03, cacheWrite: 0.3 } },
};

/** Default model per provider when mlIntern.model is empty. */
export const DEFAULT_MODEL: Record<string, string> = { openai: 'gpt-4.1', anthropic: 'claude-sonnet-5-5' };

export const DEFAULT_CONTEXT_WINDOW = 128_000;

/** Longest key in `table` that `model` equals or starts with (followed by '-', '.', ':', '@' or the end). */
function longestPrefix<T>(model: string, table: Record<string, T>): string | undefined {
  const candidates = [model.toLowerCase()];
  const slash = model.lastIndexOf('/');
  if (slash >= 0) candidates.push(model.slice(slash + 1).toLowerCase());
  for (const id of candidates) {
    let best: string | undefined;
    for (const key of Object.keys(table)) {
      const k = key.toLowerCase();
      if (id === k || (id.startsWith(k) && /[-.:@_]/.test(id.charAt(k.length)) && !/^\.\d/.test(id.slice(k.length)))) {
        if (!best || k.length > best.length) best = key;
      }
    }
    if (best) return best;
  }
  return undefined;
}

/** What the table knows about a model id, or undefined. */
export function modelInfo(model: string): ModelInfo | undefined {
  const key = longestPrefix(model, MODELS);
  return key ? MODELS[key] : undefined;
}

/** Known model ids of a provider, for the model picker. */
export function knownModels(provider: 'openai' | 'anthropic'): string[] {
  return Object.keys(MODELS).filter((k) => MODELS[k].provider === provider);
}

export function priceOf(model: string, overrides: Record<string, PriceOverride> = {}): ModelPrice | undefined {
  const o = longestPrefix(model, overrides);
  if (o) {
    const p = overrides[o];
    return { input: p.input, output: p.output, cachedInput: p.cachedInput ?? p.input, cacheWrite: p.cacheWrite ?? p.input };
  }
  return modelInfo(model)?.price;
}

export interface Cost {
  usd: number;
  /** False when the model has no price: usd is 0 and the UI should say "price unknown". */
  known: boolean;
}

/** Cost of one call's usage: cached reads at the cached rate, cache writes at the write rate. */
export function costOf(model: string, usage: Usage, overrides: Record<string, PriceOverride> = {}): Cost {
  const p = priceOf(model, overrides);
  if (!p) return { usd: 0, known: false };
  const usd =
    (usage.inputTokens * p.input + usage.outputTokens * p.output + usage.cachedInputTokens * p.cachedInput + usage.cacheWriteTokens * p.cacheWrite) /
    1_000_000;
  return { usd, known: true };
}

/** Context window in tokens: the setting when > 0, else the table, else 128k. */
export function contextWindowOf(model: string, setting = 0): number {
  if (setting > 0) return setting;
  return modelInfo(model)?.contextWindow ?? DEFAULT_CONTEXT_WINDOW;
}

/** Most output tokens one call may request (Anthropic requires max_tokens). */
export function maxOutputOf(model: string, fallback = 8_192): number {
  return modelInfo(model)?.maxOutput ?? fallback;
}

