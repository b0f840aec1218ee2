/**
 * The smoke run: N real steps of the accepted train.py (the fixture trainer stands in for the GPU),
 * measured from what it prints, turned into the full run's ETA and a batch plan fitted to the
 * measured peak; in a session, a failing smoke run is diagnosed and repaired like any run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderRecipe } from '../../../src/core/recipes';
import { readConfig } from '../../../src/core/recipes/configBlock';
import { ConfigOverrideError } from '../../../src/core/recipes/configOverrides';
import { fitPlan, formatSmokeReport, measureSmoke, smokeReport, smokeScript, SmokeReport } from '../../../src/core/session/smokeRun';
import { FineTuneSession, scriptFolder } from '../../../src/core/session/fineTuneSession';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { RunStore } from '../../../src/core/runs/runStore';
import { DEFAULT_SETTINGS } from '../../../src/core/settings';
import { startDetached } from '../../../src/core/exec/detached';
import { MEDICAL_QA_REQUEST } from '../../support/sampleRequest';

const FAKE_PYTHON = resolve('test/fixtures/trainer/fake-python');

function recipeScript(): string {
  const { files } = renderRecipe({ ...MEDICAL_QA_REQUEST, outputDir: 'outputs/run' });
  const train = files.find((f) => f.path.endsWith('train.py'));
  assert.ok(train, 'the recipe writes train.py');
  return train.content;
}

/** The fixture trainer on a smoke copy of the recipe's script: its real printed output. */
function fixtureOutput(script: string, env: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-smoke-'));
  try {
    const path = join(dir, 'train.smoke.py');
    writeFileSync(path, script);
    // Run from the example's folder, as the session does: the script's DATASET is relative to it.
    return execFileSync(FAKE_PYTHON, [path], { cwd: resolve('examples/medical-qa'), env: { ...process.env, FAKE_DELAY_MS: '5', ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the smoke copy trains N steps into its own folder, pushes nothing and resumes nothing', () => {
  const smoke = readConfig(smokeScript(recipeScript(), 10, '../.ml-intern/runs/r1/smoke/output'));
  assert.equal(smoke.MAX_STEPS, 10);
  assert.equal(smoke.OUTPUT_DIR, '../.ml-intern/runs/r1/smoke/output');
  assert.equal(smoke.HUB_MODEL_ID, null);
  assert.equal(smoke.RESUME_FROM_CHECKPOINT, null);
  assert.equal(readConfig(recipeScript()).MAX_STEPS, -1, 'the accepted script trains its epochs');
  assert.match(recipeScript(), /max_steps=MAX_STEPS/);
  const old = recipeScript().replace(/^MAX_STEPS = .*\n/m, '');
  assert.throws(() => smokeScript(old, 10, 'out'), (e: unknown) => e instanceof ConfigOverrideError && /MAX_STEPS = -1/.test(e.message));
});

test('the numbers come from what the trainer printed: steps, step time, peak, finite moving loss, ETA', () => {
  const accepted = readConfig(recipeScript());
  const output = fixtureOutput(smokeScript(recipeScript(), 10, 'out'), { FAKE_OOM_ABOVE: '64', FAKE_TRAINER_ARGS: '--peak-gib 7.25 --logging-steps 2' });
  const summary = /'train_runtime': ([0-9.]+)/.exec(output);
  assert.ok(summary, output);
  const m = measureSmoke(output, { ...accepted, MAX_STEPS: 10 });
  assert.equal(m.steps, 10);
  assert.equal(m.stepSeconds, Number(summary[1]) / 10);
  assert.equal(m.peakMemoryGiB, 7.25);
  assert.equal(m.gpuMemoryGiB, 22.06);
  assert.equal(m.losses.length, 5);
  assert.ok(m.lossFinite && m.lossMoving);
  assert.equal(m.trainRows, 1000);
  // Tokens/s from the batch plan: micro-batch x accumulation x MAX_LENGTH per step.
  const perStep = (accepted.PER_DEVICE_TRAIN_BATCH_SIZE as number) * (accepted.GRADIENT_ACCUMULATION_STEPS as number) * (accepted.MAX_LENGTH as number);
  assert.equal(m.tokensPerSecondFrom, 'batch plan');
  assert.ok(Math.abs(m.tokensPerSecond! - perStep / m.stepSeconds) < 1e-6);

  const report = smokeReport(output, { config: accepted, steps: 10, method: 'sft' });
  const effective = (accepted.PER_DEVICE_TRAIN_BATCH_SIZE as number) * (accepted.GRADIENT_ACCUMULATION_STEPS as number);
  assert.equal(report.fullRunSteps, Math.ceil(1000 / effective) * (accepted.NUM_TRAIN_EPOCHS as number));
  assert.ok(Math.abs(report.etaSeconds! - report.fullRunSteps! * m.stepSeconds) < 1e-9);
  assert.match(formatSmokeReport(report).join('\n'), /Peak GPU memory: 7\.3 GiB of 22\.1 GiB/);
});

test('a nan loss or no peak line is said, not hidden', () => {
  const accepted = readConfig(recipeScript());
  const output = fixtureOutput(smokeScript(recipeScript(), 10, 'out'), { FAKE_OOM_ABOVE: '64', FAKE_TRAINER_ARGS: '--fail nan --fail-at 2 --logging-steps 2' });
  const report = smokeReport(output.replace(/ML_INTERN_PEAK_MEMORY.*\n/, ''), { config: accepted, steps: 10, method: 'sft' });
  assert.equal(report.measurement.lossFinite, false);
  assert.ok(report.warnings.some((w) => /not finite/.test(w)));
  assert.ok(report.warnings.some((w) => /No fitted batch plan: no peak GPU memory/.test(w)));
  assert.equal(report.fitted, undefined);
});

test('the fitted plan follows the measured memory: headroom raises the micro-batch, a full card lowers it, the effective batch stays', () => {
  const accepted = { ...readConfig(recipeScript()), PER_DEVICE_TRAIN_BATCH_SIZE: 2, GRADIENT_ACCUMULATION_STEPS: 8, GRADIENT_CHECKPOINTING: false };
  const base = { steps: 10, stepSeconds: 1, losses: [2, 1.5], lossFinite: true, lossMoving: true, gpuMemoryGiB: 80 };
  const roomy = fitPlan({ ...base, peakMemoryGiB: 6 }, { config: accepted, method: 'sft' });
  assert.ok(typeof roomy !== 'string');
  assert.ok((roomy.changes.PER_DEVICE_TRAIN_BATCH_SIZE as number) > 2, JSON.stringify(roomy.changes));
  assert.equal((roomy.changes.PER_DEVICE_TRAIN_BATCH_SIZE as number) * (roomy.changes.GRADIENT_ACCUMULATION_STEPS as number), 16);
  // A bigger micro-batch keeps the GPU busier: a shorter predicted step.
  assert.ok(roomy.stepSeconds < 1);

  const tight = fitPlan({ ...base, peakMemoryGiB: 79 }, { config: accepted, method: 'sft' });
  assert.ok(typeof tight !== 'string');
  const bs = (tight.changes.PER_DEVICE_TRAIN_BATCH_SIZE as number | undefined) ?? 2;
  assert.ok(bs < 2 || tight.changes.GRADIENT_CHECKPOINTING === true, JSON.stringify(tight.changes));
  assert.equal(bs * ((tight.changes.GRADIENT_ACCUMULATION_STEPS as number | undefined) ?? 8), 16);

  const unknown = fitPlan({ ...base, peakMemoryGiB: 6 }, { config: { ...accepted, MODEL_ID: 'someone/unknown-model' }, method: 'sft' });
  assert.match(String(unknown), /not in the planner's model table/);
});

test('in a session: the smoke run OOMs, is diagnosed and repaired, measured (smoke.json, card), the fitted plan is a reviewed diff, then the full run', { timeout: 120_000 }, async () => {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-smoke-session-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  try {
    const files = new NodeFileStore(ws);
    const reviewer = new ScriptedReviewer();
    const events = new RecordingEventSink();
    const approvals: string[][] = [];
    const session = await FineTuneSession.create({ ...MEDICAL_QA_REQUEST, smokeSteps: 10 }, {
      files, runs: new RunStore(files), settings: () => DEFAULT_SETTINGS, python: FAKE_PYTHON, launch: (spec) => startDetached(spec),
      reviewer, events,
      // The fixture's card: the recipe's micro-batch 4 OOMs even with checkpointing, 2 fits (the fixture prints 18.751 GiB of 22.06).
      processEnv: async () => ({ FAKE_OOM_ABOVE: '1', FAKE_STEPS: '12', FAKE_DELAY_MS: '5' }),
      approveCommand: async (req) => {
        approvals.push(req.argv);
        return { approved: true };
      },
    });
    const outcome = await session.execute();
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));
    const script = `${scriptFolder(MEDICAL_QA_REQUEST)}/train.py`;
    assert.deepEqual(approvals[0], [FAKE_PYTHON, 'train.smoke.py'], 'the smoke run is approved on its own');
    assert.deepEqual(approvals.at(-1), [FAKE_PYTHON, 'train.py']);

    // The recipe's micro-batch OOMs in the smoke run: diagnosed, and the playbook's fix lands in train.py.
    assert.equal(events.ofType('diagnosis')[0]?.category, 'cuda_oom');
    const proposals = reviewer.seen.filter((c) => c.path === script);
    assert.deepEqual(proposals.map((p) => p.origin), ['recipe', 'playbook', 'recipe']);
    assert.match(proposals[2].description, /fitted to the smoke run's measured peak \(18\.8 of 22\.1 GiB\)/);

    const folder = join(ws, session.handle.folder);
    const saved = JSON.parse(readFileSync(join(folder, 'smoke.json'), 'utf8')) as SmokeReport & { script: string };
    assert.equal(saved.script, script);
    assert.equal(saved.measurement.steps, 10);
    assert.equal(saved.measurement.peakMemoryGiB, 18.751);
    assert.ok(Object.keys(saved.fitted!.changes).length > 0, 'a plan fitted to the measured peak');
    assert.ok(saved.etaSeconds! > 0);
    assert.deepEqual(events.ofType('smoke_result')[0]?.report.measurement.peakMemoryGiB, 18.751);
    // The card holds the figures; the chat says them once, in one line (not the card's text again).
    const said = events.ofType('assistant_message').map((e) => e.text).filter((t) => /smoke run measured/i.test(t));
    assert.equal(said.length, 1, said.join('\n---\n'));
    assert.match(said[0], /^Smoke run measured \(10 steps\): [0-9.]+ s per step, peak 18\.8 of 22\.1 GiB, full run about .*A faster batch plan that fits is proposed next\.$/);
    assert.doesNotMatch(said[0], /\n/);
    assert.match(readFileSync(join(folder, 'smoke/train.py'), 'utf8'), /^MAX_STEPS = 10/m);
    assert.ok(!existsSync(join(ws, scriptFolder(MEDICAL_QA_REQUEST), 'train.smoke.py')), 'the smoke copy is removed');

    // The full run trains the accepted script with the fitted plan, all its steps, in its own folder.
    const final = readConfig(readFileSync(join(ws, script), 'utf8'));
    assert.equal(final.MAX_STEPS, -1);
    for (const [k, v] of Object.entries(saved.fitted!.changes)) assert.deepEqual(final[k], v, k);
    assert.match(readFileSync(join(folder, 'logs', 'train.log'), 'utf8'), /Total optimization steps = 12/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('ml-intern fine-tune --smoke=5 prints the smoke run\'s numbers before the full run; --smoke=0 is refused naming the range', { timeout: 120_000 }, async () => {
  const { runCli } = await import('../../../src/cli/main');
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-smoke-cli-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  const io = () => {
    const o = { stdout: '', stderr: '', cwd: ws, env: { CI: '1' } as NodeJS.ProcessEnv, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
    return o;
  };
  const args = ['fine-tune', '--model', 'Qwen/Qwen2.5-0.5B-Instruct', '--data', 'data/medical_qa.jsonl', '--approve=all', '--python', FAKE_PYTHON];
  Object.assign(process.env, { FAKE_OOM_ABOVE: '8', FAKE_STEPS: '12', FAKE_DELAY_MS: '5' });
  try {
    const refused = io();
    assert.equal(await runCli([...args, '--smoke=0'], refused), 2, refused.stderr);
    assert.match(refused.stderr, /--smoke=N takes a whole number of steps from 1 to 1000, got '0'/);

    const o = io();
    assert.equal(await runCli([...args, '--smoke=5'], o), 0, o.stderr);
    assert.match(o.stdout, /Smoke run: 5 steps, [0-9.]+ s per step/);
    assert.match(o.stdout, /Peak GPU memory: [0-9.]+ GiB of 22\.1 GiB/);
    assert.match(o.stdout, /Full run: \d+ steps, about /);
    // Printed once (the card's lines), with the one-line summary after it: not the report twice.
    assert.equal(o.stdout.split('Peak GPU memory:').length - 1, 1, o.stdout);
    assert.ok(o.stdout.indexOf('Smoke run: 5 steps') < o.stdout.lastIndexOf('Total optimization steps = 12'), 'the smoke run comes first');
  } finally {
    for (const k of ['FAKE_OOM_ABOVE', 'FAKE_STEPS', 'FAKE_DELAY_MS']) delete process.env[k];
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a script the user accepted without MAX_STEPS gets no smoke run: said, and the full run goes on', { timeout: 120_000 }, async () => {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-smoke-session-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  try {
    const files = new NodeFileStore(ws);
    const events = new RecordingEventSink();
    const approvals: string[][] = [];
    // The user deletes MAX_STEPS while reviewing the recipe's script.
    const reviewer = new ScriptedReviewer([(c) => ({ kind: 'accepted', text: c.proposed.replace(/^MAX_STEPS = .*\n/m, ''), userPatch: '', auto: false })]);
    const session = await FineTuneSession.create({ ...MEDICAL_QA_REQUEST, smokeSteps: 10 }, {
      files, runs: new RunStore(files), settings: () => DEFAULT_SETTINGS, python: FAKE_PYTHON, launch: (spec) => startDetached(spec), reviewer, events,
      processEnv: async () => ({ FAKE_OOM_ABOVE: '8', FAKE_STEPS: '12', FAKE_DELAY_MS: '5' }),
      approveCommand: async (req) => {
        approvals.push(req.argv);
        return { approved: true };
      },
    });
    const outcome = await session.execute();
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));
    assert.deepEqual(approvals, [[FAKE_PYTHON, 'train.py']], 'no approval is asked for a smoke run that cannot run');
    assert.match(events.ofType('assistant_message').map((e) => e.text).join('\n'), /No smoke run: .*MAX_STEPS = -1/);
    assert.equal(events.ofType('smoke_result').length, 0);
    assert.deepEqual(events.ofType('process_started').map((e) => e.argv.at(-1)), ['train.py']);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
