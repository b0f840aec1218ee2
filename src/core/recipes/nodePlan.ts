/**
 * How many Slurm nodes a training needs: one GPU, one node (FSDP across its GPUs) or N nodes (FSDP
 * full-shard across every GPU of every node). It asks planFullSharding, the one place that decides
 * per-GPU memory under sharding, with the GPUs of all nodes together, so the single-node and the
 * multi-node plans can never disagree about what fits.
 */
import { estimateMemory, GIB, MemoryEstimate, resolveDims, USABLE_FRACTION } from './estimate';
import { FSDP_CONFIG_NAME, planFullSharding, ShardPlanInput } from './shardPlan';
import { fsdpAccelerateConfig } from './templates/accelerateConfig';
import { DEEPSPEED_CONFIG_NAME, deepSpeedZero3Config } from './templates/deepSpeedConfig';

export interface NodePlanInput extends Omit<ShardPlanInput, 'gpusAvailable'> {
  /** GPUs one compute node has (the node check reports them). */
  gpusPerNode: number;
  /** The most nodes the user allows (default 1). */
  maxNodes?: number;
  /**
   * How to shard (default FSDP). ZeRO-3 shards the same model states the same way (DeepSpeed's own
   * estimator gives the same per-GPU figures, see e875b6c), so only the proposed file differs.
   */
  sharding?: 'fsdp' | 'deepspeed';
}

export interface NodePlan {
  /** 'one-gpu', 'one-node' (FSDP across its GPUs), 'multi-node' (FSDP across `nodes` nodes), 'none' (not within maxNodes). */
  scope: 'one-gpu' | 'one-node' | 'multi-node' | 'none';
  /** Nodes to ask for (for 'none': the nodes it would take, when up to 64 GPUs do). */
  nodes: number;
  gpusPerNode: number;
  /** Training processes in all (one per GPU). */
  processes: number;
  /** Memory per GPU at micro-batch 1 with gradient checkpointing, for `processes` GPUs. */
  perGpu: MemoryEstimate;
  /** The accelerate FSDP config (or the DeepSpeed ZeRO-3 JSON) to propose (the launcher's --num_machines/--num_processes override its single-node counts). */
  config?: { name: string; content: string };
  note: string;
}

export function planNodes(input: NodePlanInput): NodePlan {
  const dims = resolveDims(input);
  const gpusPerNode = Math.max(1, Math.floor(input.gpusPerNode));
  const maxNodes = Math.max(1, Math.floor(input.maxNodes ?? 1));
  const gib = Math.round(input.gpuMemoryMiB / 1024);
  if (input.adapter !== 'full') {
    // LoRA and QLoRA keep the base model frozen: one GPU holds them, or no sharding plan here helps.
    const perGpu = estimateMemory({ ...input, dims, perDeviceTrainBatchSize: 1, gradientCheckpointing: true });
    const fits = perGpu.totalGiB <= (input.gpuMemoryMiB / 1024) * USABLE_FRACTION;
    return {
      scope: fits ? 'one-gpu' : 'none', nodes: 1, gpusPerNode, processes: 1, perGpu,
      note: fits ? `${input.adapter} fits one ${gib} GiB GPU (~${perGpu.totalGiB} GiB at micro-batch 1): one node, one GPU.`
        : `${input.adapter} needs ~${perGpu.totalGiB} GiB at micro-batch 1, more than one ${gib} GiB GPU: use QLoRA or a GPU with more memory (adapters are not sharded across nodes here).`,
    };
  }
  const oneNode = planFullSharding({ ...input, dims, gpusAvailable: gpusPerNode });
  if (oneNode.strategy === 'single') return { scope: 'one-gpu', nodes: 1, gpusPerNode, processes: 1, perGpu: oneNode.perGpu, note: oneNode.note };
  if (oneNode.strategy === 'fsdp') return { scope: 'one-node', nodes: 1, gpusPerNode, processes: oneNode.processes, perGpu: oneNode.perGpu, config: oneNode.config, note: oneNode.note };
  const single = estimateMemory({ ...input, dims, perDeviceTrainBatchSize: 1, gradientCheckpointing: true });
  const why = `Full fine-tuning needs ~${single.totalGiB} GiB on one GPU (fp32 master weights + AdamW: 16 bytes per parameter, ~${Math.round((16 * single.params) / GIB)} GiB before activations)`;
  if (!oneNode.gpusNeeded) {
    return { scope: 'none', nodes: maxNodes, gpusPerNode, processes: maxNodes * gpusPerNode, perGpu: single, note: `${why}: more than 64 GPUs of ${gib} GiB would be needed. Use LoRA/QLoRA.` };
  }
  const nodesNeeded = Math.ceil(oneNode.gpusNeeded / gpusPerNode);
  if (nodesNeeded > maxNodes) {
    return {
      scope: 'none', nodes: nodesNeeded, gpusPerNode, processes: nodesNeeded * gpusPerNode, perGpu: single,
      note: `${why}: it takes ${nodesNeeded} nodes of ${gpusPerNode} x ${gib} GiB GPUs with FSDP, and at most ${maxNodes} ${maxNodes === 1 ? 'is' : 'are'} allowed. Allow ${nodesNeeded} nodes, or use LoRA/QLoRA.`,
    };
  }
  const processes = nodesNeeded * gpusPerNode;
  const perGpu = planFullSharding({ ...input, dims, gpusAvailable: processes }).perGpu;
  const deepSpeed = input.sharding === 'deepspeed';
  const config = deepSpeed
    ? { name: DEEPSPEED_CONFIG_NAME, content: deepSpeedZero3Config({ mixedPrecision: input.mixedPrecision ?? 'bf16' }) }
    : { name: FSDP_CONFIG_NAME, content: fsdpAccelerateConfig({ numProcesses: processes, mixedPrecision: input.mixedPrecision ?? 'bf16' }) };
  return {
    scope: 'multi-node', nodes: nodesNeeded, gpusPerNode, processes, perGpu, config,
    note: `${why}, more than one node of ${gpusPerNode} x ${gib} GiB holds: ${deepSpeed ? 'DeepSpeed ZeRO-3' : 'FSDP full-shard'} across ${nodesNeeded} nodes (${processes} GPUs, ~${perGpu.totalGiB} GiB each at micro-batch 1). ` +
      `Submit with --slurm --nodes ${nodesNeeded}${deepSpeed ? ' --sharding deepspeed' : ''}.`,
  };
}
