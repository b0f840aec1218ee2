// Flow 62: a trained adapter → "ML Intern: Try It…" with the held-out split's prompts → the
// side-by-side view opens prefilled → Run → try_it.py is proposed and run as the recipe session
// (auto-approved here: flows 1–2 cover the review) by the fixture interpreter, which runs the real
// try_it.py on stub transformers printing the real JSON-lines stream a token every 120 ms → the
// base and trained columns stream, then show whole answers; the transcript is in ml-intern/try-final/.
// The adapter is where the Fine-tune command saves one (the work folder, mlIntern.workFolder's
// default ml-intern/): the model picker lists it, and the prompts picker lists the data, never
// ML Intern's own files (an earlier transcript in the work folder). Then "Start a vLLM server" with the stand-in
// vllm beside the fixture python: ready → the endpoint and names filled → Run answers from it → Stop ends it.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, runCommand } from '../workbench.mjs';
import { EVAL_PYTHON, writeTrainedAdapter, answerQuickInput, openReady, writeWorkspaceSettings } from '../lib.mjs';

const HELD_OUT = ['What is a normal resting heart rate?', 'When should a fever be checked by a doctor?'];

/** The frame of the Try-it webview (the chat panel is another webview beside it). */
async function tryItFrame(page) {
  let found;
  await waitFor('the Try it view', async () => {
    for (const f of page.frames()) {
      if ((await f.locator('[data-testid="tryit-run"]').count().catch(() => 0)) > 0) {
        found = f;
        return true;
      }
    }
    return false;
  }, { timeoutMs: 60000 });
  return found;
}

