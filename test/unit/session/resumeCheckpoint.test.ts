/**
 * A training that dies part-way goes on from its last checkpoint instead of starting over: the
 * recipe's train.py (RESUME_FROM_CHECKPOINT = "auto") is rerun after the playbook's out-of-memory
 * fix and picks up from checkpoint-N; after a NaN loss the fix starts over instead (later
 * checkpoints may hold NaN weights). Real processes: the fixture trainer saves checkpoint folders
 * and resumes as the script does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { RunStore } from '../../../src/core/runs/runStore';
import { DEFAULT_SETTINGS } from '../../../src/core/settings';
import { FineTuneSession, scriptFolder } from '../../../src/core/session/fineTuneSession';
import { startDetached } from '../../../src/core/exec/detached';
import { readConfig } from '../../../src/core/recipes/configBlock';
import { MEDICAL_QA_REQUEST } from '../../support/sampleRequest';

const FAKE_PYTHON = resolve('test/fixtures/trainer/fake-python');

/** The fixture trainer's knobs for one test (they reach the run through the launcher's environment). */
async function withTrainer<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function runSession(failure: string) {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-resume-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  const files = new NodeFileStore(ws);
  const reviewer = new ScriptedReviewer();
  const events = new RecordingEventSink();
  // Checkpoints every 10 steps, the newest two kept, as the recipe's SAVE_STEPS/SAVE_TOTAL_LIMIT say.
  const request = { ...MEDICAL_QA_REQUEST, config: { SAVE_STEPS: 10, SAVE_TOTAL_LIMIT: 2 } };
  const session = await FineTuneSession.create(request, {
    files,
    runs: new RunStore(files),
    settings: () => DEFAULT_SETTINGS,
    python: FAKE_PYTHON,
    launch: (spec) => startDetached(spec),
    reviewer,
    events,
    approveCommand: async () => ({ approved: true }),
  });
  const outcome = await withTrainer(
    { FAKE_OOM_ABOVE: '64', FAKE_STEPS: '40', FAKE_DELAY_MS: '5', FAKE_TRAINER_ARGS: `${failure} --fail-once ${join(ws, 'failed-once')}` },
    () => session.execute(),
  );
  const folder = join(ws, session.handle.folder);
  const points = readFileSync(join(folder, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>).filter((p) => 'loss' in p);
  const lossSteps = (attempt: number) => points.filter((p) => (p.attempt ?? 1) === attempt).map((p) => p.step);
  return { ws, session, outcome, reviewer, folder, lossSteps, script: `${scriptFolder(request)}/train.py` };
}

test('out of memory at step 23: the fixed script goes on from checkpoint-20, not from step 1', { timeout: 120_000 }, async () => {
  const r = await runSession('--fail oom --fail-at 23');
  assert.equal(r.outcome.kind, 'succeeded', JSON.stringify(r.outcome));
  const recipe = readConfig(r.reviewer.seen[0].proposed);
  assert.equal(recipe.RESUME_FROM_CHECKPOINT, 'auto', 'the recipe resumes by default');
  const fix = r.reviewer.seen.filter((c) => c.path === r.script)[1];
  assert.equal(fix.origin, 'playbook');
  assert.equal(readConfig(fix.proposed).RESUME_FROM_CHECKPOINT, 'auto', 'an out-of-memory fix keeps going on from the checkpoint');
  const second = readFileSync(join(r.folder, 'logs', 'attempt-2.log'), 'utf8');
  assert.match(second, new RegExp(`Resuming from outputs/${r.session.runId}/checkpoint-20 \\(step 20 of 40; RESUME_FROM_CHECKPOINT = "auto"; None starts over\\)`));
  assert.deepEqual(r.lossSteps(1), [5, 10, 15, 20]);
  assert.deepEqual(r.lossSteps(2), [25, 30, 35, 40], 'the second attempt starts after step 20');
  const kept = readdirSync(join(r.ws, scriptFolder(MEDICAL_QA_REQUEST), 'outputs', r.session.runId)).filter((n) => n.startsWith('checkpoint-')).sort();
  assert.deepEqual(kept, ['checkpoint-30', 'checkpoint-40'], 'SAVE_TOTAL_LIMIT keeps the newest two');
});

test('a NaN loss: the stabilising fix starts over (RESUME_FROM_CHECKPOINT → None), since later checkpoints may hold NaN weights', { timeout: 120_000 }, async () => {
  const r = await runSession('--fail nan --fail-at 12');
  assert.equal(r.outcome.kind, 'succeeded', JSON.stringify(r.outcome));
  const fix = r.reviewer.seen.filter((c) => c.path === r.script)[1];
  assert.match(fix.description ?? '', /Loss became NaN: .*starting over \(RESUME_FROM_CHECKPOINT → None/);
  assert.equal(readConfig(fix.proposed).RESUME_FROM_CHECKPOINT, null);
  assert.ok(existsSync(join(r.folder, 'logs', 'attempt-2.log')));
  assert.doesNotMatch(readFileSync(join(r.folder, 'logs', 'attempt-2.log'), 'utf8'), /Resuming from/);
  assert.deepEqual(r.lossSteps(2).slice(0, 2), [5, 10], 'the second attempt starts at step 1');
});

