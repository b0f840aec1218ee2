/**
 * vLLM's part of GRPO's GPU memory. trl's GRPOConfig generates with vLLM in one of two modes (0.18+):
 * "colocate" starts vLLM inside the training process on the training GPU, which takes
 * `vllm_gpu_memory_utilization` of the GPU's whole memory for its weights and KV cache (default 0.3
 * since 0.18, grpo_config.py at each tag; before, vLLM ran only on a GPU of its own: 0.9 of that GPU
 * in 0.14-0.15, the keyword deprecated for the server's own flag in 0.16-0.17);
 * "server" sends prompts to `trl vllm-serve` on other GPUs, which takes nothing from the training GPUs
 * but needs a GPU of its own. Either way transformers' generate() does not run, so its KV cache is
 * not counted beside it.
 */
import { versionAtLeast } from './libraryVersions';

/** trl's GRPOConfig default for colocate mode (v0.18.0-v1.9.0), and what the recipe's train.py sets. */
export const VLLM_COLOCATE_SHARE = 0.3;

export interface VllmGeneration {
  mode: 'colocate' | 'server';
  /** Colocate: vllm_gpu_memory_utilization, the fraction of the GPU's total memory vLLM takes (default VLLM_COLOCATE_SHARE). */
  gpuMemoryUtilization?: number;
}

/** Bytes vLLM takes on each training GPU: its share of the card in colocate mode, none in server mode. */
export function vllmBytesOnTrainingGpu(v: VllmGeneration | undefined, gpuMemoryMiB: number | undefined): number {
  if (!v || v.mode !== 'colocate' || !gpuMemoryMiB) return 0;
  const share = Math.min(Math.max(v.gpuMemoryUtilization ?? VLLM_COLOCATE_SHARE, 0), 1);
  return share * gpuMemoryMiB * 1024 * 1024;
}

/** The port `trl vllm-serve` listens on (its default, vllm_serve.py ScriptArguments.port) and train.py connects to. */
export const VLLM_SERVER_PORT = 8000;

/**
 * How the recipe's train.py generates when vLLM is installed and trl has vllm_mode (0.18+): with two
 * GPUs or more, a `trl vllm-serve` server on the last one and training on the others (the launch
 * script starts and stops it); with one, vLLM colocated on the training GPU. Never with QLoRA (vLLM
 * cannot load the 4-bit base with the adapter). undefined = transformers' generate().
 */
export function recipeVllm(o: { method?: string; adapter?: string; packages?: Record<string, string | null | undefined>; gpus?: number }, trl: string): VllmGeneration | undefined {
  if (o.method !== 'grpo' || o.adapter === 'qlora' || !o.packages?.vllm || !versionAtLeast(trl, '0.18.0')) return undefined;
  if ((o.gpus ?? 0) >= 2) return { mode: 'server' };
  return { mode: 'colocate', gpuMemoryUtilization: VLLM_COLOCATE_SHARE };
}

/**
 * The GPUs that train: in vLLM server mode one of them serves generation (trl vllm-serve), so the
 * generation groups and the steps per epoch are counted on the others.
 */
export function trainingGpuCount(o: { method?: string; adapter?: string; packages?: Record<string, string | null | undefined>; gpus?: number }, trl: string): number {
  const all = o.gpus || 1;
  return Math.max(1, all - (recipeVllm(o, trl)?.mode === 'server' ? 1 : 0));
}

/** What the plan says about vLLM (empty when it is not used). */
export function vllmNotes(v: VllmGeneration | undefined, gpuMemoryMiB: number): string[] {
  if (!v) return [];
  if (v.mode === 'server') return ['vLLM server mode: generation runs on the server\'s own GPU (trl vllm-serve), not counted on the training GPUs; keep one GPU free for it.'];
  const share = v.gpuMemoryUtilization ?? VLLM_COLOCATE_SHARE;
  const gib = Math.round((share * gpuMemoryMiB) / 1024 * 10) / 10;
  return [`vLLM colocated on the training GPU takes ${Math.round(share * 100)} % of it (${gib} GiB, VLLM_GPU_MEMORY_UTILIZATION): training plans with the rest.`];
}
