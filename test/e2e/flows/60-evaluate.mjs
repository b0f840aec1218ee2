// Flow 6: "ML Intern: Evaluate" on a trained adapter → the LightEval recipe is written and run
// (a fixture interpreter with a fake `lighteval` stands in for the GPU box) → the panel shows
// the base-vs-trained table for MMLU and GSM8K.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, waitFor } from '../workbench.mjs';
import { openReady, writeWorkspaceSettings, panel, answerQuickInput, waitForRunState } from '../lib.mjs';

const EVAL_PYTHON = new URL('../../fixtures/eval/fake-python', import.meta.url).pathname;

export const flow = {
  id: 'evaluate',
  name: 'Evaluate: LightEval recipe on a trained adapter → base vs trained table in the panel',
  async run(ctx) {
    // A finished SFT run left this adapter behind.
    const adapter = join(ctx.workspace, 'outputs', 'final');
    mkdirSync(adapter, { recursive: true });
    writeFileSync(join(adapter, 'adapter_config.json'), JSON.stringify({ base_model_name_or_path: 'Qwen/Qwen2.5-0.5B-Instruct', peft_type: 'LORA', r: 16 }));
    // Recipe files and runs are auto-approved here (the user's opt-in); flows 1–2 cover the review.
    writeWorkspaceSettings(ctx.workspace, { 'mlIntern.pythonPath': EVAL_PYTHON, 'mlIntern.autoApprove': 'recipe' });
    const page = await openReady(ctx);
    await runCommand(page, 'ML Intern: Evaluate');
    await answerQuickInput(page, 'Evaluate (1/4)', 'outputs/final');
    await answerQuickInput(page, 'Evaluate (2/4)', 'Qwen/Qwen2.5-0.5B-Instruct');
    // MMLU and GSM8K are pre-selected: Enter keeps them.
    await waitFor('the benchmark picker', async () => /Evaluate \(3\/4\)/.test((await page.locator('.quick-input-widget .quick-input-title').textContent().catch(() => '')) ?? ''));
    await ctx.screenshot(page, '1-benchmarks');
    await page.keyboard.press('Enter');
    await answerQuickInput(page, 'Evaluate (4/4)', '50');

    await waitForRunState(ctx.workspace, 'succeeded', 120000);
    const table = panel(page).locator('[data-testid="eval-table"]').first();
    await table.waitFor({ state: 'visible', timeout: 60000 });
    const text = (await table.textContent()) ?? '';
    for (const task of ['mmlu', 'gsm8k']) if (!text.toLowerCase().includes(task)) throw new Error(`the evaluation table lacks ${task}: ${text}`);
    await table.scrollIntoViewIfNeeded();
    await ctx.screenshot(page, '2-eval-table');
  },
};
