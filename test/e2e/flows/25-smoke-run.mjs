// Flow: the wizard's "before the full run" question → accept train.py → the token preview card in the
// chat shows trained tokens → the smoke run (fixture trainer, its own approval) → its card (peak
// memory, ETA) and smoke.json → the batch plan fitted to the measured peak (6 GiB of the fixture's
// 22.1 GiB card, far below the recipe's estimate) and to the preview's row lengths, as a diff of
// train.py's CONFIG → accepted → the full run trains all its steps with the fitted values. The stub
// tokenizer and trl (test/fixtures/stubs) stand in for transformers; the stub renders
// Qwen2.5-0.5B-Instruct as ChatML, and the planner knows that model's size.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCommand, waitFor } from '../workbench.mjs';
import { openReady, fineTuneWizard, waitForDiff, reviewKind, answerRunDialog, writeWorkspaceSettings, panel, waitForRunState, runFolders } from '../lib.mjs';

const STUBS = ['tokenizer_fake', 'trl_new'].map((s) => resolve('test/fixtures/stubs', s)).join(':');

export const flow = {
  id: 'smoke',
  name: 'Preview tokens and smoke run before the full run: preview card with trained tokens → smoke card → fitted plan diff → full run with it',
  // The fixture prints a 6 GiB peak whatever the micro-batch, and fails only above 16 (the fitted plan's room).
  env: { FAKE_OOM_ABOVE: '16', FAKE_STEPS: '30', FAKE_DELAY_MS: '20', FAKE_TRAINER_ARGS: '--peak-gib 6', PYTHONPATH: STUBS },
  async run(ctx) {
    writeWorkspaceSettings(ctx.workspace, {});
    const page = await openReady(ctx);
    await fineTuneWizard(page, { model: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/medical_qa.jsonl', method: 'SFT', adapter: 'LoRA', split: '5 %', checks: ['Preview tokens', 'Smoke run'] });
    await waitForDiff(page, 'train.py');
    // A new file's review is the proposal alone (no blank left half); the fitted plan below, a change to it, is a diff.
    if ((await reviewKind(page, 'train.py')) !== 'new file') throw new Error('the new train.py opened as a diff, not as the proposal alone');
    await ctx.screenshot(page, '0-new-file-review');
    const script = join(ctx.workspace, 'ml-intern', 'sft-qwen2-5-0-5b-instruct', 'train.py');
    // Accepted with the keyboard (Ctrl+Alt+Enter) in the proposal's own editor, as a user would.
    await page.locator('.part.editor .monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+Alt+Enter');
    await waitFor('train.py written by Ctrl+Alt+Enter in the proposal editor', async () => existsSync(script), { timeoutMs: 20000 });
    await waitForDiff(page, 'requirements.txt');
    await runCommand(page, 'ML Intern: Accept Change');
    const reviewed = readConfig(readFileSync(script, 'utf8'));

    const chat = panel(page);
    const card = chat.locator('[data-testid="preview-card"]').first();
    await card.waitFor({ timeout: 90000 });
    const trained = await card.locator('[data-testid="preview-sequence"]').first().locator('.tok.trained').count();
    const masked = await card.locator('[data-testid="preview-sequence"]').first().locator('.tok.masked').count();
    if (!(trained > 0 && masked > 0)) throw new Error(`the preview card should show trained and masked tokens (trained ${trained}, masked ${masked})`);
    await card.scrollIntoViewIfNeeded();
    await ctx.screenshot(page, '1-preview-card');

    // The smoke run asks for its own approval, then the full run for its.
    await answerRunDialog(page, 'Run');
    const smoke = chat.locator('[data-testid="smoke-card"]').first();
    await smoke.waitFor({ timeout: 90000 });
    const peak = await smoke.locator('[data-testid="smoke-peak"]').textContent();
    if (!/GiB/.test(peak ?? '')) throw new Error(`the smoke card shows no peak memory: ${peak}`);
    await smoke.scrollIntoViewIfNeeded();
    await ctx.screenshot(page, '2-smoke-card');

    // The fitted plan: smoke.json says what changes and why; the review diff shows the CONFIG lines changed.
    const run = runFolders(ctx.workspace).at(-1);
    const report = JSON.parse(readFileSync(join(run, 'smoke.json'), 'utf8'));
    const changes = report.fitted?.changes ?? {};
    const preview = JSON.parse(readFileSync(join(run, 'preview.json'), 'utf8'));
    if (!(changes.PER_DEVICE_TRAIN_BATCH_SIZE > reviewed.PER_DEVICE_TRAIN_BATCH_SIZE)) throw new Error(`a 6 GiB peak on a 22.1 GiB card should raise the micro-batch above ${reviewed.PER_DEVICE_TRAIN_BATCH_SIZE}: ${JSON.stringify(changes)}`);
    const effective = (c) => c.PER_DEVICE_TRAIN_BATCH_SIZE * c.GRADIENT_ACCUMULATION_STEPS;
    const fitted = { ...reviewed, ...changes };
    if (effective(fitted) !== effective(reviewed)) throw new Error(`the effective batch changed: ${effective(reviewed)} -> ${effective(fitted)}`);
    if (!report.fitted.notes.some((n) => n.startsWith(`Rows: planned for rows of up to ${preview.lengths.longest} tokens`))) throw new Error(`the fitted plan does not count the preview's longest row (${preview.lengths.longest}): ${report.fitted.notes.join(' | ')}`);
    const planRow = await smoke.locator('[data-testid="smoke-plan"]').textContent();
    if (!planRow.includes(`PER_DEVICE_TRAIN_BATCH_SIZE = ${changes.PER_DEVICE_TRAIN_BATCH_SIZE}`)) throw new Error(`the smoke card does not show the fitted plan: ${planRow}`);
    await waitForDiff(page, 'train.py');
    // The changed lines are laid out around the hunk's CodeLens: the proposed values on the modified side, the reviewed ones removed.
    await waitFor('the fitted CONFIG values in the review diff', async () => {
      const proposed = await diffLines(page, '.editor.modified');
      const all = await diffLines(page, '');
      return Object.entries(changes).every(([name, value]) => proposed.includes(`${name} = ${pyLiteral(value)}`) && all.includes(`${name} = ${pyLiteral(reviewed[name])}`));
    }, { timeoutMs: 30000 }).catch(async (err) => {
      throw new Error(`${err.message}: expected ${JSON.stringify(changes)} over ${JSON.stringify(Object.fromEntries(Object.keys(changes).map((k) => [k, reviewed[k]])))}; the diff shows: ${(await diffLines(page, '')).filter((l) => /^[A-Z_]+ = /.test(l)).join(' | ')}`);
    });
    if ((await reviewKind(page, 'train.py')) !== 'diff') throw new Error('the fitted plan, a change to the existing train.py, did not open as a diff');
    await ctx.screenshot(page, '3-fitted-plan-diff');
    await runCommand(page, 'ML Intern: Accept Change');
    await answerRunDialog(page, 'Run');

    const folder = await waitForRunState(ctx.workspace, 'succeeded', 120000);
    for (const f of ['preview.json', 'smoke.json', 'smoke/train.py']) if (!existsSync(join(folder, f))) throw new Error(`${f} is not in the run folder`);
    if (folder !== run) throw new Error(`the full run went to another run folder (${folder}, smoke in ${run})`);
    if (report.measurement.steps !== 10) throw new Error(`the smoke run took ${report.measurement.steps} steps, not 10`);
    const log = readFileSync(join(folder, 'logs', 'train.log'), 'utf8');
    if (!/Total optimization steps = 30/.test(log)) throw new Error('the full run did not train its 30 steps');
    // The full run trained with the fitted values: the trainer reports the micro-batch and accumulation it read from train.py.
    if (!new RegExp(`Instantaneous batch size per device = ${fitted.PER_DEVICE_TRAIN_BATCH_SIZE}\\b`).test(log)) throw new Error(`the full run's micro-batch is not the fitted ${fitted.PER_DEVICE_TRAIN_BATCH_SIZE}: ${log.match(/Instantaneous batch size per device = \d+/)}`);
    if (!new RegExp(`Gradient Accumulation steps = ${fitted.GRADIENT_ACCUMULATION_STEPS}\\b`).test(log)) throw new Error(`the full run's accumulation is not the fitted ${fitted.GRADIENT_ACCUMULATION_STEPS}: ${log.match(/Gradient Accumulation steps = \d+/)}`);
    const saved = readConfig(readFileSync(script, 'utf8'));
    for (const [name, value] of Object.entries(changes)) if (saved[name] !== value) throw new Error(`train.py keeps ${name} = ${saved[name]}, not the accepted ${value}`);
  },
};

/** The rendered lines of the visible review diff (one side: '.editor.modified', or '' for both and the inline deleted lines), spaces normalised. */
async function diffLines(page, side) {
  const lines = await page.locator(`.monaco-diff-editor:visible ${side} .view-line`).allTextContents();
  return lines.map((l) => l.replace(/\u00a0/g, ' ').replace(/\s+#.*$/, '').trim());
}

/** A CONFIG value as train.py writes it. */
function pyLiteral(v) {
  return v === true ? 'True' : v === false ? 'False' : String(v);
}

/** NAME = value lines of a CONFIG block (numbers and booleans; what the batch plan changes). */
function readConfig(text) {
  const out = {};
  for (const m of text.matchAll(/^([A-Z][A-Z0-9_]*) = (\S+)/gm)) out[m[1]] = m[2] === 'True' ? true : m[2] === 'False' ? false : Number.isNaN(Number(m[2])) ? m[2] : Number(m[2]);
  return out;
}
