// Flow 1: Fine-tune from the command palette → wizard → the diff opens →
// accept one hunk, reject another → the file on disk is exactly what was accepted.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { structuredPatch, applyPatch } from 'diff';
import { waitFor, runCommand } from '../workbench.mjs';
import { openReady, fineTuneWizard, waitForDiff, lensCount, answerRunDialog, writeWorkspaceSettings, runFolders, panel } from '../lib.mjs';

const SCRIPT = 'ml-intern/sft-qwen2-5-0-5b-instruct/train.py';

function proposed(folder, name) {
  const f = readdirSync(join(folder, 'scripts')).filter((n) => n.includes('-proposed-') && n.endsWith(name)).sort();
  return readFileSync(join(folder, 'scripts', f[f.length - 1]), 'utf8');
}

export const flow = {
  id: 'fine-tune',
  name: 'Fine-tune from the command palette: wizard → diff → accept one hunk, reject another',
  // Unchanged regions collapse, so every hunk (and its CodeLens) is on screen at once.
  userSettings: { 'diffEditor.hideUnchangedRegions.enabled': true },
  async run(ctx) {
    writeWorkspaceSettings(ctx.workspace, {});
    const page = await openReady(ctx);
    const answers = { model: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/medical_qa.jsonl', method: 'SFT', adapter: 'LoRA', split: '5 %' };

    // Pass 1: a new script, accepted whole; training not started yet.
    // The method step lists the dataset inspection (format, mapping) under its choices.
    await fineTuneWizard(page, answers, (step) => (step === 3 ? ctx.screenshot(page, '0-wizard-method-step') : undefined));
    await waitForDiff(page, 'train.py');
    await ctx.screenshot(page, '1-new-script-diff');
    await panel(page).locator('[data-testid="change-card"]').first().waitFor({ timeout: 30000 });
    await runCommand(page, 'ML Intern: Accept Change');
    await waitForDiff(page, 'requirements.txt');
    await runCommand(page, 'ML Intern: Accept Change');
    await answerRunDialog(page, 'Cancel');
    const [run1] = runFolders(ctx.workspace);
    const first = readFileSync(join(ctx.workspace, SCRIPT), 'utf8');
    if (first !== proposed(run1, 'train.py')) {
      const p = structuredPatch('disk', 'proposal', first, proposed(run1, 'train.py'), '', '', { context: 1 });
      throw new Error(`pass 1: train.py on disk differs from the accepted proposal: ${JSON.stringify(p.hunks).slice(0, 600)}`);
    }
    ctx.log('pass 1: train.py accepted whole, run declined');

    // Pass 2: QLoRA changes several places of the same script → several hunks.
    await fineTuneWizard(page, { ...answers, adapter: 'QLoRA' });
    await waitForDiff(page, 'train.py');
    const runs = runFolders(ctx.workspace);
    const run2 = runs[runs.length - 1];
    const proposal = proposed(run2, 'train.py');
    const patch = structuredPatch(SCRIPT, SCRIPT, first, proposal, '', '', { context: 0 });
    const hunks = patch.hunks.length;
    if (hunks < 2) throw new Error(`expected at least 2 hunks for LoRA → QLoRA, got ${hunks}`);
    await ctx.screenshot(page, '2-review-with-hunk-codelens');
    // From the keyboard: the hunk at (or below) the cursor, which sits on line 1.
    const reviewOpen = async () => (await page.locator('.tabs-container .tab', { hasText: 'train.py' }).filter({ hasText: 'ML Intern proposal' }).count()) > 0;
    await runCommand(page, 'ML Intern: Accept Hunk at Cursor');
    await waitFor('hunk 1 accepted (one CodeLens pair fewer)', async () => (await lensCount(page, 'Accept hunk')) < hunks || !(await reviewOpen()));
    for (let i = 1; i < hunks && (await reviewOpen()); i++) {
      const before = await lensCount(page, 'Reject hunk');
      await runCommand(page, 'ML Intern: Reject Hunk at Cursor');
      await waitFor(`hunk ${i + 1} rejected`, async () => !(await reviewOpen()) || (await lensCount(page, 'Reject hunk')) < before);
    }
    // Expected: the pass-1 file with only the first hunk of the proposal applied.
    const expected = applyPatch(first, { ...patch, hunks: [patch.hunks[0]] });
    await waitFor('train.py on disk to hold exactly hunk 1 of the proposal', async () => readFileSync(join(ctx.workspace, SCRIPT), 'utf8') === expected, { timeoutMs: 30000 });
    ctx.log(`pass 2: ${hunks} hunks, accepted 1, rejected the rest; the file on disk is exact`);
    await waitForDiff(page, 'requirements.txt').catch(() => undefined);
    if ((await page.locator('.tabs-container .tab', { hasText: 'requirements.txt' }).count()) > 0) await runCommand(page, 'ML Intern: Accept Change');
    await answerRunDialog(page, 'Cancel');
    await ctx.screenshot(page, '3-after-decisions');
  },
};
