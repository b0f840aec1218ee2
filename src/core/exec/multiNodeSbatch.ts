/**
 * The batch script of a training that spans several Slurm nodes: one launcher per node
 * (`srun --ntasks-per-node=1`), each starting that node's GPU processes with torchrun or
 * accelerate, all meeting at a rendezvous on the allocation's first node.
 *
 * What the script does, in order, so a reviewer can follow it:
 *   1. the NCCL settings, as visible exports the user can edit (and override from the environment);
 *   2. the rendezvous: the first host of `scontrol show hostnames "$SLURM_JOB_NODELIST"` (the batch
 *      step runs there), its NodeAddr as Slurm knows it, and a port that is free on it;
 *   3. the shared-file-system check: one step per node verifies that the workspace (by a marker file
 *      the login node wrote, so a node-local folder of the same name does not pass), the output
 *      folder and the Hugging Face cache are visible there, and names the node and folder when not;
 *   4. the launch: `srun --label` (every line prefixed with its node's task id, which the log
 *      pipeline splits off) with `--kill-on-bad-exit=1` (a failed node ends the others instead of
 *      leaving them in a collective until NCCL's time-out).
 *
 * Everything the user or a file supplied is shell-quoted; the inline bash programs are fixed text
 * that read their data from their arguments.
 */
import { shellQuote } from '../recipes/templates/escape';
import { commentLines } from './slurm';
import { deepSpeedLaunchFlags } from './launchers';

export type MultiNodeLauncher = 'torchrun' | 'accelerate';

/** A folder every node must see; `marker`: a file (relative to it) the login node wrote, proving it is the same folder. */
export interface SharedPath {
  /** What it is, for the message: "workspace", "output", "Hugging Face cache". */
  what: string;
  path: string;
  marker?: string;
}

export interface MultiNodeSpec {
  jobName: string;
  partition?: string;
  /** HH:MM:SS or D-HH:MM:SS. */
  timeLimit?: string;
  cpusPerTask?: number;
  /** Extra `#SBATCH` options, e.g. "--account=myproj". */
  extraDirectives?: string[];
  nodes: number;
  /** GPUs asked per node (`--gpus-per-node`); 0 asks for none (CPU-only test clusters). */
  gpusPerNode: number;
  /** Processes per node; default: one per GPU. */
  processesPerNode?: number;
  launcher: MultiNodeLauncher;
  /** The user's interpreter: the launcher is its `python -m …`, next to the libraries the script uses. */
  python: string;
  script: string;
  scriptArgs?: string[];
  /** accelerate: its config (FSDP YAML from `multiNodeFsdpConfig`). */
  acceleratorConfigFile?: string;
  /** accelerate: a DeepSpeed JSON (`--use_deepspeed --deepspeed_config_file`). */
  deepSpeedConfigFile?: string;
  /** accelerate with DeepSpeed: --mixed_precision (fills the JSON's "auto" bf16/fp16; default bf16). */
  mixedPrecision?: 'bf16' | 'fp16' | 'no';
  /** Where stdout+stderr of every node go (absolute; %j = job id). */
  outputFile: string;
  workdir: string;
  env?: Record<string, string>;
  /** NCCL/torch variables that replace the defaults below (the user's environment still wins over both). */
  nccl?: Record<string, string>;
  sharedPaths?: SharedPath[];
  /** Pipe every node's output through the redaction pump (see renderSbatch). */
  redactOutput?: { python: string; pump: string };
  /** Words before each node's launcher (the node's sandbox: sandbox/slurmNode.ts) and the comment saying so. */
  wrap?: { prefix: string[]; comment: string[] };
}

/**
 * Defaults every multi-node job gets, written as `export NAME=${NAME:-value}` so a value from the
 * submitting shell wins. NCCL_DEBUG=WARN keeps NCCL's own error lines (the diagnosis reads them)
 * without INFO's thousands of lines; TORCH_NCCL_ASYNC_ERROR_HANDLING=1 makes a failed or stuck
 * collective end the process (torch >= 2.2 name) instead of hanging until the job's time limit.
 */
export const DEFAULT_NCCL_ENV: Readonly<Record<string, string>> = {
  NCCL_DEBUG: 'WARN',
  TORCH_NCCL_ASYNC_ERROR_HANDLING: '1',
};

/** The token the per-node launcher replaces with that node's SLURM_NODEID. */
export const NODE_ID_PLACEHOLDER = '@SLURM_NODEID@';

const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function positiveInt(value: number, field: string, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new Error(`${field} must be a whole number of at least ${min}, not ${JSON.stringify(value)}.`);
  return value;
}

function oneLine(value: string, what: string): string {
  if (/[\r\n\0]/.test(value)) throw new Error(`The Slurm ${what} must be one line: ${JSON.stringify(value)}`);
  return value;
}

/**
 * The launcher part of one node's argv (the script and its arguments follow it). NODE_ID_PLACEHOLDER
 * stands where the node's own id goes; `$MASTER_ADDR`, `$MASTER_PORT` and `$SLURM_JOB_ID` are the
 * batch script's variables, expanded when it runs.
 */
