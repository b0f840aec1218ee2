// A reload while a new file's proposal waits for review: the proposal lived in the old extension
// host's memory, so the tab VS Code restores could only show "The editor could not be opened".
// The reopened window closes it (the run folder keeps every proposed version).
import { waitFor, runCommand, waitForExtension } from '../workbench.mjs';
import { openReady, fineTuneWizard, waitForDiff, reviewKind, writeWorkspaceSettings } from '../lib.mjs';

export const flow = {
  id: 'review-reload',
  name: 'Reload with a new file under review: no restored proposal tab is left showing an error',
  async run(ctx) {
    writeWorkspaceSettings(ctx.workspace, {});
    const page = await openReady(ctx);
    await fineTuneWizard(page, { model: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/medical_qa.jsonl', method: 'SFT', adapter: 'LoRA', split: '5 %' });
    await waitForDiff(page, 'train.py');
    if ((await reviewKind(page, 'train.py')) !== 'new file') throw new Error('the new train.py did not open as the proposal alone');

    await runCommand(page, 'Developer: Reload Window');
    await page.waitForSelector('.monaco-workbench', { timeout: 90000 });
    await waitForExtension(page);
    const proposalTabs = () => page.locator('.tabs-container .tab', { hasText: 'ML Intern proposal' }).count();
    await waitFor('the restored proposal tab to close', async () => (await proposalTabs()) === 0, { timeoutMs: 30000 }).catch(async (err) => {
      throw new Error(`${err.message}: the editor shows '${(await page.locator('.part.editor').first().innerText()).replace(/\s+/g, ' ').slice(0, 200)}'`);
    });
    // Still closed a moment later (nothing reopens it).
    await new Promise((r) => setTimeout(r, 2000));
    if ((await proposalTabs()) !== 0) throw new Error('a proposal tab came back after the reload');
    if ((await page.locator('.part.editor', { hasText: 'could not be opened' }).count()) > 0) throw new Error('an editor shows "could not be opened" after the reload');
    await ctx.screenshot(page, '1-after-reload');
  },
};
