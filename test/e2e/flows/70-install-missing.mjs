// Flow 7: a fresh GPU box without trl/datasets/peft (the fixture interpreter with FAKE_BARE_BOX) →
// the wizard's adapter step names what is missing → after the script is accepted, ML Intern asks once to pip-install what the environment check found
// missing (the dialog names the command) → Run → pip's output in the integrated terminal → then it
// asks to start training. pip is the fixture's stand-in (FAKE_PIP_LOG: this machine has no index).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { waitFor, runCommand } from '../workbench.mjs';
import { openReady, fineTuneWizard, waitForDiff, answerRunDialog, writeWorkspaceSettings, terminalText } from '../lib.mjs';

const PIP_LOG = join(tmpdir(), `ml-intern-e2e-pip-${process.pid}.log`);

export const flow = {
  id: 'install',
  name: 'Fresh GPU box: one approved pip install of the missing requirements, then the training approval',
  env: { FAKE_BARE_BOX: '1', FAKE_PIP_LOG: PIP_LOG, FAKE_OOM_ABOVE: '64', FAKE_STEPS: '10' },
  async run(ctx) {
    writeWorkspaceSettings(ctx.workspace, {});
    const page = await openReady(ctx);
    let adapterStep = '';
    await fineTuneWizard(page, { model: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/medical_qa.jsonl', method: 'SFT', adapter: 'LoRA', split: '5 %' }, async (step) => {
      // What the wizard found out is listed under the choices, as rows (a placeholder is cut and vanishes when typing).
      if (step === 4) adapterStep = (await page.locator('.quick-input-widget .monaco-list-row').allTextContents()).join(' | ');
    });
    // The wizard already says what is missing, before anything is written.
    if (!/Not installed: .*trl.*datasets.*You will be asked to install them/.test(adapterStep)) throw new Error(`the adapter step does not name the missing packages: ${adapterStep}`);
    await waitForDiff(page, 'train.py');
    await runCommand(page, 'ML Intern: Accept Change');
    await waitForDiff(page, 'requirements.txt');
    await runCommand(page, 'ML Intern: Accept Change');

    const dialog = page.locator('.monaco-dialog-box');
    await waitFor('the dialog asking to pip-install the missing packages', async () => /-m pip install .*trl/.test((await dialog.allTextContents()).join(' ')), { timeoutMs: 90000 });
    const text = (await dialog.allTextContents()).join(' ');
    for (const pkg of ['trl', 'datasets', 'peft', 'accelerate']) if (!new RegExp(`\\b${pkg}\\b`).test(text)) throw new Error(`the install dialog does not name ${pkg}: ${text}`);
    await ctx.screenshot(page, '1-install-dialog');
    await answerRunDialog(page, 'Run');

    await waitFor("pip's output in the integrated terminal", async () => /Successfully installed/.test(await terminalText(page)), { timeoutMs: 60000 });
    await waitFor('the pip stand-in to have been called once', async () => existsSync(PIP_LOG) && readFileSync(PIP_LOG, 'utf8').trim().split('\n').length === 1);
    if (!/^install .*trl.*datasets/.test(readFileSync(PIP_LOG, 'utf8'))) throw new Error(`unexpected pip arguments: ${readFileSync(PIP_LOG, 'utf8')}`);
    // Then the training approval, as usual.
    await waitFor('the training approval', async () => /train\.py/.test((await dialog.allTextContents()).join(' ')), { timeoutMs: 60000 });
    await ctx.screenshot(page, '2-then-training-approval');
    await answerRunDialog(page, 'Cancel');
  },
};
