/**
 * Is this pid still the process we started? A pid alone can be recycled, so
 * a start-time token is compared: /proc/<pid>/stat's starttime on Linux,
 * `ps -o lstart=` elsewhere (the launcher records it the same way).
 * Zombies count as dead.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

function procStat(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

export function startToken(pid: number): string {
  const stat = procStat(pid);
  if (stat) return `linux:${stat[19]}`;
  if (process.platform === 'linux') return '';
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10000 }).trim();
    return out ? `ps:${out}` : '';
  } catch {
    return '';
  }
}

/** Alive, not a zombie. */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(pid);
  if (stat) return stat[0] !== 'Z' && stat[0] !== 'X';
  return true;
}

/** Alive AND the same process as when `token` was taken. */
export function sameProcess(pid: number, token: string | undefined): boolean {
  if (!pidAlive(pid)) return false;
  if (!token) return false;
  return startToken(pid) === token;
}

/** Linux only: the command line of a pid, for a second identity check. */
export function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}
