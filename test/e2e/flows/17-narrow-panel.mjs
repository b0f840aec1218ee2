// Flow 17: the chat panel at the side bar's minimum width, in a dark theme (issue 25 polish: "at the
// panel's minimum width the Send button and the chart are clipped, the sticky recipe banner covers
// cards, the Runs list overlays the timeline"; "running" while only waiting for review).
// A short run draws its chart, then the side bar is dragged as narrow as the workbench lets it be:
// Send, the chart and the change card stay inside the panel, nothing scrolls sideways, and the
// recipe-mode banner is one line.
import { waitFor, runCommand } from '../workbench.mjs';
import { openReady, fineTuneWizard, waitForDiff, answerRunDialog, writeWorkspaceSettings, panel, waitForRunState } from '../lib.mjs';

/** Where an element of the panel lies, and how wide the panel's page is. */
function box(locator) {
  return locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const doc = el.ownerDocument.documentElement;
    return { left: Math.round(r.left), right: Math.round(r.right), top: Math.round(r.top), bottom: Math.round(r.bottom), pageWidth: doc.clientWidth, scrollWidth: doc.scrollWidth, pageHeight: doc.clientHeight };
  });
}

export const flow = {
  id: 'narrow-panel',
  name: 'Narrow panel, dark theme: Send, the chart and the cards fit the side bar at its minimum width',
  userSettings: { 'workbench.colorTheme': 'Default Dark Modern' },
  env: { FAKE_OOM_ABOVE: '64', FAKE_STEPS: '20', FAKE_DELAY_MS: '40' },
  async run(ctx) {
    writeWorkspaceSettings(ctx.workspace, {});
    const page = await openReady(ctx);
    await fineTuneWizard(page, { model: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/medical_qa.jsonl', method: 'SFT', adapter: 'LoRA', split: '5 %' });
    await waitForDiff(page, 'train.py');
    // Held by the review, the run says so in the panel and the status bar, not 'running' / '0%'.
    const badge = panel(page).locator('[data-testid="run-state"]');
    await waitFor('the panel to say the run waits for the review', async () => /^waiting for your review \(1 change\)$/.test(((await badge.textContent()) ?? '').trim()), { timeoutMs: 15000 });
    const item = page.locator('.statusbar-item', { hasText: 'ML Intern: waiting for your review' });
    await item.first().waitFor({ timeout: 15000 });
    // The diff's breadcrumb shows the file's own folders, not the change's internal id.
    const crumbs = page.locator('.editor-group-container.active .monaco-breadcrumbs .monaco-breadcrumb-item');
    await waitFor('the diff\'s breadcrumb', async () => (await crumbs.allTextContents()).some((t) => t.includes('train.py')), { timeoutMs: 15000 });
    const trail = (await crumbs.allTextContents()).map((t) => t.trim());
    if (trail.some((t) => /-change-\d+/.test(t))) throw new Error(`the breadcrumb shows the change id: ${trail.join(' > ')}`);
    await ctx.screenshot(page, '0-review-breadcrumb');
    await runCommand(page, 'ML Intern: Accept Change');
    await waitForDiff(page, 'requirements.txt');
    await runCommand(page, 'ML Intern: Accept Change');
    await answerRunDialog(page, 'Run');
    await waitForRunState(ctx.workspace, 'succeeded', 120000);
    const chat = panel(page);
    const canvas = chat.locator('[data-testid="loss-chart-canvas"]').last();
    await canvas.waitFor({ state: 'visible', timeout: 60000 });
    await ctx.screenshot(page, '0-wide');

    // Drag the side bar's edge past its minimum width: the workbench stops it there.
    const sidebar = page.locator('[id="workbench.parts.sidebar"]');
    const before = await sidebar.boundingBox();
    if (!before) throw new Error('the side bar is not shown');
    const y = before.y + before.height / 2;
    await page.mouse.move(before.x + before.width, y);
    await page.mouse.down();
    // Below its minimum the side bar stays at the minimum; far below (half of it) it would snap closed.
    await page.mouse.move(before.x + 140, y, { steps: 10 });
    await page.mouse.up();
    const after = await sidebar.boundingBox();
    if (!after || !(after.width < before.width - 40)) throw new Error(`the side bar did not narrow: ${before.width} -> ${after?.width} px`);
    await page.waitForTimeout(800); // the chart follows the width through a ResizeObserver
    await canvas.scrollIntoViewIfNeeded();
    await ctx.screenshot(page, '1-narrow-chart');

    const problems = [];
    const send = await box(chat.locator('[data-testid="send-button"]'));
    if (send.right > send.pageWidth) problems.push(`Send ends at ${send.right} px in a ${send.pageWidth} px panel`);
    if (send.scrollWidth > send.pageWidth + 1) problems.push(`the panel scrolls sideways (${send.scrollWidth} px of content in ${send.pageWidth} px)`);
    const chart = await box(canvas);
    if (chart.right > chart.pageWidth) problems.push(`the chart ends at ${chart.right} px in a ${chart.pageWidth} px panel`);
    const card = await box(chat.locator('[data-testid="change-card"]').first());
    if (card.right > card.pageWidth) problems.push(`a change card ends at ${card.right} px in a ${card.pageWidth} px panel`);
    const banner = await box(chat.locator('[data-testid="recipe-mode-banner"]'));
    const bannerText = (await chat.locator('[data-testid="recipe-mode-banner"]').innerText()).trim();
    if (!/^Recipe mode \(no language model\)/.test(bannerText)) problems.push(`the recipe banner is not its one-line form: '${bannerText}'`);
    if (banner.bottom - banner.top > banner.pageHeight / 4) problems.push(`the recipe banner takes ${banner.bottom - banner.top} of ${banner.pageHeight} px`);
    await waitFor('the timeline keeps room for the cards', async () => (await box(chat.locator('[data-testid="timeline"]'))).bottom - (await box(chat.locator('[data-testid="timeline"]'))).top > 120, { timeoutMs: 5000 }).catch((e) => problems.push(e.message));
    // The Runs list opens above the timeline, pushing it down, not over it.
    await chat.locator('[data-testid="runs-button"]').click();
    await chat.locator('[data-testid="runs-list"] li').first().waitFor({ timeout: 15000 });
    const runs = await box(chat.locator('#runs-section'));
    const timeline = await box(chat.locator('[data-testid="timeline"]'));
    if (runs.bottom > timeline.top + 1) problems.push(`the Runs list (to ${runs.bottom} px) overlays the timeline (from ${timeline.top} px)`);
    if (runs.right > runs.pageWidth) problems.push(`the Runs list ends at ${runs.right} px in a ${runs.pageWidth} px panel`);
    await ctx.screenshot(page, '2-narrow-runs');
    if (problems.length) throw new Error(`at ${send.pageWidth} px: ${problems.join('; ')}`);
  },
};
