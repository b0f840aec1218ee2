/**
 * Evaluate survives a window reload: the extension host (a stand-in process) is SIGKILLed while
 * LightEval runs; the step goes on (it is detached), and the reopened run follows it — or reads it
 * to its end when it ended meanwhile — then runs the steps after it and ends with the
 * base-vs-trained table, as if nothing happened.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { attachDetached, recordedArgv, startDetached } from '../../../src/core/exec/detached';
import { RunStore } from '../../../src/core/runs/runStore';
import { LockBusyError } from '../../../src/core/runs/ownerLock';
import { ArtifactSession, parseComparison } from '../../../src/core/session/artifactSession';
import { DEFAULT_SETTINGS } from '../../../src/core/settings';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { waitFor } from '../exec/helpers';
import { artifactWorkspace } from './artifactWorkspace';

const HOST = path.join(__dirname, 'fixtures', 'artifactHost.ts');

/** Start the evaluation in a stand-in host, wait until its base-model LightEval step runs, kill the host. */
async function killHostDuringStep2(ws: string, whileAlive?: (ids: { runId: string; folder: string }, hostPid: number) => Promise<void>): Promise<{ runId: string; folder: string }> {
  const host = spawn(process.execPath, ['--import', 'tsx', HOST, ws], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FAKE_LIGHTEVAL_SECONDS: '1.5' } });
  let out = '';
  host.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise((r) => host.once('exit', r));
  await waitFor(() => out.includes('\n'), 'the host to start the run', 30_000);
  const ids = JSON.parse(out.split('\n')[0]) as { runId: string; folder: string };
  const status = () => JSON.parse(readFileSync(path.join(ws, ids.folder, 'status.json'), 'utf8')) as { step?: number; pid?: number };
  const launched = () => (recordedArgv(path.join(ws, ids.folder)) ?? []).join(' ');
  await waitFor(() => status().step === 2 && typeof status().pid === 'number' && /lighteval accelerate .*results\/base/.test(launched()), 'the first LightEval run to start', 30_000);
  await whileAlive?.(ids, host.pid as number);
  host.kill('SIGKILL');
  await exited;
  return ids;
}

function reopened(ws: string) {
  const files = new NodeFileStore(ws);
  const events = new RecordingEventSink();
  const shown: string[] = [];
  const launched: string[][] = [];
  return {
    events,
    shown,
    launched,
    open: async (runId: string) =>
      ArtifactSession.reopen(await new RunStore(files).open(runId), {
        files,
        reviewer: new ScriptedReviewer(),
        events,
        runs: new RunStore(files),
        settings: () => DEFAULT_SETTINGS,
        python: path.resolve('test/fixtures/eval/fake-python'),
        launch: (spec) => {
          launched.push(spec.argv);
          return startDetached(spec, { pollMs: 50 });
        },
        // Nothing may be asked again: every step was approved before the first one started.
        approveCommand: async () => {
          throw new Error('asked again after the reload');
        },
        showRun: (_run, name) => shown.push(name),
      }),
  };
}

test('a reload while LightEval runs: the reopened run follows it, runs the steps after it, and ends with the table', { timeout: 120_000 }, async () => {
  const ws = artifactWorkspace('ml-intern-artifact-reload-');
  try {
    const { runId, folder } = await killHostDuringStep2(ws, async (ids, hostPid) => {
      // Another window opened meanwhile: the run is its host's, not picked up a second time.
      await assert.rejects(reopened(ws).open(ids.runId), (err: Error) => err instanceof LockBusyError && err.message.includes(`pid ${hostPid}`), 'a live host keeps its run');
    });
    const live = await attachDetached(path.join(ws, folder));
    assert.ok(live && 'detached' in live, 'the step outlives the host');
    (live as { dispose(): void }).dispose();
    const r = reopened(ws);
    const outcome = await (await r.open(runId)).resume();
    assert.equal(outcome?.kind, 'succeeded', JSON.stringify(outcome));
    assert.deepEqual(r.shown, ['lighteval accelerate (re-attached)'], 'a terminal follows the re-attached step');
    assert.deepEqual(r.launched.map((a) => path.basename(a[0]) + ' ' + a.slice(1, 2).join(' ')), ['lighteval accelerate', 'fake-python compare_results.py'], 'only the steps after it are started');
    const rows = parseComparison(readFileSync(path.join(ws, 'ml-intern/eval-run1', 'results', 'comparison.json'), 'utf8'));
    assert.deepEqual(rows.map((x) => x.task), ['gsm8k (lighteval, 5-shot, em)', 'hellaswag (lighteval, 0-shot, acc)']);
    assert.equal(r.events.ofType('eval_results').length, 1);
    assert.match(readFileSync(path.join(ws, folder, 'logs', 'step-2.log'), 'utf8'), /\|lighteval\|gsm8k\|5/, 'the re-attached step\'s whole output is kept');
    assert.equal(JSON.parse(readFileSync(path.join(ws, folder, 'status.json'), 'utf8')).state, 'succeeded');
    assert.equal(existsSync(path.join(ws, folder, 'owner.lock')), false, 'the lock goes with the run\'s end');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a step that ended while the window was closed is read to its end, and the run goes on', { timeout: 120_000 }, async () => {
  const ws = artifactWorkspace('ml-intern-artifact-reload-');
  try {
    const { runId, folder } = await killHostDuringStep2(ws);
    await waitFor(() => existsSync(path.join(ws, folder, 'logs', 'exit_code')), 'the step to end with nobody watching', 30_000);
    const r = reopened(ws);
    const outcome = await (await r.open(runId)).resume();
    assert.equal(outcome?.kind, 'succeeded', JSON.stringify(outcome));
    assert.deepEqual(r.shown, [], 'nothing to show: it ended');
    assert.equal(r.launched.length, 2, 'steps 3 and 4');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a run folder with no step to pick up is left alone', async () => {
  const ws = artifactWorkspace('ml-intern-artifact-reload-');
  try {
    const files = new NodeFileStore(ws);
    const handle = await new RunStore(files).create({ goal: 'evaluate', kind: 'eval', request: { kind: 'eval', model: 'x', tasks: ['gsm8k'] } });
    const r = reopened(ws);
    assert.equal(await (await r.open(handle.id)).resume(), undefined);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a window gone between "step 3 is next" and its start: the step is started after the reload, not mistaken for step 2', { timeout: 120_000 }, async () => {
  const ws = artifactWorkspace('ml-intern-artifact-reload-');
  try {
    const { runId, folder } = await killHostDuringStep2(ws);
    await waitFor(() => existsSync(path.join(ws, folder, 'logs', 'exit_code')), 'step 2 to end', 30_000);
    // What runStep records before it starts step 3; the host died right after.
    const statusFile = path.join(ws, folder, 'status.json');
    writeFileSync(statusFile, JSON.stringify({ ...JSON.parse(readFileSync(statusFile, 'utf8')), step: 3, pid: undefined }));
    const r = reopened(ws);
    const outcome = await (await r.open(runId)).resume();
    assert.equal(outcome?.kind, 'succeeded', JSON.stringify(outcome));
    assert.deepEqual(r.launched.map((a) => a.slice(1, 2).concat(a.filter((x) => x.startsWith('results/'))).join(' ')), ['accelerate results/trained', 'compare_results.py'], 'step 3 started, then step 4');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
