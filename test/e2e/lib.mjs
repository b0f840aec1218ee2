// Shared steps of the E2E flows: the wizard, the review, dialogs, the panel, the terminal.
import { readFileSync, readdirSync, existsSync, writeFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { waitFor, openWorkbench, waitForExtension, runCommand } from './workbench.mjs';

export const FAKE_PYTHON = new URL('../fixtures/trainer/fake-python', import.meta.url).pathname;
/** The Evaluate flows' interpreter, with a fake `lighteval` next to it. */
export const EVAL_PYTHON = new URL('../fixtures/eval/fake-python', import.meta.url).pathname;
const CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

/** What trainer.save_model leaves for a LoRA run in <ws>/outputs/final: the adapter's config (naming its base) and a ChatML tokenizer. */
export function writeTrainedAdapter(ws) {
  const adapter = join(ws, 'outputs', 'final');
  mkdirSync(adapter, { recursive: true });
  writeFileSync(join(adapter, 'adapter_config.json'), JSON.stringify({ base_model_name_or_path: 'Qwen/Qwen2.5-0.5B-Instruct', peft_type: 'LORA', r: 16 }));
  writeFileSync(join(adapter, 'tokenizer_config.json'), JSON.stringify({ chat_template: CHATML, eos_token: '<|im_end|>' }));
}

export function writeWorkspaceSettings(ws, settings) {
  mkdirSync(join(ws, '.vscode'), { recursive: true });
  writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'mlIntern.pythonPath': FAKE_PYTHON, ...settings }, null, 2));
}

export async function openReady(ctx) {
  const page = await openWorkbench(ctx.browser, ctx.server, { folder: ctx.workspace });
  await waitForExtension(page);
  return page;
}

/** What the workbench shows when a wizard wait fails: the picker's title, placeholder, busy bar, rows and notifications. */
async function wizardState(page) {
  const text = async (sel) => (await page.locator(sel).allTextContents().catch(() => [])).map((t) => t.trim()).filter(Boolean);
  const visible = await page.locator('.quick-input-widget').isVisible().catch(() => false);
  const busy = await page.locator('.quick-input-widget .quick-input-progress-bar .progress-bit').isVisible().catch(() => false);
  const parts = [
    `picker ${visible ? 'open' : 'closed'}${busy ? ' (busy)' : ''}`,
    `title: ${(await text('.quick-input-widget .quick-input-title')).join(' ') || '-'}`,
    `placeholder: ${(await page.locator('.quick-input-widget input').getAttribute('placeholder').catch(() => null)) ?? '-'}`,
    `rows: ${(await text('.quick-input-list .monaco-list-row')).slice(0, 6).join(' | ') || '-'}`,
    `notifications: ${(await text('.notifications-toasts .notification-list-item-message, .monaco-dialog-box .dialog-message-text')).join(' | ') || '-'}`,
  ];
  return parts.join('; ');
}

/** Runs a wizard wait; a failure says what the workbench showed (CI keeps no screenshots). */
async function withWizardState(page, wait) {
  try {
    return await wait();
  } catch (err) {
    throw new Error(`${err.message} — the workbench showed: ${await wizardState(page)}`);
  }
}

/**
 * GRPO's rewards inside the method step: Enter keeps the checked (suggested) rewards, then the weights
 * box gets answers.rewardWeights (e.g. 'exact_answer:1, format:0.5') or keeps its text.
 */
async function grpoRewards(page, answers, title) {
  const input = page.locator('.quick-input-widget input');
  await waitFor('the GRPO rewards picker', async () => ((await title()) ?? '').includes('GRPO rewards') && (await input.isEditable()), { timeoutMs: 30000 });
  await page.keyboard.press('Enter');
  await waitFor('the GRPO reward weights box', async () => ((await title()) ?? '').includes('GRPO reward weights') && (await input.isEditable()), { timeoutMs: 30000 });
  if (answers.rewardWeights) await input.fill(answers.rewardWeights);
  await page.keyboard.press('Enter');
  await waitFor('the step after the GRPO rewards', async () => !((await title()) ?? '').includes('GRPO reward'), { timeoutMs: 30000 });
}

