/**
 * Process and memory limits, enforced by the kernel around the sandboxed command: a cgroup
 * (pids.max, memory.max) where this process may create one (root: v2 or v1), a systemd user
 * scope elsewhere on systemd machines, else `ulimit -u` (processes only: RLIMIT_AS would break
 * CUDA, which reserves far more address space than it uses). A small sh wrapper sets them up,
 * stops the whole command when the process limit is hit (a fork bomb does not die by itself) and
 * says in the output which limit stopped it.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { findOnPath } from './detect';
import { SandboxLimits } from './types';

export type LimitMechanism =
  | { kind: 'cgroup2'; base: string }
  | { kind: 'cgroup1'; pids: string; memory: string }
  | { kind: 'systemd'; program: string }
  | { kind: 'ulimit' }
  | { kind: 'none'; why: string };

const CGROUP = '/sys/fs/cgroup';

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

let cached: LimitMechanism | undefined;

/** How limits can be enforced for this process on this machine (decided once). */
export function limitMechanism(env: NodeJS.ProcessEnv): LimitMechanism {
  cached ??= findMechanism(env);
  return cached;
}

function findMechanism(env: NodeJS.ProcessEnv): LimitMechanism {
  if (process.platform === 'darwin') return { kind: 'ulimit' };
  if (process.platform !== 'linux') return { kind: 'none', why: `no process limits on ${process.platform}` };
  if (existsSync(path.join(CGROUP, 'cgroup.controllers')) && writable(CGROUP)) {
    const enabled = readFileSync(path.join(CGROUP, 'cgroup.subtree_control'), 'utf8');
    if (/\bpids\b/.test(enabled) && /\bmemory\b/.test(enabled)) return { kind: 'cgroup2', base: CGROUP };
  }
  const pids = path.join(CGROUP, 'pids');
  const memory = path.join(CGROUP, 'memory');
  if (writable(pids) && writable(memory) && existsSync(path.join(pids, 'cgroup.procs')) && existsSync(path.join(memory, 'cgroup.procs'))) {
    return { kind: 'cgroup1', pids, memory };
  }
  const systemdRun = findOnPath('systemd-run', env.PATH);
  if (systemdRun && process.getuid?.() !== 0) {
    const probe = spawnSync(systemdRun, ['--user', '--scope', '--quiet', '-p', 'TasksMax=64', '--', 'true'], { timeout: 10_000, env });
    if (probe.status === 0) return { kind: 'systemd', program: systemdRun };
  }
  if (process.getuid?.() === 0) return { kind: 'none', why: 'root without a writable cgroup: no process or memory limit can be enforced' };
  return { kind: 'ulimit' };
}

/** Processes this user has now (RLIMIT_NPROC counts them all, not only the command's). */
function userProcessCount(): number {
  const uid = process.getuid?.();
  let n = 0;
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (statSync(`/proc/${entry}`).uid === uid) n++;
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    return 0;
  }
  return n;
}

/** What the limits cannot do here, for the plan's warnings. */
export function limitWarnings(m: LimitMechanism, limits: SandboxLimits): string[] {
  if (m.kind === 'none') return [m.why];
  if (m.kind === 'ulimit' && limits.maxMemoryBytes > 0) return ['no memory limit here (it needs a cgroup: root, or systemd-run --user)'];
  return [];
}

/**
 * The wrapper's script. $1 mechanism, $2 max processes, $3 max memory bytes, $4 and $5 the
 * pids and memory cgroup folders (the same folder on cgroup v2; the systemd-run program), $6 the
 * command's cgroup name, then the command.
 */
