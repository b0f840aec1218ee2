/**
 * How a fine-tune run is started: which command, on how many GPUs, where
 * (this machine or a Slurm job), and the extra files that takes (a multi-GPU
 * accelerate config, an sbatch script). The session proposes those files
 * through the ApprovalGate like train.py; nothing here writes.
 *
 * Multi-GPU choice (one node): `accelerate launch` with a reviewable config.
 *   - LoRA and full fine-tuning: FSDP (full sharding). It is part of torch, so
 *     nothing more to install, and it shards parameters, gradients and
 *     optimizer state, which is what makes full fine-tuning fit.
 *   - QLoRA: plain data parallel (one 4-bit copy per GPU). FSDP cannot flatten
 *     bitsandbytes' uint8 weights with bf16 ones unless the script sets
 *     bnb_4bit_quant_storage, which the recipe does not.
 *   - DeepSpeed ZeRO-3 when the user picks it (mlIntern.sharding = "deepspeed",
 *     --sharding deepspeed): ds_zero3.json and `accelerate launch --use_deepspeed`.
 *     Not the default: it needs the deepspeed package on every node (often a
 *     CUDA toolkit to build), FSDP comes with torch. Unpicked, it is chosen only
 *     where deepspeed is installed and torch is too old for accelerate's FSDP
 *     (shardingChoice.ts). train.py loads without a
 *     per-rank device_map under either (transformers refuses one under ZeRO-3).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { PUMP_NAME } from '../exec/launcherScript';
import { DEEPSPEED_CONFIG_NAME, deepSpeedLaunchFlags, deepSpeedZero3Config, fsdpAccelerateConfig, launchArgv } from '../exec/launchers';
import { renderSbatch } from '../exec/slurm';
import { renderVllmServerScript, VLLM_LAUNCH_NAME } from '../exec/vllmServerScript';
import { resolveTargets } from '../recipes/libraryVersions';
import { recipeVllm, VLLM_SERVER_PORT } from '../recipes/vllmShare';
import { renderMultiNodeSbatch, SharedPath } from '../exec/multiNodeSbatch';
import { hfHubCache } from '../exec/sharedFolders';
import { NodeSandbox, nodeSandboxWrap, trainingNodeSandbox } from '../sandbox/slurmNode';
import { EnvReport } from '../python/types';
import { Settings } from '../settings';
import { chooseSharding } from './shardingChoice';
import { FineTuneRequest } from './types';

/** A file the launch needs, next to train.py (path relative to the script folder). */
export interface LaunchFile {
  name: string;
  content: string;
  description: string;
}

/** What the session stores in the run folder (launch.json) to start the run again after a reload. */
export interface LaunchPlan {
  target: 'local' | 'slurm';
  /** GPUs of the whole run (every node's together). */
  gpus: number;
  /** Slurm nodes (absent: one). */
  nodes?: number;
  /** The training command, run from the script folder. */
  argv: string[];
  /** The multi-GPU accelerate config (or DeepSpeed JSON), relative to the script folder. */
  configFile?: string;
  /** Slurm: the sbatch script (workspace-relative) and its --output pattern (absolute, %j = job id). */
  sbatchPath?: string;
  outputPattern?: string;
  timeLimit?: string;
  /** Slurm: the training runs inside bubblewrap on the node (mlIntern.sandboxTrainings), for the approval. */
  nodeSandbox?: { label: string; unconfinedWithout: boolean };
}

export const SBATCH_NAME = 'train.sbatch';

/** GPUs the run uses: the Slurm job's request, or what the environment report found here. */
export function gpuCount(settings: Settings, environment: EnvReport | undefined): number {
  if (settings.executionTarget === 'slurm') return Math.max(0, Math.floor(settings.slurm.gpus || 0));
  return environment?.gpus.length ?? 0;
}

/** The accelerate config for N GPUs (see the file comment for the choice); `deepSpeed`: the file is a DeepSpeed JSON. */
export function multiGpuConfig(request: Pick<FineTuneRequest, 'adapter'>, gpus: number, environment: EnvReport | undefined, chosen?: Settings['sharding']): LaunchFile & { deepSpeed?: true; mixedPrecision: 'bf16' | 'fp16' } {
  const bf16 = (environment?.gpus.length ?? 0) > 0 && environment!.gpus.every((g) => g.bf16 !== false);
  const mixedPrecision = bf16 || !environment?.gpus.length ? 'bf16' : 'fp16';
  if (request.adapter === 'qlora') {
    return {
      name: 'accelerate_ddp.yaml',
      content: ddpAccelerateConfig(gpus, mixedPrecision),
      description: `accelerate config: data parallel on ${gpus} GPUs (QLoRA keeps one 4-bit copy per GPU; FSDP or ZeRO-3 would need bnb_4bit_quant_storage in the script)`,
      mixedPrecision,
    };
  }
  const { sharding, note } = chooseSharding(chosen, environment);
  const because = note ? `; ${note}` : '';
  if (sharding === 'deepspeed') {
    return {
      name: DEEPSPEED_CONFIG_NAME,
      content: deepSpeedZero3Config({ mixedPrecision }),
      description: `DeepSpeed ZeRO-3 config on ${gpus} GPUs (parameters, gradients and optimizer states sharded; "auto" values filled by the Trainer from train.py's CONFIG, ${mixedPrecision} from accelerate's --mixed_precision); needs the deepspeed package where the training runs (pip install deepspeed)${because}`,
      deepSpeed: true,
      mixedPrecision,
    };
  }
  return {
    name: 'accelerate_fsdp.yaml',
    content: fsdpAccelerateConfig({ numProcesses: gpus, mixedPrecision }),
    description: `accelerate config: FSDP (full sharding) on ${gpus} GPUs, ${mixedPrecision}${because}`,
    mixedPrecision,
  };
}

