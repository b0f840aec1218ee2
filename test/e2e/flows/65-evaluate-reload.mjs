// Flow 6b: "Developer: Reload Window" while "ML Intern: Evaluate" runs LightEval → the running step
// is picked up again (re-attached terminal), the steps after it run, and the panel shows the
// base-vs-trained table — as if nothing happened.
// Before that, a reload while the first script waits for review ends that run as interrupted, and
// the notice's "Evaluate again" starts the same evaluation again.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, runCommand, reloadWindow, notificationButton } from '../workbench.mjs';
import { EVAL_PYTHON, startEvaluation, panel, waitForDiff, waitForRunState, runFolders, readStatus, writeWorkspaceSettings } from '../lib.mjs';

/** Reload while merge_adapter.py waits for review → interrupted → "Evaluate again" → the same request, a new run. */
async function interruptedThenAgain(ctx) {
  const page = await startEvaluation(ctx, undefined, { autoApprove: 'never' });
  await waitForDiff(page, 'merge_adapter.py');
  const [first] = runFolders(ctx.workspace);
  // The run started again goes through without review, as the rest of this flow expects.
  writeWorkspaceSettings(ctx.workspace, { 'mlIntern.pythonPath': EVAL_PYTHON, 'mlIntern.autoApprove': 'recipe' });
  await reloadWindow(page);
  await waitFor('the interrupted evaluation to end as stopped', async () => readStatus(first)?.state === 'stopped', { timeoutMs: 30000 }).catch((err) => {
    throw new Error(`${err.message}: it says ${JSON.stringify(readStatus(first)?.state)}`);
  });
  if (!/merge_adapter\.py waited for your review.*Run "ML Intern: Evaluate" again/.test(readStatus(first).lastMessage)) throw new Error(`status.json's message: '${readStatus(first).lastMessage}'`);
  const again = await notificationButton(page, 'waited for your review', 'Evaluate again');
  await ctx.screenshot(page, '0-evaluate-again');
  await again.click();
  // The run folder appears a moment before its spec.json is written.
  const second = await waitFor('"Evaluate again" to start a new run', async () => runFolders(ctx.workspace).find((f) => f !== first && existsSync(join(f, 'spec.json'))), { timeoutMs: 30000 });
  const request = (f) => JSON.stringify(JSON.parse(readFileSync(join(f, 'spec.json'), 'utf8')).request);
  if (request(second) !== request(first)) throw new Error(`"Evaluate again" started another request: ${request(second)} vs ${request(first)}`);
  return page;
}

export const flow = {
  id: 'evaluate-reload',
  name: 'Evaluate reload: under review → interrupted → "Evaluate again"; LightEval running → Reload Window → the step is picked up, the table still comes',
  // Each benchmark takes 4 s in the fake LightEval: long enough to reload in the middle.
  env: { FAKE_LIGHTEVAL_SECONDS: '4' },
  async run(ctx) {
    const page = await interruptedThenAgain(ctx);

    // Step 2 of 4 is the base model's LightEval run.
    const folder = await waitFor('the base model\'s LightEval step', async () => {
      const f = runFolders(ctx.workspace).at(-1);
      return f && readStatus(f)?.step === 2 && typeof readStatus(f)?.pid === 'number' ? f : undefined;
    }, { timeoutMs: 90000 });
    await ctx.screenshot(page, '1-before-reload');
    await reloadWindow(page);
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
