/**
 * FSDP or DeepSpeed ZeRO-3 for a run on several GPUs when the user did not choose (mlIntern.sharding
 * unset, no --sharding). FSDP stays the default: it comes with torch. DeepSpeed is chosen only where
 * the installed libraries cannot run FSDP and deepspeed is installed: accelerate refuses FSDP under
 * torch older than its FSDP_PYTORCH_VERSION (utils/constants.py, "2.1.0"; Accelerator.__init__ raises
 * "FSDP requires PyTorch >= 2.1.0"), while the deepspeed launch path has no such check.
 */
import { versionAtLeast } from '../recipes/libraryVersions';
import { EnvReport } from '../python/types';
import { Settings } from '../settings';

/** accelerate's FSDP_PYTORCH_VERSION: the torch below which its Accelerator refuses FSDP. */
export const ACCELERATE_FSDP_MIN_TORCH = '2.1.0';

export interface ShardingChoice {
  sharding: 'fsdp' | 'deepspeed';
  /** Why, when the environment made the choice or has deepspeed the user might prefer. */
  note?: string;
}

export function chooseSharding(chosen: Settings['sharding'], environment: EnvReport | undefined): ShardingChoice {
  if (chosen) return { sharding: chosen };
  const deepspeed = environment?.libraries.deepspeed ?? undefined;
  if (!deepspeed) return { sharding: 'fsdp' };
  const torch = environment?.libraries.torch ?? undefined;
  if (torch && !versionAtLeast(torch, ACCELERATE_FSDP_MIN_TORCH)) {
    return {
      sharding: 'deepspeed',
      note: `DeepSpeed ZeRO-3 instead of FSDP: torch ${torch} is older than ${ACCELERATE_FSDP_MIN_TORCH}, below which accelerate refuses FSDP, and deepspeed ${deepspeed} is installed`,
    };
  }
  return { sharding: 'fsdp', note: `deepspeed ${deepspeed} is installed: mlIntern.sharding = "deepspeed" (or --sharding deepspeed) uses ZeRO-3 instead` };
}