/** An accelerate config for plain multi-GPU data parallel (DDP) on one node. */
export function ddpAccelerateConfig(gpus: number, mixedPrecision: 'bf16' | 'fp16' | 'no' = 'bf16'): string {
  return [
    '# accelerate config for multi-GPU data parallel (generated by ML Intern; review before use)',
    'compute_environment: LOCAL_MACHINE',
    'debug: false',
    'distributed_type: MULTI_GPU',
    'downcast_bf16: "no"',
    'gpu_ids: all',
    'machine_rank: 0',
    'main_training_function: main',
    `mixed_precision: ${mixedPrecision}`,
    'num_machines: 1',
    `num_processes: ${Math.max(1, Math.floor(gpus))}`,
    'rdzv_backend: static',
    'same_network: true',
    'use_cpu: false',
    '',
  ].join('\n');
}

export interface PlanInput {
  request: FineTuneRequest;
  settings: Settings;
  environment: EnvReport | undefined;
  python: string;
  /** The training script's file name (it runs from its folder). */
  script: string;
  /** Workspace-relative script folder and its absolute path. */
  folder: string;
  folderAbs: string;
  runId: string;
  runDirAbs: string;
  /** HOME and HF_HOME the node sandbox's policy is about (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/** The workspace root of a plan input: the script folder less its workspace-relative path. */
function workspaceOf(o: PlanInput): string {
  return o.folder === '.' ? o.folderAbs : o.folderAbs.slice(0, o.folderAbs.length - o.folder.length).replace(/[\\/]+$/, '') || o.folderAbs;
}

/** The training's sandbox on the node, when mlIntern.sandbox covers trainings. */
function sandboxOnNode(o: PlanInput, nodes: number): NodeSandbox | undefined {
  return trainingNodeSandbox({ settings: o.settings.sandbox, workspace: workspaceOf(o), runDir: o.runDirAbs, workdir: o.folderAbs, env: o.env ?? process.env, nodes });
}

function planSandbox(sandbox: NodeSandbox | undefined): Pick<LaunchPlan, 'nodeSandbox'> {
  return sandbox ? { nodeSandbox: { label: sandbox.label, unconfinedWithout: sandbox.unconfinedWithout } } : {};
}

/** The plan and the files to propose before the run (in this order: config, then sbatch). */
export function planLaunch(o: PlanInput): { plan: LaunchPlan; files: LaunchFile[] } {
  if (o.settings.executionTarget === 'slurm' && (o.settings.slurm.nodes ?? 1) > 1) return multiNodeJobFile(o);
  const gpus = gpuCount(o.settings, o.environment);
  const files: LaunchFile[] = [];
  let argv = [o.python, o.script];
  let configFile: string | undefined;
  // GRPO with vLLM on several GPUs: train.py talks to a vLLM server on the last GPU (recipeVllm, the same choice as the recipe's).
  const server = vllmServerMode(o, gpus);
  const trainGpus = server ? gpus - 1 : gpus;
  if (trainGpus > 1) {
    const { deepSpeed, mixedPrecision, ...config } = multiGpuConfig(o.request, trainGpus, o.environment, o.settings.sharding);
    files.push(config);
    configFile = config.name;
    argv = launchArgv({ python: o.python, script: o.script, gpus: trainGpus, launcher: 'accelerate', ...(deepSpeed ? { deepSpeedConfigFile: configFile, mixedPrecision } : { configFile }) });
  }
  if (server) {
    files.push({
      name: VLLM_LAUNCH_NAME,
      content: renderVllmServerScript({ python: o.python, model: o.request.baseModel, gpus, port: VLLM_SERVER_PORT, trainArgv: argv }),
      description: `GRPO launch: trl vllm-serve on GPU ${gpus - 1} (port ${VLLM_SERVER_PORT}), training on the other ${trainGpus} once the server answers; the server stops when the training ends`,
    });
    argv = ['bash', VLLM_LAUNCH_NAME];
  }
  const plan: LaunchPlan = { target: o.settings.executionTarget === 'slurm' ? 'slurm' : 'local', gpus, argv, ...(configFile ? { configFile } : {}) };
  if (plan.target === 'slurm') {
    const s = o.settings.slurm;
    const outputPattern = path.join(o.runDirAbs, 'logs', 'slurm-%j.out');
    const sandbox = sandboxOnNode(o, 1);
    const spec = jobScriptSpec(s, { jobName: `ml-intern-${o.runId}`, gpus, command: argv, records: path.join(o.runDirAbs, 'logs'), workdir: o.folderAbs, python: o.python });
    files.push({
      name: SBATCH_NAME,
      content: sbatchFrom({ ...spec, ...(sandbox ? { wrap: nodeSandboxWrap(sandbox) } : {}) }),
      description: `Slurm batch script: ${describeSlurm(o.settings, gpus)}; output to the run folder (logs/slurm-<job id>.out)`,
    });
    Object.assign(plan, { sbatchPath: `${o.folder}/${SBATCH_NAME}`, outputPattern, ...(s.timeLimit ? { timeLimit: s.timeLimit } : {}), ...planSandbox(sandbox) });
  }
  return { plan, files };
}

/** Whether the run generates with a vLLM server: GRPO, vLLM and trl >= 0.18 in the environment report, two GPUs or more on one node. */
function vllmServerMode(o: PlanInput, gpus: number): boolean {
  const packages = o.environment?.libraries as Record<string, string | null | undefined> | undefined;
  return recipeVllm({ method: o.request.method, adapter: o.request.adapter, packages, gpus }, resolveTargets(packages).trl)?.mode === 'server';
}

/**
 * A Slurm job on several nodes (mlIntern.slurm.nodes > 1): the multi-node batch script, one launcher
 * per node meeting at a rendezvous on the first. With GPUs, accelerate with the same config as one
 * node (FSDP, or DDP for QLoRA) counted for every process of every node; without (CPU test
 * clusters), torchrun with one process per node. Every node must see the workspace (checked by the
 * script itself: a node-local folder of that name has no train.py), the run folder and the
 * Hugging Face cache.
 */
function multiNodeJobFile(o: PlanInput): { plan: LaunchPlan; files: LaunchFile[] } {
  const s = o.settings.slurm;
  const nodes = Math.floor(s.nodes ?? 1);
  const gpusPerNode = Math.max(0, Math.floor(s.gpus || 0));
  const gpus = nodes * gpusPerNode;
  const files: LaunchFile[] = [];
  let configFile: string | undefined;
  let deepSpeed: { deepSpeedConfigFile: string; mixedPrecision: 'bf16' | 'fp16' } | undefined;
  if (gpusPerNode > 0) {
    const { deepSpeed: ds, mixedPrecision, ...config } = multiGpuConfig(o.request, gpus, o.environment, o.settings.sharding);
    files.push({ ...config, description: `${config.description} across ${nodes} nodes (the launcher passes --num_machines ${nodes})` });
    configFile = config.name;
    if (ds) deepSpeed = { deepSpeedConfigFile: config.name, mixedPrecision };
  }
  const records = path.join(o.runDirAbs, 'logs');
  const outputPattern = path.join(records, 'slurm-%j.out');
  const workspace = workspaceOf(o);
  const sandbox = sandboxOnNode(o, nodes);
  const sharedPaths: SharedPath[] = [
    { what: 'workspace', path: workspace, marker: path.relative(workspace, path.join(o.folderAbs, o.script)) },
    { what: 'run', path: o.runDirAbs },
  ];
  const cache = hfHubCache();
  if (existsSync(cache)) sharedPaths.push({ what: 'Hugging Face cache', path: cache });
  const single = jobScriptSpec(s, { jobName: `ml-intern-${o.runId}`, gpus: gpusPerNode, command: [o.python, o.script], records, workdir: o.folderAbs, python: o.python });
  let content: string;
  try {
    content = renderMultiNodeSbatch({
      jobName: single.jobName, ...(single.partition ? { partition: single.partition } : {}), ...(single.timeLimit ? { timeLimit: single.timeLimit } : {}),
      extraDirectives: single.extraDirectives, nodes, gpusPerNode, launcher: configFile ? 'accelerate' : 'torchrun', python: o.python, script: o.script,
      ...(deepSpeed ?? (configFile ? { acceleratorConfigFile: configFile } : {})), outputFile: outputPattern, workdir: o.folderAbs, sharedPaths, redactOutput: single.redactOutput,
      ...(sandbox ? { wrap: nodeSandboxWrap(sandbox) } : {}),
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`${why}. Fix it in the settings mlIntern.slurm.nodes, mlIntern.slurm.timeLimit, mlIntern.slurm.partition or mlIntern.slurm.extraDirectives, then run "ML Intern: Fine-tune" again.`);
  }
  const argv = deepSpeed ? ['accelerate', 'launch', ...deepSpeedLaunchFlags(deepSpeed.deepSpeedConfigFile, deepSpeed.mixedPrecision), '--num_machines', String(nodes), o.script]
    : configFile ? ['accelerate', 'launch', '--config_file', configFile, '--num_machines', String(nodes), o.script] : ['torchrun', '--nnodes', String(nodes), o.script];
  files.push({ name: SBATCH_NAME, content, description: `Slurm batch script: ${describeSlurm(o.settings, gpus)}; output of every node to the run folder (logs/slurm-<job id>.out)` });
  const plan: LaunchPlan = { target: 'slurm', gpus, nodes, argv, ...(configFile ? { configFile } : {}), sbatchPath: `${o.folder}/${SBATCH_NAME}`, outputPattern, ...(s.timeLimit ? { timeLimit: s.timeLimit } : {}), ...planSandbox(sandbox) };
  return { plan, files };
}

/**
 * The --output of an sbatch script as reviewed (the user may have edited it),
 * absolute: sbatch resolves a relative one against --chdir.
 */
export function sbatchOutput(script: string, workdirAbs: string): string {
  const m = /^#SBATCH[ \t]+(?:--output[= \t]|-o[ \t]*)[ \t]*(\S.*?)[ \t]*$/m.exec(script);
  // Without --output, Slurm writes slurm-<job id>.out in the working folder.
  if (!m) return path.join(workdirAbs, 'slurm-%j.out');
  let value = m[1];
  if (/^'.*'$/.test(value)) value = value.slice(1, -1).replace(/'\\''/g, "'");
  else if (/^".*"$/.test(value)) value = value.slice(1, -1);
  return path.isAbsolute(value) ? value : path.join(workdirAbs, value);
}

/**
 * The batch script of one command from the mlIntern.slurm.* settings: output to `records`
 * (slurm-<job id>.out), piped through the redaction pump there, run from `workdir`. Shared by the
 * fine-tune session's train.sbatch, the agent's submit_job and the Evaluate/Merge steps.
 */
export function jobScriptSpec(
  s: Settings['slurm'],
  o: { jobName: string; gpus: number; timeLimit?: string; command: string[]; records: string; workdir: string; python: string },
): Parameters<typeof renderSbatch>[0] {
  const timeLimit = o.timeLimit ?? s.timeLimit;
  return {
    jobName: o.jobName,
    ...(s.partition ? { partition: s.partition } : {}),
    ...(o.gpus > 0 ? { gpus: o.gpus } : {}),
    ...(timeLimit ? { timeLimit } : {}),
    extraDirectives: s.extraDirectives ?? [],
    command: o.command,
    outputFile: path.join(o.records, 'slurm-%j.out'),
    workdir: o.workdir,
    // The user's interpreter runs the pump too (the job's node has it; python3 there may be older).
    redactOutput: { python: /python[0-9.]*$/.test(path.basename(o.command[0])) ? o.command[0] : /python[0-9.]*$/.test(path.basename(o.python)) ? o.python : 'python3', pump: path.join(o.records, PUMP_NAME) },
  };
}

/** renderSbatch, with its refusals naming the settings they come from. */
export function sbatchFrom(spec: Parameters<typeof renderSbatch>[0]): string {
  try {
    return renderSbatch(spec);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`${why}. Fix it in the settings mlIntern.slurm.timeLimit, mlIntern.slurm.partition or mlIntern.slurm.extraDirectives, then run "ML Intern: Fine-tune" again.`);
  }
}

export function describeSlurm(settings: Pick<Settings, 'slurm'>, gpus: number): string {
  const s = settings.slurm;
  const nodes = Math.floor(s.nodes ?? 1);
  const perNode = nodes > 1 ? Math.max(0, Math.floor(s.gpus || 0)) : gpus;
  return [
    s.partition ? `partition ${s.partition}` : "the cluster's default partition",
    ...(nodes > 1 ? [`${nodes} nodes`] : []),
    perNode > 0 ? `${perNode} GPU${perNode === 1 ? '' : 's'}${nodes > 1 ? ' per node' : ''}` : nodes > 1 ? 'no GPU per node' : 'no GPU',
    s.timeLimit ? `time limit ${s.timeLimit}` : "the partition's time limit",
    ...(s.extraDirectives?.length ? [`extra: ${s.extraDirectives.join(' ')}`] : []),
  ].join(', ');
}

/** The plan of a run started before launch.json existed: `python train.py` on this machine. */
export function defaultPlan(python: string, script: string): LaunchPlan {
  return { target: 'local', gpus: 0, argv: [python, script] };
}
