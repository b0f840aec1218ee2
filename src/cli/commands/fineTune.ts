/**
 * `ml-intern fine-tune --model M --data D`: the deterministic fine-tune session, headless and with
 * no API key — the same path as the extension's Fine-tune command: inspect the data and the
 * machine, write the recipe's scripts (asked y/n as diffs, or auto-approved), install what is
 * missing, run, follow the log, and repair the well-known failures with the playbook. An API key
 * in the environment only adds LLM repairs for what the playbook cannot fix.
 */
import * as path from 'node:path';
import { CliCommand, CliIo, EXIT_FAILED, EXIT_OK, ParsedArgs, UsageError, flagList, flagNumber, flagString } from '../command';
import { ConfigOverrideError, parseOverride } from '../../core/recipes/configOverrides';
import { defaultPython, envReport, inspectData } from '../../core/python';
import { DatasetInspection, EnvReport } from '../../core/python/types';
import { EnvSecrets } from '../../core/llm/envSecrets';
import { createProvider } from '../../core/llm/factory';
import { LlmProvider } from '../../core/llm/types';
import { DEFAULT_SETTINGS, ProviderId, Settings } from '../../core/settings';
import { RunStore } from '../../core/runs/runStore';
import { FineTuneSession, SessionDeps } from '../../core/session/fineTuneSession';
import { Reattached, reattachRun } from '../../core/run/reattach';
import { claimRun } from '../../core/runs/runLocks';
import { FineTuneRequest, SessionOutcome } from '../../core/session/types';
import { DEFAULT_SMOKE_STEPS } from '../../core/session/smokeRun';
import { DetachedRuns } from '../detachedRuns';
import { trainingEnvironment } from '../../core/exec/slurmProbe';
import { slurmBackendFor } from '../../core/exec/slurmRun';
import { NodeFileStore } from '../../core/util/nodeFileStore';
import { redactor } from '../../core/util/redact';
import { APPROVE, cliApprover, cliReviewer, PROVIDERS, printer, Printer, pythonFrom, SHARDING_USAGE, shardingFrom, SLURM_NODES_USAGE, SLURM_USAGE, slurmFrom } from '../interaction';
import { stateText } from '../../core/exec/slurm';
import { SANDBOX_USAGE, sandboxFrom } from './exec';
import { sandboxTrainings } from '../../core/sandbox/trainings';
import { grpoDataChoice, GrpoDataChoice } from '../../core/recipes/grpoData';
import { REWARD_NAMES, RewardChoice } from '../../core/recipes/templates/rewards';
import { parseRewardList, RewardListError } from '../../core/recipes/rewardChoices';
import { WORK_FOLDER_USAGE, workFolderFrom } from '../workFolder';

const METHODS = ['sft', 'dpo', 'orpo', 'kto', 'grpo'] as const;
const ADAPTERS = ['lora', 'qlora', 'full'] as const;

