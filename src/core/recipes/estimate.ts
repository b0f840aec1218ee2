/**
 * GPU memory estimate for one training process, and a batch plan that fits a given GPU.
 * The formula and its sources are in docs/MEMORY-ESTIMATE.md; its activation and logits terms are
 * calibrated on peaks measured with real Trainer steps on an H200 (test/fixtures/real-gpu). It is an
 * estimate: real peaks vary with kernels, allocator fragmentation and sequence-length distribution.
 */
import { ModelDims, lookupModel } from './modelTable';
import { Adapter, Method } from './spec';
import { VllmGeneration, vllmBytesOnTrainingGpu, vllmNotes } from './vllmShare';

export const GIB = 1024 ** 3;

export interface EstimateInput {
  dims: ModelDims;
  adapter: Adapter;
  method?: Method;
  maxLength: number;
  /**
   * Tokens per row the activations and logits count (default and ceiling: maxLength): the longest
   * row after truncation when the token preview measured the data (lengthPlan.ts says why).
   */
  rowTokens?: number;
  perDeviceTrainBatchSize: number;
  gradientCheckpointing: boolean;
  loraR?: number;
  /** "all-linear" (default) or explicit module names such as ["q_proj", "v_proj"]. */
  targetModules?: string | string[];
  /** LoRA dropout (default 0.05): above 0 peft keeps a dropped-out copy of each adapted layer's input. */
  loraDropout?: number;
  /**
   * The dtype full fine-tuning loads its weights in: 'fp32' (default; train.py keeps fp32 master weights
   * and trains under bf16/fp16 autocast, as trl does since PR #4778: 4 B weights + 4 B gradients + 8 B
   * AdamW states per parameter) or 'bf16' (pure bf16, as GRPO's train.py still loads it: 8 B in all).
   * `fullWeightsDtype` in trainerMemory.ts says which a recipe uses.
   */
  precision?: 'bf16' | 'fp32';
  /** GRPO: the KL weight (0 = no reference model). */
  beta?: number;
  /**
   * QLoRA: peft's prepare_model_for_kbit_training runs (trl's trainer calls it in older releases, GRPO's
   * script calls it): every parameter left unquantized (embeddings, the head, norms) is cast to fp32.
   * `kbitUpcast` in trainerMemory.ts says when, per trl version and method.
   */
  kbitUpcast?: boolean;
  /**
   * Full fine-tuning under FSDP FULL_SHARD across this many GPUs (default 1: no sharding): weights,
   * gradients and optimizer states are split between them; activations are not.
   */
  shardAcross?: number;
  /** GRPO: generation with vLLM (colocate: its share of the GPU counts; server: nothing here). Unset: transformers generates. */
  vllm?: VllmGeneration;
  /** The training GPU's memory, for vLLM's colocate share (a fraction of the whole card). */
  gpuMemoryMiB?: number;
}

export interface MemoryBreakdown {
  weights: number;
  gradients: number;
  optimizer: number;
  activations: number;
  logits: number;
  overhead: number;
  /** GRPO: the KV cache while sampling the micro-batch's completions. It peaks at another time than the
   * backward pass, so the total counts the larger of it and activations + logits. */
  generation?: number;
  /** GRPO with vLLM colocated: the share of the GPU vLLM takes (its weights and KV cache), held for the whole run. */
  vllm?: number;
}

export interface MemoryEstimate {
  params: number;
  trainableParams: number;
  breakdownGiB: MemoryBreakdown;
  totalGiB: number;
}

export interface BatchPlan {
  perDeviceTrainBatchSize: number;
  gradientAccumulationSteps: number;
  gradientCheckpointing: boolean;
  adapter: Adapter;
  fits: boolean;
  estimate: MemoryEstimate;
  notes: string[];
}

/** Bytes of activations kept per token per layer, in units of hidden size (Korthikanti et al. 2022, 16-bit, no attention-score matrix with SDPA/flash). */
export const ACTIVATION_BYTES_PER_TOKEN_PER_HIDDEN = 34;
/**
 * LoRA with dropout keeps, per adapted layer, the dropped-out copy of its input (2 B) and the
 * dropout mask (1 B) per input feature. Measured: Llama-3.2-1B and Llama-3.1-8B shapes, all-linear
 * r=16, no checkpointing: 63–71 h bytes per token per layer against 34 + this term's 28–30.
 */