/** Answer the Fine-tune wizard's 7 steps with typed text + Enter (GRPO's rewards too: grpoRewards). */
export async function fineTuneWizard(page, answers, onStep) {
  await runCommand(page, 'ML Intern: Fine-tune');
  const input = page.locator('.quick-input-widget input');
  const steps = [answers.model, answers.dataset, answers.method, answers.adapter, answers.split, answers.hubRepo ?? '', answers.instructions ?? ''];
  const title = () => page.locator('.quick-input-widget .quick-input-title').textContent().catch(() => '');
  for (let i = 0; i < steps.length; i++) {
    const here = `(${i + 1}/7)`;
    const seen = await withWizardState(page, () => waitFor(`wizard step ${i + 1}/7`, async () => {
      // A broken build: VS Code says the command does not exist. Say so at once.
      const toasts = (await page.locator('.notifications-toasts, .monaco-dialog-box').allTextContents()).join(' ');
      if (/command 'mlIntern\.\w+' not found/.test(toasts)) return `VS Code reports: ${toasts.match(/command 'mlIntern\.\w+' not found/)[0]}`;
      const busy = await page.locator('.quick-input-widget .quick-input-progress-bar .progress-bit').isVisible().catch(() => false);
      return ((await title()) ?? '').includes(here) && !busy && (await input.isEditable());
    }, { timeoutMs: 90000 }));
    if (typeof seen === 'string') throw new Error(`The Fine-tune wizard did not open. ${seen}`);
    await onStep?.(i + 1);
    // Type, check the text stuck (a picker may re-render its items), press Enter, and
    // make sure the wizard moved on — retrying when a re-render swallowed the keys.
    await withWizardState(page, () => waitFor(`wizard step ${i + 1}/7 to accept '${steps[i]}'`, async () => {
      const moved = async () => !((await title()) ?? '').includes(here) || ((await title()) ?? '').includes('GRPO reward');
      if (await moved()) return true;
      await input.fill(steps[i]);
      if ((await input.inputValue()) !== steps[i]) return false;
      await page.keyboard.press('Enter');
      await waitFor('the next wizard step', async () => !((await title()) ?? '').includes(here) || !(await page.locator('.quick-input-widget').isVisible()), { timeoutMs: 3000 }).catch(() => undefined);
      return (await moved()) || !(await page.locator('.quick-input-widget').isVisible());
    }, { timeoutMs: 60000, intervalMs: 500 }));
    if (i === 2 && /^grpo$/i.test(steps[i])) await grpoRewards(page, answers, title);
  }
  // Then "before the full run": check answers.checks (labels, e.g. ['Preview tokens', 'Smoke run']) and Enter;
  // nothing checked goes straight to the full run.
  await waitFor('the wizard to ask what to check before the full run', async () => ((await title()) ?? '').includes('before the full run'), { timeoutMs: 30000 });
  for (const label of answers.checks ?? []) {
    await page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().click(); // a click on a row of a multi-select pick toggles its checkbox
  }
  await page.keyboard.press('Enter');
  await waitFor('the wizard to close', async () => !(await page.locator('.quick-input-widget').isVisible()), { timeoutMs: 10000 }).catch(() => undefined);
}

export function diffTitle(page, file) {
  return page.locator('.tabs-container .tab', { hasText: `${file}` }).filter({ hasText: 'ML Intern proposal' });
}

/**
 * Waits for the review of `file`: a diff for a change to an existing file, the proposal alone in a plain
 * editor for a new file (reviewKind says which).
 */