export const fineTuneCommand: CliCommand = {
  name: 'fine-tune',
  summary: 'Fine-tune a model on a dataset with the recipe engine and the playbook (no API key needed)',
  usage: [
    'ml-intern fine-tune --model <hub-id|folder> --data <file|folder|hub-id> [--method sft|dpo|orpo|kto|grpo] [--adapter lora|qlora|full]',
    '                    [--eval-split F] [--max-length N] [--hub-repo owner/name] [--instructions "..."]',
    '                    [--rewards name[:weight],...] [--set NAME=VALUE ...] [--smoke[=N]] [--workspace DIR] [--approve=none|recipe|sandboxed|all] [--python P] [--json]',
    '                    [--slurm [--partition P] [--gpus N] [--time-limit T] [--sbatch=OPT ...]] [--sandbox MODE [--network N]]',
    '  --data: a relative path starts from the workspace; a file outside it (../data, an absolute path, a link, e.g. on a',
    '          shared disk) is read where it is and never copied or written. Everything ML Intern writes stays in the workspace.',
    '  --set writes a CONFIG value of train.py before you review it, e.g. --set NUM_TRAIN_EPOCHS=1 --set LEARNING_RATE=1e-4.',
    `  --smoke[=N] first trains N steps (default ${DEFAULT_SMOKE_STEPS}) into the run folder: step time, tokens/s, peak GPU memory, the`,
    '          ETA, and a batch plan fitted to the measured memory as a diff of train.py (smoke.json in the run folder).',
    'ml-intern fine-tune --attach RUN_ID [--workspace DIR] [same options]',
    '  Follow a run started earlier (its terminal closed, the SSH link dropped) to its end: output, metrics, repairs.',
    '',
    'The method defaults to what the data is for (preference pairs: dpo; labelled single answers: kto; prompts only: grpo; else sft).',
    `--method grpo trains on the prompts the inspection found, with the built-in rewards that fit the reference; --rewards overrides`,
    `          them, e.g. --rewards exact_answer,format:0.2 (built-in: ${REWARD_NAMES.join(', ')}; your own go in rewards.py).`,
    'Approval: --approve=none (default) asks y/n on a terminal and refuses otherwise; recipe lets the recipe\'s and',
    '          the playbook\'s changes through; all also runs without asking.',
    'Keys (optional, for repairs the playbook cannot make): OPENAI_API_KEY, ANTHROPIC_API_KEY, or --provider openai-compatible',
    '          --base-url URL --llm-model M with ML_INTERN_API_KEY. HF_TOKEN reaches the run only.',
    ...SANDBOX_USAGE,
    ...SLURM_USAGE,
    SLURM_NODES_USAGE,
    SHARDING_USAGE,
    WORK_FOLDER_USAGE,
  ].join('\n'),
  booleanFlags: ['slurm', 'smoke'],
  async run(args, io) {
    if (args.positional.length) throw new UsageError(`unexpected argument '${args.positional[0]}' (use --model and --data)`);
    const root = path.resolve(io.cwd, flagString(args, 'workspace') ?? '.');
    const settings = settingsFrom(args, io, root);
    const python = defaultPython(io.env, pythonFrom(args, io));
    const attachId = flagString(args, 'attach');
    if (attachId) return attach(attachId, { args, io, settings, root, python, running: new DetachedRuns(), print: printer(io) });
    const baseModel = flagString(args, 'model');
    const dataset = flagString(args, 'data');
    if (!baseModel || !dataset) throw new UsageError('--model and --data are required, e.g. --model Qwen/Qwen2.5-0.5B-Instruct --data data/train.jsonl');
    const helperOpts = { cwd: root, env: { ...process.env, ...io.env } };

    const inspection = await inspectData(python, dataset, helperOpts).catch((err: unknown) => {
      throw new Error(`could not inspect ${dataset}: ${err instanceof Error ? err.message : String(err)}`);
    });
    const grpo = inspection.grpo?.trainable === false ? undefined : grpoDataChoice(inspection.grpo);
    // Prompt-only data matches no supervised format, yet GRPO trains on it.
    const method = methodFrom(args, inspection, grpo);
    if (!inspection.trainable && !(method === 'grpo' && grpo)) {
      io.err(`ml-intern fine-tune: ${dataset} cannot be trained on as it is (${inspection.format}):\n${inspection.problems.map((p) => `  - ${p}`).join('\n')}\n`);
      return EXIT_FAILED;
    }
    const request = requestFrom(args, { baseModel, dataset, method }, inspection, grpo);
    const ctx = { args, io, settings, root, python, running: new DetachedRuns(), print: printer(io) };
    const deps = await sessionDeps(ctx, inspection);
    if (!args.flags.json) {
      io.out(`${describe(request, inspection, grpo)}\n${deps.llm ? `LLM for repairs: ${deps.llm.id} ${deps.llm.model}` : 'No API key: recipe mode (the playbook repairs the well-known failures).'}\n`);
    }
    const session = await FineTuneSession.create(request, deps);
    return finish(ctx, session, () => session.execute(), deps.refused);
  },
};

interface Ctx {
  args: ParsedArgs;
  io: CliIo;
  settings: Settings;
  root: string;
  python: string;
  /** The trainings this command started (a second Ctrl+C kills them). */
  running: DetachedRuns;
  /** The session's events at the terminal. */
  print: Printer;
}