export const LORA_DROPOUT_BYTES_PER_INPUT = 3;
/**
 * Logits and the loss, per token per vocabulary entry: bf16 logits (2 B), their fp32 upcast for the
 * cross-entropy (4 B), its softmax/gradient (4 B) and slack. Measured peaks on an H200 (LoRA, 4k and 16k
 * tokens per micro-batch, 128k vocabulary) give 10.6–11 B; the fp32-only accounting (4 B) was 2.7x low.
 */
export const LOGITS_BYTES_PER_TOKEN_PER_VOCAB = 11;
/** 4-bit NF4 with double quantization: 4 bits + ~0.127 bits of constants per parameter (Dettmers et al. 2023). */
export const NF4_BYTES_PER_PARAM = 0.5 + 0.127 / 8;
/** CUDA context, cuBLAS workspaces and the caching allocator's slack. */
export const FIXED_OVERHEAD_GIB = 1.0;
export const FRAGMENTATION = 0.08;

const ALL_LINEAR = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

/** [in, out] features of each adaptable linear layer of one transformer block, for the targets asked. */
function adaptedShapes(d: ModelDims, targetModules: string | string[]): Array<[number, number]> {
  const q = d.numHeads * d.headDim;
  const kv = d.numKvHeads * d.headDim;
  const shapes: Record<string, [number, number]> = {
    q_proj: [d.hiddenSize, q], k_proj: [d.hiddenSize, kv], v_proj: [d.hiddenSize, kv], o_proj: [q, d.hiddenSize],
    gate_proj: [d.hiddenSize, d.intermediateSize], up_proj: [d.hiddenSize, d.intermediateSize], down_proj: [d.intermediateSize, d.hiddenSize],
  };
  const targets = targetModules === 'all-linear' ? ALL_LINEAR : Array.isArray(targetModules) ? targetModules : [targetModules];
  return targets.flatMap((t) => (shapes[t] ? [shapes[t]] : []));
}

/** Trainable LoRA parameters: r x (in + out) for every adapted linear layer. */
export function loraParams(d: ModelDims, r: number, targetModules: string | string[] = 'all-linear'): number {
  let perLayer = 0;
  for (const [inF, outF] of adaptedShapes(d, targetModules)) perLayer += r * (inF + outF);
  return perLayer * d.numLayers;
}

/** Preference methods push chosen and rejected through the model together: twice the tokens. */
function tokenMultiplier(method?: Method): number {
  return method === 'dpo' || method === 'orpo' || method === 'kto' ? 2 : 1;
}

/** Tokens per row: the measured row length when given, never above MAX_LENGTH (trl truncates there). */
function rowLength(input: { maxLength: number; rowTokens?: number }): number {
  return input.rowTokens !== undefined && input.rowTokens > 0 ? Math.min(input.rowTokens, input.maxLength) : input.maxLength;
}

