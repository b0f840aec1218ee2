/**
 * The deterministic fine-tune path end to end, with real processes: recipe →
 * review → approval → detached run (the fixture trainer stands in for the GPU)
 * → CUDA OOM → playbook fix as a reviewed diff → second run succeeds. No LLM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { RunStore } from '../../../src/core/runs/runStore';
import { DEFAULT_SETTINGS } from '../../../src/core/settings';
import { FineTuneSession, SessionDeps, scriptFolder } from '../../../src/core/session/fineTuneSession';
import { startDetached } from '../../../src/core/exec/detached';
import { readConfig } from '../../../src/core/recipes/configBlock';
import { LlmProvider } from '../../../src/core/llm/types';
import { parseTranscript } from '../../../src/core/runs/transcript';
import { FullDiskStore, snapshotFiles } from '../../support/fullDiskStore';
import { EnvReport } from '../../../src/core/python/types';
import { MEDICAL_QA_REQUEST } from '../../support/sampleRequest';
import { runCli } from '../../../src/cli/main';

const FAKE_PYTHON = resolve('test/fixtures/trainer/fake-python');

function workspace(): string {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-session-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  return ws;
}

/** The session's ports over a real workspace folder; each test overrides what it watches. */
function deps(ws: string, overrides: Partial<SessionDeps> & Pick<SessionDeps, 'reviewer' | 'events'>): SessionDeps {
  const files = new NodeFileStore(ws);
  return {
    files,
    runs: new RunStore(files),
    settings: () => DEFAULT_SETTINGS,
    python: FAKE_PYTHON,
    launch: (spec) => startDetached(spec),
    ...overrides,
  };
}

const noLlm: LlmProvider = {
  id: 'fail',
  model: 'none',
  contextWindow: 1000,
  chat: async () => {
    throw new Error('the playbook path must not call the LLM');
  },
};

const request = MEDICAL_QA_REQUEST;

