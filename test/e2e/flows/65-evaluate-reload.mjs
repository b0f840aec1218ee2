// Flow 6b: "Developer: Reload Window" while "ML Intern: Evaluate" runs LightEval → the running step
// is picked up again (re-attached terminal), the steps after it run, and the panel shows the
// base-vs-trained table — as if nothing happened.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, waitFor, waitForExtension } from '../workbench.mjs';
import { startEvaluation, panel, waitForRunState, runFolders, readStatus } from '../lib.mjs';

export const flow = {
  id: 'evaluate-reload',
  name: 'Evaluate reload: LightEval running → Reload Window → the step is picked up, the table still comes',
  // Each benchmark takes 4 s in the fake LightEval: long enough to reload in the middle.
  env: { FAKE_LIGHTEVAL_SECONDS: '4' },
  async run(ctx) {
    const page = await startEvaluation(ctx);

    // Step 2 of 4 is the base model's LightEval run.
    const folder = await waitFor('the base model\'s LightEval step', async () => {
      const f = runFolders(ctx.workspace).at(-1);
      return f && readStatus(f)?.step === 2 && typeof readStatus(f)?.pid === 'number' ? f : undefined;
    }, { timeoutMs: 90000 });
    await ctx.screenshot(page, '1-before-reload');
    await runCommand(page, 'Developer: Reload Window');
    await page.waitForSelector('.monaco-workbench', { timeout: 90000 });
    await waitForExtension(page);
    await runCommand(page, 'ML Intern: Open Chat');
    await waitForRunState(ctx.workspace, 'succeeded', 120000);
    const status = readStatus(folder);
    if (status?.step !== 4) throw new Error(`the run ended at step ${status?.step}, not after its 4 steps`);
    // The window that started the run went away mid-step: the reloaded one finished it.
    if (!readFileSync(join(folder, 'transcript.jsonl'), 'utf8').includes('re-attached after a reload')) throw new Error('the run was not picked up after the reload');
    const table = panel(page).locator('[data-testid="eval-table"]').first();
    await table.waitFor({ state: 'visible', timeout: 60000 });
    const text = ((await table.textContent()) ?? '').toLowerCase();
    for (const task of ['mmlu', 'gsm8k']) if (!text.includes(task)) throw new Error(`the evaluation table lacks ${task}: ${text}`);
    await ctx.screenshot(page, '2-after-reload-table');
  },
};
