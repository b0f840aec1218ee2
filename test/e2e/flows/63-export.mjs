// Flow 63: a trained adapter → "ML Intern: Export Model…" → the merge script, the training chat
// template and the Ollama Modelfile are proposed as diffs → the Modelfile is accepted with the
// panel's own Accept button → the file written is the proposal, its TEMPLATE and stop token
// derived from the training template (ChatML here), not a guess. The run itself is declined: no
// Ollama or llama.cpp here, and the export's commands are covered by the unit tests.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, runCommand } from '../workbench.mjs';
import { EVAL_PYTHON, writeTrainedAdapter, answerQuickInput, answerRunDialog, openReady, panel, waitForDiff, writeWorkspaceSettings } from '../lib.mjs';


/** The panel's change card of `file` that still offers Accept. */
const pendingCard = (page, file) => panel(page).locator('[data-testid="change-card"]', { hasText: file }).filter({ has: panel(page).locator('[data-testid="change-accept"]') }).last();

export const flow = {
  id: 'export',
  name: 'Export: a trained adapter → merge script, training template and Ollama Modelfile as diffs → the Modelfile accepted from the panel',
  async run(ctx) {
    writeTrainedAdapter(ctx.workspace);
    writeWorkspaceSettings(ctx.workspace, { 'mlIntern.pythonPath': EVAL_PYTHON });
    const page = await openReady(ctx);
    await runCommand(page, 'ML Intern: Export Model');
    await answerQuickInput(page, 'Export Model (1/3)', 'outputs/final');
    await answerQuickInput(page, 'Export Model (2/3)', 'qwen-medical');
    // Targets: Ollama and GGUF Q4_K_M are pre-selected; Enter keeps them, and an empty llama.cpp
    // folder means no GGUF (none here).
    await waitFor('the targets picker', async () => /Export Model \(3\/3\)/.test((await page.locator('.quick-input-widget .quick-input-title').textContent().catch(() => '')) ?? ''));
    await page.keyboard.press('Enter');
    await answerQuickInput(page, 'llama.cpp', '');

    // Each proposed file is reviewed; the Modelfile from the panel's own card button.
    const folder = join(ctx.workspace, 'ml-intern', 'export-qwen-medical');
    for (const file of ['merge_bf16.py', 'chat_template.jinja']) {
      await waitForDiff(page, file);
      await runCommand(page, 'ML Intern: Accept Change');
      await waitFor(`${file} written`, async () => existsSync(join(folder, file)), { timeoutMs: 30000 });
    }
    await waitForDiff(page, 'Modelfile');
    await ctx.screenshot(page, '1-modelfile-diff');
    await runCommand(page, 'ML Intern: Open Chat');
    const card = pendingCard(page, 'Modelfile');
    await card.waitFor({ state: 'visible', timeout: 30000 });
    await card.locator('[data-testid="change-accept"]').click();
    await waitFor('the Modelfile written', async () => existsSync(join(folder, 'Modelfile')), { timeoutMs: 30000 });
    const modelfile = readFileSync(join(folder, 'Modelfile'), 'utf8');
    if (!/^TEMPLATE /m.test(modelfile) || !modelfile.includes('<|im_start|>') || !modelfile.includes('<|im_end|>')) throw new Error(`the Modelfile's TEMPLATE is not the ChatML training template:\n${modelfile}`);
    if (!/^PARAMETER stop "?<\|im_end\|>"?/m.test(modelfile)) throw new Error(`the Modelfile does not stop at the training EOS <|im_end|>:\n${modelfile}`);
    if (!/^FROM /m.test(modelfile)) throw new Error(`the Modelfile has no FROM line:\n${modelfile}`);
    await waitFor('the card to say Accepted', async () => /Accepted/.test((await panel(page).locator('[data-testid="change-card"]', { hasText: 'Modelfile' }).last().textContent()) ?? ''), { timeoutMs: 20000 });
    await ctx.screenshot(page, '2-modelfile-accepted');

    // Whatever else is proposed (the vLLM smoke script when chosen) is accepted; the run is declined.
    for (let i = 0; i < 3; i++) {
      const dialog = await page.locator('.monaco-dialog-box').isVisible().catch(() => false);
      if (dialog) break;
      const pending = (await page.locator('.tabs-container .tab').filter({ hasText: 'ML Intern proposal' }).count()) > 0;
      if (!pending) {
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      await runCommand(page, 'ML Intern: Accept Change');
    }
    await answerRunDialog(page, 'Cancel').catch(() => undefined);
  },
};