export function estimateMemory(input: EstimateInput): MemoryEstimate {
  const d = input.dims;
  const P = d.params;
  const embedParams = d.vocabSize * d.hiddenSize * (d.tiedEmbeddings ? 1 : 2);
  const bodyParams = P - embedParams;
  const tokens = rowLength(input) * input.perDeviceTrainBatchSize * tokenMultiplier(input.method);
  const b: MemoryBreakdown = { weights: 0, gradients: 0, optimizer: 0, activations: 0, logits: 0, overhead: 0 };
  let trainable: number;

  const shards = Math.max(1, Math.floor(input.shardAcross ?? 1));
  if (input.adapter === 'full') {
    trainable = P;
    if (input.precision !== 'bf16') {
      // fp32 master weights under bf16/fp16 autocast: 4 B weights + 4 B grads + 8 B AdamW momentum and variance.
      b.weights = 4 * P;
      b.gradients = 4 * P;
      b.optimizer = 8 * P;
    } else {
      // Loaded in bf16, the Trainer trains in pure bf16: 2 B weights, 2 B grads, and AdamW's momentum and
      // variance are bf16 too (torch allocates them like the parameter): 8 B in all.
      b.weights = 2 * P;
      b.gradients = 2 * P;
      b.optimizer = 4 * P;
    }
    // DPO and KTO keep a frozen reference copy of the whole model; train.py loads it in 16-bit (it never trains).
    if (input.method === 'dpo' || input.method === 'kto') b.weights += 2 * P;
    // GRPO keeps one only when beta > 0 (trl's default since 0.19 is 0: no reference model).
    if (input.method === 'grpo' && (input.beta ?? 0) > 0) b.weights += (input.precision === 'bf16' ? 2 : 4) * P;
    if (shards > 1) {
      // FULL_SHARD: each GPU holds 1/N of every state, plus the one decoder layer FSDP gathers whole
      // (16-bit, forward and backward prefetch: two layers) while it computes.
      const layer = 2 * 2 * (bodyParams / d.numLayers);
      b.weights = b.weights / shards + layer;
      b.gradients /= shards;
      b.optimizer /= shards;
    }
  } else {
    trainable = loraParams(d, input.loraR ?? 16, input.targetModules);
    // QLoRA stores the transformer body in NF4; embeddings and the head stay 16-bit, or become fp32 when
    // prepare_model_for_kbit_training runs (it upcasts every unquantized parameter).
    b.weights = input.adapter === 'qlora' ? bodyParams * NF4_BYTES_PER_PARAM + embedParams * (input.kbitUpcast ? 4 : 2) : 2 * P;
    // Adapter weights are fp32 (peft upcasts them): 4 B weights, 4 B grads, 8 B Adam states.
    b.weights += 4 * trainable;
    b.gradients = 4 * trainable;
    b.optimizer = 8 * trainable;
  }

  let perLayerPerToken = ACTIVATION_BYTES_PER_TOKEN_PER_HIDDEN * d.hiddenSize;
  if (input.adapter !== 'full' && (input.loraDropout ?? 0.05) > 0) {
    for (const [inF] of adaptedShapes(d, input.targetModules ?? 'all-linear')) perLayerPerToken += LORA_DROPOUT_BYTES_PER_INPUT * inF;
  }
  if (input.gradientCheckpointing) {
    // Only each layer's input (2 B x hidden per token) is kept; one layer at a time is recomputed.
    b.activations = tokens * (2 * d.hiddenSize * d.numLayers + perLayerPerToken);
  } else {
    b.activations = tokens * perLayerPerToken * d.numLayers;
  }
  b.logits = tokens * d.vocabSize * LOGITS_BYTES_PER_TOKEN_PER_VOCAB;
  // GRPO samples before it trains: keys and values (2 x 2 B) per layer, KV head and head dimension for every token of the micro-batch's sequences.
  // With vLLM, transformers' generate() does not run: vLLM's KV cache lives in its own share (colocate) or on the server's GPU.
  const grpoVllm = input.method === 'grpo' ? input.vllm : undefined;
  const generation = input.method === 'grpo' && !grpoVllm ? 4 * d.numLayers * d.numKvHeads * d.headDim * input.maxLength * input.perDeviceTrainBatchSize : 0;
  const subtotal = b.weights + b.gradients + b.optimizer + Math.max(b.activations + b.logits, generation);
  b.overhead = FIXED_OVERHEAD_GIB * GIB + FRAGMENTATION * subtotal;
  // vLLM allocates its share up front (gpu_memory_utilization x the card): no fragmentation on top.
  const vllm = vllmBytesOnTrainingGpu(grpoVllm, input.gpuMemoryMiB);

  const gib = (x: number): number => Math.round((x / GIB) * 100) / 100;
  const breakdownGiB: MemoryBreakdown = {
    weights: gib(b.weights), gradients: gib(b.gradients), optimizer: gib(b.optimizer),
    activations: gib(b.activations), logits: gib(b.logits), overhead: gib(b.overhead),
    ...(input.method === 'grpo' ? { generation: gib(generation) } : {}),
    ...(grpoVllm ? { vllm: gib(vllm) } : {}),
  };
  return { params: P, trainableParams: trainable, breakdownGiB, totalGiB: gib(subtotal + b.overhead + vllm) };
}

