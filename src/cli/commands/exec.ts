/**
 * `ml-intern exec -- ARGV…`: run one command the way an approved agent command runs — in the
 * same sandbox (sandbox/command.ts), with the same environment (HF_TOKEN from the environment)
 * and the same redaction of secrets in its output — streaming its output and exiting with its
 * exit code. For trying the sandbox on a real command before letting the agent use it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { CliCommand, CliIo, EXIT_FAILED, ParsedArgs, UsageError, flagString } from '../command';
import { pythonFrom } from '../interaction';
import { EnvSecrets } from '../../core/llm/envSecrets';
import { launchArgv, sandboxForCommand } from '../../core/sandbox/command';
import { DEFAULT_SANDBOX_SETTINGS, SandboxMode, SandboxNetwork, SandboxSettings } from '../../core/sandbox/types';
import { userArgv } from '../../core/tools/runTools';
import { redactor } from '../../core/util/redact';
import { StreamRedactor } from '../../core/util/streamRedact';

const MODES: SandboxMode[] = ['off', 'auto', 'bubblewrap', 'seatbelt', 'container'];
const NETWORKS: SandboxNetwork[] = ['off', 'allowlist', 'on'];

export const SANDBOX_USAGE = [
  'Sandbox: --sandbox off|auto|bubblewrap|seatbelt|container (default off), --network off|allowlist|on (default off),',
  '         --image IMAGE for container. allowlist is not filtered by domain yet: it has the network, as on.',
];

/** The sandbox flags, checked (a typo must not run a command unconfined). */
export function sandboxFrom(args: ParsedArgs): SandboxSettings {
  const mode = flagString(args, 'sandbox') ?? DEFAULT_SANDBOX_SETTINGS.mode;
  const network = flagString(args, 'network') ?? DEFAULT_SANDBOX_SETTINGS.network;
  if (!MODES.includes(mode as SandboxMode)) throw new UsageError(`--sandbox must be one of ${MODES.join(', ')}, got '${mode}'`);
  if (!NETWORKS.includes(network as SandboxNetwork)) throw new UsageError(`--network must be one of ${NETWORKS.join(', ')}, got '${network}'`);
  return { mode: mode as SandboxMode, network: network as SandboxNetwork, image: flagString(args, 'image') ?? '' };
}

export const execCommand: CliCommand = {
  name: 'exec',
  summary: 'Run a command as an approved agent command runs (sandbox, environment, redaction)',
  usage: [
    'ml-intern exec [--workspace DIR] [--sandbox MODE] [--network off|allowlist|on] [--image IMAGE] [--python P] -- ARGV…',
    '',
    'Runs ARGV in the workspace ("python" is the training interpreter, as for the agent), prints its output with secrets',
    'hidden and exits with its exit code. HF_TOKEN reaches the command through its environment only.',
    ...SANDBOX_USAGE,
  ].join('\n'),
  async run(args, io) {
    const command = args.positional;
    if (command.length === 0 || !command[0]) throw new UsageError('give the command after --, e.g. ml-intern exec --sandbox bubblewrap -- python train.py');
    const root = path.resolve(io.cwd, flagString(args, 'workspace') ?? '.');
    if (!existsSync(root)) throw new UsageError(`--workspace ${root} does not exist`);
    const secrets = new EnvSecrets({ ...io.env });
    const hf = await secrets.get('hf');
    for (const name of ['openai', 'anthropic', 'openai-compatible', 'hf'] as const) redactor.addSecret(await secrets.get(name));
    const env: Record<string, string> = hf ? { HF_TOKEN: hf } : {};
    const settings = { sandbox: sandboxFrom(args) };
    const files = { resolve: (rel: string) => path.resolve(root, rel) };
    const logger = { warn: (m: string) => io.err(`warning: ${m}\n`) };
    const prepared = sandboxForCommand({ settings, files, runFolder: '.', env, logger });
    if (!prepared.ok) {
      io.err(`${prepared.message}\n`);
      return EXIT_FAILED;
    }
    const argv = userArgv(command, pythonFrom(args, io) ?? 'python3');
    return runStreaming(launchArgv({ argv, sandbox: prepared.plan }, root, env), root, { ...io.env, ...env }, io);
  },
};

/** Start argv, print its output redacted as it comes, and give its exit code (128 + signal when killed). */
export function runStreaming(argv: string[], cwd: string, env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  return new Promise((resolve) => {
    // Its own session: no controlling terminal to push keystrokes into (TIOCSTI); Ctrl+C is passed to its group.
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out = new StreamRedactor(redactor);
    const err = new StreamRedactor(redactor);
    child.stdout.setEncoding('utf8').on('data', (text: string) => io.out(out.push(text)));
    child.stderr.setEncoding('utf8').on('data', (text: string) => io.err(err.push(text)));
    const forward = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    };
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('error', (e) => {
      io.err(`cannot start ${argv[0]}: ${e.message}\n`);
      resolve(127);
    });
    child.on('close', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      io.out(out.end());
      io.err(err.end());
      resolve(code ?? 128 + signalNumber(signal));
    });
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return (signal && numbers[signal]) || 1;
}
