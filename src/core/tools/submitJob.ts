/**
 * submit_job: on the Slurm target (mlIntern.execution.target = slurm) the agent's training goes
 * into a batch job instead of running on the login node. The tool writes the batch script from
 * the mlIntern.slurm.* settings (partition, GPUs, time limit, extra directives), shows it with the
 * approval request, submits it, and follows the job like a detached `run` command (its card,
 * chart, terminal and metrics.jsonl lines); the model gets the job's exit code, the cluster's word
 * when the cluster ended it (time limit, host memory) and the head and tail of its output.
 *
 * The job's records are a detached command's: <run>/logs/cmd-N/ holds slurm.json (job id, output
 * file), the output file slurm-<job id>.out and the redaction pump the script pipes the output
 * through; the transcript's `process` entry (with `slurm`) lets a reopened run find the job again.
 * Secrets (HF_TOKEN) reach the job through sbatch's exported environment, never the script.
 * With mlIntern.sandbox on, the job's command runs inside bubblewrap on the compute node, as the
 * agent's commands do here (sandbox/slurmNode.ts), and the approval says so; it still asks.
 */
import { promises as fs } from 'node:fs';
import { renderSbatch, stateText } from '../exec/slurm';
import { SlurmRun, submitSlurmJob } from '../exec/slurmRun';
import { describeSlurm, jobScriptSpec } from '../session/launchPlan';
import { slurmSandboxClause } from '../session/slurmSandboxNote';
import { nodeSandbox, nodeSandboxWrap } from '../sandbox/slurmNode';
import { nextAttempt } from './commandMetrics';
import { multiNodeJobScript } from './multiNodeJob';
import { Sharding, shardedLaunch } from './shardedLaunch';
import { CommandRecord, watchCommand } from './detachedCommand';
import { commandName, COMMAND_PROPERTIES, userArgv } from './runTools';
import { ToolDefinition } from './types';

interface SubmitArgs {
  command: string[];
  reason: string;
  cwd?: string;
  gpus?: number;
  time_limit?: string;
  nodes?: number;
  launcher?: 'torchrun' | 'accelerate';
  accelerate_config?: string;
  sharding?: Sharding;
}