export function nodeLauncherArgv(spec: MultiNodeSpec): string[] {
  const perNode = spec.processesPerNode ?? Math.max(1, spec.gpusPerNode);
  if (spec.launcher === 'torchrun') {
    // torchrun's underscore spellings: accepted by every torch 2.x (the dashed aliases are newer).
    return [
      spec.python, '-m', 'torch.distributed.run',
      '--nnodes', String(spec.nodes), '--nproc_per_node', String(perNode),
      '--rdzv_backend', 'c10d', '--rdzv_endpoint', '$MASTER_ADDR:$MASTER_PORT', '--rdzv_id', '$SLURM_JOB_ID',
    ];
  }
  const argv = [spec.python, '-m', 'accelerate.commands.launch'];
  if (spec.deepSpeedConfigFile) {
    // accelerate's default multi-node DeepSpeed launcher is pdsh (ssh to every host): under srun each
    // node already has its launcher, so "standard" (torchrun per node) is the one that fits.
    argv.push(...deepSpeedLaunchFlags(spec.deepSpeedConfigFile, spec.mixedPrecision), '--deepspeed_multinode_launcher', 'standard');
  } else if (spec.acceleratorConfigFile) argv.push('--config_file', spec.acceleratorConfigFile);
  else argv.push('--multi_gpu');
  argv.push(
    '--num_machines', String(spec.nodes), '--num_processes', String(spec.nodes * perNode),
    '--machine_rank', NODE_ID_PLACEHOLDER,
    '--main_process_ip', '$MASTER_ADDR', '--main_process_port', '$MASTER_PORT',
    // static: the machine ranks are Slurm's node ids, so node 0 (where the batch step and the
    // rendezvous run) is machine 0.
    '--rdzv_backend', 'static', '--same_network',
  );
  return argv;
}

/** Quote a launcher word, leaving the batch script's own `$MASTER_ADDR`-style references expandable (never used for user-supplied words). */
function quoteWord(word: string): string {
  const parts = word.split(/(\$(?:MASTER_ADDR|MASTER_PORT|SLURM_JOB_ID))/);
  return parts.map((p, i) => (i % 2 === 1 ? `"${p}"` : p === '' ? '' : shellQuote(p))).join('') || "''";
}

// Runs once per node: fails naming the node and each folder it cannot see (or sees but is not the shared one).
const SHARED_CHECK_PROGRAM = [
  'fail=0',
  'while [ $# -ge 3 ]; do',
  '  what=$1; marker=$2; p=$3; shift 3',
  '  if [ ! -d "$p" ]; then',
  '    echo "ML Intern: node $SLURMD_NODENAME (SLURM_NODEID=$SLURM_NODEID) cannot see the $what folder $p. Every node needs it on a shared file system (the same path on all nodes)."; fail=1',
  '  elif [ -n "$marker" ] && [ ! -e "$p/$marker" ]; then',
  '    echo "ML Intern: node $SLURMD_NODENAME (SLURM_NODEID=$SLURM_NODEID) has a $what folder $p, but not the one the job was submitted from (its check file $marker is missing): the folder is local to that node, not shared."; fail=1',
  '  fi',
  'done',
  'exit $fail',
].join('\n');

// Runs once per node: puts the node's id where the placeholder stands, then becomes the launcher.
const NODE_LAUNCH_PROGRAM = `args=(); for a in "$@"; do [ "$a" = '${NODE_ID_PLACEHOLDER}' ] && a=$SLURM_NODEID; args+=("$a"); done; exec "\${args[@]}"`;

