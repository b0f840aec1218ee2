// Flow 6b: "Developer: Reload Window" while "ML Intern: Evaluate" runs LightEval → the running step
// is picked up again (re-attached terminal), the steps after it run, and the panel shows the
// base-vs-trained table — as if nothing happened.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, waitFor, waitForExtension } from '../workbench.mjs';
import { openReady, writeWorkspaceSettings, panel, answerQuickInput, waitForRunState, runFolders, readStatus } from '../lib.mjs';

const EVAL_PYTHON = new URL('../../fixtures/eval/fake-python', import.meta.url).pathname;

export const flow = {
  id: 'evaluate-reload',
  name: 'Evaluate reload: LightEval running → Reload Window → the step is picked up, the table still comes',
  // Each benchmark takes 4 s in the fake LightEval: long enough to reload in the middle.
  env: { FAKE_LIGHTEVAL_SECONDS: '4' },
  async run(ctx) {
    const adapter = join(ctx.workspace, 'outputs', 'final');
    mkdirSync(adapter, { recursive: true });
    writeFileSync(join(adapter, 'adapter_config.json'), JSON.stringify({ base_model_name_or_path: 'Qwen/Qwen2.5-0.5B-Instruct', peft_type: 'LORA', r: 16 }));
    writeWorkspaceSettings(ctx.workspace, { 'mlIntern.pythonPath': EVAL_PYTHON, 'mlIntern.autoApprove': 'recipe' });
    const page = await openReady(ctx);
    await runCommand(page, 'ML Intern: Evaluate');
    await answerQuickInput(page, 'Evaluate (1/4)', 'outputs/final');
    await answerQuickInput(page, 'Evaluate (2/4)', 'Qwen/Qwen2.5-0.5B-Instruct');
    await waitFor('the benchmark picker', async () => /Evaluate \(3\/4\)/.test((await page.locator('.quick-input-widget .quick-input-title').textContent().catch(() => '')) ?? ''));
    await page.keyboard.press('Enter');
    await answerQuickInput(page, 'Evaluate (4/4)', '50');

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
