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
import { EnvReport } from '../../../src/core/python/types';
import { readConfig } from '../../../src/core/recipes/configBlock';
import { scriptFolder } from '../../../src/core/session/fineTuneSession';
import { makeView, RUN } from '../webview/helpers';

const STUBS = ['tokenizer_fake', 'trl_new'].map((s) => resolve('test/fixtures/stubs', s)).join(delimiter);

async function session(ws: string, request: typeof MEDICAL_QA_REQUEST & { previewTokens?: boolean; smokeSteps?: number }, python = resolve('test/fixtures/trainer/fake-python'), more: { environment?: EnvReport; env?: Record<string, string> } = {}) {
  const files = new NodeFileStore(ws);
  const events = new RecordingEventSink();
  const reviewer = new ScriptedReviewer();
  const s = await FineTuneSession.create(request, {
    files, runs: new RunStore(files), settings: () => DEFAULT_SETTINGS, python, launch: (spec) => startDetached(spec),
    reviewer, events, ...(more.environment ? { environment: more.environment } : {}),
    processEnv: async () => ({ PYTHONPATH: STUBS, FAKE_OOM_ABOVE: '8', FAKE_STEPS: '12', FAKE_DELAY_MS: '5', ...(more.env ?? {}) }),
    approveCommand: async () => ({ approved: true }),
  });
  return { s, events, reviewer, outcome: await s.execute() };
}

/** The real H200 report with a 24 GiB card and the training stack the fixture trainer stands for: the recipe plans for 24 GiB. */
function card24GiB(): EnvReport {
  const real = JSON.parse(readFileSync('test/fixtures/real-gpu/env-report-h200.json', 'utf8')) as EnvReport;
  return { ...real, gpus: real.gpus.map((g) => ({ ...g, memoryTotalMiB: 24 * 1024, memoryFreeMiB: 24 * 1024 })), libraries: { ...real.libraries, trl: '1.0.0', datasets: '4.0.0' } };
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

test('the preview\'s measured rows replace MAX_LENGTH in the batch plan: offered as a reviewed diff, and the full run trains with it', { timeout: 120_000 }, async () => {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-preview-session-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  try {
    // Qwen2.5-0.5B (ChatML: the stub tokenizer renders it) is in the planner's table, so a plan can be made.
    const { s, events, reviewer, outcome } = await session(ws, { ...MEDICAL_QA_REQUEST, previewTokens: true }, undefined, { environment: card24GiB(), env: { FAKE_OOM_ABOVE: '16' } });
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));
    const lengths = (events.ofType('preflight_result')[0]!.report as PreflightReport).lengths;
    assert.ok(lengths.longest > 0 && lengths.longest < lengths.max_length!, `rows shorter than MAX_LENGTH: ${lengths.longest} of ${lengths.max_length}`);
    const script = `${scriptFolder(MEDICAL_QA_REQUEST)}/train.py`;
    const proposals = reviewer.seen.filter((c) => c.path === script);
    assert.equal(proposals.length, 2, proposals.map((p) => p.description).join('\n'));
    const before = readConfig(proposals[0].proposed);
    const after = readConfig(proposals[1].proposed);
    assert.match(proposals[1].description, new RegExp(`^Batch plan for the measured rows \\(PER_DEVICE_TRAIN_BATCH_SIZE = ${String(after.PER_DEVICE_TRAIN_BATCH_SIZE)}.*planned for rows of up to ${lengths.longest} tokens`));
    // Short rows: a bigger micro-batch than the recipe's MAX_LENGTH plan, the same effective batch.
    assert.ok((after.PER_DEVICE_TRAIN_BATCH_SIZE as number) > (before.PER_DEVICE_TRAIN_BATCH_SIZE as number), `${String(before.PER_DEVICE_TRAIN_BATCH_SIZE)} -> ${String(after.PER_DEVICE_TRAIN_BATCH_SIZE)}`);
    const effective = (c: typeof before) => (c.PER_DEVICE_TRAIN_BATCH_SIZE as number) * (c.GRADIENT_ACCUMULATION_STEPS as number);
    assert.equal(effective(after), effective(before));
    // The full run trains the accepted plan: the fixture trainer reads the CONFIG block it was started with.
    const log = readFileSync(join(ws, s.handle.folder, 'logs', 'train.log'), 'utf8');
    assert.match(log, new RegExp(`Instantaneous batch size per device = ${String(after.PER_DEVICE_TRAIN_BATCH_SIZE)}\\b`));
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('with a smoke run, its fitted plan counts the preview\'s rows (no second diff for the lengths)', { timeout: 120_000 }, async () => {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-preview-session-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  try {
    const { events, reviewer, outcome } = await session(ws, { ...MEDICAL_QA_REQUEST, previewTokens: true, smokeSteps: 10 }, undefined, { environment: card24GiB(), env: { FAKE_TRAINER_ARGS: '--peak-gib 6' } });
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));
    const lengths = (events.ofType('preflight_result')[0]!.report as PreflightReport).lengths;
    const fitted = events.ofType('smoke_result')[0]!.report.fitted!;
    assert.ok(fitted.notes.some((n) => n.startsWith(`Rows: planned for rows of up to ${lengths.longest} tokens`)), fitted.notes.join('\n'));
    const descriptions = reviewer.seen.filter((c) => c.path.endsWith('/train.py')).map((c) => c.description);
    assert.ok(!descriptions.some((d) => /measured rows/.test(d)), descriptions.join('\n'));
    assert.ok(descriptions.some((d) => /fitted to the smoke run's measured peak \(6\.0 of 22\.1 GiB\)/.test(d)), descriptions.join('\n'));
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
