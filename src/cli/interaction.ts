/**
 * What the headless commands (`run`, `fine-tune`) share with the user at a terminal: the approval
 * policy flag, y/n questions for changes and commands (refused, and listed, when nobody can
 * answer), and the event printer.
 */
import { stripAnsi } from '../core/logs/logLine';
import * as readline from 'node:readline';
import { createPatch } from 'diff';
import { formatPreflight } from '../core/preflight/format';
import { formatSmokeReport } from '../core/session/smokeRun';
import * as path from 'node:path';
import { CliIo, flagList, flagNumber, flagString, ParsedArgs, UsageError } from './command';
import { CommandApprover } from '../core/policy/approval';
import { AgentEvent } from '../core/events';
import { ProposedChange, ReviewDecision, Reviewer } from '../core/ports';
import { AutoApprovePolicy, DEFAULT_SETTINGS, Settings } from '../core/settings';
import { shellLine } from '../core/recipes';

/** The Slurm flags `run` and `fine-tune` share, for their usage texts. */
export const SLURM_USAGE = [
  'Slurm: --slurm runs the training as a batch job on the cluster (this machine being its login node), with',
  '          --partition P, --gpus N (per job, default 1), --time-limit HH:MM:SS (default 04:00:00) and',
  '          --sbatch=OPTION for any other sbatch option (repeatable, e.g. --sbatch=--account=myproj).',
];

/** fine-tune's extra Slurm flag (its training can span nodes; `run` starts one command on one node). */
export const SLURM_NODES_USAGE = '          --nodes N: train on N nodes (FSDP across all their GPUs; default 1). `ml-intern estimate --gpus-per-node G --nodes-max N` says how many it takes.';

/** fine-tune's choice of sharding for several GPUs or nodes (mlIntern.sharding). */
export const SHARDING_USAGE = '--sharding fsdp|deepspeed: how a full fine-tune on several GPUs or nodes is sharded: FSDP (default, part of torch) or DeepSpeed ZeRO-3 (ds_zero3.json; needs pip install deepspeed).';

export function shardingFrom(args: ParsedArgs): Pick<Settings, 'sharding'> {
  const sharding = flagString(args, 'sharding');
  if (sharding === undefined) return {};
  if (sharding !== 'fsdp' && sharding !== 'deepspeed') throw new UsageError(`--sharding must be fsdp or deepspeed, got '${sharding}'`);
  return { sharding };
}

/** --slurm and its options, as the settings mlIntern.execution.target and mlIntern.slurm.* */
export function slurmFrom(args: ParsedArgs, o: { multiNode?: boolean } = {}): Pick<Settings, 'executionTarget' | 'slurm'> {
  const options = ['partition', 'gpus', 'time-limit', 'sbatch', 'nodes'].filter((f) => args.flags[f] !== undefined);
  if (args.flags.nodes !== undefined && !o.multiNode) throw new UsageError('--nodes is an option of fine-tune (a training across nodes); this command runs on one node');
  if (!args.flags.slurm) {
    if (options.length) throw new UsageError(`--${options[0]} is a Slurm option: add --slurm to run the training as a Slurm job`);
    return { executionTarget: 'local', slurm: DEFAULT_SETTINGS.slurm };
  }
  const gpus = flagNumber(args, 'gpus');
  if (gpus !== undefined && (!Number.isInteger(gpus) || gpus < 0)) throw new UsageError(`--gpus must be a whole number ≥ 0, got '${gpus}'`);
  const nodes = flagNumber(args, 'nodes');
  if (nodes !== undefined && (!Number.isInteger(nodes) || nodes < 1)) throw new UsageError(`--nodes must be a whole number ≥ 1, got '${nodes}'`);
  const timeLimit = flagString(args, 'time-limit');
  if (timeLimit !== undefined && !/^(\d+-)?\d{1,3}:\d{2}(:\d{2})?$/.test(timeLimit)) throw new UsageError(`--time-limit must look like HH:MM:SS or D-HH:MM:SS, got '${timeLimit}'`);
  const extra = flagList(args, 'sbatch');
  const notOption = extra.find((x) => !x.trim().startsWith('-'));
  if (notOption !== undefined) throw new UsageError(`--sbatch takes an sbatch option such as --sbatch=--account=myproj, got '${notOption}'`);
  return {
    executionTarget: 'slurm',
    slurm: {
      partition: flagString(args, 'partition') ?? DEFAULT_SETTINGS.slurm.partition,
      gpus: gpus ?? DEFAULT_SETTINGS.slurm.gpus,
      timeLimit: timeLimit ?? DEFAULT_SETTINGS.slurm.timeLimit,
      extraDirectives: extra,
      nodes: nodes ?? DEFAULT_SETTINGS.slurm.nodes,
    },
  };
}

/**
 * The interpreter from --python or ML_INTERN_PYTHON. A relative path ("./.venv/bin/python") means
 * the shell's folder, where the user typed it, not --workspace (where the runs start).
 */
export function pythonFrom(args: ParsedArgs, io: Pick<CliIo, 'cwd' | 'env'>): string | undefined {
  const given = flagString(args, 'python') ?? io.env.ML_INTERN_PYTHON?.trim();
  if (!given) return undefined;
  return given.includes('/') && !path.isAbsolute(given) ? path.resolve(io.cwd, given) : given;
}

export const APPROVE: Record<string, AutoApprovePolicy> = { none: 'never', never: 'never', recipe: 'recipe', sandboxed: 'sandboxed', all: 'all' };
export const PROVIDERS = ['openai', 'anthropic', 'openai-compatible'];