export async function waitForDiff(page, file) {
  await waitFor(`the review of ${file}`, async () => (await diffTitle(page, file).count()) > 0 && (await page.locator('.part.editor .monaco-editor:visible').count()) > 0, { timeoutMs: 90000 });
  // The CodeLens line shows once the editor is laid out.
  await waitFor(`the CodeLens of the ${file} review`, async () => (await page.locator('.codelens-decoration a', { hasText: 'Accept hunk' }).count()) > 0, { timeoutMs: 60000 });
}

/** How the active review of `file` shows: 'diff', or 'new file' (the proposal alone, its tab saying so); throws when it shows otherwise. */
export async function reviewKind(page, file) {
  const label = ((await page.locator('.editor-group-container.active .tabs-container .tab.active').first().textContent()) ?? '').trim();
  if (!label.includes(file) || !label.includes('ML Intern proposal')) throw new Error(`the active tab is not the review of ${file}: '${label}'`);
  const diff = (await page.locator('.part.editor .monaco-diff-editor:visible').count()) > 0;
  const lens = async (text) => (await page.locator('.part.editor .codelens-decoration a:visible', { hasText: text }).count()) > 0;
  // A diff may open scrolled to its first hunk, below the Accept change lens of line 1.
  if (diff) {
    if (!(await lens('Accept hunk'))) throw new Error(`the review diff of ${file} shows no Accept hunk CodeLens`);
    return 'diff';
  }
  if (!(await lens('Accept change'))) throw new Error(`the ${file} proposal shows no Accept change CodeLens`);
  if (!label.includes(`${file} (new file) · ML Intern proposal`)) throw new Error(`the ${file} proposal shows alone but its tab does not say it is a new file's proposal: '${label}'`);
  return 'new file';
}

export async function clickLens(page, text, index = 0) {
  const lens = page.locator('.codelens-decoration a', { hasText: text }).nth(index);
  await lens.click();
}

export async function lensCount(page, text) {
  return page.locator('.codelens-decoration a', { hasText: text }).count();
}

/** The modal dialog (window.dialogStyle custom → DOM dialog) asking to run; click a button. */
export async function answerRunDialog(page, button) {
  const dialog = page.locator('.monaco-dialog-box');
  await waitFor('the "ML Intern wants to run a command" dialog', async () => (await dialog.filter({ hasText: 'ML Intern wants to run a command' }).count()) > 0, { timeoutMs: 90000 });
  await dialog.locator('a.monaco-button, button', { hasText: new RegExp(`^${button}$`) }).first().click();
  await waitFor('the dialog to close', async () => (await dialog.count()) === 0, { timeoutMs: 20000 });
}