const WRAPPER = String.raw`
mech=$1; procs=$2; mem=$3; pbase=$4; mbase=$5; name=$6; shift 6
say() { printf '\n[ml-intern sandbox] %s\n' "$1" >&2; }
count() { n=0; while read -r k v; do [ "$k" = "$2" ] && n=$v; done 2>/dev/null < "$1"; echo "$n"; }
case $mech in
  ulimit) [ "$procs" -gt 0 ] && ulimit -u "$procs"; exec "$@" ;;
  systemd)
    "$pbase" --user --scope --quiet -p "TasksMax=$procs" -p "MemoryMax=$mem" -p MemorySwapMax=0 -- "$@"; rc=$?
    [ $rc -eq 137 ] && say "stopped by SIGKILL: most likely the sandbox's memory limit ($mem bytes) was reached."
    exit $rc ;;
esac
if [ "$mech" = cgroup2 ]; then
  pcg=$pbase/$name; mcg=$pcg; mkdir "$pcg" || { say "cannot create a cgroup in $pbase"; exit 125; }
  [ "$mem" -gt 0 ] && { echo "$mem" > "$mcg/memory.max"; { echo 0 > "$mcg/memory.swap.max"; } 2>/dev/null; }
  pev=$pcg/pids.events; mev=$mcg/memory.events
else
  pcg=$pbase/$name; mcg=$mbase/$name; mkdir "$pcg" "$mcg" || { say "cannot create cgroups in $pbase and $mbase"; exit 125; }
  [ "$mem" -gt 0 ] && { echo "$mem" > "$mcg/memory.limit_in_bytes"; { echo "$mem" > "$mcg/memory.memsw.limit_in_bytes"; } 2>/dev/null; }
  pev=$pcg/pids.events; mev=$mcg/memory.oom_control
fi
[ "$procs" -gt 0 ] && echo "$procs" > "$pcg/pids.max"
# The command joins the cgroups itself before it starts; this watcher stays outside (it must fork).
# A background job's stdin would be /dev/null: the command keeps ours (code actions talk over it).
exec 3<&0
sh -c 'for g in "$1" "$2"; do echo $$ > "$g/cgroup.procs"; done; shift 2; exec "$@"' sh "$pcg" "$mcg" "$@" 0<&3 3<&- &
exec 3<&-
child=$!
# SIGINT to the process group reaches the command itself (a training may save on Ctrl+C); TERM sent to this shell alone is passed on.
trap ':' INT
trap 'kill -TERM $child 2>/dev/null' TERM HUP
bomb=0
while kill -0 $child 2>/dev/null; do
  if [ "$procs" -gt 0 ] && [ "$(count "$pev" max)" -gt 0 ]; then bomb=1; break; fi
  sleep 0.2
done
if [ $bomb = 1 ]; then
  # The sandbox's first process: its pid namespace (every process of the command) dies with it.
  kill -KILL $child 2>/dev/null
  { echo 1 > "$pcg/cgroup.kill"; } 2>/dev/null
  # cgroup v1 has no cgroup.kill: kill what is left until the cgroup is empty (cgroupfs sizes read 0).
  i=0
  while [ $i -lt 100 ]; do
    any=0
    while read -r p; do any=1; kill -KILL "$p" 2>/dev/null; done < "$pcg/cgroup.procs"
    [ $any = 0 ] && break
    i=$((i+1))
  done
fi
wait $child; rc=$?
while kill -0 $child 2>/dev/null; do wait $child; rc=$?; done
[ $bomb = 1 ] && { say "stopped: the command tried to run more than $procs processes at once (a fork bomb?), the sandbox's process limit."; rc=137; }
[ $bomb = 0 ] && [ "$(count "$mev" oom_kill)" -gt 0 ] && say "stopped: the command used more than the sandbox's memory limit ($((mem / 1048576)) MiB) and was killed."
# A cgroup cannot be removed while its last processes are still being reaped: try for a few seconds.
i=0
while [ -d "$pcg" ] || [ -d "$mcg" ]; do
  rmdir "$pcg" "$mcg" 2>/dev/null
  i=$((i+1)); [ $i -ge 20 ] && break
  sleep 0.25
done
exit $rc
`;

/** The argv that runs `argv` under `limits` (the sandbox program is the first item of argv). */
export function limitArgv(m: LimitMechanism, limits: SandboxLimits, argv: string[]): string[] {
  if (m.kind === 'none' || (limits.maxProcesses <= 0 && limits.maxMemoryBytes <= 0)) return argv;
  const mem = String(limits.maxMemoryBytes > 0 ? limits.maxMemoryBytes : 0);
  if (m.kind === 'ulimit') {
    // RLIMIT_NPROC counts every process of the user: the limit is on top of what runs now.
    const procs = limits.maxProcesses > 0 ? String(limits.maxProcesses + userProcessCount()) : '0';
    return ['/bin/sh', '-c', WRAPPER, 'ml-intern-limits', 'ulimit', procs, mem, '', '', '', ...argv];
  }
  const [pbase, mbase] = m.kind === 'cgroup2' ? [m.base, m.base] : m.kind === 'cgroup1' ? [m.pids, m.memory] : [m.program, ''];
  if (m.kind !== 'systemd') sweepLeftCgroups([...new Set([pbase, mbase])]);
  const systemdMem = m.kind === 'systemd' && limits.maxMemoryBytes <= 0 ? 'infinity' : mem;
  return ['/bin/sh', '-c', WRAPPER, 'ml-intern-limits', m.kind, String(Math.max(0, limits.maxProcesses)), systemdMem, pbase, mbase, cgroupName(), ...argv];
}

let commands = 0;

/**
 * A name no other command's cgroup has, now or left over: the wrapper's pid alone is not, since a
 * cgroup whose wrapper was killed stays behind and pids are reused (the next command with that pid
 * could not create its cgroup and failed). The caller's pid keeps a process's own cgroups findable.
 */
export function cgroupName(): string {
  return `ml-intern-${process.pid}-${++commands}-${Date.now().toString(36)}`;
}

const SWEEP_EVERY_MS = 10 * 60_000;
let lastSweep = 0;

/**
 * Remove the command cgroups left behind by wrappers that were killed (SIGKILL, a crash) before
 * they could remove theirs. Only empty ones can go (the kernel refuses rmdir while a process is
 * in one), and only older than `minAgeMs`: a wrapper moves its command into its new cgroup at once.
 */
export function sweepLeftCgroups(bases: string[], opts: { minAgeMs?: number; now?: number; force?: boolean } = {}): string[] {
  const now = opts.now ?? Date.now();
  if (!opts.force && now - lastSweep < SWEEP_EVERY_MS) return [];
  lastSweep = now;
  const removed: string[] = [];
  for (const base of bases) {
    let names: string[];
    try {
      names = readdirSync(base).filter((n) => n.startsWith('ml-intern-'));
    } catch {
      continue;
    }
    for (const n of names) {
      const dir = path.join(base, n);
      try {
        if (now - statSync(dir).mtimeMs < (opts.minAgeMs ?? 60_000)) continue;
        rmdirSync(dir);
        removed.push(dir);
      } catch {
        // in use, not ours to remove, or gone meanwhile
      }
    }
  }
  return removed;
}
