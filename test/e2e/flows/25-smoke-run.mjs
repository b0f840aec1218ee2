// Flow: the wizard's "before the full run" question → accept train.py → the token preview card in the
// chat shows trained tokens → the smoke run (fixture trainer, its own approval) → its card (peak
// memory, ETA) and smoke.json → the full run trains all its steps. The stub tokenizer and trl
// (test/fixtures/stubs) stand in for transformers; the model 'stub/chatml' is the stub's ChatML one.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCommand } from '../workbench.mjs';
import { openReady, fineTuneWizard, waitForDiff, answerRunDialog, writeWorkspaceSettings, panel, waitForRunState } from '../lib.mjs';

const STUBS = ['tokenizer_fake', 'trl_new'].map((s) => resolve('test/fixtures/stubs', s)).join(':');

export const flow = {
  id: 'smoke',
  name: 'Preview tokens and smoke run before the full run: preview card with trained tokens → smoke card → full run',
  env: { FAKE_OOM_ABOVE: '8', FAKE_STEPS: '30', FAKE_DELAY_MS: '20', PYTHONPATH: STUBS },
  async run(ctx) {
    writeWorkspaceSettings(ctx.workspace, {});
    const page = await openReady(ctx);
    await fineTuneWizard(page, { model: 'stub/chatml', dataset: 'data/medical_qa.jsonl', method: 'SFT', adapter: 'LoRA', split: '5 %', checks: ['Preview tokens', 'Smoke run'] });
    await waitForDiff(page, 'train.py');
    await runCommand(page, 'ML Intern: Accept Change');
    await waitForDiff(page, 'requirements.txt');
    await runCommand(page, 'ML Intern: Accept Change');

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
    await answerRunDialog(page, 'Run');

    const folder = await waitForRunState(ctx.workspace, 'succeeded', 120000);
    for (const f of ['preview.json', 'smoke.json', 'smoke/train.py']) if (!existsSync(join(folder, f))) throw new Error(`${f} is not in the run folder`);
    const report = JSON.parse(readFileSync(join(folder, 'smoke.json'), 'utf8'));
    if (report.measurement.steps !== 10) throw new Error(`the smoke run took ${report.measurement.steps} steps, not 10`);
    if (!/Total optimization steps = 30/.test(readFileSync(join(folder, 'logs', 'train.log'), 'utf8'))) throw new Error('the full run did not train its 30 steps');
  },
};
