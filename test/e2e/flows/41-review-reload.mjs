// A reload while a new file's proposal waits for review: the proposal lived in the old extension
// host's memory, so the tab VS Code restores could only show "The editor could not be opened".
// The reopened window closes it (the run folder keeps every proposed version). Nothing can move
// that run on any more: it ends as interrupted — the panel says what happened and how to go on
// (not "running" with a red Stop), the status bar does not say it waits — and the notice's
// "Fine-tune again" starts the same request, which proposes train.py again.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, runCommand, reloadWindow, notificationButton } from '../workbench.mjs';
import { openReady, fineTuneWizard, waitForDiff, reviewKind, writeWorkspaceSettings, panel, runFolders, readStatus, openChatWithFakeLlm, waitForRunState } from '../lib.mjs';

const INTERRUPTED = /The window reloaded while train\.py waited for your review, so the run stopped there: nothing was written\. Run "ML Intern: Fine-tune" again with the same choices\./;

const fineTune = {
  id: 'review-reload',
  name: 'Reload with a new file under review: no restored proposal tab is left showing an error, the run ends as interrupted',
  async run(ctx) {
    writeWorkspaceSettings(ctx.workspace, {});
    const page = await openReady(ctx);
    await fineTuneWizard(page, { model: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/medical_qa.jsonl', method: 'SFT', adapter: 'LoRA', split: '5 %' });
    await waitForDiff(page, 'train.py');
    if ((await reviewKind(page, 'train.py')) !== 'new file') throw new Error('the new train.py did not open as the proposal alone');
    // The card's button says what it opens: a new file has no diff.
    const chat = panel(page);
    const review = chat.locator('[data-testid="change-card"]', { hasText: 'train.py' }).locator('[data-testid="change-review"]');
    await review.first().waitFor({ timeout: 30000 });
    if ((await review.first().innerText()).trim() !== 'Review') throw new Error(`the new train.py's card button reads '${await review.first().innerText()}', not 'Review'`);
    const [run] = runFolders(ctx.workspace);

    await reloadWindow(page);
    // The run ended as interrupted, in its folder, with what to do next. Waited for first: it shows the
    // extension active again (its commands are in the palette before that), before which a restored
    // tab may still appear, late, on a loaded machine.
    await waitFor("the run's status.json to say stopped", async () => readStatus(run)?.state === 'stopped', { timeoutMs: 30000 }).catch((err) => {
      throw new Error(`${err.message}: it says ${JSON.stringify(readStatus(run)?.state)}`);
    });
    if (!INTERRUPTED.test(readStatus(run).lastMessage)) throw new Error(`status.json's message: '${readStatus(run).lastMessage}'`);
    const proposalTabs = () => page.locator('.tabs-container .tab', { hasText: 'ML Intern proposal' }).count();
    await waitFor('the restored proposal tab to close', async () => (await proposalTabs()) === 0, { timeoutMs: 30000 }).catch(async (err) => {
      throw new Error(`${err.message}: the editor shows '${(await page.locator('.part.editor').first().innerText()).replace(/\s+/g, ' ').slice(0, 200)}'`);
    });
    // Still closed a moment later (nothing reopens it).
    await new Promise((r) => setTimeout(r, 2000));
    if ((await proposalTabs()) !== 0) throw new Error('a proposal tab came back after the reload');
    if ((await page.locator('.part.editor', { hasText: 'could not be opened' }).count()) > 0) throw new Error('an editor shows "could not be opened" after the reload');

    // The panel: not running, no Stop, the message shown.
    await runCommand(page, 'ML Intern: Open Chat');
    const state = chat.locator('[data-testid="run-state"]');
    await waitFor("the panel's run state to read stopped", async () => (await state.innerText().catch(() => '')).trim() === 'stopped', { timeoutMs: 30000 }).catch(async (err) => {
      throw new Error(`${err.message}: it reads '${await state.innerText().catch(() => '?')}'`);
    });
    if (await chat.locator('[data-testid="stop-button"]').isVisible()) throw new Error('the panel still shows Stop for the interrupted run');
    await waitFor('the interrupted message in the panel', async () => INTERRUPTED.test((await chat.locator('[data-testid="notice"]').allInnerTexts()).join('\n')), { timeoutMs: 20000 });
    // The status bar: not waiting, not running.
    const busy = await page.locator('.statusbar-item', { hasText: /ML Intern: (waiting|running|starting)|to review/ }).allInnerTexts();
    if (busy.length) throw new Error(`the status bar still says: ${busy.join(' | ')}`);
    await ctx.screenshot(page, '1-after-reload');

    // The notice's "Fine-tune again": the same request, a new run, train.py proposed again.
    await (await notificationButton(page, 'waited for your review', 'Fine-tune again')).click();
    await waitForDiff(page, 'train.py');
    const folders = runFolders(ctx.workspace);
    if (folders.length !== 2) throw new Error(`Fine-tune again made ${folders.length - 1} new run folders, not 1`);
    const spec = (f) => JSON.parse(readFileSync(join(f, 'spec.json'), 'utf8')).request;
    if (JSON.stringify(spec(folders[1])) !== JSON.stringify(spec(folders[0]))) throw new Error('Fine-tune again did not start the same request');
    await ctx.screenshot(page, '2-fine-tune-again');
  },
};

// The same reload in a chat run: the agent's new notes.md waits for review. The run ends as
// interrupted, saying a message continues it; the message does — the model is told the write was
// interrupted (nothing was written) and goes on in the same run.
const call = (id, name, args) => ({ id, name, arguments: JSON.stringify(args) });
const TURNS = [
  { text: 'Writing the notes.', toolCalls: [call('w1', 'write_file', { path: 'notes.md', content: '# Notes\n', description: 'the run notes' })] },
  { toolCalls: [call('f1', 'finish', { summary: 'Went on after the reload.' })] },
];
const CHAT_INTERRUPTED = /The window reloaded while notes\.md waited for your review, so the run stopped there: nothing was written\. Send a message in this chat to continue the run from where it was\./;

const chatRun = {
  id: 'chat-review-reload',
  name: 'Reload with a chat run\'s new file under review: the run ends as interrupted and a message continues it',
  async run(ctx) {
    const { llm, page, chat } = await openChatWithFakeLlm(ctx, TURNS);
    await chat.locator('[data-testid="chat-input"]').fill('Write notes.md');
    await chat.locator('[data-testid="send-button"]').click();
    await waitForDiff(page, 'notes.md');
    const [run] = runFolders(ctx.workspace);

    await reloadWindow(page);
    await waitFor("the run's status.json to say stopped", async () => readStatus(run)?.state === 'stopped', { timeoutMs: 30000 }).catch((err) => {
      throw new Error(`${err.message}: it says ${JSON.stringify(readStatus(run)?.state)}`);
    });
    if (!CHAT_INTERRUPTED.test(readStatus(run).lastMessage)) throw new Error(`status.json's message: '${readStatus(run).lastMessage}'`);
    // The notice says it with the panel closed too; its "Open chat" shows the run's chat.
    await (await notificationButton(page, 'waited for your review', 'Open chat')).click();
    const state = chat.locator('[data-testid="run-state"]');
    await waitFor("the panel's run state to read stopped", async () => (await state.innerText().catch(() => '')).trim() === 'stopped', { timeoutMs: 30000 });
    if (await chat.locator('[data-testid="stop-button"]').isVisible()) throw new Error('the panel still shows Stop for the interrupted run');
    await waitFor('the interrupted message in the panel', async () => CHAT_INTERRUPTED.test((await chat.locator('[data-testid="notice"]').allInnerTexts()).join('\n')), { timeoutMs: 20000 });
    const busy = await page.locator('.statusbar-item', { hasText: /ML Intern: (waiting|running|starting)|to review/ }).allInnerTexts();
    if (busy.length) throw new Error(`the status bar still says: ${busy.join(' | ')}`);
    await ctx.screenshot(page, '1-chat-after-reload');

    await chat.locator('[data-testid="chat-input"]').fill('go on');
    await chat.locator('[data-testid="send-button"]').click();
    await waitForRunState(ctx.workspace, 'succeeded', 60000);
    if (runFolders(ctx.workspace).length !== 1) throw new Error('the message started another run instead of continuing this one');
    const requests = JSON.parse(readFileSync(llm.record, 'utf8'));
    const messages = requests[requests.length - 1].body.messages;
    const result = messages.find((m) => m.role === 'tool' && m.tool_call_id === 'w1');
    if (!result || !/Interrupted before this call completed/.test(String(result.content))) throw new Error(`the model was not told the write was interrupted: ${JSON.stringify(result)}`);
    if (messages[messages.length - 1].role !== 'user' || messages[messages.length - 1].content !== 'go on') throw new Error('the message did not reach the model');
    await ctx.screenshot(page, '2-chat-continued');
  },
};

export const flows = [fineTune, chatRun];
