/**
 * Two hosts over one workspace (the VS Code extension and the `ml-intern` CLI)
 * create runs with the same title in the same second: each must get its own
 * run folder. Real child processes, so no in-process bookkeeping can help.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { RUNS_DIR } from '../../../src/core/runs/runStore';
import { MemoryFileStore } from '../../../src/core/testing/memoryPorts';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { runId } from '../../../src/core/runs/ids';
import { RunSpec, RunStatus } from '../../../src/core/runs/types';
import { tempWorkspace } from '../agent/helpers';

const MAIN = 'test/support/createRunsMain.ts';
const PROCESSES = 4;
const RUNS_EACH = 25;
const CLOCK = Date.UTC(2025, 0, 1, 12, 0, 0);

interface Child {
  tag: string;
  ready: Promise<void>;
  ids: Promise<string[]>;
  go(): void;
}

function startChild(root: string, tag: string): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, root, tag, String(RUNS_EACH), String(CLOCK)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) onReady();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const ids = new Promise<string[]>((resolve, reject) => {
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${tag} exited ${code}: ${err}`));
      resolve(JSON.parse(out.split('\n')[1]) as string[]);
    });
  });
  return { tag, ready, ids, go: () => child.stdin.end('go\n') };
}

test('runs created at once by several processes, same title and second, get distinct folders each with its own spec and status', { timeout: 120_000 }, async () => {
  const root = tempWorkspace('mli-xproc-');
  const children = Array.from({ length: PROCESSES }, (_, i) => startChild(root, `proc${i}`));
  // Start them together: tsx takes a while to load, and the race is in the creates.
  await Promise.all(children.map((c) => c.ready));
  for (const c of children) c.go();
  const results = await Promise.all(children.map(async (c) => ({ tag: c.tag, ids: await c.ids })));

  const all = results.flatMap((r) => r.ids);
  assert.equal(all.length, PROCESSES * RUNS_EACH);
  assert.equal(new Set(all).size, all.length, 'no two creates got the same id');
  const folders = readdirSync(path.join(root, RUNS_DIR));
  assert.equal(folders.length, all.length, 'one folder per create');
  // The first id keeps the usual naming; the others take numbered suffixes.
  const base = runId(CLOCK, 'Same title');
  assert.ok(all.includes(base), all.join(' '));
  for (const id of all) assert.match(id, new RegExp(`^${base}(-\\d+)?$`));
  for (const { tag, ids } of results) {
    ids.forEach((id, i) => {
      const folder = path.join(root, RUNS_DIR, id);
      const spec = JSON.parse(readFileSync(path.join(folder, 'spec.json'), 'utf8')) as RunSpec;
      const status = JSON.parse(readFileSync(path.join(folder, 'status.json'), 'utf8')) as RunStatus;
      assert.equal(spec.id, id);
      assert.equal(spec.goal, `${tag} run ${i}`, `${id} holds the spec of the process that got it`);
      assert.equal(status.state, 'starting');
      assert.equal(status.title, 'Same title');
      assert.equal(readFileSync(path.join(folder, 'transcript.jsonl'), 'utf8'), '');
    });
  }
});

test('createDir: of many concurrent calls for one folder exactly one gets true, in both file stores', async () => {
  for (const files of [new NodeFileStore(tempWorkspace('mli-mkdir-')), new MemoryFileStore()]) {
    const got = await Promise.all(Array.from({ length: 8 }, () => files.createDir(`${RUNS_DIR}/x`)));
    assert.equal(got.filter(Boolean).length, 1, files.constructor.name);
    assert.equal(await files.exists(`${RUNS_DIR}/x`), true);
    assert.deepEqual(await files.list(RUNS_DIR), [`${RUNS_DIR}/x/`]);
    await files.write(`${RUNS_DIR}/y/spec.json`, '{}');
    assert.equal(await files.createDir(`${RUNS_DIR}/y`), false, 'a folder that holds files exists');
  }
});
