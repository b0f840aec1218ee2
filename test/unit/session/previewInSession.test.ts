/**
 * "Preview tokens" and the smoke run chosen before the full run: after the script is accepted, the
 * session previews what it trains on (python/preflight.py with the stub tokenizer and trl, as
 * test/python/test_preflight.py does), shows it as a chat card, keeps preview.json, then runs the
 * smoke run (fixture trainer) and the full run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { FineTuneSession } from '../../../src/core/session/fineTuneSession';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { RunStore } from '../../../src/core/runs/runStore';
import { DEFAULT_SETTINGS } from '../../../src/core/settings';
import { startDetached } from '../../../src/core/exec/detached';
import { PreflightReport } from '../../../src/core/preflight/types';
import { MEDICAL_QA_REQUEST } from '../../support/sampleRequest';
import { makeView, RUN } from '../webview/helpers';

const STUBS = ['tokenizer_fake', 'trl_new'].map((s) => resolve('test/fixtures/stubs', s)).join(delimiter);

async function session(ws: string, request: typeof MEDICAL_QA_REQUEST & { previewTokens?: boolean; smokeSteps?: number }, python = resolve('test/fixtures/trainer/fake-python')) {
  const files = new NodeFileStore(ws);
  const events = new RecordingEventSink();
  const s = await FineTuneSession.create(request, {
    files, runs: new RunStore(files), settings: () => DEFAULT_SETTINGS, python, launch: (spec) => startDetached(spec),
    reviewer: new ScriptedReviewer(), events,
    processEnv: async () => ({ PYTHONPATH: STUBS, FAKE_OOM_ABOVE: '8', FAKE_STEPS: '12', FAKE_DELAY_MS: '5' }),
    approveCommand: async () => ({ approved: true }),
  });
  return { s, events, outcome: await s.execute() };
}

test('preview then smoke run then full run: the card shows the trained tokens, preview.json and smoke.json are kept', { timeout: 120_000 }, async () => {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-preview-session-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  try {
    const { s, events, outcome } = await session(ws, { ...MEDICAL_QA_REQUEST, baseModel: 'stub/chatml', previewTokens: true, smokeSteps: 10 });
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));
    const report = events.ofType('preflight_result')[0]?.report as PreflightReport | undefined;
    assert.ok(report, 'the preview reached the panel');
    const trained = report.rows[0].sequences[0].tokens.filter((t) => t.trained);
    assert.ok(trained.length > 0 && trained.length < report.rows[0].sequences[0].tokens.length, 'some tokens trained, the prompt masked');
    const folder = join(ws, s.handle.folder);
    assert.equal(JSON.parse(readFileSync(join(folder, 'preview.json'), 'utf8')).model, 'stub/chatml');
    assert.ok(existsSync(join(folder, 'smoke.json')));
    // The model is not in the planner's table: said, and no diff offered.
    const smoke = events.ofType('smoke_result')[0]!.report;
    assert.ok(smoke.warnings.some((w) => /not in the planner's model table/.test(w)), smoke.warnings.join('\n'));
    // Preview before the smoke run, smoke run before the full run.
    const order = events.events.map((e) => e.type).filter((t) => t === 'preflight_result' || t === 'smoke_result' || t === 'process_started');
    assert.deepEqual(order.slice(0, 3), ['preflight_result', 'process_started', 'smoke_result']);
    assert.equal(order.at(-1), 'process_started');

    // The chat card: trained tokens highlighted, masked ones dimmed, the text as text.
    const { root, apply } = makeView();
    apply({ type: 'preflight_result', runId: RUN, report });
    const card = root.querySelector('[data-testid="preview-card"]')!;
    const first = card.querySelector('[data-testid="preview-sequence"]')!;
    assert.equal(first.querySelectorAll('.tok.trained').length, trained.length);
    assert.equal(first.querySelectorAll('.tok').length, report.rows[0].sequences[0].tokens.length);
    assert.equal(card.querySelectorAll('[data-testid="preview-check-fail"]').length, report.checks.filter((c) => c.status === 'fail').length);
    assert.match(card.querySelector('[data-testid="preview-lengths"]')!.textContent ?? '', /mean \d+/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a preview that cannot run (no tokenizer for the model) is said, and the run goes on', { timeout: 120_000 }, async () => {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-preview-session-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  try {
    const { events, outcome } = await session(ws, { ...MEDICAL_QA_REQUEST, baseModel: 'stub/unknown', previewTokens: true });
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));
    assert.equal(events.ofType('preflight_result').length, 0);
    const said = events.ofType('assistant_message').map((e) => e.text).join('\n');
    assert.match(said, /No token preview: .*stub\/unknown/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
