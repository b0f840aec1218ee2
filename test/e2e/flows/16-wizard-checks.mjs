// Flow 16: the Fine-tune wizard's dataset step refuses what cannot be trained on, where the user
// chose it: an empty file and a missing path each bring the dataset step back with what is wrong
// (as a warning and atop the picker), and the user picks again and goes on. The model id is
// checked against the Hub; this machine is offline, so the wizard says it could not check and
// goes on instead of blocking.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, runCommand } from '../workbench.mjs';
import { openReady, writeWorkspaceSettings } from '../lib.mjs';

const toasts = async (page) => (await page.locator('.notifications-toasts, .notification-list-item').allTextContents()).join(' ');

export const flow = {
  id: 'wizard-checks',
  name: 'Fine-tune wizard: an empty file or a missing path stops at the dataset step; pick again and go on',
  async run(ctx) {
    writeWorkspaceSettings(ctx.workspace, {});
    writeFileSync(join(ctx.workspace, 'data', 'empty.jsonl'), '');
    const page = await openReady(ctx);
    const input = page.locator('.quick-input-widget input');
    const title = async () => (await page.locator('.quick-input-widget .quick-input-title').textContent().catch(() => '')) ?? '';
    const rows = async () => (await page.locator('.quick-input-list .monaco-list-row').allTextContents()).join(' | ');
    const atStep = (n) => waitFor(`wizard step ${n}/7`, async () => {
      const busy = await page.locator('.quick-input-widget .quick-input-progress-bar .progress-bit').isVisible().catch(() => false);
      return (await title()).includes(`(${n}/7)`) && !busy && (await input.isEditable().catch(() => false));
    }, { timeoutMs: 90000 });
    // As a user does: type, see the row for it highlighted at the top, press Enter (the picker's rows come
    // from the extension host a moment after the keys: Enter before that would take another row).
    const answer = async (text) => {
      await input.fill(text);
      await waitFor(`'${text}' typed and its row on top`, async () => (await input.inputValue()) === text && ((await page.locator('.quick-input-list .monaco-list-row').first().textContent().catch(() => '')) ?? '').includes(text));
      await page.keyboard.press('Enter');
    };

    await runCommand(page, 'ML Intern: Fine-tune');
    await atStep(1);
    await answer('Qwen/Qwen2.5-0.5B-Instruct');
    await atStep(2);
    await waitFor('the offline notice that the model id could not be checked', async () => /could not check 'Qwen\/Qwen2\.5-0\.5B-Instruct' on the Hugging Face Hub/.test(await toasts(page)), { timeoutMs: 20000 });
    ctx.log('model: offline, said it could not check, went on');

    await answer('data/empty.jsonl');
    await waitFor('the warning that the empty file has no rows', async () => /data\/empty\.jsonl has no rows the training can read/.test(await toasts(page)), { timeoutMs: 60000 });
    await atStep(2);
    await waitFor('the problem atop the dataset picker', async () => /data\/empty\.jsonl has no rows the training can read/.test(await rows()), { timeoutMs: 10000 });
    await ctx.screenshot(page, '1-empty-file-refused');
    ctx.log('empty file: back at the dataset step, saying why');

    await answer('data/missing.jsonl');
    await waitFor('the warning that the path does not exist', async () => /Could not read data\/missing\.jsonl: File not found/.test(await toasts(page)), { timeoutMs: 60000 });
    await atStep(2);
    ctx.log('missing path: back at the dataset step, saying why');

    await answer('data/medical_qa.jsonl');
    // The method step's list appears once the inspection (a busy picker titled 3/7) is done.
    await waitFor('the method step, with SFT matching the usable file', async () => (await title()).includes('(3/7)') && /SFT.*matches the data/.test(await rows()), { timeoutMs: 90000 });
    await page.keyboard.press('Escape');
    ctx.log('a usable file goes on to the method step');
  },
};
