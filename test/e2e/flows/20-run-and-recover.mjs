// Flow 2: approve the run → the integrated terminal shows the trainer's output →
// it fails with CUDA out of memory → the playbook's fix diff appears → accept →
// the run starts again and succeeds → the chat panel shows the loss chart and the summary.
// The fixture "python" (test/fixtures/trainer/fake-python) stands in for the GPU box.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, runCommand } from '../workbench.mjs';
import { openReady, fineTuneWizard, waitForDiff, reviewKind, answerRunDialog, writeWorkspaceSettings, panel, terminalText, waitForRunState } from '../lib.mjs';

export const flow = {
  id: 'recover',
  name: 'Run and recover: OOM in the terminal → playbook diff → accepted → second run succeeds, chart and summary in the panel',
  env: { FAKE_OOM_ABOVE: '1', FAKE_STEPS: '40', FAKE_DELAY_MS: '40' },
  async run(ctx) {
    writeWorkspaceSettings(ctx.workspace, {});
    const page = await openReady(ctx);
    await fineTuneWizard(page, { model: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/medical_qa.jsonl', method: 'SFT', adapter: 'LoRA', split: '5 %' });
    await waitForDiff(page, 'train.py');
    await runCommand(page, 'ML Intern: Accept Change');
    await waitForDiff(page, 'requirements.txt');
    await runCommand(page, 'ML Intern: Accept Change');
    await answerRunDialog(page, 'Run');

    await waitFor('the CUDA out-of-memory traceback in the integrated terminal', async () => /OutOfMemoryError/.test(await terminalText(page)), { timeoutMs: 90000 });
    await ctx.screenshot(page, '1-terminal-oom');
    await waitForDiff(page, 'train.py');
    if ((await reviewKind(page, 'train.py')) !== 'diff') throw new Error('the fix of the existing train.py did not open as a diff');
    const chat = panel(page);
    await chat.locator('[data-testid="recovery-timeline"]').first().waitFor({ timeout: 30000 });
    const timeline = await chat.locator('[data-testid="recovery-timeline"]').first().textContent();
    if (!/out of memory|cuda_oom/i.test(timeline ?? '')) throw new Error(`the recovery timeline does not name the OOM: ${timeline}`);
    await ctx.screenshot(page, '2-playbook-fix-diff');
    await runCommand(page, 'ML Intern: Accept Change');

    const folder = await waitForRunState(ctx.workspace, 'succeeded', 120000);
    const script = readFileSync(join(ctx.workspace, 'ml-intern', 'sft-qwen2-5-0-5b-instruct', 'train.py'), 'utf8');
    if (!/PER_DEVICE_TRAIN_BATCH_SIZE = 2\b/.test(script)) throw new Error('the accepted fix did not halve the micro-batch to 2');
    if (!/GRADIENT_ACCUMULATION_STEPS = 8\b/.test(script)) throw new Error('the accepted fix did not double gradient accumulation to 8');
    const recovery = readFileSync(join(folder, 'recovery.jsonl'), 'utf8');
    if (!/"category":"cuda_oom"/.test(recovery) || !/"outcome":"fixed"/.test(recovery)) throw new Error(`recovery.jsonl does not record the fixed OOM: ${recovery.slice(0, 400)}`);

    await chat.locator('[data-testid="loss-chart-canvas"]').first().waitFor({ state: 'visible', timeout: 30000 });
    await chat.locator('[data-testid="loss-chart-canvas"]:visible').last().scrollIntoViewIfNeeded();
    await waitFor('the summary in the chat panel', async () => /Training finished after 1 automatic repair/.test((await chat.locator('[data-testid="assistant-message"]').allTextContents()).join('\n')), { timeoutMs: 30000 });
    // The line of latest figures under the progress: the fixture trainer logs token accuracy and grad norm.
    await waitFor('the latest figures on the run card', async () => /token accuracy [\d.]+ % · grad norm [\d.]+/.test((await chat.locator('[data-testid="run-figures"]:visible').allTextContents()).join('\n')), { timeoutMs: 30000 });
    await ctx.screenshot(page, '3-panel-chart-and-summary');
  },
};
