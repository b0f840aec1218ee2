// Flow 5: an untrusted workspace (Restricted Mode): nothing runs and nothing is
// written; the panel explains why and the Fine-tune command says so.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor, runCommand, openWorkbench, waitForExtension } from '../workbench.mjs';
import { panel } from '../lib.mjs';

export const flow = {
  id: 'untrusted',
  name: 'Untrusted workspace: nothing runs or is written, the panel explains why',
  userSettings: { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'always' },
  async run(ctx) {
    const before = readdirSync(ctx.workspace).sort().join(',');
    const page = await openWorkbench(ctx.browser, ctx.server, { folder: ctx.workspace });
    const dialog = page.locator('.monaco-dialog-box');
    await waitFor('the workspace trust prompt', async () => (await dialog.count()) > 0, { timeoutMs: 60000 });
    await ctx.screenshot(page, '1-trust-prompt');
    await dialog.locator('a.monaco-button, button', { hasText: /No, I don.t trust/ }).first().click();
    await waitForExtension(page);

    await runCommand(page, 'ML Intern: Open Chat');
    const banner = panel(page).locator('[data-testid="untrusted-banner"]');
    await banner.waitFor({ state: 'visible', timeout: 60000 });
    const text = (await banner.textContent()) ?? '';
    if (!/trust/i.test(text)) throw new Error(`the banner does not explain Workspace Trust: ${text}`);

    await runCommand(page, 'ML Intern: Fine-tune');
    await waitFor('a notification saying runs and writes are disabled', async () => {
      const toasts = (await page.locator('.notifications-toasts .notification-list-item-message, .notification-toast').allTextContents()).join('\n');
      return /not trusted|Restricted Mode|disabled/i.test(toasts);
    }, { timeoutMs: 30000 });
    await ctx.screenshot(page, '2-refused');
    if (existsSync(join(ctx.workspace, '.ml-intern'))) throw new Error('a run folder was written in an untrusted workspace');
    const after = readdirSync(ctx.workspace).sort().join(',');
    if (after !== before) throw new Error(`the workspace changed: ${before} → ${after}`);
  },
};
