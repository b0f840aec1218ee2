/**
 * The bwrap argv for a policy (Linux). Mount order matters: the root read-only first, then the
 * writable folders over it, then the secrets hidden over both (a token inside the writable
 * Hugging Face cache stays hidden).
 */
import { SandboxPolicy } from './types';

/** A path to hide and what is there now (a folder gets an empty tmpfs, a file /dev/null). */
export interface HiddenEntry {
  path: string;
  type: 'dir' | 'file';
}

export interface BubblewrapInput {
  program: string;
  policy: SandboxPolicy;
  /** The writable folders that exist (bwrap cannot mount onto a missing path under a read-only root). */
  writable: string[];
  hidden: HiddenEntry[];
  /** GPU device nodes present on this machine (/dev/nvidia0, /dev/nvidiactl, /dev/dri …). */
  devices: string[];
  cwd: string;
  /** The environment the command inherits (a cache folder the user chose is kept). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Caches GPU libraries write under the read-only home by default (Triton's kernels, CUDA's JIT
 * cache): sent to the private /tmp, so a torch.compile or Triton kernel works inside instead of
 * failing on a read-only folder, and nothing persists outside.
 */
const PRIVATE_CACHES: Record<string, string> = { TRITON_CACHE_DIR: '/tmp/triton-cache', CUDA_CACHE_PATH: '/tmp/cuda-cache' };

export function bubblewrapArgv(input: BubblewrapInput, argv: string[]): string[] {
  const args = [
    input.program,
    '--ro-bind', '/', '/',
    // A fresh /dev (null, zero, random, tty, shm) plus the GPU nodes; not the host's disks.
    '--dev', '/dev',
    '--proc', '/proc',
    '--tmpfs', '/tmp',
    '--tmpfs', '/dev/shm',
  ];
  for (const dev of input.devices) args.push('--dev-bind', dev, dev);
  for (const dir of input.writable) args.push('--bind', dir, dir);
  for (const h of input.hidden) {
    if (h.type === 'dir') args.push('--tmpfs', h.path);
    else args.push('--ro-bind', '/dev/null', h.path);
  }
  args.push(
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(input.policy.network === 'off' ? ['--unshare-net'] : []),
    // Root keeps no capability inside (else it could remount / read-write); others have none anyway.
    '--cap-drop', 'ALL',
    // Nothing outlives the run. No --new-session: the stop sequence's SIGINT to the process group
    // must reach the command (a training may save on Ctrl+C); the hosts start commands without a
    // controlling terminal a shell reads (node-pty's own, a detached launcher, exec's own session).
    '--die-with-parent',
    '--setenv', 'TMPDIR', '/tmp',
    ...Object.entries(PRIVATE_CACHES).flatMap(([name, dir]) => (input.env?.[name] ? [] : ['--setenv', name, dir])),
    '--chdir', input.cwd,
    '--',
    ...argv,
  );
  return args;
}
