/**
 * The sandbox-exec argv for a policy (macOS). The profile denies writes everywhere but the
 * writable folders and the temp dirs, denies reading the home's secrets, and the network when off.
 * Seatbelt has no process or memory limits; those come from the limits wrapper (ulimit).
 */
import { SandboxPolicy } from './types';

/** A Scheme string literal for the profile. */
function quoted(p: string): string {
  return `"${p.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function seatbeltProfile(policy: SandboxPolicy): string {
  const lines = ['(version 1)', '(allow default)', '(deny file-write*)'];
  const writable = [...policy.writable, '/private/tmp', '/private/var/folders', '/dev'];
  lines.push(`(allow file-write* ${writable.map((p) => `(subpath ${quoted(p)})`).join(' ')})`);
  if (policy.hidden.length) lines.push(`(deny file-read* file-write* ${policy.hidden.map((p) => `(subpath ${quoted(p)})`).join(' ')})`);
  if (policy.network === 'off') lines.push('(deny network*)', '(allow network* (remote unix-socket))');
  return lines.join('\n');
}

export function seatbeltArgv(program: string, policy: SandboxPolicy, argv: string[]): string[] {
  return [program, '-p', seatbeltProfile(policy), ...argv];
}