/** The session's ports at a terminal: y/n approvals (or --approve), printed events, detached runs. */
async function sessionDeps(ctx: Ctx, inspection?: DatasetInspection): Promise<SessionDeps & { refused: string[] }> {
  const { args, io, settings, root, python } = ctx;
  let environment: EnvReport | undefined;
  try {
    environment = await envReport(python, { cwd: root, env: { ...process.env, ...io.env } });
  } catch (err) {
    io.err(`warning: no environment report (${err instanceof Error ? err.message : String(err)}); the recipe assumes current library versions\n`);
  }
  // On Slurm the GPUs that count are a compute node's, not this login node's.
  environment = await trainingEnvironment(environment, {
    settings,
    python,
    workspace: root,
    backend: slurmBackendFor(),
    onState: (jobId, s) => io.err(`GPU check on a compute node: Slurm job ${jobId} ${stateText(s)}\n`),
  });
  if (environment?.gpusFrom) io.err(`GPUs from ${environment.gpusFrom}: ${environment.gpus.map((g) => g.name).join(', ') || 'none'}\n`);
  const secrets = new EnvSecrets({ ...io.env });
  for (const name of ['openai', 'anthropic', 'openai-compatible', 'hf'] as const) redactor.addSecret(await secrets.get(name));
  let llm: LlmProvider | undefined;
  if (settings.provider !== 'none') {
    llm = await createProvider(settings, secrets).catch((err: unknown) => {
      io.err(`warning: no LLM for repairs (${err instanceof Error ? err.message : String(err)}); the playbook still repairs the well-known failures\n`);
      return undefined;
    });
  }
  const hf = await secrets.get('hf');
  const files = new NodeFileStore(root);
  const interactive = Boolean(process.stdin.isTTY) && !args.flags.json && !io.env.CI;
  const refused: string[] = [];
  return {
    files,
    reviewer: cliReviewer(io, settings.autoApprove, interactive, refused),
    approveCommand: cliApprover(io, settings.autoApprove, interactive, refused),
    events: { emit: args.flags.json ? () => undefined : ctx.print },
    runs: new RunStore(files),
    settings: () => settings,
    python,
    environment,
    ...(inspection ? { inspection } : {}),
    llm,
    launch: sandboxTrainings(ctx.running.launch, { settings: () => settings, workspace: ctx.root, logger: { warn: (m) => io.err(`warning: ${m}\n`) } }),
    // The terminal prints the training's output as it comes, all of it (the panel shows a tail).
    fullOutput: true,
    processEnv: async (): Promise<Record<string, string>> => (hf ? { HF_TOKEN: hf } : {}),
    refused,
  };
}

/** Drive the session to its end (Ctrl+C stops the training), then print how it ended. */
async function finish(ctx: Ctx, session: FineTuneSession, drive: () => Promise<SessionOutcome>, refused: string[]): Promise<number> {
  const { args, io, root } = ctx;
  const onSigint = () => {
    if (session.abort.signal.aborted) {
      // Quitting at once must not leave the training running unseen.
      ctx.running.killAll();
      process.exit(130);
    }
    io.err('\nStopping the training run (Ctrl+C again to quit at once, killing it)…\n');
    void session.stop();
  };
  process.on('SIGINT', onSigint);
  let outcome: SessionOutcome;
  try {
    outcome = await drive();
  } finally {
    process.off('SIGINT', onSigint);
  }
  const folder = path.join(root, session.handle.folder);
  const result = { runId: session.runId, folder, outcome: outcome.kind, summary: outcome.summary, refused };
  if (args.flags.json) io.out(JSON.stringify(result, null, 2) + '\n');
  else {
    // The summary was usually the session's last message, printed already.
    const said = ctx.print.said(outcome.summary);
    const lines = [...(said ? [] : ['']), `Run ${result.runId}: ${outcome.kind}`, ...(said ? [] : [outcome.summary])];
    if (refused.length) lines.push('', 'Not approved (re-run with --approve=all, or from a terminal to answer y/n):', ...refused.map((x) => `  - ${x}`));
    lines.push(`Folder: ${folder}`);
    io.out(lines.join('\n') + '\n');
  }
  return outcome.kind === 'succeeded' ? EXIT_OK : EXIT_FAILED;
}