export function renderMultiNodeSbatch(spec: MultiNodeSpec): string {
  const nodes = positiveInt(spec.nodes, 'nodes', 1);
  const gpus = positiveInt(spec.gpusPerNode, 'gpusPerNode', 0);
  const perNode = positiveInt(spec.processesPerNode ?? Math.max(1, gpus), 'processesPerNode', 1);
  const d = (s: string) => `#SBATCH ${s}`;
  const lines = ['#!/bin/bash', d(`--job-name=${shellQuote(oneLine(spec.jobName, 'job name'))}`)];
  if (spec.partition) lines.push(d(`--partition=${shellQuote(oneLine(spec.partition, 'partition'))}`));
  lines.push(d(`--nodes=${nodes}`), d('--ntasks-per-node=1'));
  if (gpus > 0) lines.push(d(`--gpus-per-node=${gpus}`));
  if (spec.cpusPerTask && spec.cpusPerTask > 0) lines.push(d(`--cpus-per-task=${Math.floor(spec.cpusPerTask)}`));
  if (spec.timeLimit) {
    if (!/^(\d+-)?\d{1,3}:\d{2}(:\d{2})?$/.test(spec.timeLimit)) throw new Error(`The Slurm time limit must look like HH:MM:SS, not ${JSON.stringify(spec.timeLimit)}`);
    lines.push(d(`--time=${spec.timeLimit}`));
  }
  lines.push(d(`--output=${shellQuote(oneLine(spec.outputFile, 'output file'))}`));
  lines.push(d(`--chdir=${shellQuote(oneLine(spec.workdir, 'working folder'))}`));
  for (const x of spec.extraDirectives ?? []) {
    const v = oneLine(x.trim(), 'directive').replace(/^#SBATCH\s+/, '');
    if (!v.startsWith('-')) throw new Error(`An extra Slurm directive must be an sbatch option like "--account=myproj", not ${JSON.stringify(x)}`);
    if (/^--(nodes|ntasks-per-node|gpus-per-node)\b/.test(v)) throw new Error(`The extra Slurm directive ${JSON.stringify(x)} would change the node layout the plan made; change the node count or GPUs per node of the plan instead.`);
    lines.push(d(v));
  }
  lines.push('', '# generated by ML Intern: a training on several nodes', 'set -o pipefail', 'export PYTHONUNBUFFERED=1');
  for (const [k, v] of Object.entries(spec.env ?? {})) {
    if (!ENV_NAME_RE.test(k)) throw new Error(`Not an environment variable name: ${JSON.stringify(k)}`);
    lines.push(`export ${k}=${shellQuote(v)}`);
  }
  lines.push(
    '',
    '# NCCL and torch.distributed settings (a value set in the shell you submit from wins).',
    '# A stuck collective: set NCCL_DEBUG=INFO. Several network interfaces: name the one the nodes',
    '# share, e.g. NCCL_SOCKET_IFNAME=ib0 (or eth0); no InfiniBand between the nodes: NCCL_IB_DISABLE=1.',
  );
  for (const [k, v] of Object.entries({ ...DEFAULT_NCCL_ENV, ...(spec.nccl ?? {}) })) {
    if (!ENV_NAME_RE.test(k)) throw new Error(`Not an environment variable name in the NCCL settings: ${JSON.stringify(k)}`);
    lines.push(`export ${k}=\${${k}:-${shellQuote(v)}}`);
  }
  lines.push('# export NCCL_SOCKET_IFNAME=ib0', '# export NCCL_IB_DISABLE=1');
  lines.push(`export MLI_PYTHON=${shellQuote(spec.python)}`);
  lines.push(`cd ${shellQuote(spec.workdir)} || exit 1`);
  lines.push(
    '',
    '# Rendezvous on the first node of the allocation (where this batch step runs): its address as',
    '# Slurm knows it, and a port that is free there now.',
    'MASTER_HOST=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)',
    'MASTER_ADDR=$(scontrol show node -o "$MASTER_HOST" 2>/dev/null | grep -o \'NodeAddr=[^ ]*\' | cut -d= -f2)',
    'MASTER_ADDR=${MASTER_ADDR:-$MASTER_HOST}',
    'MASTER_PORT=${MASTER_PORT:-$("$MLI_PYTHON" -c \'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])\' 2>/dev/null || echo $((20000 + SLURM_JOB_ID % 20000)))}',
    'export MASTER_ADDR MASTER_PORT',
    `echo "ML Intern: ${nodes} nodes ($SLURM_JOB_NODELIST) x ${perNode} processes, rendezvous at $MASTER_ADDR:$MASTER_PORT (node $MASTER_HOST)"`,
  );
  const shared = spec.sharedPaths ?? [];
  if (shared.length) {
    const args = shared.flatMap((s) => [s.what, s.marker ?? '', s.path].map((x) => shellQuote(oneLine(x, 'shared folder'))));
    lines.push(
      '',
      '# Every node must see the same workspace, output folder and Hugging Face cache.',
      `srun --nodes=${nodes} --ntasks=${nodes} --ntasks-per-node=1 bash -c ${shellQuote(SHARED_CHECK_PROGRAM)} shared-fs-check ${args.join(' ')} \\`,
      `  || { echo "ML Intern: stopped before training: not every node sees the folders above. Put them on the cluster's shared file system (or submit from a folder that is on it)."; exit 3; }`,
    );
  }
  const launcher = nodeLauncherArgv({ ...spec, nodes, processesPerNode: perNode }).map(quoteWord);
  const launch = [...launcher, ...[spec.script, ...(spec.scriptArgs ?? [])].map(shellQuote)].join(' ');
  const wrapped = [...(spec.wrap?.prefix ?? []).map(shellQuote), launch].join(' ');
  const srun = `srun --nodes=${nodes} --ntasks=${nodes} --ntasks-per-node=1 --kill-on-bad-exit=1 --label bash -c ${shellQuote(NODE_LAUNCH_PROGRAM)} node-launcher ${wrapped}`;
  lines.push('', '# One launcher per node; every line is prefixed with its node\'s task id ("0: ", "1: "…).');
  if (spec.wrap) lines.push(...commentLines(spec.wrap.comment));
  if (spec.redactOutput) {
    lines.push("# The output goes through ML Intern's redaction: a token a rank prints never reaches the output file.");
    lines.push(`${srun} 2>&1 | ${shellQuote(spec.redactOutput.python)} -u ${shellQuote(spec.redactOutput.pump)}`, '');
  } else lines.push(srun, '');
  return lines.join('\n');
}