export interface PlanInput {
  baseModel?: string;
  dims?: ModelDims;
  adapter: Adapter;
  method?: Method;
  maxLength: number;
  /** See EstimateInput.rowTokens: the row length the plan counts when the preview measured it. */
  rowTokens?: number;
  perDeviceTrainBatchSize: number;
  gradientAccumulationSteps: number;
  gradientCheckpointing?: boolean;
  loraR?: number;
  targetModules?: string | string[];
  loraDropout?: number;
  precision?: 'bf16' | 'fp32';
  beta?: number;
  kbitUpcast?: boolean;
  shardAcross?: number;
  /** GRPO: generation with vLLM (see EstimateInput.vllm). */
  vllm?: VllmGeneration;
}

/** Room left for spikes: plan to use at most 90 % of the card. */
export const USABLE_FRACTION = 0.9;

export function resolveDims(input: { baseModel?: string; dims?: ModelDims }): ModelDims {
  const dims = input.dims ?? (input.baseModel ? lookupModel(input.baseModel) : undefined);
  if (!dims) {
    throw new Error(`Unknown model ${JSON.stringify(input.baseModel)}: pass a local folder with config.json (or add it to the built-in table in src/core/recipes/modelTable.ts)`);
  }
  return dims;
}

/** KTO's per-step batch floor: "at least 4 … if your per-step batch size is poor, the KL estimate in KTO will be poor" (trl docs/source/kto_trainer.md). */
export const KTO_MIN_MICRO_BATCH = 4;

/** Gradient checkpointing recomputes the forward pass in the backward one: ~30 % more time per step. */
export const CHECKPOINTING_TIME_FACTOR = 1.3;
/**
 * Tokens per micro-batch at which a GPU is half busy: below a few thousand tokens per forward pass
 * the kernels are too small to fill it, above it the gain of a bigger micro-batch flattens out.
 */
const HALF_BUSY_TOKENS = 1024;

/**
 * Relative time to train one token with this micro-batch and checkpointing setting (lower is faster):
 * GPU utilisation saturates with the tokens of a micro-batch, checkpointing costs its recomputation.
 * At 2,048 tokens, micro-batch 2 without checkpointing beats micro-batch 4 with it (1.25 vs 1.46).
 */
export function relativeStepTime(perDeviceTrainBatchSize: number, maxLength: number, gradientCheckpointing: boolean): number {
  const tokens = perDeviceTrainBatchSize * maxLength;
  const utilisation = tokens / (tokens + HALF_BUSY_TOKENS);
  return (gradientCheckpointing ? CHECKPOINTING_TIME_FACTOR : 1) / utilisation;
}

/**
 * Pick micro-batch, gradient accumulation and checkpointing so training fits `gpuMemoryMiB`,
 * keeping the effective batch (micro-batch x accumulation), and of the plans that fit the fastest
 * (relativeStepTime): no checkpointing at a smaller micro-batch usually beats checkpointing at a
 * bigger one. Tries the requested adapter first, then cheaper ones (full -> LoRA -> QLoRA), and
 * says which one was needed.
 */