export const flow = {
  id: 'try-it',
  name: 'Try It: held-out prompts → base and trained answers stream side by side → transcript kept',
  async run(ctx) {
    const ADAPTER = 'ml-intern/sft-qwen2-5-0-5b-instruct/outputs/final';
    writeTrainedAdapter(ctx.workspace);
    mkdirSync(join(ctx.workspace, ADAPTER, '..'), { recursive: true });
    renameSync(join(ctx.workspace, 'outputs', 'final'), join(ctx.workspace, ADAPTER));
    mkdirSync(join(ctx.workspace, 'ml-intern', 'try-old'), { recursive: true });
    writeFileSync(join(ctx.workspace, 'ml-intern', 'try-old', 'transcript.jsonl'), `${JSON.stringify({ event: 'answer', side: 'base', prompt: 0, text: 'old' })}\n`);
    mkdirSync(join(ctx.workspace, 'data'), { recursive: true });
    writeFileSync(join(ctx.workspace, 'data', 'heldout.jsonl'), HELD_OUT.map((q) => JSON.stringify({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: 'x' }] })).join('\n') + '\n');
    writeWorkspaceSettings(ctx.workspace, { 'mlIntern.pythonPath': EVAL_PYTHON, 'mlIntern.autoApprove': 'recipe' });
    const page = await openReady(ctx);
    await runCommand(page, 'ML Intern: Try It');
    const rows = async () => (await page.locator('.quick-input-list .monaco-list-row').allTextContents()).join(' | ');
    await waitFor(`the model picker to list ${ADAPTER}`, async () => (await rows()).includes(ADAPTER), { timeoutMs: 60000 });
    await answerQuickInput(page, 'Try It (1/3)', ADAPTER);
    await answerQuickInput(page, 'Try It (2/3)', 'Qwen/Qwen2.5-0.5B-Instruct');
    await waitFor('the prompts picker to list data/heldout.jsonl', async () => (await rows()).includes('data/heldout.jsonl'), { timeoutMs: 60000 });
    if ((await rows()).includes('ml-intern/')) throw new Error(`the prompts picker lists ML Intern's own files: ${await rows()}`);
    await ctx.screenshot(page, '0-prompts-picker');
    await answerQuickInput(page, 'Try It (3/3)', 'data/heldout.jsonl');

    const view = await tryItFrame(page);
    const prompt1 = await view.locator('[data-testid="tryit-prompt-1"]').inputValue();
    const prompt2 = await view.locator('[data-testid="tryit-prompt-2"]').inputValue();
    if (prompt1 !== HELD_OUT[0] || prompt2 !== HELD_OUT[1]) throw new Error(`the view is not prefilled with the held-out prompts: '${prompt1}', '${prompt2}'`);
    await view.locator('[data-testid="tryit-system"]').fill('Answer in one sentence.');
    await ctx.screenshot(page, '1-prefilled');
    await view.locator('[data-testid="tryit-run"]').click();

    // A column seen mid-answer: some text, not the whole answer yet.
    const base0 = view.locator('[data-testid="tryit-base-0"]');
    await waitFor('the base column streaming', async () => (await base0.getAttribute('data-state').catch(() => null)) === 'streaming' && ((await base0.textContent()) ?? '').length > 0, { timeoutMs: 120000, intervalMs: 100 });
    const partial = (await base0.textContent()) ?? '';
    await ctx.screenshot(page, '2-streaming');

    const trained1 = view.locator('[data-testid="tryit-trained-1"]');
    await waitFor('both answers to both prompts', async () => (await trained1.getAttribute('data-state').catch(() => null)) === 'done', { timeoutMs: 120000 });
    const base = (await base0.textContent()) ?? '';
    const trained = (await view.locator('[data-testid="tryit-trained-0"]').textContent()) ?? '';
    if (base !== 'I am not sure, please ask a doctor.' || trained !== 'A resting rate of 60 to 100 beats per minute is normal.') throw new Error(`the columns do not hold the two models' answers: base '${base}', trained '${trained}'`);
    if (!(partial.length < base.length && base.startsWith(partial))) throw new Error(`the base column did not stream: saw '${partial}' before '${base}'`);
    await waitFor('the done state', async () => (await view.locator('[data-testid="tryit-status"]').getAttribute('data-state')) === 'done', { timeoutMs: 30000 });
    await ctx.screenshot(page, '3-answered');

    const transcript = readFileSync(join(ctx.workspace, 'ml-intern', 'try-final', 'transcript.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const answers = transcript.filter((e) => e.event === 'answer');
    if (answers.length !== 4) throw new Error(`the transcript keeps ${answers.length} answers, not 4`);
    if (transcript[0].system !== 'Answer in one sentence.') throw new Error(`the transcript's system prompt is '${transcript[0].system}'`);

    // "Start a vLLM server": the fixture python's bin/ has a stand-in `vllm` (test/fixtures/fake-vllm/vllm, a python
    // http.server with the OpenAI routes); auto-approved as a recipe command here. Ready fills the fields, Run streams both.
    await view.locator('[data-testid="tryit-backend"]').selectOption('vllm');
    await view.locator('[data-testid="tryit-serve"]').click();
    const serverStatus = view.locator('[data-testid="tryit-server-status"]');
    await waitFor('the vLLM server ready', async () => {
      const state = await serverStatus.getAttribute('data-state');
      if (state === 'failed') throw new Error(`the server did not start: ${await serverStatus.textContent()}`);
      return state === 'ready';
    }, { timeoutMs: 60000 });
    const endpoint = await view.locator('[data-testid="tryit-endpoint"]').inputValue();
    if (!/^http:\/\/127\.0\.0\.1:\d+\/v1$/.test(endpoint) || endpoint.endsWith(':8000/v1')) throw new Error(`the endpoint was not filled with the server's port: ${endpoint}`);
    const trainedName = await view.locator('[data-testid="tryit-trainedName"]').inputValue();
    await ctx.screenshot(page, '4-server-ready');
    await view.locator('[data-testid="tryit-run"]').click();
    await waitFor('both vLLM answers', async () => (await view.locator('[data-testid="tryit-trained-1"]').textContent()) === `${trainedName} answers: ${HELD_OUT[1]}` && (await view.locator('[data-testid="tryit-status"]').getAttribute('data-state')) === 'done', { timeoutMs: 60000 });
    const vllmBase = await view.locator('[data-testid="tryit-base-0"]').textContent();
    if (vllmBase !== `Qwen/Qwen2.5-0.5B-Instruct answers: ${HELD_OUT[0]}`) throw new Error(`the base column from vLLM: '${vllmBase}'`);
    await ctx.screenshot(page, '5-vllm-answered');
    await view.locator('[data-testid="tryit-serve-stop"]').click();
    await waitFor('the server stopped', async () => (await serverStatus.getAttribute('data-state')) === 'stopped', { timeoutMs: 30000 });
    if (await fetch(`${endpoint}/models`).then(() => true, () => false)) throw new Error(`${endpoint} still answers after Stop`);
  },
};
