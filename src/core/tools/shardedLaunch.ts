/**
 * submit_job's `sharding` argument: the agent's `python train.py …` launched as the fine-tune session
 * launches a sharded run (session/launchPlan.ts): accelerate with the FSDP config (--config_file
 * accelerate_fsdp.yaml) or DeepSpeed ZeRO-3 (--use_deepspeed --deepspeed_config_file ds_zero3.json
 * --mixed_precision as the JSON's bf16/fp16 switches say) on one node, and the same per node across nodes. The config must already
 * be in the working folder (the recipe and the session propose them for review); a missing one is
 * refused, so accelerate never starts on a file nobody reviewed.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEEPSPEED_CONFIG_NAME, launchArgv } from '../exec/launchers';

export type Sharding = 'fsdp' | 'deepspeed';

export const FSDP_CONFIG_NAME = 'accelerate_fsdp.yaml';

export interface ShardedLaunchInput {
  sharding: Sharding;
  argv: string[];
  nodes: number;
  gpusPerNode: number;
  launcher?: 'torchrun' | 'accelerate';
  /** The agent's accelerate_config: another file than the default name of its sharding. */
  configFile?: string;
  /** The job's working folder (absolute): where the config must be. */
  workdir: string;
}

export type ShardedLaunch =
  | { refused: string }
  /** One node: the whole command. Several: what the multi-node script's accelerate takes. */
  | { argv: string[] }
  | { accelerateConfig: string } | { deepSpeedConfigFile: string; mixedPrecision: MixedPrecision };

type MixedPrecision = 'bf16' | 'fp16' | 'no';

/**
 * The --mixed_precision that agrees with the reviewed ZeRO-3 JSON: accelerate fills its "auto"
 * bf16/fp16 switches from the flag, so a fixed bf16 would turn bf16 on for a config written for an
 * fp16-only GPU (V100, T4), which then fails at the first bf16 kernel.
 */
export function deepSpeedPrecision(json: string): MixedPrecision | { refused: string } {
  let cfg: unknown;
  try {
    cfg = JSON.parse(json);
  } catch (err) {
    return { refused: `is not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  const on = (key: string): boolean => {
    const v = (cfg as Record<string, { enabled?: unknown } | undefined> | null)?.[key]?.enabled;
    return v === true || v === 'auto' || v === 'true';
  };
  if (on('bf16') && on('fp16')) return { refused: 'turns on both bf16 and fp16: keep one' };
  return on('bf16') ? 'bf16' : on('fp16') ? 'fp16' : 'no';
}

export function shardedLaunch(o: ShardedLaunchInput): ShardedLaunch {
  const [python, script, ...scriptArgs] = o.argv;
  if (o.launcher === 'torchrun') return { refused: `sharding ${o.sharding} runs under accelerate, as ML Intern's fine-tune launches it: leave launcher out (or accelerate).` };
  if (!/python[0-9.]*$/.test(path.basename(python ?? '')) || !script || script.startsWith('-')) {
    return { refused: `With sharding give the training script itself, as ["python", "train.py", …args]: the job wraps it in accelerate. Got ${JSON.stringify(o.argv)}.` };
  }
  const gpus = o.nodes * o.gpusPerNode;
  if (gpus < 2) return { refused: `sharding needs more than one GPU in all; this job has ${gpus} (gpus ${o.gpusPerNode} per node, ${o.nodes} node${o.nodes === 1 ? '' : 's'}).` };
  const config = o.configFile?.trim() || (o.sharding === 'deepspeed' ? DEEPSPEED_CONFIG_NAME : FSDP_CONFIG_NAME);
  if (!existsSync(path.resolve(o.workdir, config))) {
    const what = o.sharding === 'deepspeed' ? 'a DeepSpeed ZeRO-3 JSON' : 'an accelerate FSDP config';
    return { refused: `${config} is not in the job's folder (${o.workdir}): write ${what} there first (the user reviews it), or name yours with accelerate_config.` };
  }
  let mixedPrecision: MixedPrecision = 'bf16';
  if (o.sharding === 'deepspeed') {
    const p = deepSpeedPrecision(readFileSync(path.resolve(o.workdir, config), 'utf8'));
    if (typeof p === 'object') return { refused: `${config} ${p.refused}; fix it and submit again.` };
    mixedPrecision = p;
  }
  if (o.nodes > 1) return o.sharding === 'deepspeed' ? { deepSpeedConfigFile: config, mixedPrecision } : { accelerateConfig: config };
  return {
    argv: launchArgv({
      python, script, scriptArgs, gpus, launcher: 'accelerate',
      ...(o.sharding === 'deepspeed' ? { deepSpeedConfigFile: config, mixedPrecision } : { configFile: config }),
    }),
  };
}
