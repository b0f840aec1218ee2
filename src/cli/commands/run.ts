/**
 * `ml-intern run "<goal>"`: the agent, headless. Keys come from the
 * environment (OPENAI_API_KEY / ANTHROPIC_API_KEY); HF_TOKEN reaches the
 * processes through their environment only. Without --approve=all, writes and
 * runs are asked on an interactive terminal (y/n) and refused otherwise.
 */
import * as path from 'node:path';
import { CliCommand, CliIo, EXIT_FAILED, EXIT_OK, ParsedArgs, UsageError, flagNumber, flagString } from '../command';
import { AgentDeps, AgentSession, RunOutcome } from '../../core/agent/agentLoop';
import { createLocalExecutor } from '../../core/exec/localExecutor';
import { EnvSecrets } from '../../core/llm/envSecrets';
import { createProvider } from '../../core/llm/factory';
import { BudgetState } from '../../core/events';
import { AgentActions, DEFAULT_SETTINGS, ProviderId, ReasoningEffort, Settings } from '../../core/settings';
import { withCodeActions } from '../../core/codeActions/actionMode';
import { APPROVE, cliApprover, cliReviewer, PROVIDERS, printer, pythonFrom, SLURM_USAGE, slurmFrom } from '../interaction';
import { createAgentRegistry } from '../../core/tools/domain';
import { environmentBriefing } from '../../core/agent/briefing';
import { registerCustomTools } from '../../core/tools/customTools';
import { McpHub, registerMcpServers } from '../../core/mcp/mcpTools';
import { readFileSync } from 'node:fs';
import { refuseSpecialFileSync } from '../../core/util/regularFile';
import { NodeFileStore } from '../../core/util/nodeFileStore';
import { redactor } from '../../core/util/redact';
import { DetachedRuns } from '../detachedRuns';
import { SANDBOX_USAGE, sandboxFrom } from './exec';
import { WORK_FOLDER_USAGE, workFolderFrom } from '../workFolder';

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'Run the agent on a goal, headless (or continue a run)',
  usage: [
    'ml-intern run "<goal>" [--workspace DIR] [--approve=none|recipe|sandboxed|all] [--provider openai|anthropic|openai-compatible]',
    '                       [--model M] [--base-url URL] [--max-steps N] [--max-cost USD] [--python P]',
    '                       [--reasoning-effort off|low|medium|high] [--actions tools|code|both]',
    '                       [--mcp-config FILE] [--slurm [--partition P] [--gpus N] [--time-limit T] [--sbatch=OPT ...]] [--json]',
    'ml-intern run --continue RUN_ID ["<answer or instruction>"] [--raise-limits] [same options]',
    '',
    'Keys: OPENAI_API_KEY, ANTHROPIC_API_KEY (ML_INTERN_API_KEY for openai-compatible). HF_TOKEN is passed to processes only.',
    'Actions: --actions code: the agent writes Python that calls its tools as functions (mlIntern.agent.actions); both: JSON tools and code.',
    'MCP: --mcp-config FILE is a JSON object like the mlIntern.mcpServers setting: {"name": {"command": "…", "args": […], "sandbox": true}}.',
    'Approval: --approve=none (default) asks y/n on a terminal and refuses every write and run otherwise;',
    '          recipe lets recipe/playbook changes through; sandboxed also runs the commands that run in the sandbox',
    '          with the network off (installs and pushes still ask); all approves everything.',
    ...SANDBOX_USAGE,
    ...SLURM_USAGE,
    WORK_FOLDER_USAGE,
  ].join('\n'),
  booleanFlags: ['raise-limits', 'slurm'],
  async run(args, io) {
    const root = path.resolve(io.cwd, flagString(args, 'workspace') ?? '.');
    const settings = settingsFrom(args, io, root);
    const continueId = flagString(args, 'continue');
    const text = args.positional.join(' ').trim();
    if (!continueId && !text) throw new UsageError('give a goal, e.g. ml-intern run "fine-tune Qwen2.5-0.5B on data/train.jsonl"');
    const secrets = new EnvSecrets({ ...io.env });
    for (const name of ['openai', 'anthropic', 'openai-compatible', 'hf'] as const) redactor.addSecret(await secrets.get(name));
    const llm = await createProvider(settings, secrets);
    if (!llm) throw new UsageError('choose a provider with --provider openai|anthropic|openai-compatible');

    const files = new NodeFileStore(root);
    const interactive = Boolean(process.stdin.isTTY) && !args.flags.json && !io.env.CI;
    const refused: string[] = [];
    const tools = createAgentRegistry({ executionTarget: settings.executionTarget });
    if (await files.exists('.ml-intern/tools')) {
      const found = await registerCustomTools(tools, { workspaceRoot: root, python: settings.pythonPath || 'python3' });
      for (const e of found.errors) io.err(`custom tools: ${e}\n`);
    }
    const mcp = await startMcp(args, io, root, tools, settings);
    // With code actions the loop offers `python` (and the steering tools); the code calls the rest.
    const actions = withCodeActions(tools, settings.agentActions);
    const hf = await secrets.get('hf');
    const running = new DetachedRuns();
    const deps: AgentDeps = {
      llm,
      files,
      reviewer: cliReviewer(io, settings.autoApprove, interactive, refused),
      approveCommand: cliApprover(io, settings.autoApprove, interactive, refused),
      executor: createLocalExecutor({ onWarning: (m) => io.err(`${m}\n`) }),
      events: { emit: args.flags.json ? () => undefined : printer(io) },
      settings,
      tools: actions.tools,
      // The machine (versions, GPUs) in the first user message: the system prompt stays cacheable.
      briefing: environmentBriefing,
      env: hf ? { HF_TOKEN: hf } : {},
      // A training the agent starts outlives this command (an SSH drop, a closed terminal):
      // `ml-intern run --continue <id>` waits for it and goes on. Ctrl+C still stops it.
      detached: { launch: running.launch, fullOutput: true },
      // What a reopened run folder had broken (a corrupt transcript line, a status field) is said, not hidden.
      logger: { info: () => undefined, debug: () => undefined, warn: (m) => io.err(`warning: ${m}\n`), error: (m) => io.err(`error: ${m}\n`) },
    };

    const controller = new AbortController();
    const onSigint = () => {
      if (controller.signal.aborted) {
        // Quitting at once must not leave a training it started running unseen.
        running.killAll();
        process.exit(130);
      }
      io.err('\nStopping the run (Ctrl+C again to quit at once, killing what it started)…\n');
      controller.abort();
    };
    process.on('SIGINT', onSigint);
    let session: AgentSession;
    let outcome: RunOutcome;
    try {
      if (continueId) {
        // Refused while another process drives the run (reopen names it).
        session = await AgentSession.reopen(deps, continueId);
        outcome = await session.continueRun(
          { ...(text ? (session.currentState === 'waiting' ? { answer: text } : { message: text }) : {}), ...(args.flags['raise-limits'] ? { raiseLimits: true as const } : {}) },
          controller.signal,
        );
      } else {
        ({ session, outcome } = await AgentSession.startRun(deps, { goal: text }, controller.signal));
      }
    } finally {
      process.off('SIGINT', onSigint);
      await mcp?.dispose();
      await actions.dispose();
    }
    const result = { runId: session.id, folder: path.join(root, session.folder), state: outcome.state, message: outcome.message, question: outcome.question, refused, budget: session.budgetState };
    if (args.flags.json) io.out(JSON.stringify(result, null, 2) + '\n');
    else io.out(formatOutcome(result));
    return outcome.state === 'succeeded' ? EXIT_OK : EXIT_FAILED;
  },
};

