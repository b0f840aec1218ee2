// GRPO from the wizard, in the real workbench: a few math word problems with a final answer
// ("#### n") → the wizard proposes GRPO with the exact-answer reward → train.py and rewards.py
// arrive as diffs → the rewards are scored on the rows before any GPU time → the run (the fixture
// trainer replays GRPOTrainer's log lines) → the card charts the mean reward → the saved model's card
// opens Try It on that folder.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, runCommand } from '../workbench.mjs';
import { openReady, fineTuneWizard, waitForDiff, answerRunDialog, writeWorkspaceSettings, panel, waitForRunState } from '../lib.mjs';

// Our own rows, in GSM8K's shape (a question, a worked answer ending in "#### n").
const ROWS = [
  ['A baker makes 12 loaves a day for 5 days and sells 47. How many are left?', 'He makes 12 * 5 = 60 loaves. 60 - 47 = 13.\n#### 13'],
  ['Tom has 3 boxes of 8 pencils and gives away 5 pencils. How many does he keep?', '3 * 8 = 24 pencils. 24 - 5 = 19.\n#### 19'],
  ['A train travels 60 km per hour for 2.5 hours. How far does it go?', '60 * 2.5 = 150 km.\n#### 150'],
  ['Sara reads 15 pages a day. How many days does a 240-page book take her?', '240 / 15 = 16 days.\n#### 16'],
  ['A shirt costs 25 dollars and is 20 percent off. What is the price?', '20% of 25 is 5. 25 - 5 = 20.\n#### 20'],
  ['There are 7 rows of 9 chairs and 11 are taken. How many are free?', '7 * 9 = 63 chairs. 63 - 11 = 52.\n#### 52'],
];
const FOLDER = 'ml-intern/grpo-qwen2-5-0-5b-instruct';

export const flow = {
  id: 'grpo',
  name: 'GRPO from the wizard: math rows → train.py and rewards.py diffs → reward test → run → the reward on the chart',
  env: { FAKE_OOM_ABOVE: '64', FAKE_STEPS: '20', FAKE_DELAY_MS: '60', FAKE_TRAINER_ARGS: '--method grpo' },
  async run(ctx) {
    mkdirSync(join(ctx.workspace, 'data'), { recursive: true });
    writeFileSync(join(ctx.workspace, 'data', 'math.jsonl'), ROWS.map(([question, answer]) => JSON.stringify({ question, answer })).join('\n') + '\n');
    writeWorkspaceSettings(ctx.workspace, {});
    const page = await openReady(ctx);
    // The rewards picker keeps the suggested exact_answer + format; the weights box gets format 0.5 (suggested: 0.2).
    await fineTuneWizard(page, { model: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/math.jsonl', method: 'GRPO', rewardWeights: 'exact_answer:1, format:0.5', adapter: 'LoRA', split: '5 %' }, (step) =>
      step === 3 ? ctx.screenshot(page, '0-wizard-method-grpo') : undefined);

    await waitForDiff(page, 'train.py');
    await ctx.screenshot(page, '1-train-diff');
    await runCommand(page, 'ML Intern: Accept Change');
    await waitForDiff(page, 'rewards.py');
    await ctx.screenshot(page, '2-rewards-diff');
    await runCommand(page, 'ML Intern: Accept Change');
    await waitForDiff(page, 'requirements.txt');
    await runCommand(page, 'ML Intern: Accept Change');

    const rewards = readFileSync(join(ctx.workspace, FOLDER, 'rewards.py'), 'utf8');
    if (!/def exact_answer/.test(rewards)) throw new Error(`rewards.py has no exact-answer reward:\n${rewards.slice(0, 800)}`);
    if (!/^REWARD_WEIGHTS = \[1\.0, 0\.5\]/m.test(rewards)) throw new Error(`rewards.py does not have the weights chosen in the wizard:\n${rewards.slice(0, 800)}`);
    const chat = panel(page);
    const said = async () => (await chat.locator('[data-testid="assistant-message"]').allTextContents()).join('\n');
    await waitFor('the reward test in the chat, before the training approval', async () => /Reward test before any GPU time/.test(await said()), { timeoutMs: 60000 });
    if (!/OK: at least one reward tells right from wrong/.test(await said())) throw new Error(`the reward test did not pass the exact-answer reward:\n${(await said()).slice(-1500)}`);
    await ctx.screenshot(page, '3-reward-test');
    await answerRunDialog(page, 'Run');

    const folder = await waitForRunState(ctx.workspace, 'succeeded', 120000);
    if (!existsSync(join(folder, 'reward-test.json'))) throw new Error('reward-test.json is not in the run folder');
    const canvas = chat.locator('[data-testid="loss-chart-canvas"]').last();
    await canvas.waitFor({ state: 'visible', timeout: 60000 });
    await waitFor('the reward series on the chart', async () => /mean reward/.test((await canvas.getAttribute('aria-label')) ?? ''), { timeoutMs: 30000 });
    // The legend names the series that have points: this run logs no eval, so no 'eval loss' entry (issue 25 polish).
    const legend = (await chat.locator('.uplot').last().locator('.u-legend .u-label').allTextContents()).map((t) => t.trim());
    if (!legend.includes('reward') || legend.includes('eval loss')) throw new Error(`the chart's legend is not the logged series: ${JSON.stringify(legend)}`);
    const figures = (await chat.locator('[data-testid="run-figures"]').last().textContent()) ?? '';
    if (!/reward [\d.]+ · reward std [\d.]+/.test(figures)) throw new Error(`the card's figures do not show the reward: ${figures}`);
    await canvas.scrollIntoViewIfNeeded();
    await ctx.screenshot(page, '4-reward-chart');

    // The sampled completions of the last logging step, scored by the accepted rewards.py (train.py's recorder, run by the fixture).
    if (!existsSync(join(folder, 'samples.jsonl'))) throw new Error('samples.jsonl is not in the run folder');
    const samples = chat.locator('[data-testid="grpo-samples-card"]').last();
    await samples.waitFor({ state: 'visible', timeout: 30000 });
    const stepText = (await samples.locator('[data-testid="grpo-samples-step"]').textContent()) ?? '';
    if (!/Sampled completions at step \d+/.test(stepText)) throw new Error(`the samples card names no step: ${stepText}`);
    const rewardsShown = (await samples.locator('[data-testid="grpo-sample-reward"]').allTextContents()).join(' | ');
    if (!/exact_answer_reward [\d.]+/.test(rewardsShown) || !/format_reward [\d.]+/.test(rewardsShown)) throw new Error(`the samples card does not score each reward: ${rewardsShown}`);
    await samples.scrollIntoViewIfNeeded();
    await ctx.screenshot(page, '4b-samples-card');

    // The saved model's card: its own Try it button opens Try It on that folder (the adapter's base prefilled).
    const card = chat.locator('[data-testid="model-card"]').last();
    await card.waitFor({ timeout: 30000 });
    await card.locator('[data-testid="model-tryIt"]').click();
    const title = page.locator('.quick-input-widget .quick-input-title');
    await waitFor('Try It on the trained folder, at its base-model step', async () => /Try It \(2\/\d+\)/.test((await title.textContent().catch(() => '')) ?? ''), { timeoutMs: 30000 });
    const base = await page.locator('.quick-input-widget input').inputValue();
    if (base !== 'Qwen/Qwen2.5-0.5B-Instruct') throw new Error(`Try It's base model is not the adapter's base: '${base}'`);
    await ctx.screenshot(page, '5-try-it-from-card');
    await page.keyboard.press('Escape');
  },
};
