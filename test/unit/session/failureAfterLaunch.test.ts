/**
 * A session that fails after it started a process (here: the disk fills up
 * right after the launch, so status.json and the transcript cannot be written)
 * keeps following that process instead of leaving it running unseen: its
 * metrics keep reaching the panel, Stop still ends it, and the message says
 * that it is still running, then how it ended. Real detached processes: the
 * fixture trainer for the fine-tune session, the fixture merge for Merge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { RunStore } from '../../../src/core/runs/runStore';
import { DEFAULT_SETTINGS } from '../../../src/core/settings';
import { FineTuneSession } from '../../../src/core/session/fineTuneSession';
import { ArtifactSession } from '../../../src/core/session/artifactSession';
import { DetachedRun, DetachedSpec, startDetached } from '../../../src/core/exec/detached';
import { pidAlive } from '../../../src/core/exec/procInfo';
import { FullDiskStore } from '../../support/fullDiskStore';
import { MEDICAL_QA_REQUEST } from '../../support/sampleRequest';

const request = MEDICAL_QA_REQUEST;

const DISK_FULL = /^The disk is full \(no space left on device\): ML Intern could not write \S+\/status\.json\. /;
const STILL_RUNNING = /Training \(attempt 1, pid (\d+)\) is still running: ML Intern keeps following it until it ends.*press Stop in the ML Intern panel or run "ML Intern: Stop Run"/;

function workspace(): string {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-after-launch-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  return ws;
}

/** A disk that fills up the moment the launcher reports the process: every later write of the session fails. */
function fullAfterLaunch(ws: string, pids: number[]) {
  const store = new FullDiskStore(new NodeFileStore(ws));
  const launch = async (spec: DetachedSpec) => {
    const run = await startDetached(spec);
    pids.push(run.pid);
    store.armed = true;
    return run;
  };
  return { store, launch };
}

