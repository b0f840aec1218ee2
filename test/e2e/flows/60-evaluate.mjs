// Flow 6: "ML Intern: Evaluate" on a trained adapter → the LightEval recipe is written and run
// (a fixture interpreter with a fake `lighteval` stands in for the GPU box) → the panel shows
// the base-vs-trained table for MMLU and GSM8K.
import { startEvaluation, panel, waitForRunState } from '../lib.mjs';

export const flow = {
  id: 'evaluate',
  name: 'Evaluate: LightEval recipe on a trained adapter → base vs trained table in the panel',
  async run(ctx) {
    const page = await startEvaluation(ctx, (p) => ctx.screenshot(p, '1-benchmarks'));

    await waitForRunState(ctx.workspace, 'succeeded', 120000);
    const table = panel(page).locator('[data-testid="eval-table"]').first();
    await table.waitFor({ state: 'visible', timeout: 60000 });
    const text = (await table.textContent()) ?? '';
    for (const task of ['mmlu', 'gsm8k']) if (!text.toLowerCase().includes(task)) throw new Error(`the evaluation table lacks ${task}: ${text}`);
    await table.scrollIntoViewIfNeeded();
    await ctx.screenshot(page, '2-eval-table');
  },
};
