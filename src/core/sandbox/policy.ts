/**
 * The default policy: the workspace, the run folder, the Hugging Face cache and a private /tmp
 * writable; everything else read-only; the home folder's secrets hidden; limits on processes and
 * memory. Each part can be changed by the caller (settings, the CLI).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { SandboxLimits, SandboxNetwork, SandboxPolicy } from './types';

/**
 * Files and folders under the home that hold credentials. A Hugging Face token a step needs
 * reaches it as HF_TOKEN in its environment (from SecretStorage), never through these files.
 */
export const HOME_SECRETS = [
  '.ssh',
  '.aws',
  '.azure',
  '.gnupg',
  '.config/gh',
  '.config/gcloud',
  '.config/git/credentials',
  '.git-credentials',
  '.netrc',
  '.pypirc',
  '.docker/config.json',
  '.kube',
  '.huggingface/token',
  '.cache/huggingface/token',
  '.cache/huggingface/stored_tokens',
  '.npmrc',
];

/**
 * 16384 processes and threads (the kernel counts threads): DataLoader workers that each start a
 * thread per core on a 128-core machine still fit; a fork bomb does not.
 */
export const DEFAULT_LIMITS: SandboxLimits = { maxProcesses: 16384, maxMemoryBytes: 0 };

export interface PolicyInput {
  workspace: string;
  runDir?: string;
  env: NodeJS.ProcessEnv;
  network: SandboxNetwork;
  limits?: Partial<SandboxLimits>;
  /** More folders the command may write (besides the defaults). */
  extraWritable?: string[];
}

/** The Hugging Face cache the libraries use: HF_HUB_CACHE, HF_HOME or ~/.cache/huggingface. */
export function huggingFaceCache(env: NodeJS.ProcessEnv, home: string): string {
  if (env.HF_HOME) return path.resolve(env.HF_HOME);
  const xdg = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(home, '.cache');
  return path.join(xdg, 'huggingface');
}

export function defaultPolicy(input: PolicyInput): SandboxPolicy {
  const home = path.resolve(input.env.HOME || os.homedir());
  const hfHome = huggingFaceCache(input.env, home);
  const writable = [input.workspace, ...(input.runDir ? [input.runDir] : []), hfHome];
  if (input.env.HF_HUB_CACHE) writable.push(path.resolve(input.env.HF_HUB_CACHE));
  writable.push(...(input.extraWritable ?? []));
  const hidden = HOME_SECRETS.map((rel) => path.join(home, rel));
  // The token inside a custom HF_HOME is a secret too.
  hidden.push(path.join(hfHome, 'token'), path.join(hfHome, 'stored_tokens'));
  // Memory: a default share of the machine when not given (three quarters: the desktop keeps the rest).
  const maxMemoryBytes = input.limits?.maxMemoryBytes ?? Math.floor(os.totalmem() * 0.75);
  return {
    writable: unique(writable.map((p) => path.resolve(p))),
    hidden: unique(hidden),
    network: input.network,
    limits: { maxProcesses: input.limits?.maxProcesses ?? DEFAULT_LIMITS.maxProcesses, maxMemoryBytes },
    home,
  };
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