/** A fine-tune session over the store that fills up after launch, every command approved. */
function fineTuneOver(store: FullDiskStore, launch: (spec: DetachedSpec) => Promise<DetachedRun>, events: RecordingEventSink, env: Record<string, string>): Promise<FineTuneSession> {
  return FineTuneSession.create(request, {
    files: store,
    runs: new RunStore(store),
    settings: () => DEFAULT_SETTINGS,
    python: resolve('test/fixtures/trainer/fake-python'),
    launch,
    reviewer: new ScriptedReviewer(),
    events,
    approveCommand: async () => ({ approved: true }),
    processEnv: async () => env,
  });
}

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A test that fails must not leave its training behind either; its launcher then writes the exit code, so the folder goes last. */
async function cleanUp(ws: string, pids: number[]): Promise<void> {
  for (const pid of pids) if (pidAlive(pid)) process.kill(-pid, 'SIGKILL');
  await until('the processes to end', () => pids.every((pid) => !pidAlive(pid)), 5_000).catch(() => undefined);
  rmSync(ws, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}

test('disk full right after training started: the session keeps following it to its end and says so', { timeout: 60_000 }, async () => {
  const ws = workspace();
  const pids: number[] = [];
  try {
    const { store, launch } = fullAfterLaunch(ws, pids);
    const events = new RecordingEventSink();
    const session = await fineTuneOver(store, launch, events, { FAKE_OOM_ABOVE: '100000', FAKE_STEPS: '30', FAKE_DELAY_MS: '60' });
    const outcome = await session.execute();

    assert.equal(pids.length, 1, 'one training process was started');
    assert.equal(store.refused[0], `${session.handle.folder}/status.json`, 'the first write after the launch failed');
    // While it ran, the panel said it was still running and how to stop it (a notice and the run's state).
    const notice = events.ofType('notice').find((e) => e.level === 'error');
    assert.match(notice?.message ?? '', DISK_FULL);
    assert.match(notice?.message ?? '', STILL_RUNNING);
    assert.equal(Number(STILL_RUNNING.exec(notice?.message ?? '')?.[1]), pids[0]);
    const noticeAt = events.events.indexOf(notice!);
    const running = events.events.slice(noticeAt).find((e) => e.type === 'run_state');
    assert.equal(running?.type === 'run_state' && running.state, 'running', 'Stop stays offered while it runs');
    // Its metrics kept reaching the panel after the failure, and its end was seen.
    const later = events.events.slice(noticeAt);
    assert.ok(later.filter((e) => e.type === 'metrics').length >= 5, 'loss points after the failure');
    assert.deepEqual(later.filter((e) => e.type === 'process_exited').map((e) => e.type === 'process_exited' && e.code), [0]);

    // Then the outcome: the session failed, the training it had started finished.
    assert.equal(outcome.kind, 'failed');
    assert.match(outcome.summary, DISK_FULL);
    assert.match(outcome.summary, new RegExp(`Training \\(attempt 1, pid ${pids[0]}\\) ran to its end \\(exit code 0\\)\\. Its log: ${session.handle.folder}/logs/train\\.log\\.$`));
    assert.equal(events.ofType('run_state').at(-1)?.state, 'failed');
    assert.equal(events.ofType('run_state').at(-1)?.message, outcome.summary);
    assert.equal(pidAlive(pids[0]), false, 'nothing is left running');
    assert.ok(existsSync(join(ws, session.handle.folder, 'logs', 'exit_code')));
  } finally {
    await cleanUp(ws, pids);
  }
});

test('Stop still ends a training run its failed session follows', { timeout: 60_000 }, async () => {
  const ws = workspace();
  const pids: number[] = [];
  try {
    const { store, launch } = fullAfterLaunch(ws, pids);
    const events = new RecordingEventSink();
    // Long enough that only Stop ends it within the test.
    const session = await fineTuneOver(store, launch, events, { FAKE_OOM_ABOVE: '100000', FAKE_STEPS: '3000', FAKE_DELAY_MS: '50' });
    const done = session.execute();
    await until('the still-running notice', () => events.ofType('notice').some((e) => STILL_RUNNING.test(e.message)));
    assert.equal(pidAlive(pids[0]), true, 'the training is still running while followed');
    await until('a loss point after the failure', () => events.ofType('metrics').length > 0);

    await session.stop();
    const outcome = await done;
    assert.equal(outcome.kind, 'stopped');
    assert.match(outcome.summary, DISK_FULL);
    assert.match(outcome.summary, new RegExp(`Training \\(attempt 1, pid ${pids[0]}\\) was stopped \\(exit code \\d+\\)\\.`));
    assert.equal(events.ofType('run_state').at(-1)?.state, 'stopped');
    assert.equal(pidAlive(pids[0]), false, 'Stop ended the training process');
  } finally {
    await cleanUp(ws, pids);
  }
});

test('disk full right after a Merge step started: the step is followed to its end and the message says how it ended', { timeout: 60_000 }, async () => {
  const ws = workspace();
  const pids: number[] = [];
  try {
    const adapter = 'sft-qwen/outputs/run1';
    mkdirSync(join(ws, adapter), { recursive: true });
    writeFileSync(join(ws, adapter, 'adapter_config.json'), JSON.stringify({ base_model_name_or_path: request.baseModel, peft_type: 'LORA' }));
    const { store, launch } = fullAfterLaunch(ws, pids);
    const events = new RecordingEventSink();
    const session = await ArtifactSession.create(
      { kind: 'merge-adapter', baseModel: request.baseModel, adapter, output: 'merged' },
      {
        files: store,
        runs: new RunStore(store),
        settings: () => DEFAULT_SETTINGS,
        python: resolve('test/fixtures/eval/fake-python'),
        launch,
        reviewer: new ScriptedReviewer(),
        events,
        approveCommand: async () => ({ approved: true }),
      },
    );
    const outcome = await session.execute();

    assert.equal(outcome.kind, 'failed');
    assert.match(outcome.summary, DISK_FULL);
    assert.match(outcome.summary, new RegExp(`Step 1 of 1 \\(Merge ${adapter} into .*, pid ${pids[0]}\\) ran to its end \\(exit code 0\\)\\.`));
    assert.deepEqual(events.ofType('process_exited').map((e) => e.code), [0]);
    assert.ok(events.ofType('process_output').some((e) => /Merged model written to/.test(e.text)), 'its output reached the panel');
    assert.ok(existsSync(join(ws, 'merged', 'config.json')), 'the merge finished');
    assert.equal(pidAlive(pids[0]), false);
  } finally {
    await cleanUp(ws, pids);
  }
});
