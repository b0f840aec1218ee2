/**
 * What this machine can sandbox with: bubblewrap (Linux), sandbox-exec (macOS), docker or podman.
 * A program on the PATH is not enough for bubblewrap: the kernel may forbid the namespaces it
 * needs (a container without user namespaces, AppArmor on Ubuntu 24.04), so it is tried once.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import * as path from 'node:path';
import { SandboxKind } from './types';

/** The full path of `program` on `pathVar` (the PATH), or undefined. */
export function findOnPath(program: string, pathVar: string | undefined): string | undefined {
  for (const dir of (pathVar ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next folder
    }
  }
  return undefined;
}

export interface Detected {
  kind: SandboxKind;
  /** The program's full path. */
  program: string;
}

/** Why a kind cannot start here, with what to install or change. */
export interface Unavailable {
  kind: SandboxKind;
  reason: string;
}

const probeCache = new Map<string, string | undefined>();

/** Undefined when `bwrap` can build a sandbox here, else why not (its own error). */
export function probeBubblewrap(program: string): string | undefined {
  if (probeCache.has(program)) return probeCache.get(program);
  // The same namespaces a real run uses: a read-only root, new pid and network namespaces.
  const r = spawnSync(program, ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', '--unshare-net', '--', 'true'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  const failure = r.error
    ? r.error.message
    : r.status === 0
      ? undefined
      : (r.stderr || `exit code ${r.status}`).trim();
  probeCache.set(program, failure);
  return failure;
}

/** The first kind of `order` that can start here, or why each cannot. */
export function detectSandbox(order: SandboxKind[], env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): Detected | Unavailable[] {
  const why: Unavailable[] = [];
  for (const kind of order) {
    const found = detectOne(kind, env, platform);
    if ('program' in found) return found;
    why.push(found);
  }
  return why;
}

function detectOne(kind: SandboxKind, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Detected | Unavailable {
  if (kind === 'bubblewrap') {
    if (platform !== 'linux') return { kind, reason: 'bubblewrap runs on Linux only (on macOS choose seatbelt)' };
    const program = findOnPath('bwrap', env.PATH);
    if (!program) return { kind, reason: 'bubblewrap is not installed: install it with `sudo apt-get install bubblewrap` (Fedora: `sudo dnf install bubblewrap`)' };
    const failure = probeBubblewrap(program);
    if (failure) {
      return {
        kind,
        reason: `bubblewrap cannot create namespaces here (${failure}); allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or an AppArmor profile for bwrap on Ubuntu 24.04), or choose container`,
      };
    }
    return { kind, program };
  }
  if (kind === 'seatbelt') {
    if (platform !== 'darwin') return { kind, reason: 'seatbelt (sandbox-exec) exists on macOS only (on Linux choose bubblewrap)' };
    const program = findOnPath('sandbox-exec', env.PATH) ?? '/usr/bin/sandbox-exec';
    try {
      accessSync(program, constants.X_OK);
    } catch {
      return { kind, reason: 'sandbox-exec was not found (it ships with macOS in /usr/bin)' };
    }
    return { kind, program };
  }
  const program = findOnPath('docker', env.PATH) ?? findOnPath('podman', env.PATH);
  if (!program) return { kind, reason: 'neither docker nor podman is installed: install one (e.g. `sudo apt-get install podman`)' };
  return { kind, program };
}