export function planBatch(spec: PlanInput, gpuMemoryMiB: number): BatchPlan {
  const dims = resolveDims(spec);
  const budgetGiB = (gpuMemoryMiB / 1024) * USABLE_FRACTION;
  const effective = Math.max(1, spec.perDeviceTrainBatchSize * spec.gradientAccumulationSteps);
  const ladder: Adapter[] = spec.adapter === 'full' ? ['full', 'lora', 'qlora'] : spec.adapter === 'lora' ? ['lora', 'qlora'] : ['qlora'];
  const notes: string[] = spec.method === 'grpo' ? vllmNotes(spec.vllm, gpuMemoryMiB) : [];
  const estimateFor = (adapter: Adapter, bs: number, gc: boolean): MemoryEstimate =>
    estimateMemory({ dims, adapter, method: spec.method, maxLength: spec.maxLength, rowTokens: spec.rowTokens, perDeviceTrainBatchSize: bs, gradientCheckpointing: gc, loraR: spec.loraR, targetModules: spec.targetModules, loraDropout: spec.loraDropout, precision: spec.precision, beta: spec.beta, kbitUpcast: spec.kbitUpcast, shardAcross: spec.shardAcross, vllm: adapter === 'qlora' ? undefined : spec.vllm, gpuMemoryMiB });

  for (const adapter of ladder) {
    // Every micro-batch (halving from the requested one) with and without checkpointing; the fastest that fits wins.
    const fitting: { bs: number; gc: boolean; est: MemoryEstimate; time: number }[] = [];
    for (let bs = Math.min(spec.perDeviceTrainBatchSize, effective); bs >= 1; bs = Math.floor(bs / 2)) {
      for (const gc of spec.gradientCheckpointing === true ? [true] : [false, true]) {
        const est = estimateFor(adapter, bs, gc);
        if (est.totalGiB <= budgetGiB) fitting.push({ bs, gc, est, time: relativeStepTime(bs, rowLength(spec), gc) });
      }
      if (bs === 1) break;
    }
    if (!fitting.length) continue;
    // KTO estimates its KL term from mismatched pairs inside each micro-batch: trl's KTO docs ask for a
    // per-step batch of at least 4 (and trl refuses 1). Among plans that fit, those reach it first.
    const ktoMin = Math.min(KTO_MIN_MICRO_BATCH, effective);
    const klFit = spec.method === 'kto' ? fitting.filter((f) => f.bs >= ktoMin) : fitting;
    const candidates = klFit.length ? klFit : fitting;
    if (spec.method === 'kto' && !klFit.length) {
      const biggest = fitting[0].bs;
      const cheaper = adapter === 'full' ? 'use LoRA, ' : adapter === 'lora' ? 'use QLoRA, ' : '';
      notes.push(`KTO: only micro-batch ${biggest} fits in ${Math.round(gpuMemoryMiB / 1024)} GiB; below ${KTO_MIN_MICRO_BATCH} its KL estimate is poor (trl's KTO docs)${biggest <= 1 ? ' and trl refuses 1' : ''}: ${cheaper}shorten MAX_LENGTH or use a GPU with more memory to fit ${KTO_MIN_MICRO_BATCH}.`);
    }
    // Ties go to the bigger micro-batch (fewer accumulation steps).
    const best = candidates.reduce((a, b) => (b.time < a.time - 1e-9 ? b : a));
    const { bs, gc, est } = best;
    const gas = Math.max(1, Math.ceil(effective / bs));
    if (adapter !== spec.adapter) {
      notes.push(`${spec.adapter} does not fit in ${Math.round(gpuMemoryMiB / 1024)} GiB even with micro-batch 1 and gradient checkpointing; only ${adapter === 'qlora' ? 'QLoRA' : 'LoRA'} fits.`);
    }
    if (bs < spec.perDeviceTrainBatchSize) notes.push(`Micro-batch lowered from ${spec.perDeviceTrainBatchSize} to ${bs}; gradient accumulation raised to ${gas} to keep the effective batch of ${effective}.`);
    const biggerWithCheckpointing = fitting.find((f) => f.gc && f.bs > bs);
    if (!gc && biggerWithCheckpointing && spec.gradientCheckpointing !== true) {
      notes.push(`Gradient checkpointing off at micro-batch ${bs}: faster than micro-batch ${biggerWithCheckpointing.bs} with checkpointing, whose recomputation costs ~${Math.round((CHECKPOINTING_TIME_FACTOR - 1) * 100)} % more time per step.`);
    }
    if (gc && !spec.gradientCheckpointing) notes.push(`Gradient checkpointing is needed to fit (about ${Math.round((CHECKPOINTING_TIME_FACTOR - 1) * 100)} % slower).`);
    return { perDeviceTrainBatchSize: bs, gradientAccumulationSteps: gas, gradientCheckpointing: gc, adapter, fits: true, estimate: est, notes };
  }
  const smallest = estimateFor(ladder[ladder.length - 1], 1, true);
  notes.push(
    `Nothing fits in ${Math.round(gpuMemoryMiB / 1024)} GiB: even QLoRA with micro-batch 1 and gradient checkpointing needs ~${smallest.totalGiB} GiB. ` +
      `Shorten MAX_LENGTH, pick a smaller model, or shard across GPUs (FSDP / DeepSpeed ZeRO-3)${spec.method === 'grpo' && spec.vllm?.mode === 'colocate' ? '; or lower VLLM_GPU_MEMORY_UTILIZATION, or run vLLM in server mode on another GPU' : ''}.`,
  );
  return { perDeviceTrainBatchSize: 1, gradientAccumulationSteps: effective, gradientCheckpointing: true, adapter: ladder[ladder.length - 1], fits: false, estimate: smallest, notes };
}
