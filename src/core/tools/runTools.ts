/** run and run_python: start a process after approval (the policy or the user). */
import * as path from 'node:path';
import { runProcess } from './process';
import { smokeSteps, withSmokeNote } from './smokeRun';
import { sandboxedAs, sandboxForCommand } from '../sandbox/command';
import { ToolDefinition } from './types';

/** The argv, cwd and reason properties `run` and `submit_job` share. */
export const COMMAND_PROPERTIES = {
  command: { type: 'array', items: { type: 'string' }, description: 'argv array; the first item is the program ("python" is the user\'s interpreter).' },
  reason: { type: 'string', description: 'One line for the user: why run this.' },
  cwd: { type: 'string', description: 'Workspace-relative working folder (default: the root).' },
} as const;

/** "python"/"python3" mean the user's interpreter (the venv the libraries are in). */
export function userArgv(command: string[], python: string): string[] {
  return command[0] === 'python' || command[0] === 'python3' ? [python, ...command.slice(1)] : command;
}

/** The card's and terminal's name: the program's base name (`python train.py`, not the venv's path) and two arguments. */
export function commandName(argv: string[]): string {
  return [path.basename(argv[0]), ...argv.slice(1, 3)].join(' ');
}

export const runTool: ToolDefinition<{ command: string[]; reason: string; cwd?: string; timeout_s?: number }> = {
  name: 'run',
  description:
    'Run a command (argv array, no shell: e.g. ["python", "train.py", "--epochs", "1"]) in the workspace after the user approves it. ' +
    'Returns the exit code and the head and tail of the output; the full output is saved in the run folder logs/ (readable with read_file). ' +
    'Use for training, evaluation and checks. Give a one-line reason the user will see.',
  parameters: {
    type: 'object',
    properties: {
      ...COMMAND_PROPERTIES,
      timeout_s: { type: 'integer', description: 'Stop the process after this many seconds (default: no limit).' },
    },
    required: ['command', 'reason'],
  },
  approval: 'run',
  async handler(args, ctx) {
    if (args.command.length === 0 || !args.command[0]) return { ok: false, output: 'command is empty: give an argv array such as ["python", "train.py"].' };
    const argv = userArgv(args.command, ctx.python);
    const cwd = args.cwd ?? '';
    // On a cluster the user must see that this is not a job: a training here would load the login node.
    const onLoginNode = ctx.settings.executionTarget === 'slurm'
      ? { detail: 'Runs here, on the Slurm login node, not as a batch job (the agent submits jobs with submit_job).' }
      : {};
    const sandbox = sandboxForCommand(ctx);
    if (!sandbox.ok) return { ok: false, output: sandbox.message, data: { sandboxError: true } };
    const decision = await ctx.approveCommand({ argv, reason: args.reason, origin: 'agent', tool: 'run', cwd, ...onLoginNode, ...sandboxedAs(sandbox.plan) });
    if (!decision.approved) {
      return { ok: false, output: `The user did not approve running \`${argv.join(' ')}\`${decision.reason ? `: ${decision.reason}` : ''}. Nothing was run.`, data: { approved: false } };
    }
    const smoke = await smokeSteps(argv, cwd, ctx.files);
    const result = await runProcess(ctx, { argv, cwd, name: commandName(argv), timeoutSeconds: args.timeout_s, python: argv[0] === ctx.python ? ctx.python : undefined, detach: true, sandbox: sandbox.plan });
    return withSmokeNote(result, smoke, argv.find((a) => a.endsWith('.py')) ?? '');
  },
};

export const runPythonTool: ToolDefinition<{ code: string; reason: string; timeout_s?: number }> = {
  name: 'run_python',
  description:
    "Run a short Python snippet with the user's interpreter (e.g. to inspect a dataset or check an installed library version) after the user approves it. " +
    'The snippet is saved in the run folder as scripts/snippet-N.py and run from the workspace root; print what you need to see. Returns exit code and output.',
  parameters: {
    type: 'object',
    properties: {
      code: { type: 'string', description: 'Python source to run.' },
      reason: { type: 'string', description: 'One line for the user: why run this.' },
      timeout_s: { type: 'integer', description: 'Stop after this many seconds (default 600).' },
    },
    required: ['code', 'reason'],
  },
  approval: 'run',
  async handler(args, ctx) {
    if (!args.code.trim()) return { ok: false, output: 'code is empty.' };
    const n = await ctx.nextNumber('snippet');
    const rel = await ctx.saveRunFile(`scripts/snippet-${n}.py`, args.code);
    const argv = [ctx.python, ctx.files.resolve(rel)];
    const sandbox = sandboxForCommand(ctx);
    if (!sandbox.ok) return { ok: false, output: `${sandbox.message} (the snippet is saved as ${rel})`, data: { sandboxError: true } };
    const decision = await ctx.approveCommand({ argv, reason: args.reason, origin: 'agent', tool: 'run_python', detail: args.code, ...sandboxedAs(sandbox.plan) });
    if (!decision.approved) {
      return { ok: false, output: `The user did not approve running the snippet${decision.reason ? `: ${decision.reason}` : ''}. Nothing was run (saved as ${rel}).`, data: { approved: false } };
    }
    return runProcess(ctx, { argv, cwd: '', name: `python snippet-${n}`, timeoutSeconds: args.timeout_s ?? 600, python: ctx.python, sandbox: sandbox.plan });
  },
};