export function panel(page) {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

export async function terminalText(page) {
  const rows = await page.locator('.terminal-wrapper .xterm-rows > div').allTextContents();
  return rows.join('\n');
}

export function runFolders(ws) {
  const dir = join(ws, '.ml-intern', 'runs');
  return existsSync(dir) ? readdirSync(dir).sort().map((d) => join(dir, d)) : [];
}

export function readStatus(folder) {
  try {
    return JSON.parse(readFileSync(join(folder, 'status.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

export async function waitForRunState(ws, state, timeoutMs = 120000) {
  return waitFor(`a run in state '${state}' (status.json)`, async () => {
    const folders = runFolders(ws);
    const last = folders[folders.length - 1];
    const s = last && readStatus(last);
    return s?.state === state ? last : undefined;
  }, { timeoutMs });
}

/** Answer one quick input (picker or input box) whose title contains `title`: type, check, Enter. */
export async function answerQuickInput(page, title, text) {
  const input = page.locator('.quick-input-widget input');
  const titleText = () => page.locator('.quick-input-widget .quick-input-title').textContent().catch(() => '');
  await waitFor(`the quick input "${title}"`, async () => ((await titleText()) ?? '').includes(title) && (await input.isEditable()), { timeoutMs: 60000 });
  await waitFor(`"${title}" to accept '${text}'`, async () => {
    if (!((await titleText()) ?? '').includes(title)) return true;
    await input.fill(text);
    if ((await input.inputValue()) !== text) return false;
    await page.keyboard.press('Enter');
    await waitFor('the next step', async () => !((await titleText()) ?? '').includes(title) || !(await page.locator('.quick-input-widget').isVisible()), { timeoutMs: 3000 }).catch(() => undefined);
    return !((await titleText()) ?? '').includes(title) || !(await page.locator('.quick-input-widget').isVisible());
  }, { timeoutMs: 60000, intervalMs: 500 });
}

/**
 * The fake OpenAI-compatible server (test/support/fakeLlmServerMain.ts) answering `turns` in order;
 * every request it gets is recorded in `record` (JSON).
 */
export async function startFakeLlm(repo, dir, turns) {
  const script = join(dir, 'turns.json');
  const record = join(dir, 'requests.json');
  writeFileSync(script, JSON.stringify({ turns, whenEmpty: { text: 'Nothing more to do.' } }));
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'test/support/fakeLlmServerMain.ts'), '--script', script, '--record', record], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the fake LLM server exited with ${code}`)));
  });
  return { url, record, stop: () => child.kill('SIGTERM') };
}

/**
 * A chat flow's start: the fake LLM answering `turns`, the workspace pointed at it (plus `files`,
 * name → text), the workbench open on the chat panel. Returns the server, the page and the panel.
 */
export async function openChatWithFakeLlm(ctx, turns, files = {}) {
  const llm = await startFakeLlm(ctx.repo, mkdtempSync(join(tmpdir(), 'ml-intern-fake-llm-')), turns);
  ctx.cleanup = async () => llm.stop();
  writeWorkspaceSettings(ctx.workspace, { 'mlIntern.provider': 'openai-compatible', 'mlIntern.baseUrl': `${llm.url}/v1`, 'mlIntern.model': 'fake-model' });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(ctx.workspace, name), text);
  const page = await openReady(ctx);
  await runCommand(page, 'ML Intern: Open Chat');
  return { llm, page, chat: panel(page) };
}

/**
 * An Evaluate flow's start: a trained LoRA adapter in outputs/final, the fixture interpreter with
 * its fake `lighteval`, recipe steps auto-approved (the user's opt-in; flows 1–2 cover the review),
 * and the wizard answered (MMLU and GSM8K, 50 samples). `onBenchmarks(page)` runs at the benchmark
 * picker. Returns the page.
 */
/** `autoApprove`: the recipe's files and commands go through without review ('recipe', the default here) or wait for it ('never'). */
export async function startEvaluation(ctx, onBenchmarks, { autoApprove = 'recipe' } = {}) {
  const adapter = join(ctx.workspace, 'outputs', 'final');
  mkdirSync(adapter, { recursive: true });
  writeFileSync(join(adapter, 'adapter_config.json'), JSON.stringify({ base_model_name_or_path: 'Qwen/Qwen2.5-0.5B-Instruct', peft_type: 'LORA', r: 16 }));
  writeWorkspaceSettings(ctx.workspace, { 'mlIntern.pythonPath': EVAL_PYTHON, 'mlIntern.autoApprove': autoApprove });
  const page = await openReady(ctx);
  await runCommand(page, 'ML Intern: Evaluate');
  await answerQuickInput(page, 'Evaluate (1/4)', 'outputs/final');
  await answerQuickInput(page, 'Evaluate (2/4)', 'Qwen/Qwen2.5-0.5B-Instruct');
  // MMLU and GSM8K are pre-selected: Enter keeps them.
  await waitFor('the benchmark picker', async () => /Evaluate \(3\/4\)/.test((await page.locator('.quick-input-widget .quick-input-title').textContent().catch(() => '')) ?? ''));
  await onBenchmarks?.(page);
  await page.keyboard.press('Enter');
  await answerQuickInput(page, 'Evaluate (4/4)', '50');
  return page;
}
