// Shared set-up for the real-bubblewrap tests: a workspace and a fake HOME outside /tmp (the
// sandbox gives every command a private /tmp, so anything planted under /tmp would be hidden
// for that reason alone and a test of the policy could not fail).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepareSandbox } from '../../../src/core/sandbox/prepare';
import type { SandboxLimits, SandboxNetwork, SandboxPlan } from '../../../src/core/sandbox/types';

export const REPO = path.resolve(__dirname, '..', '..', '..');

/** Undefined when bwrap can create namespaces here; else why not (then the tests skip, saying so). */
export function namespacesForbidden(): string | undefined {
  const r = spawnSync('bwrap', ['--ro-bind', '/', '/', 'true'], { encoding: 'utf8' });
  if (r.error) return undefined; // not installed: the tests must fail, naming the package, not skip
  return r.status === 0 ? undefined : `the kernel forbids bubblewrap's namespaces here: ${r.stderr.trim()}`;
}

export interface Box {
  root: string;
  workspace: string;
  home: string;
  outside: string;
  canary: string;
  env: NodeJS.ProcessEnv;
}

// /var/tmp is not cleaned at boot as /tmp is: every box goes when the test file's process ends.
const boxes: string[] = [];
process.on('exit', () => {
  for (const root of boxes) rmSync(root, { recursive: true, force: true });
});

/** A fresh workspace, a fake HOME with a planted ~/.ssh key and HF token, and a folder outside both. */
export function makeBox(): Box {
  const base = existsSync('/var/tmp') ? '/var/tmp' : os.homedir();
  const root = mkdtempSync(path.join(base, 'ml-intern-sandbox-'));
  boxes.push(root);
  const workspace = path.join(root, 'workspace');
  const home = path.join(root, 'home');
  const outside = path.join(root, 'outside');
  for (const d of [workspace, path.join(home, '.ssh'), path.join(home, '.cache', 'huggingface'), outside]) mkdirSync(d, { recursive: true });
  const canary = 'CANARY-7f3a9c';
  writeFileSync(path.join(home, '.ssh', 'id_ed25519'), `${canary}\n`);
  writeFileSync(path.join(home, '.cache', 'huggingface', 'token'), `${canary}-hf\n`);
  writeFileSync(path.join(outside, 'notes.txt'), 'outside\n');
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.HF_HOME;
  delete env.XDG_CACHE_HOME;
  return { root, workspace, home, outside, canary, env };
}

export function plan(box: Box, network: SandboxNetwork = 'off', limits?: Partial<SandboxLimits>): SandboxPlan {
  const prepared = prepareSandbox({ settings: { mode: 'bubblewrap', network, image: '' }, workspace: box.workspace, env: box.env, limits });
  if (!prepared.ok) throw new Error(prepared.message);
  if (!prepared.plan) throw new Error('no plan for bubblewrap');
  return prepared.plan;
}

export interface Ran {
  code: number | null;
  output: string;
}

/** Run argv in the sandbox (asynchronously: a test's own server must keep answering meanwhile). */
export function runIn(p: SandboxPlan, box: Box, argv: string[], timeoutMs = 60_000): Promise<Ran> {
  const wrapped = p.wrap(argv, box.workspace);
  return new Promise((resolve, reject) => {
    const child = spawn(wrapped[0], wrapped.slice(1), { cwd: box.workspace, env: box.env });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running after ${timeoutMs} ms: ${output.slice(-500)}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** A PATH with every program of /usr/bin and /bin but bwrap (a node without bubblewrap). */
export function pathWithoutBwrap(): string {
  const dir = mkdtempSync(path.join(existsSync('/var/tmp') ? '/var/tmp' : '/tmp', 'ml-intern-nobwrap-'));
  for (const from of ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    if (!existsSync(from)) continue;
    for (const name of readdirSync(from)) {
      if (name === 'bwrap' || existsSync(path.join(dir, name))) continue;
      symlinkSync(path.join(from, name), path.join(dir, name));
    }
  }
  return dir;
}
