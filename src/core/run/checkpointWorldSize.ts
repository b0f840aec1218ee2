/**
 * Whether a checkpoint saved by one number of training processes can be resumed by another (a
 * multi-node job submitted again on a different node count, or with another number of GPUs per
 * node). The answer depends on how the weights and optimizer states were saved, read from the file
 * names the libraries write into a Trainer checkpoint-N folder:
 *
 *   - transformers Trainer._save_rng_state: `rng_state.pth` with one process, else
 *     `rng_state_<process index>.pth` per process: their count is the world size that saved it;
 *   - accelerate save_fsdp_model / save_fsdp_optimizer (utils/fsdp_utils.py) by state-dict type:
 *     FULL_STATE_DICT `pytorch_model_fsdp.bin` + `optimizer.bin` (whole, written by rank 0);
 *     SHARDED_STATE_DICT `pytorch_model_fsdp_0/` + `optimizer_0/` (torch.distributed.checkpoint,
 *     whose load plans reshard for the world size that loads them); LOCAL_STATE_DICT
 *     `pytorch_model_fsdp_rank<N>.bin` (each rank's own flat shard: only the same world size);
 *   - DeepSpeed engine.save_checkpoint: `global_step<N>/` with `zero_pp_rank_<r>_mp_rank_00_optim_states.pt`
 *     per data-parallel rank; loading them on another count fails in DeepSpeed with "The checkpoint
 *     being loaded used a DP world size of 4 but the current world size is 2. Automatic adjustment of
 *     ZeRO's optimizer state partitioning with a new world size is not currently supported." Its
 *     universal checkpoints (deepspeed.checkpoint.ds_to_universal) are the way around, by hand.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export type CheckpointFormat = 'fsdp-sharded' | 'fsdp-full' | 'fsdp-local' | 'deepspeed' | 'whole';

export interface CheckpointLayout {
  format: CheckpointFormat;
  /** Processes that saved it (undefined: the folder does not say). */
  worldSize?: number;
}

/** The layout from the names in a checkpoint folder and, for DeepSpeed, in its global_step folder. */
export function checkpointLayout(names: readonly string[], deepSpeedNames: readonly string[] = []): CheckpointLayout {
  const rngRanks = names.filter((n) => /^rng_state_\d+\.pth$/.test(n)).length;
  const zeroRanks = deepSpeedNames.filter((n) => /^zero_pp_rank_\d+_mp_rank_\d+_optim_states\.pt$/.test(n)).length;
  const worldSize = zeroRanks || rngRanks || (names.includes('rng_state.pth') ? 1 : undefined);
  const sized = (format: CheckpointFormat): CheckpointLayout => (worldSize ? { format, worldSize } : { format });
  if (names.some((n) => /^global_step\d+$/.test(n))) return sized('deepspeed');
  if (names.some((n) => /^pytorch_model_fsdp(_\d+)?_rank\d+\.bin$/.test(n))) return sized('fsdp-local');
  if (names.some((n) => /^pytorch_model_fsdp_\d+$/.test(n))) return sized('fsdp-sharded');
  if (names.some((n) => /^pytorch_model_fsdp(_\d+)?\.bin$/.test(n))) return sized('fsdp-full');
  return sized('whole');
}

/** The layout of a checkpoint folder on disk (absolute path); undefined when it cannot be read. */
export async function readCheckpointLayout(folderAbs: string): Promise<CheckpointLayout | undefined> {
  let names: string[];
  try {
    names = await fs.readdir(folderAbs);
  } catch {
    return undefined;
  }
  const stepFolder = names.find((n) => /^global_step\d+$/.test(n));
  const inner = stepFolder ? await fs.readdir(path.join(folderAbs, stepFolder)).catch(() => [] as string[]) : [];
  return checkpointLayout(names, inner);
}

export interface ResumeVerdict {
  /** The checkpoint's states load on `processes` processes. */
  supported: boolean;
  /** What to tell the user, one paragraph. */
  note: string;
}

/**
 * Whether `layout` resumes on `processes` training processes; undefined when the count is the same
 * or the checkpoint does not say how many saved it (nothing to warn about).
 */
export function resumeAcrossWorldSize(layout: CheckpointLayout, processes: number, checkpoint: string): ResumeVerdict | undefined {
  const saved = layout.worldSize;
  if (!saved || saved === processes) return undefined;
  const change = `${checkpoint} was saved by ${saved} training process${saved === 1 ? '' : 'es'}; this launch has ${processes}.`;
  // The Trainer skips the batches of the steps already done: with another process count a step holds other examples.
  const data = 'The data position is counted in steps, so with another number of processes the examples after the checkpoint are not exactly the ones the first run would have seen next.';
  switch (layout.format) {
    case 'fsdp-sharded':
      return { supported: true, note: `${change} Supported: accelerate saved it as an FSDP SHARDED_STATE_DICT with torch.distributed.checkpoint, which reshards the weights and optimizer states for ${processes} processes when they load. ${data}` };
    case 'fsdp-full':
      return { supported: true, note: `${change} Supported: it is an FSDP FULL_STATE_DICT (whole weights and optimizer states, written by rank 0), which FSDP shards again for ${processes} processes; loading it takes CPU memory for the whole model on the nodes. ${data}` };
    case 'whole':
      return { supported: true, note: `${change} Supported: the weights and optimizer states are saved whole (one copy, not sharded). ${data}` };
    case 'fsdp-local':
      return { supported: false, note: `${change} Not supported: it is an FSDP LOCAL_STATE_DICT (each rank's own flat shard, pytorch_model_fsdp_rank<N>.bin), which only ${saved} processes can load. Keep ${saved} processes to go on from it, or start over (RESUME_FROM_CHECKPOINT = None); use fsdp_state_dict_type: SHARDED_STATE_DICT for checkpoints that can change size.` };
    case 'deepspeed':
      return { supported: false, note: `${change} Not supported as saved: DeepSpeed ZeRO partitions the optimizer states for ${saved} processes and refuses another count ("Automatic adjustment of ZeRO's optimizer state partitioning with a new world size is not currently supported"). Keep ${saved} processes (${saved} GPUs in all) to go on from it, convert it by hand to a DeepSpeed universal checkpoint (python -m deepspeed.checkpoint.ds_to_universal) before changing the count, or start over (RESUME_FROM_CHECKPOINT = None).` };
  }
}
