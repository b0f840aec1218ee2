// Flow 4b: the chat agent starts a training (approved in the dialog), then "Developer: Reload
// Window" → the training goes on (it is detached), the reopened agent run waits for it in a
// re-attached terminal, hands the model the real result (exit code 0 and the last output, not
// "interrupted") and finishes; metrics.jsonl has each loss point once. A message typed while the
// training still goes joins that run and reaches the model right after the command's result.
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, runCommand, reloadWindow } from '../workbench.mjs';
import { answerRunDialog, openChatWithFakeLlm, runFolders, waitForRunState } from '../lib.mjs';

// The training goes on until the test releases it (the file `release` in the workspace), so the
// message typed after the reload always lands while it still runs, however slow the machine
// (on a slow CI machine a fixed-length run could end during the reload and the typed message
// then started a second run). It prints how many loss lines it wrote, to compare with metrics.jsonl.
const MIN_STEPS = 20;
const SCRIPT = [
  'import os, time',
  'step, printed = 0, 0',
  `while step < ${MIN_STEPS} or step % 5 != 0 or not os.path.exists("release"):`,
  '    step += 1',
  '    time.sleep(0.5)',
  '    if step % 5 == 0:',
  '        printed += 1',
  '        print({"loss": round(max(2 - step * 0.02, 0.1), 3), "grad_norm": 0.5, "learning_rate": 2e-05, "epoch": round(step / 1000, 3)}, flush=True)',
  '    if step > 2000:',
  '        raise SystemExit("never released")',
  'open("printed.txt", "w").write(str(printed))',
  'print({"train_runtime": step * 0.5, "train_loss": 1.4, "epoch": 1.0}, flush=True)',
  'print("saved the adapter to out/adapter", flush=True)',
  '',
].join('\n');
const call = (id, name, args) => ({ id, name, arguments: JSON.stringify(args) });
const TURNS = [
  { text: 'Starting the training run.', toolCalls: [call('r1', 'run', { command: ['python', 'slow_run.py'], reason: 'the training run' })] },
  { toolCalls: [call('r2', 'finish', { summary: 'The training finished after the reload.' })] },
];

function lossCount(folder) {
  const file = join(folder, 'metrics.jsonl');
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((p) => typeof p.loss === 'number').length;
}

export const flow = {
  id: 'chat-reload',
  name: 'Chat reload mid-training: the agent\'s training goes on, the reopened run waits for it and finishes with its real result',
  async run(ctx) {
    const { llm, page, chat } = await openChatWithFakeLlm(ctx, TURNS, { 'slow_run.py': SCRIPT });
    await chat.locator('[data-testid="chat-input"]').fill('Run slow_run.py');
    await chat.locator('[data-testid="send-button"]').click();
    await answerRunDialog(page, 'Run');
    const folder = await waitFor('the run folder', async () => runFolders(ctx.workspace)[0]);
    await waitFor('a few loss points in metrics.jsonl', async () => lossCount(folder) >= 2, { timeoutMs: 60000 });
    await ctx.screenshot(page, '1-before-reload');

    await reloadWindow(page);
    await waitFor('the re-attached terminal', async () => /re-attached/.test(await page.locator('.terminal-tabs-entry, .tabs-list, .pane-header, .single-terminal-tab').allTextContents().then((t) => t.join(' '))), { timeoutMs: 90000 });
    await ctx.screenshot(page, '2-after-reload');
    // A message typed while the training still goes: it joins that run (not a new one) and the model reads it next.
    await runCommand(page, 'ML Intern: Open Chat');
    await chat.locator('[data-testid="chat-input"]').fill('also save the tokenizer');
    await chat.locator('[data-testid="send-button"]').click();
    await waitFor('the message in the panel', async () => /also save the tokenizer/.test(await chat.locator('[data-testid="timeline"]').textContent()), { timeoutMs: 30000 });

    writeFileSync(join(ctx.workspace, 'release'), '');
    await waitForRunState(ctx.workspace, 'succeeded', 120000);
    const requests = JSON.parse(readFileSync(llm.record, 'utf8'));
    if (requests.length !== 2) throw new Error(`expected 2 LLM calls, the fake server saw ${requests.length}`);
    const after = JSON.stringify(requests[1].body.messages);
    if (/Interrupted before this call completed/.test(after)) throw new Error('the model was told the training was interrupted');
    if (!/exit code 0/.test(after) || !/saved the adapter to out\/adapter/.test(after)) throw new Error(`the training's real result did not reach the model: ${after.slice(-600)}`);
    const order = requests[1].body.messages.slice(-2).map((m) => `${m.role}:${typeof m.content === 'string' ? m.content.slice(0, 40) : ''}`);
    if (order[0].split(':')[0] !== 'tool' || order[1] !== 'user:also save the tokenizer') throw new Error(`the message typed mid-run did not follow the command's result: ${JSON.stringify(order)}`);
    if (runFolders(ctx.workspace).length !== 1) throw new Error(`the message typed mid-run started another run (${runFolders(ctx.workspace).length} run folders)`);
    const printed = Number(readFileSync(join(ctx.workspace, 'printed.txt'), 'utf8'));
    const points = lossCount(folder);
    if (!(printed >= MIN_STEPS / 5) || points !== printed) throw new Error(`metrics.jsonl has ${points} loss points, the script printed ${printed}: points were lost or recorded twice across the reload`);
    await waitFor("the agent's finish summary in the panel", async () => /The training finished after the reload/.test(await chat.locator('[data-testid="timeline"]').textContent()), { timeoutMs: 60000 });
    await ctx.screenshot(page, '3-finished');
  },
};
