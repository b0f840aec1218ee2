// Flow 3: chat with an LLM (a fake OpenAI-compatible server over HTTP, through the
// real openai SDK in the extension host): type a request → the streamed answer appears
// → the agent proposes a script → reject it with a reason → the agent revises → accept
// → the agent runs it (approved in the dialog) → its card in the panel draws the loss chart.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, runCommand } from '../workbench.mjs';
import { answerRunDialog, openChatWithFakeLlm, waitForDiff } from '../lib.mjs';

const V1 = 'EPOCHS = 3\nprint("training for", EPOCHS, "epochs")\n';
const V2 = 'EPOCHS = 2\nprint("training for", EPOCHS, "epochs")\nfor step in range(1, 6):\n    print({"loss": round(2 - step * 0.25, 2), "grad_norm": 0.5, "epoch": step / 5}, flush=True)\n';
const call = (id, name, args) => ({ id, name, arguments: JSON.stringify(args) });

const TURNS = [
  { text: "I'll start with a first draft of the training script for your medical QA data.", chunkSize: 12, toolCalls: [call('c1', 'write_file', { path: 'chat_train.py', content: V1, description: 'first draft of the training script' })] },
  { text: 'Understood — two epochs it is.', toolCalls: [call('c2', 'write_file', { path: 'chat_train.py', content: V2, description: 'train for 2 epochs as asked' })] },
  { toolCalls: [call('c3', 'run', { command: ['python', 'chat_train.py'], reason: 'a first short training run' })] },
  { toolCalls: [call('c4', 'finish', { summary: 'Wrote chat_train.py (2 epochs), as you asked, and ran it.' })] },
];

export const flow = {
  id: 'chat',
  name: 'Chat: streamed answer → proposed script → rejected with a reason → revised → accepted → run, with its loss chart',
  async run(ctx) {
    const { llm, page, chat } = await openChatWithFakeLlm(ctx, TURNS);
    await chat.locator('[data-testid="chat-input"]').fill('Write a minimal SFT script for data/medical_qa.jsonl');
    await chat.locator('[data-testid="send-button"]').click();

    await waitFor('the streamed answer in the panel', async () => /first draft of the training script for your medical QA data/.test((await chat.locator('[data-testid="assistant-message"]').allTextContents()).join('\n')), { timeoutMs: 60000 });
    await waitForDiff(page, 'chat_train.py');
    await ctx.screenshot(page, '1-streamed-answer-and-proposal');
    await runCommand(page, 'ML Intern: Reject Change');
    const reason = page.locator('.quick-input-widget input');
    await reason.waitFor({ state: 'visible' });
    await reason.fill('use 2 epochs');
    await page.keyboard.press('Enter');

    await waitFor('the revised proposal (2 epochs)', async () => {
      if (!existsSync(llm.record)) return false;
      const requests = JSON.parse(readFileSync(llm.record, 'utf8'));
      return requests.length >= 2;
    }, { timeoutMs: 60000 });
    await waitForDiff(page, 'chat_train.py');
    await runCommand(page, 'ML Intern: Accept Change');
    await waitFor('chat_train.py on disk to be the accepted revision', async () => existsSync(join(ctx.workspace, 'chat_train.py')) && readFileSync(join(ctx.workspace, 'chat_train.py'), 'utf8') === V2, { timeoutMs: 30000 });
    // The agent runs the script: approved in the dialog; the card of the command draws the losses it printed.
    await answerRunDialog(page, 'Run');
    await chat.locator('[data-testid="loss-chart-canvas"]').first().waitFor({ state: 'visible', timeout: 60000 });
    await waitFor('the latest figures on the command card', async () => /grad norm 0\.5/.test((await chat.locator('[data-testid="run-figures"]:visible').allTextContents()).join('\n')), { timeoutMs: 30000 });
    await waitFor("the agent's finish summary in the panel", async () => /Wrote chat_train\.py \(2 epochs\)/.test(await chat.locator('[data-testid="timeline"]').textContent()), { timeoutMs: 60000 });

    const requests = JSON.parse(readFileSync(llm.record, 'utf8'));
    const second = JSON.stringify(requests[1].body.messages);
    if (!second.includes('use 2 epochs')) throw new Error('the rejection reason did not reach the model in the next request');
    if (requests.length !== 4) throw new Error(`expected 4 LLM calls, the fake server saw ${requests.length}`);
    const ran = JSON.stringify(requests[3].body.messages);
    if (!/exit code 0/.test(ran)) throw new Error('the run result (exit code 0) did not reach the model');
    await ctx.screenshot(page, '2-after-accept');
  },
};
