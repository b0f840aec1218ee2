/**
 * Shapes of popular open models (from their config.json on the Hub), so memory can be estimated
 * without a network. `dimsFromConfig` computes the same numbers from any local config.json.
 */

export interface ModelDims {
  /** Total parameters (embeddings included). */
  params: number;
  hiddenSize: number;
  numLayers: number;
  vocabSize: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  tiedEmbeddings: boolean;
}

type Row = [pattern: RegExp, hidden: number, layers: number, heads: number, kv: number, inter: number, vocab: number, tied: boolean, headDim?: number];

// Patterns match the repo name without the owner, case-insensitive; -Instruct/-it/-chat variants share a shape.
const ROWS: Row[] = [
  [/llama-3\.2-1b/, 2048, 16, 32, 8, 8192, 128256, true],
  [/llama-3\.2-3b/, 3072, 28, 24, 8, 8192, 128256, true],
  [/(meta-)?llama-3(\.1)?-8b/, 4096, 32, 32, 8, 14336, 128256, false],
  [/(meta-)?llama-3(\.[13])?-70b/, 8192, 80, 64, 8, 28672, 128256, false],
  [/llama-2-7b/, 4096, 32, 32, 32, 11008, 32000, false],
  [/llama-2-13b/, 5120, 40, 40, 40, 13824, 32000, false],
  [/mistral-7b(-instruct)?-v0\.3/, 4096, 32, 32, 8, 14336, 32768, false],
  [/mistral-7b/, 4096, 32, 32, 8, 14336, 32000, false],
  [/qwen2\.5-0\.5b/, 896, 24, 14, 2, 4864, 151936, true],
  [/qwen2\.5-1\.5b/, 1536, 28, 12, 2, 8960, 151936, true],
  [/qwen2\.5-3b/, 2048, 36, 16, 2, 11008, 151936, true],
  [/qwen2\.5-(coder-)?7b/, 3584, 28, 28, 4, 18944, 152064, false],
  [/qwen2\.5-14b/, 5120, 48, 40, 8, 13824, 152064, false],
  [/qwen2\.5-32b/, 5120, 64, 40, 8, 27648, 152064, false],
  [/qwen2\.5-72b/, 8192, 80, 64, 8, 29568, 152064, false],
  [/qwen3-0\.6b/, 1024, 28, 16, 8, 3072, 151936, true, 128],
  [/qwen3-1\.7b/, 2048, 28, 16, 8, 6144, 151936, true, 128],
  [/qwen3-4b/, 2560, 36, 32, 8, 9728, 151936, true, 128],
  [/qwen3-8b/, 4096, 36, 32, 8, 12288, 151936, false, 128],
  [/qwen3-14b/, 5120, 40, 40, 8, 17408, 151936, false, 128],
  [/qwen3-32b/, 5120, 64, 64, 8, 25600, 151936, false, 128],
  [/gemma-2-2b/, 2304, 26, 8, 4, 9216, 256000, true, 256],
  [/gemma-2-9b/, 3584, 42, 16, 8, 14336, 256000, true, 256],
  [/gemma-2-27b/, 4608, 46, 32, 16, 36864, 256000, true, 128],
  [/gemma-3-1b/, 1152, 26, 4, 1, 6912, 262144, true, 256],
  [/gemma-3-4b/, 2560, 34, 8, 4, 10240, 262208, true, 256],
  [/gemma-3-12b/, 3840, 48, 16, 8, 15360, 262208, true, 256],
  [/gemma-3-27b/, 5376, 62, 32, 16, 21504, 262208, true, 128],
  [/phi-3(\.5)?-mini/, 3072, 32, 32, 32, 8192, 32064, false],
  [/phi-3-medium/, 5120, 40, 40, 10, 17920, 32064, false],
  [/phi-4-mini/, 3072, 32, 24, 8, 8192, 200064, true],
  [/phi-4\b(?!-mini)/, 5120, 40, 40, 10, 17920, 100352, false],
  [/smollm2-135m/, 576, 30, 9, 3, 1536, 49152, true],
  [/smollm2-360m/, 960, 32, 15, 5, 2560, 49152, true],
  [/smollm2-1\.7b/, 2048, 24, 32, 32, 8192, 49152, true],
];

export function dimsFromShape(hidden: number, layers: number, heads: number, kv: number, inter: number, vocab: number, tied: boolean, headDim?: number): ModelDims {
  const d = headDim ?? hidden / heads;
  const attn = hidden * heads * d + 2 * hidden * kv * d + heads * d * hidden;
  const mlp = 3 * hidden * inter; // gated MLP: gate, up, down
  const perLayer = attn + mlp + 2 * hidden; // + two norms
  const embed = vocab * hidden;
  const params = embed * (tied ? 1 : 2) + layers * perLayer + hidden;
  return { params, hiddenSize: hidden, numLayers: layers, vocabSize: vocab, numHeads: heads, numKvHeads: kv, headDim: d, intermediateSize: inter, tiedEmbeddings: tied };
}

/** Shape of a known model by Hub id (owner optional), or undefined. */
export function lookupModel(modelId: string): ModelDims | undefined {
  const name = modelId.toLowerCase().split('/').pop() ?? '';
  const row = ROWS.find(([re]) => re.test(name));
  if (!row) return undefined;
  const [, h, l, a, kv, i, v, tied, hd] = row;
  return dimsFromShape(h, l, a, kv, i, v, tied, hd);
}

function num(cfg: Record<string, unknown>, ...keys: string[]): number | undefined {
  for (const k of keys) {
    const v = cfg[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

/** Shape from a transformers config.json (text_config is used for multimodal wrappers such as Gemma 3). */
export function dimsFromConfig(config: Record<string, unknown>): ModelDims {
  const cfg = (config.text_config && typeof config.text_config === 'object' ? { ...config, ...(config.text_config as Record<string, unknown>) } : config);
  const hidden = num(cfg, 'hidden_size', 'n_embd', 'd_model');
  const layers = num(cfg, 'num_hidden_layers', 'n_layer', 'num_layers');
  const heads = num(cfg, 'num_attention_heads', 'n_head');
  const vocab = num(cfg, 'vocab_size');
  if (!hidden || !layers || !heads || !vocab) {
    throw new Error('config.json lacks hidden_size, num_hidden_layers, num_attention_heads or vocab_size: cannot estimate this model');
  }
  const kv = num(cfg, 'num_key_value_heads') ?? heads;
  const inter = num(cfg, 'intermediate_size', 'n_inner') ?? 4 * hidden;
  // transformers' PretrainedConfig defaults tie_word_embeddings to True.
  const tied = cfg.tie_word_embeddings === undefined ? true : Boolean(cfg.tie_word_embeddings);
  return dimsFromShape(hidden, layers, heads, kv, inter, vocab, tied, num(cfg, 'head_dim'));
}
