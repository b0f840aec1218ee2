/**
 * Process and disk faults: the trainer killed with SIGKILL, two runs at once
 * in one workspace, a full disk while the run folder is written, a corrupt
 * transcript line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { AgentSession } from '../../../src/core/agent/agentLoop';
import { startDetached } from '../../../src/core/exec/detached';
import { buildFailureObservation } from '../../../src/core/logs/observation';
import { Logger } from '../../../src/core/ports';
import { diagnose } from '../../../src/core/recovery/diagnose';
import { RunStore } from '../../../src/core/runs/runStore';
import { parseTranscript } from '../../../src/core/runs/transcript';
import { DEFAULT_SETTINGS } from '../../../src/core/settings';
import { FineTuneSession } from '../../../src/core/session/fineTuneSession';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { ScriptedLlm, ScriptedTurn } from '../agent/helpers';
import { FullDiskStore } from '../../support/fullDiskStore';
import { agentDeps, assertConsistentFolder, tempDir, waitFor } from './helpers';

const FAKE_PYTHON = path.resolve('test/fixtures/trainer/fake-python');

test('trainer killed with SIGKILL: exit 137 is reported, the log is diagnosed, the user is asked', { timeout: 60_000 }, async () => {
  const ws = tempDir('mli-kill-');
  cpSync('examples/medical-qa', ws, { recursive: true });
  const files = new NodeFileStore(ws);
  const events = new RecordingEventSink();
  const session = await FineTuneSession.create(
    { baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/medical_qa.jsonl', method: 'sft', adapter: 'lora', evalSplit: 0, columnMapping: { user: 'patient_query', assistant: 'doctor_response' }, datasetFormat: 'custom_qa' },
    {
      files,
      reviewer: new ScriptedReviewer(),
      events,
      runs: new RunStore(files),
      settings: () => DEFAULT_SETTINGS,
      python: FAKE_PYTHON,
      launch: (spec) => startDetached(spec, { pollMs: 50 }),
      approveCommand: async () => ({ approved: true }),
      // No OOM, a long run: it only ends because it is killed.
      processEnv: async () => ({ FAKE_OOM_ABOVE: '100000', FAKE_STEPS: '100000', FAKE_DELAY_MS: '20' }),
    },
  );
  const done = session.execute();
  await waitFor(() => events.ofType('progress').length > 0, 'training progress');
  const status = JSON.parse(readFileSync(path.join(ws, session.handle.folder, 'status.json'), 'utf8')) as { pid?: number };
  assert.ok(status.pid, 'the trainer pid is in status.json');
  process.kill(status.pid, 'SIGKILL');
  const outcome = await done;

  assert.deepEqual(events.ofType('process_exited').map((e) => e.code), [137]);
  assert.notEqual(outcome.kind, 'succeeded');
  const transcript = readFileSync(path.join(ws, session.handle.folder, 'transcript.jsonl'), 'utf8');
  assert.match(transcript, /exit code 137/);
  const summary = 'question' in outcome ? outcome.question : outcome.summary;
  assert.match(summary, /137|killed|SIGKILL/i, `the user learns the process was killed: ${summary}`);
  assertConsistentFolder(ws, session.handle.folder, false);

  // The log itself: the observation states the signal and keeps the last progress.
  const logs = readdirSync(path.join(ws, session.handle.folder, 'logs'));
  const log = readFileSync(path.join(ws, session.handle.folder, 'logs', logs.find((l) => l.endsWith('.log')) ?? 'train.log'), 'utf8');
  const obs = buildFailureObservation({ text: log, exitCode: 137 });
  assert.match(obs, /Exit code: 137 \(signal 9\)/);
  assert.match(obs, /Last progress: /);
  const d = diagnose(log);
  assert.ok(d.summary.length > 0);
  assert.notEqual(d.category, 'cuda_oom', 'a kill is not misread as a CUDA OOM');
});

test('two runs at once in one workspace: distinct folders, no interleaved transcript lines', async () => {
  const root = tempDir('mli-two-');
  const script = (tag: string): ScriptedTurn[] =>
    Array.from<unknown, ScriptedTurn>({ length: 6 }, (_, i) => ({ text: `${tag} step ${i}`, calls: [{ name: 'plan', args: { items: [{ text: `${tag} item ${i}`, status: 'in_progress' }] } }] })).concat([
      { text: '', calls: [{ name: 'finish', args: { summary: `${tag} done`, artefacts: [] } }] },
    ]);
  const a = agentDeps(new ScriptedLlm(script('ALPHA')), { root });
  // A second store over the same folder, as a second window or the CLI would have.
  const b = agentDeps(new ScriptedLlm(script('BRAVO')), { root, runs: new RunStore(new NodeFileStore(root)) });
  const fixedClock = { now: () => Date.UTC(2025, 0, 1, 12, 0, 0) };
  const [ra, rb] = await Promise.all([
    AgentSession.startRun({ ...a, clock: fixedClock }, { goal: 'Same goal' }),
    AgentSession.startRun({ ...b, clock: fixedClock }, { goal: 'Same goal' }),
  ]);
  assert.equal(ra.outcome.state, 'succeeded');
  assert.equal(rb.outcome.state, 'succeeded');
  assert.notEqual(ra.session.folder, rb.session.folder);
  for (const [r, mine, other] of [[ra, 'ALPHA', 'BRAVO'], [rb, 'BRAVO', 'ALPHA']] as const) {
    const s = assertConsistentFolder(root, r.session.folder);
    assert.match(s.transcriptText, new RegExp(mine));
    assert.doesNotMatch(s.transcriptText, new RegExp(other));
    assert.equal(s.status.state, 'succeeded');
  }
  assert.equal((await new RunStore(new NodeFileStore(root)).list()).length, 2);
});

test('full disk while the run folder is written: the run ends with a clear message, the folder stays readable', async () => {
  const store = new FullDiskStore(new NodeFileStore(tempDir('mli-enospc-')));
  const warnings: string[] = [];
  const logger: Logger = { info() {}, debug() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
  const llm = new ScriptedLlm([
    (req) => {
      // The disk fills up while the model is thinking.
      void req;
      store.armed = true;
      return { text: 'Listing.', calls: [{ name: 'list_files', args: {} }] };
    },
    { calls: [{ name: 'finish', args: { summary: 'done', artefacts: [] } }] },
  ]);
  const deps = agentDeps(llm, { logger });
  const { session, outcome } = await AgentSession.startRun({ ...deps, files: store as unknown as NodeFileStore, runs: new RunStore(store, { logger }) }, { goal: 'fill the disk' });
  assert.equal(outcome.state, 'failed');
  assert.match(outcome.message, /disk is full|no space left/i);
  assert.match(outcome.message, /free (some )?(disk )?space/i, `says what to do: ${outcome.message}`);
  assert.doesNotMatch(outcome.message, /\n\s+at /, 'no stack trace');
  assert.match(outcome.message, new RegExp(`could not write ${session.folder}/status\\.json\\. .*Then continue the run`), 'names the file, as the sessions do');
  assert.doesNotMatch(outcome.message, /ENOSPC: no space left on device/, 'not the raw error');
  // Whatever was written before the disk filled is whole.
  const s = assertConsistentFolder(store.root, session.folder);
  // The run's end is recorded all the same (over the old status's bytes), with the message the user saw.
  assert.equal(s.status.state, 'failed', 'status.json says how the run ended, not "running"');
  assert.equal(s.status.lastMessage, outcome.message);
});

test('NodeFileStore: a write that hits ENOSPC leaves the old file whole and no temp file behind', async () => {
  const root = tempDir('mli-tmpwrite-');
  const files = new NodeFileStore(root);
  await files.write('train.py', 'OLD CONTENT\n');
  const real = fs.promises.writeFile;
  fs.promises.writeFile = (async (file: fs.PathLike | fs.promises.FileHandle, data: unknown) => {
    // Half of the data reaches the disk, then the disk is full.
    await real(file, String(data).slice(0, 5));
    throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
  }) as typeof fs.promises.writeFile;
  try {
    await assert.rejects(files.write('train.py', 'NEW CONTENT THAT DOES NOT FIT\n'), /ENOSPC/);
  } finally {
    fs.promises.writeFile = real;
  }
  assert.equal(readFileSync(path.join(root, 'train.py'), 'utf8'), 'OLD CONTENT\n');
  assert.deepEqual(readdirSync(root), ['train.py']);
});

test('a corrupt line in a transcript is skipped with a warning; the run reopens and continues', async () => {
  const warnings: string[] = [];
  const logger: Logger = { info() {}, debug() {}, error() {}, warn: (m) => warnings.push(m) };
  const llm = new ScriptedLlm([{ text: 'Which model?' }]);
  const deps = agentDeps(llm, { logger });
  const { session } = await AgentSession.startRun(deps, { goal: 'Fine-tune something' });
  const file = path.join(deps.files.root, session.folder, 'transcript.jsonl');
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.splice(3, 0, '{"kind":"message","message":{"role":"user","con');
  writeFileSync(file, lines.join('\n') + '{"kind":"note","te');
  const parsed = parseTranscript(readFileSync(file, 'utf8'));
  assert.equal(parsed.warnings.length, 2);

  llm.push({ calls: [{ name: 'finish', args: { summary: 'ok', artefacts: [] } }] });
  const reopened = await AgentSession.reopen(deps, session.id);
  assert.equal(reopened.currentState, 'waiting');
  assert.equal(reopened.pendingQuestion, 'Which model?');
  assert.equal(warnings.filter((w) => /corrupt JSON/.test(w)).length, 2, warnings.join('\n'));
  const outcome = await reopened.continueRun('Qwen 0.5B');
  assert.equal(outcome.state, 'succeeded', outcome.message);
});