export const submitJobTool: ToolDefinition<SubmitArgs> = {
  name: 'submit_job',
  description:
    'Run a command (argv array, no shell: e.g. ["python", "train.py"]) as a Slurm batch job on a compute node, after the user approves the batch script. ' +
    'Use it for training, evaluation and anything that needs a GPU: this machine is the login node. ' +
    'Waits for the job to end and returns its exit code, why the cluster ended it when it did (time limit, memory), and the head and tail of its output; the whole output is saved in the run folder. ' +
    'Partition, GPUs, time limit and extra directives come from the user\'s mlIntern.slurm.* settings; gpus and time_limit override them for this job. ' +
    'With nodes = 1 (default) the command runs once on the node: with more than one GPU, launch the script across them yourself (["python", "-m", "accelerate.commands.launch", "--num_processes", "N", "train.py"] or torch.distributed.run). ' +
    'With nodes > 1 give the script itself (["python", "train.py", …]): the job starts one launcher per node (accelerate, with accelerate_config such as the recipe\'s accelerate_fsdp.yaml, or torchrun), gpus GPUs per node, all meeting at a rendezvous on the first node; `ml-intern estimate --gpus-per-node G --nodes-max N` says how many nodes a full fine-tune needs. ' +
    'sharding ("fsdp" or "deepspeed", with ["python", "train.py", …]) launches it as ML Intern\'s fine-tune does, on one node or several: accelerate with accelerate_fsdp.yaml, or DeepSpeed ZeRO-3 with ds_zero3.json (--mixed_precision from its bf16/fp16 switches); the file must be in cwd already (accelerate_config names another).',
  parameters: {
    type: 'object',
    properties: {
      ...COMMAND_PROPERTIES,
      gpus: { type: 'integer', description: 'GPUs for the job (default: mlIntern.slurm.gpus).' },
      time_limit: { type: 'string', description: 'Time limit as HH:MM:SS or D-HH:MM:SS (default: mlIntern.slurm.timeLimit).' },
      nodes: { type: 'integer', minimum: 1, description: 'Nodes for the job (default 1); above 1, gpus is per node.' },
      launcher: { type: 'string', enum: ['torchrun', 'accelerate'], description: 'nodes > 1: the launcher per node (default: accelerate with GPUs or a config, else torchrun).' },
      accelerate_config: { type: 'string', description: 'nodes > 1 with accelerate, or with sharding: its config file, e.g. accelerate_fsdp.yaml (relative to cwd).' },
      sharding: { type: 'string', enum: ['fsdp', 'deepspeed'], description: 'Shard a full fine-tune across all the job\'s GPUs as ML Intern\'s fine-tune does: fsdp (accelerate_fsdp.yaml) or deepspeed (ZeRO-3, ds_zero3.json). Default: the command runs as given.' },
    },
    required: ['command', 'reason'],
  },
  approval: 'run',
  async handler(args, ctx) {
    if (ctx.settings.executionTarget !== 'slurm') {
      return { ok: false, output: 'submit_job is for the Slurm target (mlIntern.execution.target = slurm); here commands run on this machine: use `run`.' };
    }
    if (!ctx.detached) return { ok: false, output: 'This host cannot follow Slurm jobs; nothing was submitted. Use "ML Intern: Fine-tune" or submit with sbatch in a terminal.' };
    if (args.command.length === 0 || !args.command[0]) return { ok: false, output: 'command is empty: give an argv array such as ["python", "train.py"].' };
    let argv = userArgv(args.command, ctx.python);
    const settings = ctx.settings.slurm;
    const gpus = args.gpus !== undefined ? Math.max(0, Math.floor(args.gpus)) : Math.max(0, Math.floor(settings.gpus || 0));
    const timeLimit = args.time_limit?.trim() || settings.timeLimit || undefined;
    const nodes = args.nodes !== undefined ? Math.floor(args.nodes) : 1;
    if (!(nodes >= 1)) return { ok: false, output: `nodes must be a whole number of at least 1, got ${JSON.stringify(args.nodes)}. Nothing was submitted.` };
    const sharded = args.sharding ? shardedLaunch({ sharding: args.sharding, argv, nodes, gpusPerNode: gpus, launcher: args.launcher, configFile: args.accelerate_config, workdir: ctx.files.resolve(args.cwd || '.') }) : undefined;
    if (sharded && 'refused' in sharded) return { ok: false, output: `No job was submitted. ${sharded.refused}` };
    if (sharded && 'argv' in sharded) argv = sharded.argv;
    const n = await ctx.nextNumber('cmd');
    const dir = `${ctx.runFolder}/logs/cmd-${n}`;
    const records = ctx.files.resolve(dir);
    // Taken now, so a refused job does not give its number to the next command.
    await fs.mkdir(records, { recursive: true });
    const plain = jobScriptSpec(settings, { jobName: `ml-intern-${ctx.runId}-cmd-${n}`, gpus, timeLimit, command: argv, records, workdir: ctx.files.resolve(args.cwd || '.'), python: ctx.python });
    const sandbox = nodeSandbox({ settings: ctx.settings.sandbox, workspace: ctx.files.resolve('.'), runDir: ctx.files.resolve(ctx.runFolder), workdir: plain.workdir, env: { ...process.env, ...ctx.env }, nodes });
    const spec = { ...plain, ...(sandbox ? { wrap: nodeSandboxWrap(sandbox) } : {}) };
    const outputPattern = spec.outputFile;
    let script: string;
    try {
      if (nodes > 1) {
        const multi = multiNodeJobScript({ spec, argv, nodes, gpusPerNode: gpus, launcher: args.launcher, accelerateConfig: sharded ? undefined : args.accelerate_config, ...(sharded && !('argv' in sharded) ? sharded : {}), workspaceAbs: ctx.files.resolve('.'), runDirAbs: ctx.files.resolve(ctx.runFolder), env: ctx.env });
        if ('refused' in multi) return { ok: false, output: `No job was submitted. ${multi.refused}` };
        script = multi.script;
      } else script = renderSbatch(spec);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return { ok: false, output: `No job was submitted: ${why}. Give another time_limit, or ask the user to fix mlIntern.slurm.* in the settings.` };
    }
    const rel = await ctx.saveRunFile(`scripts/job-${n}.sbatch`, script);
    const scriptPath = ctx.files.resolve(rel);
    const described = describeSlurm({ slurm: { ...settings, gpus, nodes, timeLimit: timeLimit ?? '' } }, gpus * nodes);
    const decision = await ctx.approveCommand({
      argv: ['sbatch', scriptPath],
      reason: `${args.reason} — Slurm job: ${described}; runs ${argv.join(' ')}${slurmSandboxClause(sandbox ? { nodeSandbox: sandbox } : {}, undefined, ctx.settings.sandbox)}`,
      origin: 'agent',
      tool: 'submit_job',
      detail: script,
    });
    if (!decision.approved) {
      return { ok: false, output: `The user did not approve submitting the job${decision.reason ? `: ${decision.reason}` : ''}. Nothing was submitted (the batch script is saved as ${rel}).`, data: { approved: false } };
    }
    const name = commandName(argv);
    const record: CommandRecord = {
      dir,
      processId: `${ctx.runId}-cmd-${n}`,
      name,
      argv,
      attempt: await nextAttempt(ctx, `${ctx.runFolder}/metrics.jsonl`),
      startedAt: Date.now(),
      slurm: { script: rel, ...(timeLimit ? { timeLimit } : {}) },
    };
    // Before the submission, as for local commands: a host gone right after must still find the job.
    await ctx.detached.remember(record);
    const slurm = ctx.detached.slurm;
    let run: SlurmRun;
    try {
      run = await submitSlurmJob(
        slurm.backend(ctx.env),
        { scriptPath, runDir: ctx.files.resolve(ctx.runFolder), name, outputPattern, records },
        {
          ...(slurm.pollMs ? { pollMs: slurm.pollMs } : {}),
          ...(timeLimit ? { timeLimit } : {}),
          onState: (s) => ctx.emit({ type: 'notice', runId: ctx.runId, level: 'info', message: `Slurm job ${run?.jobId ?? ''} (${name}): ${stateText(s)}` }),
        },
      );
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return {
        ok: false,
        output: `Submitting ${rel} to Slurm failed: ${why}. Nothing is running. Check the partition, GPUs, time limit and extra directives (mlIntern.slurm.* settings, or the gpus/time_limit arguments) against \`sinfo\`.`,
        data: { submitted: false },
      };
    }
    ctx.emit({ type: 'process_started', runId: ctx.runId, processId: record.processId, name: `Slurm job ${run.jobId}: ${name}`, argv, ...(argv[0] === ctx.python ? { python: ctx.python } : {}) });
    ctx.detached.show?.(run, `${name} — Slurm job ${run.jobId}`);
    return watchCommand(ctx, run, record);
  },
};