/** --attach: pick up a run this command (or the extension) started and follow it to its end. */
async function attach(runId: string, ctx: Ctx): Promise<number> {
  const { io, root } = ctx;
  const files = new NodeFileStore(root);
  const runs = new RunStore(files);
  const summary = (await runs.list()).find((r) => r.id === runId);
  if (!summary) throw new UsageError(`no run ${runId} in ${path.join(root, '.ml-intern', 'runs')} (ml-intern runs lists them)`);
  const handle = await runs.open(runId);
  if ((await handle.spec()).kind !== 'fine-tune') throw new UsageError(`run ${runId} is not a fine-tune run`);
  if (summary.status.state !== 'running') {
    io.out(`Run ${runId} is ${summary.status.state}: ${summary.status.lastMessage ?? ''}\nFolder: ${files.resolve(summary.folder)}\n`);
    return summary.status.state === 'succeeded' ? EXIT_OK : EXIT_FAILED;
  }
  // One follower per run: refused here (LockBusyError, printed as one line) while another process follows it.
  const owner = claimRun(files, runId);
  let picked: { session: FineTuneSession; found: Exclude<Reattached, { kind: 'lost' }>; refused: string[] };
  try {
    const found = await reattachRun(files, summary);
    if (!found) throw new Error(`run ${runId} has no launcher record to follow (${files.resolve(summary.folder)}/logs)`);
    if (found.kind === 'lost') {
      await handle.updateStatus({ state: 'lost', lastMessage: found.message });
      io.err(`ml-intern fine-tune: run ${runId} is lost: ${found.message}\n`);
      owner.release();
      return EXIT_FAILED;
    }
    const deps = await sessionDeps(ctx);
    picked = { session: await FineTuneSession.reopen(handle, deps, owner), found, refused: deps.refused };
  } catch (err) {
    owner.release();
    throw err;
  }
  const { session, found } = picked;
  if (!ctx.args.flags.json) {
    io.out(found.kind === 'live' ? `Following run ${runId} (pid ${found.run.pid}) from step ${found.recorded.step}…\n` : `Run ${runId} ended while nobody followed it (exit code ${found.code}); reading its log…\n`);
  }
  return finish(ctx, session, () => session.resume(found.run, found.scriptPath, found.recorded), picked.refused);
}

function methodFrom(args: ParsedArgs, inspection: DatasetInspection, grpo: GrpoDataChoice | undefined): FineTuneRequest['method'] {
  const fallback = !inspection.trainable && grpo ? 'grpo' : 'sft';
  const method = flagString(args, 'method') ?? (inspection.task && (METHODS as readonly string[]).includes(inspection.task) ? inspection.task : fallback);
  if (!(METHODS as readonly string[]).includes(method)) throw new UsageError(`--method must be one of ${METHODS.join(', ')}, got '${method}'`);
  if (method === 'grpo' && !grpo && inspection.grpo?.trainable !== false) {
    throw new UsageError(`--method grpo needs prompts for the model to answer, and ${inspection.path} has none it can tell (${inspection.grpo?.reason ?? 'no prompt, question or messages column'})`);
  }
  if (flagString(args, 'rewards') !== undefined && method !== 'grpo') throw new UsageError(`--rewards is for --method grpo (the method is ${method})`);
  return method as FineTuneRequest['method'];
}

/** --rewards exact_answer,format:0.2 → the built-in rewards with their weights (1 when not given); the wizard reads the same text. */
export function parseRewards(text: string, answerColumn: string | undefined): RewardChoice[] {
  try {
    return parseRewardList(text, answerColumn);
  } catch (err) {
    if (err instanceof RewardListError) throw new UsageError(`--rewards: ${err.message}`);
    throw err;
  }
}