/** MCP servers from --mcp-config (the same shape as the mlIntern.mcpServers setting); their tools need approval like `run`; a server marked "sandbox": true starts in --sandbox's sandbox. */
async function startMcp(args: ParsedArgs, io: CliIo, root: string, tools: ReturnType<typeof createAgentRegistry>, settings: Settings): Promise<McpHub | undefined> {
  const file = flagString(args, 'mcp-config');
  if (!file) return undefined;
  let servers: unknown;
  try {
    refuseSpecialFileSync(path.resolve(io.cwd, file), file);
    servers = JSON.parse(readFileSync(path.resolve(io.cwd, file), 'utf8'));
  } catch (err) {
    throw new UsageError(`--mcp-config ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!servers || typeof servers !== 'object' || Array.isArray(servers)) throw new UsageError(`--mcp-config ${file} must hold an object: {"name": {"command": "…", "args": […]}}`);
  const hub = await registerMcpServers(tools, servers as Settings['mcpServers'], { cwd: root, sandbox: { settings: settings.sandbox } });
  for (const e of hub.errors) io.err(`MCP: ${e}\n`);
  return hub;
}

function settingsFrom(args: ParsedArgs, io: CliIo, root: string): Settings {
  const approve = flagString(args, 'approve') ?? 'none';
  if (!APPROVE[approve]) throw new UsageError(`--approve must be none, recipe, sandboxed or all, got '${approve}'`);
  const env = io.env;
  const provider = flagString(args, 'provider') ?? (env.OPENAI_API_KEY ? 'openai' : env.ANTHROPIC_API_KEY ? 'anthropic' : undefined);
  if (!provider) throw new UsageError('no provider: set OPENAI_API_KEY or ANTHROPIC_API_KEY, or pass --provider openai-compatible --base-url URL --model M');
  if (!PROVIDERS.includes(provider)) throw new UsageError(`--provider must be one of ${PROVIDERS.join(', ')}, got '${provider}'`);
  const maxSteps = flagNumber(args, 'max-steps');
  const maxCost = flagNumber(args, 'max-cost');
  if (maxSteps !== undefined && (maxSteps < 1 || !Number.isInteger(maxSteps))) throw new UsageError('--max-steps must be a whole number ≥ 1');
  if (maxCost !== undefined && maxCost < 0) throw new UsageError('--max-cost must be ≥ 0');
  return {
    ...DEFAULT_SETTINGS,
    provider: provider as ProviderId,
    model: flagString(args, 'model') ?? '',
    baseUrl: flagString(args, 'base-url') ?? '',
    autoApprove: APPROVE[approve],
    maxSteps: maxSteps ?? DEFAULT_SETTINGS.maxSteps,
    maxCostUsd: maxCost ?? DEFAULT_SETTINGS.maxCostUsd,
    reasoningEffort: reasoningFrom(args),
    pythonPath: pythonFrom(args, io) ?? '',
    ...slurmFrom(args),
    sandbox: sandboxFrom(args),
    agentActions: actionsFrom(args),
    // Where write_recipe and try_model put their scripts by default, as the extension does.
    workFolder: workFolderFrom(args, root, io.env),
  };
}

const ACTIONS: AgentActions[] = ['tools', 'code', 'both'];

/** --actions, as mlIntern.agent.actions. */
function actionsFrom(args: ParsedArgs): AgentActions {
  const actions = flagString(args, 'actions') ?? 'tools';
  if (!ACTIONS.includes(actions as AgentActions)) throw new UsageError(`--actions must be one of ${ACTIONS.join(', ')}, got '${actions}'`);
  return actions as AgentActions;
}

const EFFORTS: ReasoningEffort[] = ['off', 'low', 'medium', 'high'];

/** --reasoning-effort, as mlIntern.reasoningEffort. */
function reasoningFrom(args: ParsedArgs): ReasoningEffort {
  const effort = flagString(args, 'reasoning-effort') ?? 'off';
  if (!EFFORTS.includes(effort as ReasoningEffort)) throw new UsageError(`--reasoning-effort must be one of ${EFFORTS.join(', ')}, got '${effort}'`);
  return effort as ReasoningEffort;
}

function formatOutcome(r: { runId: string; folder: string; state: string; message: string; question?: string; refused: string[]; budget?: BudgetState }): string {
  const lines = ['', `Run ${r.runId}: ${r.state}`, r.message];
  // Tokens as mlIntern.maxTokens counts them (new spend); cache reads apart, they are not new spend.
  if (r.budget) lines.push('', `Used: ${r.budget.steps} steps, ${r.budget.tokens} tokens (uncached input + output)${r.budget.cachedTokens ? `, ${r.budget.cachedTokens} cached reads` : ''}, $${r.budget.costUsd.toFixed(4)}`);
  if (r.refused.length) lines.push('', 'Not approved (re-run with --approve=all, or continue from a terminal):', ...r.refused.map((x) => `  - ${x}`));
  if (r.state === 'waiting') lines.push('', `Answer with: ml-intern run --continue ${r.runId} "<your answer>"`);
  if (r.state === 'budget') lines.push('', `Continue with: ml-intern run --continue ${r.runId} --raise-limits`);
  if (r.state === 'failed' || r.state === 'stopped') lines.push('', `Resume with: ml-intern run --continue ${r.runId}`);
  lines.push(`Folder: ${r.folder}`);
  return lines.join('\n') + '\n';
}
