/**
 * How a recipe-mode run ends, as the user reads it: a declined fix ends the run (no
 * "waiting" state nobody can answer), and the success message names the output
 * folder of the script the user accepted, not the one proposed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, cpSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { RunStore } from '../../../src/core/runs/runStore';
import { DEFAULT_SETTINGS } from '../../../src/core/settings';
import { FineTuneSession, SessionDeps, scriptFolder } from '../../../src/core/session/fineTuneSession';
import { startDetached } from '../../../src/core/exec/detached';
import { readConfig } from '../../../src/core/recipes/configBlock';
import { EnvReport } from '../../../src/core/python/types';
import { MEDICAL_QA_REQUEST } from '../../support/sampleRequest';

const FAKE_PYTHON = resolve('test/fixtures/trainer/fake-python');
const request = MEDICAL_QA_REQUEST;

function workspace(): string {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-ends-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  return ws;
}

function deps(ws: string, overrides: Partial<SessionDeps> & Pick<SessionDeps, 'reviewer' | 'events'>): SessionDeps {
  const files = new NodeFileStore(ws);
  return { files, runs: new RunStore(files), settings: () => DEFAULT_SETTINGS, python: FAKE_PYTHON, launch: (spec) => startDetached(spec), ...overrides };
}

/** The real H200 environment report without trl: the session proposes installing it first. */
function envWithoutTrl(): EnvReport {
  const real = JSON.parse(readFileSync('test/fixtures/real-gpu/env-report-h200.json', 'utf8')) as EnvReport;
  return { ...real, libraries: { ...real.libraries, trl: null, datasets: '4.1.0' } } as EnvReport;
}

const statusOf = (ws: string, session: FineTuneSession) => JSON.parse(readFileSync(join(ws, session.handle.folder, 'status.json'), 'utf8')) as { state: string; lastMessage: string; question?: string };

test('declining the install and then the pip fix ends the run as stopped, saying what to do next', { timeout: 120_000 }, async () => {
  const ws = workspace();
  try {
    const events = new RecordingEventSink();
    const asked: string[][] = [];
    const session = await FineTuneSession.create(request, deps(ws, {
      reviewer: new ScriptedReviewer(),
      events,
      environment: envWithoutTrl(),
      // The training really fails for want of trl: this machine's python3 has no trl.
      launch: (spec) => startDetached({ ...spec, argv: ['python3', '-c', 'import trl'] }),
      // Training is approved; both installs (before the run and the playbook's fix) are declined.
      approveCommand: async (req) => {
        asked.push(req.argv);
        return { approved: !req.argv.includes('pip') };
      },
    }));
    const outcome = await session.execute();
    assert.equal(asked.filter((a) => a.includes('pip')).length, 2, `the install was proposed before the run and as the fix: ${JSON.stringify(asked)}`);
    assert.equal(outcome.kind, 'needs_user');
    const status = statusOf(ws, session);
    assert.equal(status.state, 'stopped', 'a run nobody can answer is not left "waiting"');
    assert.equal(status.question, undefined);
    assert.match(status.lastMessage, /pip install/);
    assert.match(status.lastMessage, /run "ML Intern: Fine-tune" again/);
    assert.equal(events.ofType('run_state').at(-1)?.state, 'stopped', 'the status bar and the panel hear that the run ended');
    assert.equal(events.ofType('ask_user').length, 0, 'the panel shows no question card ("answer in the box below") nobody waits on');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test("the success message names the accepted script's OUTPUT_DIR when the user changed it in the review", { timeout: 120_000 }, async () => {
  const ws = workspace();
  process.env.FAKE_OOM_ABOVE = '64';
  try {
    const events = new RecordingEventSink();
    const script = `${scriptFolder(request)}/train.py`;
    let proposedDir = '';
    const reviewer = new ScriptedReviewer([
      (change) => {
        proposedDir = String(readConfig(change.proposed).OUTPUT_DIR);
        // The user rejected the OUTPUT_DIR hunk: the file keeps another folder.
        const text = change.proposed.replace(/^OUTPUT_DIR = .*$/m, 'OUTPUT_DIR = "my-adapters/medical"');
        return { kind: 'accepted', text, userPatch: 'edited', auto: false };
      },
    ]);
    const session = await FineTuneSession.create(request, deps(ws, { reviewer, events, approveCommand: async () => ({ approved: true }) }));
    const outcome = await session.execute();
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));
    assert.equal(reviewer.seen[0].path, script);
    assert.notEqual(proposedDir, 'my-adapters/medical');
    assert.match(outcome.summary, new RegExp(`The model is in \`${scriptFolder(request)}/my-adapters/medical\``));
    assert.doesNotMatch(outcome.summary, new RegExp(proposedDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const said = events.ofType('assistant_message').map((e) => e.text).join('\n');
    assert.match(said, /my-adapters\/medical/);
  } finally {
    delete process.env.FAKE_OOM_ABOVE;
    rmSync(ws, { recursive: true, force: true });
  }
});
