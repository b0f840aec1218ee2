// A sandboxed command's cgroup is its own and goes with it: a wrapper killed before it could remove
// its cgroup once left it behind, named after the wrapper's pid, and the next command that got the
// same pid could not create its cgroup and failed ("cannot create cgroups"). Names are unique now,
// and what killed wrappers leave is swept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cgroupName, limitMechanism, sweepLeftCgroups } from '../../../src/core/sandbox/limits';
import { makeBox, namespacesForbidden, plan, runIn } from './helpers';

test('every command gets a cgroup name of its own, even from one process within one millisecond', () => {
  const names = Array.from({ length: 50 }, () => cgroupName());
  assert.equal(new Set(names).size, 50);
  assert.ok(names.every((n) => n.startsWith(`ml-intern-${process.pid}-`)));
});

test('the sweep removes only old, empty ml-intern cgroups', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'cgroup-sweep-'));
  try {
    const old = Date.now() / 1000 - 3600;
    const dir = (name: string, opts: { old?: boolean; busy?: boolean } = {}) => {
      const d = path.join(base, name);
      mkdirSync(d);
      // A plain folder with a file stands for a cgroup with a process in it: rmdir is refused.
      if (opts.busy) writeFileSync(path.join(d, 'cgroup.procs'), '123\n');
      if (opts.old) utimesSync(d, old, old);
      return d;
    };
    const left = dir('ml-intern-4242-1-abc', { old: true });
    dir('ml-intern-4243-1-abd'); // just created by a wrapper about to move its command in
    dir('ml-intern-4244-1-abe', { old: true, busy: true }); // a command still running
    dir('docker', { old: true }); // not ours
    const removed = sweepLeftCgroups([base], { force: true });
    assert.deepEqual(removed, [left]);
    assert.deepEqual(readdirSync(base).sort(), ['docker', 'ml-intern-4243-1-abd', 'ml-intern-4244-1-abe']);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

const mechanism = limitMechanism(process.env);
const cgroupBases = mechanism.kind === 'cgroup2' ? [mechanism.base] : mechanism.kind === 'cgroup1' ? [mechanism.pids, mechanism.memory] : [];
const skip = namespacesForbidden() ?? (cgroupBases.length ? undefined : `limits here are not cgroups (${mechanism.kind}${mechanism.kind === 'none' ? `: ${mechanism.why}` : ''})`);
const ours = () => cgroupBases.flatMap((b) => readdirSync(b).filter((n) => n.startsWith(`ml-intern-${process.pid}-`)).map((n) => path.join(b, n)));

test('a finished command leaves no cgroup; one whose wrapper was killed is swept, and the next command runs', { skip, timeout: 60_000 }, async () => {
  const box = makeBox();
  try {
    const p = plan(box, 'off', { maxProcesses: 64, maxMemoryBytes: 512 * 1024 * 1024 });
    const done = await runIn(p, box, ['sh', '-c', 'echo finished']);
    assert.match(done.output, /finished/);
    assert.deepEqual(ours(), [], 'the wrapper removed its cgroup');

    // The wrapper SIGKILLed (a crashed host, a kill -9): its command dies with it, its cgroup stays.
    const wrapped = p.wrap(['sh', '-c', 'echo started; sleep 30'], box.workspace);
    const child = spawn(wrapped[0], wrapped.slice(1), { cwd: box.workspace, env: box.env, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (b: Buffer) => b.toString().includes('started') && resolve()));
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const left = ours();
    assert.ok(left.length > 0, 'the killed wrapper left its cgroup');
    // Its processes go away within moments (bwrap dies with its parent): then the sweep removes it.
    for (let i = 0; i < 50 && ours().length; i++) {
      sweepLeftCgroups(cgroupBases, { force: true, minAgeMs: 0 });
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(ours(), [], 'swept');
    assert.ok(left.every((d) => !existsSync(d)));

    const next = await runIn(p, box, ['sh', '-c', 'echo next']);
    assert.equal(next.code, 0, next.output);
    assert.match(next.output, /next/);
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});