function ask(io: CliIo, question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      resolve(/^y(es)?$/i.test(answer.trim()));
    });
  });
}

const NOT_APPROVED = 'not approved (run with --approve=all to allow writes and runs, or from an interactive terminal to answer y/n)';

export function cliReviewer(io: CliIo, _policy: AutoApprovePolicy, interactive: boolean, refused: string[]): Reviewer {
  return {
    async propose(change: ProposedChange): Promise<ReviewDecision> {
      if (!interactive) {
        refused.push(`change ${change.path}: ${change.description}`);
        io.err(`✗ proposed change to ${change.path} (${change.description}): ${NOT_APPROVED}\n`);
        return { kind: 'rejected', reason: NOT_APPROVED };
      }
      io.err(`\n${createPatch(change.path, change.original ?? '', change.proposed, 'current', 'proposed')}\n`);
      if (await ask(io, `Apply this change to ${change.path} (${change.description})? [y/N] `)) return { kind: 'accepted', text: change.proposed, userPatch: '', auto: false };
      return { kind: 'rejected', reason: 'the user answered no' };
    },
  };
}

export function cliApprover(io: CliIo, _policy: AutoApprovePolicy, interactive: boolean, refused: string[]): CommandApprover {
  return async (request) => {
    if (!interactive) {
      refused.push(`run ${request.argv.join(' ')}: ${request.reason}`);
      io.err(`✗ ${request.tool} \`${shellLine(request.argv)}\` (${request.reason}): ${NOT_APPROVED}\n`);
      return { approved: false, reason: NOT_APPROVED };
    }
    if (request.detail) io.err(`\n${request.detail}\n`);
    // Quoted as a shell would need it: an argument holding spaces or a ; is shown as the one word it is.
    const ok = await ask(io, `Run \`${shellLine(request.argv)}\` in ${request.cwd} (${request.reason})? [y/N] `);
    return ok ? { approved: true } : { approved: false, reason: 'the user answered no' };
  };
}

export type Printer = ((e: AgentEvent) => void) & {
  /** Whether this text was already printed as a message (the end summary is then not repeated). */
  said(text: string): boolean;
};

/** Model or session text without terminal control sequences (a message never drives the terminal). */
const printable = (t: string) => stripAnsi(t).replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');

export function printer(io: CliIo): Printer {
  let midLine = false;
  // The agent streams its text as deltas, then sends it whole: printed once.
  let streamed = false;
  const said = new Set<string>();
  const line = (t: string) => {
    if (midLine) io.out('\n');
    midLine = false;
    io.out(`${t}\n`);
  };
  const print = (e: AgentEvent): void => {
    switch (e.type) {
      case 'run_started':
        return line(`Run ${e.runId} (${e.folder})`);
      case 'assistant_delta':
        streamed = true;
        io.out(e.text);
        midLine = !e.text.endsWith('\n');
        return;
      case 'assistant_message': {
        said.add(e.text.trim());
        const wasStreamed = streamed;
        streamed = false;
        if (wasStreamed) return;
        // The session's own messages (what it wrote and why, the recipe's notes, each repair) come whole.
        return line(`\n${printable(e.text).trimEnd()}\n`);
      }
      case 'tool_call':
        return line(`→ ${e.name} ${JSON.stringify(e.args).slice(0, 160)}`);
      case 'tool_result':
        return line(`${e.ok ? '✓' : '✗'} ${e.name}: ${e.summary}`);
      case 'process_output':
        io.out(e.text);
        midLine = !e.text.endsWith('\n');
        return;
      case 'plan':
        return line(`Plan:\n${e.items.map((i) => `  [${i.status === 'done' ? 'x' : i.status === 'in_progress' ? '~' : ' '}] ${i.text}`).join('\n')}`);
      case 'notice':
        return line(`${e.level}: ${e.message}`);
      // The fine-tune session's steps (the agent's come as tool calls).
      case 'change_proposed':
        return line(`→ change ${e.path}: ${e.description} (+${e.added} −${e.removed})`);
      case 'change_decided':
        return line(`${e.decision === 'accepted' ? '✓' : '✗'} ${e.path} ${e.decision}${e.auto ? ' (auto-approved)' : ''}${e.reason ? `: ${e.reason}` : ''}`);
      case 'process_started':
        // A command found again after the previous `ml-intern` went away says so.
        return line(`▶ ${e.argv.join(' ')}${/\(re-attached\)$/.test(e.name) ? ' (re-attached)' : ''}`);
      case 'diagnosis':
        return line(`✗ attempt ${e.attempt} failed: ${e.category} — ${e.summary}${e.fix ? `\n  fix: ${e.fix}` : ''}`);
      // Checks before the full run (fine-tune --smoke, the wizard's choices).
      case 'preflight_result':
        return line(formatPreflight(e.report));
      case 'smoke_result':
        return line(formatSmokeReport(e.report).join('\n'));
      // GRPO, each logging step: the sampled completions' totals and the best one's start, JSON-quoted (model text never drives the terminal).
      case 'grpo_samples': {
        const best = e.samples.reduce((a, b) => ((b.total ?? -Infinity) > (a.total ?? -Infinity) ? b : a));
        return line(`samples at step ${e.step}: totals ${e.samples.map((s) => (s.total === null ? '–' : String(Number(s.total.toFixed(3))))).join(', ')}; best ${JSON.stringify(best.completion.slice(0, 100))}`);
      }
      default:
        return;
    }
  };
  return Object.assign(print, { said: (text: string) => said.has(text.trim()) });
}
