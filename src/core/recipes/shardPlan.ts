/**
 * What the trainers really hold in GPU memory, per library version, and the plan for full fine-tuning
 * that one GPU cannot hold: FSDP (full sharding, accelerate's mixed precision) across several GPUs,
 * with its accelerate config as a reviewable file. `planFullSharding` is the one place that decides;
 * the multi-node planner reuses it with the GPUs of every node.
 */
import { versionAtLeast } from './libraryVersions';
import { estimateMemory, GIB, MemoryEstimate, PlanInput, resolveDims, USABLE_FRACTION } from './estimate';
import { Method } from './spec';
import { fsdpAccelerateConfig } from './templates/accelerateConfig';

/** How full fine-tuning loads its weights: train.py keeps fp32 master weights; GRPO's train.py loads bf16 when BF16 is on. */
export function fullWeightsDtype(method: Method, bf16: boolean): 'bf16' | 'fp32' {
  return method === 'grpo' && bf16 ? 'bf16' : 'fp32';
}

/**
 * Whether peft's prepare_model_for_kbit_training runs on a QLoRA model (it casts every unquantized
 * parameter to fp32). The recipes never call it themselves except GRPO's train.py; the trainers did,
 * until (trl git tags): SFT 0.26.0 (sft_trainer.py stopped using prepare_peft_model), DPO 0.29.0,
 * KTO 1.4.0 (trl/experimental/kto); ORPO (trl/experimental/orpo) still does at 1.9.0.
 */
export function kbitUpcast(method: Method, trl: string): boolean {
  switch (method) {
    case 'sft': return !versionAtLeast(trl, '0.26.0');
    case 'dpo': return !versionAtLeast(trl, '0.29.0');
    case 'kto': return !versionAtLeast(trl, '1.4.0');
    case 'orpo': case 'grpo': return true;
    default: return false;
  }
}

export interface ShardPlanInput extends Omit<PlanInput, 'shardAcross' | 'gradientAccumulationSteps'> {
  /** GPUs the run may use (on one node, or across nodes for the multi-node planner). */
  gpusAvailable: number;
  /** Memory of one GPU (MiB); every GPU is assumed alike. */
  gpuMemoryMiB: number;
  /** accelerate's mixed precision for the config (default bf16). */
  mixedPrecision?: 'bf16' | 'fp16';
}

export interface ShardPlan {
  /** 'single': one GPU holds it; 'fsdp': sharded across `processes` GPUs; 'none': no number of GPUs up to `gpusAvailable` does. */
  strategy: 'single' | 'fsdp' | 'none';
  /** Processes (GPUs) to launch. */
  processes: number;
  /** Fewest GPUs of this kind that hold full fine-tuning at micro-batch 1 with checkpointing (undefined: more than 64). */
  gpusNeeded?: number;
  /** The estimate per GPU for the chosen number of processes (micro-batch 1, gradient checkpointing). */
  perGpu: MemoryEstimate;
  /** The accelerate config to propose beside train.py, when sharded. */
  config?: { name: string; content: string };
  note: string;
}

export const FSDP_CONFIG_NAME = 'accelerate_fsdp.yaml';
const MAX_GPUS = 64;

/**
 * Full fine-tuning: one GPU when it fits there (at micro-batch 1 with checkpointing, the smallest
 * footprint), else FSDP across every available GPU when that fits (more GPUs also train faster), else
 * the number of GPUs it would take. Only full fine-tuning is planned here: LoRA and QLoRA fit one GPU.
 */
export function planFullSharding(input: ShardPlanInput): ShardPlan {
  const dims = resolveDims(input);
  const budgetGiB = (input.gpuMemoryMiB / 1024) * USABLE_FRACTION;
  const at = (n: number): MemoryEstimate => estimateMemory({ ...input, dims, perDeviceTrainBatchSize: 1, gradientCheckpointing: true, shardAcross: n });
  const fitsOn = (n: number): boolean => at(n).totalGiB <= budgetGiB;
  let gpusNeeded: number | undefined;
  for (let n = 1; n <= MAX_GPUS; n++) {
    if (fitsOn(n)) {
      gpusNeeded = n;
      break;
    }
  }
  const gib = Math.round(input.gpuMemoryMiB / 1024);
  const single = at(1);
  const available = Math.max(1, Math.floor(input.gpusAvailable));
  if (gpusNeeded === 1) {
    return { strategy: 'single', processes: 1, gpusNeeded, perGpu: single, note: `Full fine-tuning fits one ${gib} GiB GPU (~${single.totalGiB} GiB at micro-batch 1 with fp32 master weights and AdamW: 16 bytes per parameter).` };
  }
  const needed = gpusNeeded ? `${gpusNeeded} GPUs of ${gib} GiB with FSDP` : `more than ${MAX_GPUS} GPUs of ${gib} GiB`;
  if (gpusNeeded && gpusNeeded <= available) {
    const perGpu = at(available);
    const content = fsdpAccelerateConfig({ numProcesses: available, mixedPrecision: input.mixedPrecision ?? 'bf16' });
    return {
      strategy: 'fsdp', processes: available, gpusNeeded, perGpu, config: { name: FSDP_CONFIG_NAME, content },
      note: `Full fine-tuning needs ~${single.totalGiB} GiB on one GPU (fp32 master weights + AdamW: 16 bytes per parameter), more than ${gib} GiB: ` +
        `FSDP shards it across the ${available} GPUs (~${perGpu.totalGiB} GiB each at micro-batch 1): run accelerate launch --config_file ${FSDP_CONFIG_NAME} train.py.`,
    };
  }
  return {
    strategy: 'none', processes: available, ...(gpusNeeded ? { gpusNeeded } : {}), perGpu: single,
    note: `Full fine-tuning needs ~${single.totalGiB} GiB on one GPU (fp32 master weights + AdamW: 16 bytes per parameter, ~${Math.round((16 * single.params) / GIB)} GiB before activations): ` +
      `it takes ${needed}, and ${available} ${available === 1 ? 'is' : 'are'} available. Use LoRA/QLoRA, or run on more GPUs (several nodes: the Slurm target).`,
  };
}
