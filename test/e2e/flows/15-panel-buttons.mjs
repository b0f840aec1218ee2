// Flow 15: the chat panel's OWN change-card buttons (inside the webview), not the
// CodeLens or the palette: Review diff brings a closed diff back, Accept writes the
// file and closes its tab, Reject… → Reject writes nothing, and the status bar's
// "N change(s) to review" goes away once nothing is pending. On the way, the wizard as typed by
// a user: "medical" + Enter takes the highlighted data/medical_qa.jsonl (not a Hub id "medical"), and
// the instructions' settings land in the proposed CONFIG while what no rule reads is named.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, runCommand } from '../workbench.mjs';
import { openReady, fineTuneWizard, waitForDiff, diffTitle, answerRunDialog, answerQuickInput, writeWorkspaceSettings, runFolders, panel } from '../lib.mjs';

const SCRIPT = 'ml-intern/sft-qwen2-5-0-5b-instruct/train.py';
const REQUIREMENTS = 'ml-intern/sft-qwen2-5-0-5b-instruct/requirements.txt';

function proposed(folder, name) {
  const f = readdirSync(join(folder, 'scripts')).filter((n) => n.includes('-proposed-') && n.endsWith(name)).sort();
  return readFileSync(join(folder, 'scripts', f[f.length - 1]), 'utf8');
}

/** The pending card of `file` in the panel (its buttons are the ones a user clicks). */
function card(page, file) {
  return panel(page).locator('[data-testid="change-card"]', { hasText: file }).filter({ has: panel(page).locator('[data-testid="change-accept"]') }).last();
}

const reviewBadge = (page) => page.locator('.statusbar-item', { hasText: /change(s)? to review/ });

export const flow = {
  id: 'panel-buttons',
  name: "Panel change cards: the card's own Review diff, Accept and Reject buttons",
  async run(ctx) {
    writeWorkspaceSettings(ctx.workspace, {});
    const page = await openReady(ctx);
    await fineTuneWizard(page, {
      model: 'Qwen/Qwen2.5-0.5B-Instruct',
      dataset: 'medical',
      method: 'SFT',
      adapter: 'LoRA',
      split: '5 %',
      instructions: '3 epochs, max length 512, lr 1e-4, focus on short answers',
    });
    await waitForDiff(page, 'train.py');
    const proposal = proposed(runFolders(ctx.workspace)[0], 'train.py');
    if (!/^DATASET = "[^"]*data\/medical_qa\.jsonl"/m.test(proposal)) throw new Error(`"medical" + Enter did not pick data/medical_qa.jsonl: ${proposal.match(/^DATASET = .*$/m)?.[0]}`);
    for (const line of [/^NUM_TRAIN_EPOCHS = 3\b/m, /^MAX_LENGTH = 512\b/m, /^LEARNING_RATE = 0?\.0001\b|^LEARNING_RATE = 1e-0?4\b/m]) {
      if (!line.test(proposal)) throw new Error(`the instructions did not reach CONFIG (${line}): ${proposal.match(/^(NUM_TRAIN_EPOCHS|MAX_LENGTH|LEARNING_RATE) = .*$/gm)?.join(' | ')}`);
    }
    await waitFor('the notice naming the instruction not applied', async () => /Not applied: "focus on short answers"/.test((await page.locator('.notifications-toasts, .notification-list-item').allTextContents()).join(' ')), { timeoutMs: 20000 });
    ctx.log('wizard: "medical" picked data/medical_qa.jsonl; 3 epochs, max length 512, lr 1e-4 in CONFIG; the rest named as not applied');
    const script = card(page, 'train.py');
    await script.waitFor({ timeout: 30000 });
    await waitFor('"1 change to review" in the status bar', async () => (await reviewBadge(page).count()) > 0, { timeoutMs: 20000 });

    // Review diff: close the diff without deciding, then bring it back from the card.
    await runCommand(page, 'View: Close Editor');
    await waitFor('the train.py diff tab to close', async () => (await diffTitle(page, 'train.py').count()) === 0, { timeoutMs: 20000 });
    await script.locator('[data-testid="change-review"]').click();
    await waitFor("the card's Review diff to reopen the train.py diff", async () => (await diffTitle(page, 'train.py').count()) > 0, { timeoutMs: 20000 });
    ctx.log('Review diff: the closed diff came back');

    // Accept: the file on disk is the proposal, its tab closes, the card says so.
    await script.locator('[data-testid="change-accept"]').click();
    const [run] = runFolders(ctx.workspace);
    await waitFor('train.py written by the card\'s Accept', async () => existsSync(join(ctx.workspace, SCRIPT)) && readFileSync(join(ctx.workspace, SCRIPT), 'utf8') === proposed(run, 'train.py'), { timeoutMs: 30000 });
    await waitFor('the train.py diff tab to close after Accept', async () => (await diffTitle(page, 'train.py').count()) === 0, { timeoutMs: 20000 });
    await waitFor('the card to say Accepted', async () => /Accepted/.test((await panel(page).locator('[data-testid="change-card"]', { hasText: 'train.py' }).first().textContent()) ?? ''), { timeoutMs: 20000 });
    ctx.log('Accept: train.py written, tab closed');

    // Reject… → Reject: nothing written, tab closed, nothing left to review.
    await waitForDiff(page, 'requirements.txt');
    const reqs = card(page, 'requirements.txt');
    await reqs.waitFor({ timeout: 30000 });
    await reqs.locator('[data-testid="change-reject"]').click();
    await reqs.locator('[data-testid="change-reject-reason"]').fill('I manage my requirements myself');
    await reqs.locator('[data-testid="change-reject-confirm"]').click();
    await waitFor('the requirements.txt diff tab to close after Reject', async () => (await diffTitle(page, 'requirements.txt').count()) === 0, { timeoutMs: 20000 });
    await waitFor('"change(s) to review" gone from the status bar', async () => (await reviewBadge(page).count()) === 0, { timeoutMs: 20000 });
    if (existsSync(join(ctx.workspace, REQUIREMENTS))) throw new Error('requirements.txt was written although its change was rejected from the panel');
    await waitFor('the card to say Rejected with the reason', async () => /Rejected: I manage my requirements myself/.test((await panel(page).locator('[data-testid="change-card"]', { hasText: 'requirements.txt' }).first().textContent()) ?? ''), { timeoutMs: 20000 });
    ctx.log('Reject: nothing written, tab closed, status bar clear');
    await ctx.screenshot(page, '1-after-panel-decisions');
    await answerRunDialog(page, 'Cancel').catch(() => undefined);

    // Set API Key switches mlIntern.provider from 'none' in the user settings: the message says so.
    await runCommand(page, 'ML Intern: Set API Key');
    await answerQuickInput(page, 'which key?', 'OpenAI');
    await answerQuickInput(page, 'ML Intern: OpenAI', ['sk', 'e2e', 'placeholder'].join('-'));
    await waitFor('the key message naming the provider setting it changed', async () => /Your user settings now say "mlIntern\.provider": "openai"/.test((await page.locator('.notifications-toasts, .notification-list-item').allTextContents()).join(' ')), { timeoutMs: 20000 });
    ctx.log('Set API Key: the message names the mlIntern.provider change');
  },
};
