/**
 * `ml-intern`: the headless host of the core. Every subcommand prints human
 * text by default and JSON with --json. Exit codes: 0 ok, 1 failed, 2 usage.
 */
import { CliCommand, CliIo, EXIT_FAILED, EXIT_USAGE, UsageError, parseArgs } from './command';
import { COMMANDS } from './commands';
import { redactor } from '../core/util/redact';
import { nameLockHolder } from '../core/runs/ownerLock';

export function helpText(commands: CliCommand[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'ml-intern: an autonomous junior ML engineer for post-training LLMs',
    '',
    'Usage: ml-intern <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  --json     machine-readable output',
    '  --help     help for a command (ml-intern <command> --help)',
    '',
    'Environment: OPENAI_API_KEY, ANTHROPIC_API_KEY (LLM providers), HF_TOKEN (Hugging Face Hub).',
    'Exit codes: 0 ok, 1 the operation failed, 2 usage error.',
    '',
  ].join('\n');
}

export async function runCli(argv: string[], io: CliIo, commands: CliCommand[] = COMMANDS): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(helpText(commands));
    return name ? 0 : EXIT_USAGE;
  }
  const command = commands.find((c) => c.name === (name === '--version' ? 'version' : name));
  if (!command) {
    io.err(`ml-intern: unknown command '${name}'. Run 'ml-intern --help' for the list.\n`);
    return EXIT_USAGE;
  }
  let args;
  try {
    args = parseArgs(rest, command.booleanFlags);
  } catch (err) {
    io.err(`ml-intern ${name}: ${(err as Error).message}\n`);
    return EXIT_USAGE;
  }
  if (args.flags.help) {
    io.out(command.usage + '\n');
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`ml-intern ${name}: ${err.message}\nUsage: ${command.usage}\n`);
      return EXIT_USAGE;
    }
    // A clear one-line message, never a stack trace (set ML_INTERN_DEBUG=1 for one).
    const msg = redactor.redact(err instanceof Error ? err.message : String(err));
    io.err(`ml-intern ${name}: ${msg}\n`);
    if (io.env.ML_INTERN_DEBUG) io.err(String((err as Error).stack) + '\n');
    return EXIT_FAILED;
  }
}

if (require.main === module) {
  // A window that later finds a run this process drove and left (killed) says what ended it.
  nameLockHolder('the `ml-intern` command that drove it in a terminal');
  const io: CliIo = {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
  };
  runCli(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`ml-intern: ${redactor.redact(String(err))}\n`);
      process.exitCode = EXIT_FAILED;
    },
  );
}