function requestFrom(args: ParsedArgs, r: Pick<FineTuneRequest, 'baseModel' | 'dataset' | 'method'>, inspection: DatasetInspection, grpo: GrpoDataChoice | undefined): FineTuneRequest {
  const { baseModel, dataset, method } = r;
  const adapter = flagString(args, 'adapter') ?? 'lora';
  if (!(ADAPTERS as readonly string[]).includes(adapter)) throw new UsageError(`--adapter must be one of ${ADAPTERS.join(', ')}, got '${adapter}'`);
  const evalSplit = flagNumber(args, 'eval-split') ?? 0.05;
  if (!(evalSplit >= 0 && evalSplit <= 0.5)) throw new UsageError('--eval-split must be a fraction from 0 to 0.5');
  const maxLength = flagNumber(args, 'max-length');
  if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength > 0)) throw new UsageError('--max-length must be a whole number of tokens');
  const mapping = Object.fromEntries(Object.entries(inspection.mapping ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const request: FineTuneRequest = { baseModel, dataset, method, adapter: adapter as FineTuneRequest['adapter'], evalSplit };
  if (method === 'grpo' && grpo) {
    // GRPO reads the prompt and the reference its rewards compare with, not the supervised mapping.
    request.columnMapping = grpo.columnMapping;
    request.rewards = grpo.rewards;
  } else if (Object.keys(mapping).length) request.columnMapping = mapping;
  const rewards = flagString(args, 'rewards');
  if (rewards !== undefined) request.rewards = parseRewards(rewards, request.columnMapping?.answer);
  request.datasetFormat = inspection.format;
  if (inspection.jsonField) request.jsonField = inspection.jsonField;
  if (inspection.rows > 0 && !inspection.rowsSampled) request.datasetRows = inspection.rows;
  if (maxLength) request.maxLength = maxLength;
  const hubRepo = flagString(args, 'hub-repo');
  if (hubRepo) request.hubRepo = hubRepo;
  const instructions = flagString(args, 'instructions');
  if (instructions) request.instructions = instructions;
  const smoke = args.flags.smoke;
  if (smoke !== undefined && smoke !== false) {
    const steps = smoke === true ? DEFAULT_SMOKE_STEPS : Number(smoke);
    if (!(Number.isInteger(steps) && steps >= 1 && steps <= 1000)) throw new UsageError(`--smoke=N takes a whole number of steps from 1 to 1000, got '${String(smoke)}'`);
    request.smokeSteps = steps;
  }
  const sets = flagList(args, 'set');
  if (sets.length) {
    try {
      request.config = Object.fromEntries(sets.map(parseOverride));
    } catch (err) {
      if (err instanceof ConfigOverrideError) throw new UsageError(`--set ${err.message}`);
      throw err;
    }
  }
  return request;
}

function describe(r: FineTuneRequest, ins: DatasetInspection, grpo: GrpoDataChoice | undefined): string {
  const mapping = Object.entries(r.columnMapping ?? {}).map(([role, col]) => `${col} → ${role}`).join(', ');
  const lines = [`${r.method.toUpperCase()} (${r.adapter}) of ${r.baseModel} on ${r.dataset}: ${ins.rows} rows, ${ins.format}${mapping ? ` (${mapping})` : ''}`];
  if (r.method === 'grpo') {
    lines.push(`  rewards: ${(r.rewards ?? []).map((x) => `${x.name} x${x.weight ?? 1}`).join(', ') || 'the recipe\'s defaults'}`);
    lines.push(...(grpo?.notes ?? []).map((n) => `  note: ${n}`));
    // The supervised check's problems ("matches no format") do not apply to what GRPO reads.
    if (!ins.trainable) return lines.join('\n');
  }
  if (ins.problems.length) lines.push(...ins.problems.map((p) => `  note: ${p}`));
  return lines.join('\n');
}

function settingsFrom(args: ParsedArgs, io: Pick<CliIo, 'cwd' | 'env'>, root: string): Settings {
  const approve = flagString(args, 'approve') ?? 'none';
  if (!APPROVE[approve]) throw new UsageError(`--approve must be none, recipe, sandboxed or all, got '${approve}'`);
  const env = io.env;
  // An LLM is optional here: only for repairs the playbook cannot make.
  const provider = flagString(args, 'provider') ?? (env.OPENAI_API_KEY ? 'openai' : env.ANTHROPIC_API_KEY ? 'anthropic' : undefined);
  if (provider && !PROVIDERS.includes(provider)) throw new UsageError(`--provider must be one of ${PROVIDERS.join(', ')}, got '${provider}'`);
  return {
    ...DEFAULT_SETTINGS,
    ...(provider ? { provider: provider as ProviderId } : {}),
    model: flagString(args, 'llm-model') ?? '',
    baseUrl: flagString(args, 'base-url') ?? '',
    autoApprove: APPROVE[approve],
    pythonPath: pythonFrom(args, io) ?? '',
    ...slurmFrom(args, { multiNode: true }),
    ...shardingFrom(args),
    // --sandbox here is for the trainings themselves: what the flag is for on this command.
    sandbox: { ...sandboxFrom(args), trainings: true },
    // The extension's folder for the same workspace: both drivers then share train.py and its lock.
    workFolder: workFolderFrom(args, root, io.env),
  };
}
