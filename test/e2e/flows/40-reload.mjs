// Flow 4: "Developer: Reload Window" while a run is going → the run is re-attached,
// its terminal and chart continue, nothing is lost (metrics.jsonl has every step once).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, runCommand, reloadWindow } from '../workbench.mjs';
import { openReady, fineTuneWizard, writeWorkspaceSettings, panel, waitForRunState, runFolders } from '../lib.mjs';

function metricSteps(folder) {
  return readFileSync(join(folder, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((p) => p.kind === undefined || p.kind === 'train')
    .filter((p) => typeof p.loss === 'number')
    .map((p) => p.step);
}

export const flow = {
  id: 'reload',
  name: 'Reload mid-run: the run is re-attached, terminal and chart continue, nothing lost',
  // The trainer prints its logs as transformers 5 does ({'loss': '1.234'}), as seen on a real GPU machine.
  // It waits at step 100 until the test writes `release` (after the reload), so the run is still going
  // when the window comes back, however slow the machine.
  env: { FAKE_OOM_ABOVE: '100', FAKE_STEPS: '150', FAKE_DELAY_MS: '120', FAKE_TRAINER_ARGS: '--transformers5 --hold-until release --hold-at 100' },
  async run(ctx) {
    // Recipe changes and runs are auto-approved here (the user's opt-in), so the run starts at once.
    writeWorkspaceSettings(ctx.workspace, { 'mlIntern.autoApprove': 'recipe' });
    // Seconds since the flow started at each stage, so a slow CI run says where the time went.
    const t0 = Date.now();
    const mark = (what) => ctx.log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
    const page = await openReady(ctx);
    mark('workbench ready');
    await fineTuneWizard(page, { model: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/medical_qa.jsonl', method: 'SFT', adapter: 'LoRA', split: '5 %' });
    const folder = await waitFor('a run folder', async () => runFolders(ctx.workspace)[0]);
    await waitFor('a few loss points in metrics.jsonl', async () => metricSteps(folder).length >= 3, { timeoutMs: 90000 });
    const before = metricSteps(folder).length;
    mark(`${before} loss points before the reload`);
    await ctx.screenshot(page, '1-before-reload');

    await reloadWindow(page);
    mark('workbench and extension back after the reload');
    await waitFor('the re-attached terminal', async () => (await page.locator('.terminal-tabs-entry, .single-terminal-tab, .terminal-tab', { hasText: 're-attached' }).count()) > 0 || /re-attached/.test(await page.locator('.terminal-tabs-entry, .tabs-list, .pane-header').allTextContents().then((t) => t.join(' '))), { timeoutMs: 90000 });
    mark('re-attached terminal seen');
    const chat = panel(page);
    await runCommand(page, 'ML Intern: Open Chat');
    await chat.locator('[data-testid="loss-chart-canvas"]').first().waitFor({ state: 'visible', timeout: 60000 });
    mark('chart shown');
    await ctx.screenshot(page, '2-after-reload');

    // The trainer runs in the script folder: `release` there lets it go on.
    writeFileSync(join(ctx.workspace, 'ml-intern', 'sft-qwen2-5-0-5b-instruct', 'release'), '');
    await waitForRunState(ctx.workspace, 'succeeded', 120000);
    const steps = metricSteps(folder);
    if (steps.length <= before) throw new Error(`no metrics were added after the reload (${before} → ${steps.length})`);
    for (let i = 1; i < steps.length; i++) {
      if (steps[i] <= steps[i - 1]) throw new Error(`metrics.jsonl repeats or reorders steps after the reload: ${steps.join(',')}`);
    }
    if (steps[steps.length - 1] !== 150) throw new Error(`the last loss point is step ${steps[steps.length - 1]}, not 150: the end of the run was lost`);
    await ctx.screenshot(page, '3-finished');
  },
};