test('recipe → OOM → playbook diff → second run succeeds, with zero LLM calls', { timeout: 120_000 }, async () => {
  const ws = workspace();
  try {
    const reviewer = new ScriptedReviewer();
    const events = new RecordingEventSink();
    const approvals: string[][] = [];
    const session = await FineTuneSession.create(request, deps(ws, {
      reviewer,
      events,
      llm: noLlm,
      approveCommand: async (req) => {
        approvals.push(req.argv);
        return { approved: true };
      },
    }));
    const outcome = await session.execute();
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));

    // The saved model is offered for what comes next (the panel's model card), and kept in status.json for a reload.
    const ready = events.ofType('model_ready');
    assert.equal(ready.length, 1);
    assert.match(ready[0].folder, new RegExp(`^${scriptFolder(request)}/outputs/`));
    assert.equal(JSON.parse(readFileSync(join(ws, session.handle.folder, 'status.json'), 'utf8')).model, ready[0].folder);
    // What the fixture trainer saved there, as trainer.save_model does for LoRA: the adapter naming its base.
    assert.equal(JSON.parse(readFileSync(join(ws, ready[0].folder, 'adapter_config.json'), 'utf8')).base_model_name_or_path, request.baseModel);

    // The first proposal is the recipe's script; the second the playbook's OOM fix.
    const script = `${scriptFolder(request)}/train.py`;
    const proposals = reviewer.seen.filter((c) => c.path === script);
    assert.equal(proposals.length, 2);
    assert.equal(proposals[0].origin, 'recipe');
    assert.equal(proposals[1].origin, 'playbook');
    const before = readConfig(proposals[0].proposed);
    const after = readConfig(readFileSync(join(ws, script), 'utf8'));
    assert.equal(after.PER_DEVICE_TRAIN_BATCH_SIZE, (before.PER_DEVICE_TRAIN_BATCH_SIZE as number) / 2);
    assert.equal(after.GRADIENT_ACCUMULATION_STEPS, (before.GRADIENT_ACCUMULATION_STEPS as number) * 2);
    assert.match(proposals[0].proposed, /patient_query/);

    // The run was approved once, by the user's callback, with the chosen interpreter.
    assert.deepEqual(approvals[0], [FAKE_PYTHON, 'train.py']);
    const diagnoses = events.ofType('diagnosis');
    assert.equal(diagnoses.length, 1);
    assert.equal(diagnoses[0].category, 'cuda_oom');
    assert.ok(events.ofType('metrics').length > 0, 'loss points reached the UI');
    assert.equal(events.ofType('run_state').at(-1)?.state, 'succeeded');

    // The run folder holds everything.
    const folder = join(ws, session.handle.folder);
    for (const f of ['spec.json', 'status.json', 'transcript.jsonl', 'recovery.jsonl', 'logs/attempt-1.log', 'logs/attempt-2.log']) {
      assert.ok(existsSync(join(folder, f)), `${f} exists`);
    }
    assert.match(readFileSync(join(folder, 'logs/attempt-1.log'), 'utf8'), /OutOfMemoryError/);
    assert.ok(readFileSync(join(folder, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).length >= 3);
    assert.equal(JSON.parse(readFileSync(join(folder, 'status.json'), 'utf8')).state, 'succeeded');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a rejected training script stops the run and starts nothing', { timeout: 60_000 }, async () => {
  const ws = workspace();
  try {
    const events = new RecordingEventSink();
    let launched = 0;
    const session = await FineTuneSession.create(request, deps(ws, {
      reviewer: new ScriptedReviewer([{ kind: 'rejected', reason: 'use QLoRA instead' }]),
      events,
      launch: async (spec) => {
        launched++;
        return startDetached(spec);
      },
      approveCommand: async () => ({ approved: true }),
    }));
    const outcome = await session.execute();
    assert.equal(outcome.kind, 'rejected');
    assert.equal(launched, 0);
    assert.equal(existsSync(join(ws, scriptFolder(request), 'train.py')), false);
    assert.match(events.ofType('run_state').at(-1)?.message ?? '', /use QLoRA instead/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a request for a wrapped JSON file ({"data": [...]}) gets a script that loads its rows with field=', { timeout: 60_000 }, async () => {
  const ws = workspace();
  try {
    const wrapped = { ...request, dataset: 'data/train.json', jsonField: 'data' };
    const reviewer = new ScriptedReviewer([{ kind: 'rejected', reason: 'only looking' }]);
    const session = await FineTuneSession.create(wrapped, deps(ws, { reviewer, events: new RecordingEventSink() }));
    await session.execute();
    assert.match(reviewer.seen[0].proposed, /load_dataset\("json", data_files=DATASET, field="data", split="train"\)/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('training refused at the approval prompt is not started', { timeout: 60_000 }, async () => {
  const ws = workspace();
  try {
    let launched = 0;
    const session = await FineTuneSession.create(request, deps(ws, {
      reviewer: new ScriptedReviewer(),
      events: new RecordingEventSink(),
      launch: async (spec) => {
        launched++;
        return startDetached(spec);
      },
      approveCommand: async () => ({ approved: false, reason: 'not now' }),
    }));
    const outcome = await session.execute();
    assert.equal(outcome.kind, 'stopped');
    assert.equal(launched, 0);
    const transcript = readFileSync(join(ws, session.handle.folder, 'transcript.jsonl'), 'utf8');
    assert.match(transcript, /"decision":"refused"/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('with instructions and an LLM, the recipe script is adapted as a second reviewed change', { timeout: 60_000 }, async () => {
  const { startFakeLlmServer } = await import('../../support/fakeLlmServer');
  const { OpenAiProvider } = await import('../../../src/core/llm/openaiProvider');
  const server = await startFakeLlmServer();
  const ws = workspace();
  try {
    server.script([{ text: 'FIX: one epoch, as asked\n<<<<<<< SEARCH\nNUM_TRAIN_EPOCHS = 3\n=======\nNUM_TRAIN_EPOCHS = 1\n>>>>>>> REPLACE\n' }]);
    const reviewer = new ScriptedReviewer();
    const session = await FineTuneSession.create(
      { ...request, instructions: 'Train for a single epoch.' },
      deps(ws, {
        reviewer,
        events: new RecordingEventSink(),
              llm: new OpenAiProvider({ apiKey: 'test-key', model: 'fake-model', baseUrl: server.openaiBaseUrl }),
          // Stop before training: this test is about the script.
        approveCommand: async () => ({ approved: false, reason: 'not now' }),
      }),
    );
    await session.execute();
    const script = `${scriptFolder(request)}/train.py`;
    const changes = reviewer.seen.filter((c) => c.path === script);
    assert.deepEqual(changes.map((c) => c.origin), ['recipe', 'agent']);
    assert.match(changes[1].description, /one epoch, as asked/);
    assert.equal(readConfig(readFileSync(join(ws, script), 'utf8')).NUM_TRAIN_EPOCHS, 1);
    assert.equal(server.requests.length, 1);
    assert.match(JSON.stringify(server.requests[0].body), /Train for a single epoch/);
  } finally {
    await server.close();
    rmSync(ws, { recursive: true, force: true });
  }
});

test('without instructions the LLM is not called before the run', { timeout: 60_000 }, async () => {
  const { startFakeLlmServer } = await import('../../support/fakeLlmServer');
  const { OpenAiProvider } = await import('../../../src/core/llm/openaiProvider');
  const server = await startFakeLlmServer();
  const ws = workspace();
  try {
    const session = await FineTuneSession.create(request, deps(ws, {
      reviewer: new ScriptedReviewer(),
      events: new RecordingEventSink(),
      llm: new OpenAiProvider({ apiKey: 'test-key', model: 'fake-model', baseUrl: server.openaiBaseUrl }),
      approveCommand: async () => ({ approved: false }),
    }));
    await session.execute();
    assert.equal(server.requests.length, 0);
  } finally {
    await server.close();
    rmSync(ws, { recursive: true, force: true });
  }
});

/**
 * The disk fills up at the Nth write (or append) of a session that would succeed
 * in one attempt, and stays full. Each case is a different file the session was
 * writing: `named` is the file the message must name.
 */
const FULL_DISK_AT: { n: number; named: RegExp; resume?: boolean }[] = [
  { n: 6, named: /\/transcript\.jsonl$/ },
  { n: 9, named: new RegExp(`^${scriptFolder(request)}/train\\.py$`) },
  { n: 10, named: /\/scripts\/001-accepted-train\.py$/ },
  { n: 17, named: /\/status\.json$/, resume: true },
  // The first metrics point, while training: a warning; the session fails at its next transcript line.
  { n: 21, named: /\/transcript\.jsonl$/ },
];

for (const c of FULL_DISK_AT) {
  test(`disk full at write ${c.n}: the session fails with what was not written and what to do; earlier files are whole`, { timeout: 60_000 }, async () => {
    const ws = workspace();
    try {
      const store = new FullDiskStore(new NodeFileStore(ws), c.n);
      let before = new Map<string, string>();
      let runFolder = '';
      // What the disk held when it filled up; the training's own logs and outputs are not the session's writes.
      // (The owner lock is the session's until it ends, then released.)
      store.onFull = () => (before = snapshotFiles(ws, [runFolder, scriptFolder(request)], /\/(logs|outputs|owner\.lock)$/));
      const events = new RecordingEventSink();
      const session = await FineTuneSession.create(request, deps(ws, {
        files: store,
        runs: new RunStore(store),
        reviewer: new ScriptedReviewer(),
        events,
        approveCommand: async () => ({ approved: true }),
        processEnv: async () => ({ FAKE_OOM_ABOVE: '100000' }),
      }));
      runFolder = session.handle.folder;
      const outcome = await session.execute();

      assert.equal(outcome.kind, 'failed');
      const message = outcome.summary;
      const named = store.refused.find((p) => !p.endsWith('metrics.jsonl')) ?? '';
      assert.match(named, c.named, `refused: ${store.refused.join(', ')}`);
      assert.ok(message.startsWith(`The disk is full (no space left on device): ML Intern could not write ${named}. `), message);
      assert.match(message, /Free some disk space or move the workspace to a disk with room\./);
      assert.match(message, new RegExp(`Then run "ML Intern: Fine-tune" again with the same choices: the scripts you accepted in ${scriptFolder(request)}/ are kept`));
      assert.doesNotMatch(message, /ENOSPC: no space left on device, write|\n\s+at /, 'not the raw error, no stack');
      const last = events.ofType('run_state').at(-1);
      assert.equal(last?.state, 'failed');
      assert.equal(last?.message, message, 'the panel shows the same message');
      if (c.n === 21) {
        const notices = events.ofType('notice').filter((e) => e.level === 'warning');
        assert.equal(notices.length, 1, 'the metrics warning is given once');
        assert.match(notices[0].message, new RegExp(`^The disk is full \\(no space left on device\\): ML Intern could not write ${runFolder}/metrics\\.jsonl\\. .*points are missing from metrics\\.jsonl`));
      }

      // Nothing written before the disk filled up is lost or changed, and no temp file is left.
      assert.ok(before.size >= 4, [...before.keys()].join(', '));
      const after = snapshotFiles(ws, [runFolder, scriptFolder(request)], /\/(logs|outputs|owner\.lock)$/);
      assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
      // status.json alone changes: the run's end is recorded over its old bytes, so it does not stay "running".
      for (const [file, text] of before) if (!file.endsWith('/status.json')) assert.equal(after.get(file), text, `${file} is unchanged`);
      assert.equal(JSON.parse(after.get(`${runFolder}/spec.json`) ?? '').id, session.runId);
      const status = JSON.parse(after.get(`${runFolder}/status.json`) ?? '') as { state: string; lastMessage: string };
      assert.deepEqual([status.state, status.lastMessage], ['failed', message], 'status.json says how the run ended');
      assert.deepEqual(parseTranscript(after.get(`${runFolder}/transcript.jsonl`) ?? '').warnings, []);
      for (const line of (after.get(`${runFolder}/metrics.jsonl`) ?? '').split('\n').filter(Boolean)) JSON.parse(line);

      if (c.n === 21) {
        // With room again, picking the run up says why it ended, not that its launcher was killed.
        const o = { stdout: '', stderr: '', cwd: ws, env: { CI: '1' } as NodeJS.ProcessEnv, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
        assert.equal(await runCli(['fine-tune', '--attach', session.runId], o), 1, o.stderr);
        assert.equal(o.stdout.split('\n')[0], `Run ${session.runId} is failed: ${message}`);
        assert.doesNotMatch(o.stdout + o.stderr, /launcher was killed/);
      }

      if (c.resume) {
        // As the message says: with room again, the same choices reuse the accepted scripts.
        store.free();
        const reviewer = new ScriptedReviewer();
        const again = await FineTuneSession.create(request, deps(ws, { files: store, runs: new RunStore(store), reviewer, events: new RecordingEventSink(), approveCommand: async () => ({ approved: true }), processEnv: async () => ({ FAKE_OOM_ABOVE: '100000' }) }));
        assert.equal((await again.execute()).kind, 'succeeded');
        // train.py differs only in the new run's output folder; requirements.txt not at all.
        assert.deepEqual(reviewer.seen.map((ch) => ch.path), [`${scriptFolder(request)}/train.py`]);
        const [{ original, proposed }] = reviewer.seen;
        // Compared without the CONFIG block's column alignment, which a longer value shifts.
        const lines = (text: string) => text.split('\n').map((line) => line.replace(/\s+/g, ' '));
        const changed = lines(proposed).filter((line, i) => line !== lines(original ?? '')[i]);
        assert.equal(changed.length, 1, changed.join('\n'));
        assert.match(changed[0], new RegExp(`outputs/${again.runId}`));
      }
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });
}

/** An environment report like the real H200 one (test/fixtures/real-gpu): no trl, no datasets. */
function envWithout(...missing: string[]): EnvReport {
  const real = JSON.parse(readFileSync('test/fixtures/real-gpu/env-report-h200.json', 'utf8')) as EnvReport;
  const libraries = { ...real.libraries, trl: '1.2.0', datasets: '4.1.0' } as Record<string, string | null>;
  for (const m of missing) libraries[m] = null;
  return { ...real, libraries } as EnvReport;
}

/** A session on a box whose report lacks `missing`, every command approved and recorded in `approvals`. */
function sessionOnBox(ws: string, approvals: string[][], ...missing: string[]): Promise<FineTuneSession> {
  return FineTuneSession.create(request, deps(ws, {
    reviewer: new ScriptedReviewer(),
    events: new RecordingEventSink(),
    llm: noLlm,
    environment: envWithout(...missing),
    approveCommand: async (req) => {
      approvals.push(req.argv);
      return { approved: true };
    },
  }));
}

test('packages the environment check found missing are installed with one approved pip command before the first run', { timeout: 120_000 }, async () => {
  const ws = workspace();
  const pipLog = join(ws, 'pip.log');
  process.env.FAKE_PIP_LOG = pipLog;
  try {
    const approvals: string[][] = [];
    const session = await sessionOnBox(ws, approvals, 'trl', 'datasets');
    process.env.FAKE_OOM_ABOVE = '64'; // no OOM: this test is about the install
    const outcome = await session.execute();
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));
    // First the install (trl with the bound the recipe wrote for the installed versions), then training.
    assert.equal(approvals.length, 2);
    assert.deepEqual(approvals[0].slice(0, 4), [FAKE_PYTHON, '-m', 'pip', 'install']);
    assert.deepEqual(approvals[0].slice(4).map((r) => r.replace(/[<>=].*/, '')), ['trl', 'datasets']);
    assert.deepEqual(approvals[1], [FAKE_PYTHON, 'train.py']);
    assert.equal(readFileSync(pipLog, 'utf8').trim(), `install ${approvals[0].slice(4).join(' ')}`);
  } finally {
    delete process.env.FAKE_PIP_LOG;
    delete process.env.FAKE_OOM_ABOVE;
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a failed install stops before training with what to do; nothing is installed when nothing is missing', { timeout: 120_000 }, async () => {
  const ws = workspace();
  const pipLog = join(ws, 'pip.log');
  process.env.FAKE_PIP_LOG = pipLog;
  process.env.FAKE_PIP_EXIT = '1';
  try {
    const approvals: string[][] = [];
    const session = await sessionOnBox(ws, approvals, 'datasets');
    const outcome = await session.execute();
    assert.equal(outcome.kind, 'failed');
    assert.match(outcome.summary, /Installing datasets into .*fake-python failed \(exit code 1/);
    assert.match(outcome.summary, /mlIntern\.pythonPath/);
    assert.equal(approvals.length, 1, 'training was not proposed after the failed install');
    assert.equal(existsSync(join(ws, scriptFolder(request), 'train.py')), true, 'the accepted script is kept');

    // Debian's own python3 (PEP 668) refuses: the message says to make a virtual environment.
    process.env.FAKE_PIP_STDERR = 'error: externally-managed-environment\n\n× This environment is externally managed\n╰─> To install Python packages system-wide, try apt install\n    python3-xyz, where xyz is the package you are trying to\n    install.';
    const ws3 = workspace();
    try {
      const managed = await sessionOnBox(ws3, [], 'datasets');
      const out = await managed.execute();
      assert.equal(out.kind, 'failed');
      assert.match(out.summary, /managed by the operating system: create a virtual environment \(.*fake-python -m venv \.venv\)/);
    } finally {
      delete process.env.FAKE_PIP_STDERR;
      rmSync(ws3, { recursive: true, force: true });
    }

    const ws2 = workspace();
    try {
      const approvals2: string[][] = [];
      process.env.FAKE_OOM_ABOVE = '64';
      const again = await sessionOnBox(ws2, approvals2);
      assert.equal((await again.execute()).kind, 'succeeded');
      assert.deepEqual(approvals2, [[FAKE_PYTHON, 'train.py']]);
    } finally {
      rmSync(ws2, { recursive: true, force: true });
    }
  } finally {
    delete process.env.FAKE_PIP_LOG;
    delete process.env.FAKE_PIP_EXIT;
    delete process.env.FAKE_PIP_STDERR;
    delete process.env.FAKE_OOM_ABOVE;
    rmSync(ws, { recursive: true, force: true });
  }
});
