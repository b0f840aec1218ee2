/**
 * What `try-it` and `export` share at a terminal: the plan of the Evaluate / Merge / Push session
 * (planArtifact: the same files and commands the extension proposes), its files written into the
 * script folder — a file that is there and differs is shown as a diff and asked about, never
 * silently written over — and its commands approved once, then run in order from that folder,
 * their output streamed, the first failure stopping the rest.
 */
import * as path from 'node:path';
import { CliIo, EXIT_OK, ParsedArgs, UsageError, flagString } from './command';
import { APPROVE, cliApprover, cliReviewer } from './interaction';
import { runStreaming } from './commands/exec';
import { defaultPython } from '../core/python';
import { ArtifactPlan, ArtifactRequest, ArtifactRequestError, artifactFolder, planArtifact, resolveProgram } from '../core/session/artifactPlan';
import { workFolderFrom } from './workFolder';
import { NodeFileStore } from '../core/util/nodeFileStore';
import { shellLine } from '../core/recipes';

export interface StepsContext {
  io: CliIo;
  root: string;
  files: NodeFileStore;
  python: string;
  /** --approve=all: write and run without asking. */
  approveAll: boolean;
  interactive: boolean;
  /** The checked work folder (--work-folder, the workspace's mlIntern.workFolder, or ml-intern): the scripts go in it. */
  workFolder: string;
}

export function stepsContext(args: ParsedArgs, io: CliIo, python: string | undefined): StepsContext {
  const root = path.resolve(io.cwd, flagString(args, 'workspace') ?? '.');
  const approve = flagString(args, 'approve') ?? 'none';
  if (!APPROVE[approve]) throw new UsageError(`--approve must be none or all, got '${approve}'`);
  return {
    io,
    root,
    files: new NodeFileStore(root),
    python: defaultPython(io.env, python),
    approveAll: approve === 'all',
    interactive: Boolean(process.stdin.isTTY) && !args.flags.json && !io.env.CI,
    workFolder: workFolderFrom(args, root, io.env),
  };
}

/** The model folder argument as a workspace-relative path (the plan and the scripts see it so). */
export function modelArgument(args: ParsedArgs, io: CliIo, root: string, command: string): string {
  const given = args.positional[0];
  if (!given) throw new UsageError(`give the trained model's folder, e.g. ml-intern ${command} ml-intern/sft-qwen/outputs/final`);
  if (args.positional.length > 1) throw new UsageError(`unexpected argument '${args.positional[1]}'`);
  const rel = path.relative(root, path.resolve(io.cwd, given));
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) throw new UsageError(`${given} is not inside the workspace ${root}: pass --workspace, or move the model folder into it`);
  return rel.split(path.sep).join('/');
}

/** The plan, or undefined after saying why it cannot be made (the user changes the request). */
export async function planFor(ctx: StepsContext, request: ArtifactRequest): Promise<ArtifactPlan | undefined> {
  try {
    return await planArtifact(request, ctx.files, {}, artifactFolder(request, ctx.workFolder));
  } catch (err) {
    if (!(err instanceof ArtifactRequestError)) throw err;
    ctx.io.err(`${err.message}\n`);
    return undefined;
  }
}

/** Write the plan's files; false when a changed file was not accepted (the commands need every file as planned). */
export async function writeFiles(ctx: StepsContext, plan: ArtifactPlan): Promise<boolean> {
  const { io } = ctx;
  for (const file of plan.files) {
    const target = `${plan.folder}/${file.path}`;
    const before = await ctx.files.readIfExists(target);
    if (before === file.content) {
      io.out(`= ${target} (unchanged)\n`);
      continue;
    }
    if (before !== undefined && !ctx.approveAll) {
      // Shown as a diff and asked y/n on a terminal; refused (and said) otherwise.
      const decision = await cliReviewer(io, 'never', ctx.interactive, []).propose({ path: target, original: before, proposed: file.content, description: file.description, origin: 'recipe' });
      if (decision.kind !== 'accepted') {
        io.err(`✗ ${target} exists and differs from the plan: kept as it is, so nothing was run. Answer y on a terminal, or pass --approve=all to write over it.\n`);
        return false;
      }
    }
    await ctx.files.write(target, file.content);
    io.out(`${before === undefined ? '+' : '~'} ${target}: ${file.description}\n`);
  }
  return true;
}

/** The commands as a user would type them from the workspace. */
export function commandLines(ctx: StepsContext, plan: ArtifactPlan): string[] {
  return plan.commands.map((c, i) => `${i + 1}. ${c.description}\n   (cd ${shellLine([plan.folder])} && ${shellLine([resolveProgram(c.argv[0], ctx.python), ...c.argv.slice(1)])})`);
}

/** Ask once for every command, then run them in order; the exit code of the first that failed. */
export async function runCommands(ctx: StepsContext, plan: ArtifactPlan): Promise<number> {
  const argvs = plan.commands.map((c) => [resolveProgram(c.argv[0], ctx.python), ...c.argv.slice(1)]);
  if (!ctx.approveAll) {
    const n = plan.commands.length;
    const decision = await cliApprover(ctx.io, 'never', ctx.interactive, [])({
      argv: argvs[0],
      reason: n > 1 ? `${n} steps, run in this order; a failed step stops the rest` : plan.commands[0].description,
      ...(n > 1 ? { detail: `Steps:\n${commandLines(ctx, plan).join('\n')}` } : {}),
      origin: 'recipe',
      tool: 'run',
      cwd: plan.folder,
    });
    if (!decision.approved) return 1;
  }
  const cwd = ctx.files.resolve(plan.folder);
  for (const [i, argv] of argvs.entries()) {
    ctx.io.out(`\n▶ ${plan.commands[i].description}\n`);
    const code = await runStreaming(argv, cwd, { ...process.env, ...ctx.io.env, PYTHONUNBUFFERED: '1' }, ctx.io);
    if (code !== 0) {
      ctx.io.err(`✗ step ${i + 1} of ${argvs.length} (${shellLine(argv)}) failed with exit code ${code}${i + 1 < argvs.length ? '; the steps after it were not run' : ''}.\n`);
      return code;
    }
  }
  return EXIT_OK;
}
