// Starts a real VS Code workbench (code-server) with the extension under
// development, and drives it with headless Chromium through playwright-core.
// Every process started here is stopped by process group; every directory
// code-server or chromium writes to is a fresh temporary one.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const REPO = resolve(new URL('../..', import.meta.url).pathname);
export const RESULTS = join(REPO, 'test-results');

export async function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Wait for a condition; the error says what was awaited. */
export async function waitFor(what, fn, { timeoutMs = 60000, intervalMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export async function startCodeServer({ codeServer, workspace, userSettings = {}, env = {}, extensions = [] }) {
  const base = mkdtempSync(join(tmpdir(), 'ml-intern-e2e-'));
  const dirs = {};
  for (const d of ['home', 'tmp', 'config', 'data', 'cache', 'user-data', 'extensions']) {
    dirs[d] = join(base, d);
    mkdirSync(dirs[d], { recursive: true });
  }
  // Extra extensions for this workbench (folders named publisher.name-version, e.g. a stand-in for the Python extension).
  for (const ext of extensions) cpSync(ext, join(dirs.extensions, basename(ext)), { recursive: true });
  const settingsDir = join(dirs['user-data'], 'User');
  mkdirSync(settingsDir, { recursive: true });
  writeFileSync(
    join(settingsDir, 'settings.json'),
    JSON.stringify(
      {
        'terminal.integrated.gpuAcceleration': 'off',
        'workbench.startupEditor': 'none',
        'telemetry.telemetryLevel': 'off',
        'workbench.tips.enabled': false,
        'security.workspace.trust.enabled': false,
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'update.mode': 'none',
        'editor.codeLens': true,
        'window.dialogStyle': 'custom',
        ...userSettings,
      },
      null,
      2,
    ),
  );
  const port = await freePort();
  const configFile = join(dirs.config, 'config.yaml');
  writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const trustArgs = userSettings['security.workspace.trust.enabled'] ? [] : ['--disable-workspace-trust'];
  const args = [
    '--config', configFile,
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    ...trustArgs,
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir', dirs['user-data'],
    '--extensions-dir', dirs.extensions,
    workspace,
  ];
  let output = '';
  const child = spawn(codeServer, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      HOME: dirs.home,
      TMPDIR: dirs.tmp,
      XDG_CONFIG_HOME: dirs.config,
      XDG_DATA_HOME: dirs.data,
      XDG_CACHE_HOME: dirs.cache,
      ...env,
    },
  });
  child.stdout.on('data', (d) => (output = (output + d).slice(-20000)));
  child.stderr.on('data', (d) => (output = (output + d).slice(-20000)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor('code-server /healthz', async () => {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}: ${output.slice(-2000)}`);
    const r = await fetch(`${url}/healthz`).catch(() => undefined);
    return r?.ok;
  }, { timeoutMs: 90000 });
  return {
    port,
    url,
    dirs,
    base,
    output: () => output,
    async stop() {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      await new Promise((r) => setTimeout(r, 500));
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(chromiumPath) {
  const profile = mkdtempSync(join(tmpdir(), 'ml-intern-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Workbench URL that loads the extension under development (and optionally a test suite). */
export function workbenchUrl(server, { folder, extensionPath = REPO, extensionTestsPath }) {
  const payload = [['extensionDevelopmentPath', `vscode-remote://127.0.0.1:${server.port}${extensionPath}`]];
  if (extensionTestsPath) payload.push(['extensionTestsPath', `vscode-remote://127.0.0.1:${server.port}${extensionTestsPath}`]);
  return `${server.url}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

export async function openWorkbench(context, server, opts) {
  const page = await context.newPage();
  page.setDefaultTimeout(60000);
  if (opts.onExit) await page.exposeFunction('codeAutomationExit', opts.onExit);
  if (opts.onLog) await page.exposeFunction('codeAutomationLog', opts.onLog);
  await page.goto(workbenchUrl(server, opts));
  await page.waitForSelector('.monaco-workbench', { timeout: 90000 });
  return page;
}

export async function screenshot(page, name) {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `${name}.png`);
  await page.screenshot({ path: file }).catch(() => undefined);
  return file;
}

/** F1, type a command's title, run it. */
export async function runCommand(page, title) {
  const input = page.locator('.quick-input-widget input');
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible' });
    try {
      await input.fill(`>${title}`, { timeout: 10000 });
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
      await row.waitFor({ state: 'visible', timeout: 30000 });
      await page.keyboard.press('Enter');
      return;
    } catch (err) {
      // The palette closes the moment it opened when something else takes the focus (an editor tab
      // closing, a webview): seen once on a loaded machine. Open it again; a palette still showing
      // without the command is a real failure.
      if (attempt >= 3 || (await input.isVisible())) throw err;
    }
  }
}

/** "Developer: Reload Window", then the workbench and the extension again, as a user's reload. */
export async function reloadWindow(page) {
  await runCommand(page, 'Developer: Reload Window');
  await page.waitForSelector('.monaco-workbench', { timeout: 90000 });
  await waitForExtension(page);
}

/**
 * The button `label` of the notification that says `text`: on its toast, or in the notification
 * center where a user finds it once the toast has hidden itself (a warning hides after about 30 s,
 * which checks on a loaded machine can outlast).
 */
export async function notificationButton(page, text, label) {
  const button = page.locator('.notification-toast, .notification-list-item', { hasText: text }).locator('a.monaco-button, button', { hasText: label }).first();
  if (!(await button.isVisible().catch(() => false))) await runCommand(page, 'Notifications: Show Notifications');
  await button.waitFor({ timeout: 20000 });
  return button;
}

/** Wait for the ML Intern extension to be active (its log channel line). */
export async function waitForExtension(page) {
  await waitFor('the "ML Intern: Fine-tune" command in the palette', async () => {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 5000 });
    await input.fill('>ML Intern: Fine-tune');
    const n = await page.locator('.quick-input-list .monaco-list-row', { hasText: 'ML Intern: Fine-tune' }).count();
    await page.keyboard.press('Escape');
    return n > 0;
  }, { timeoutMs: 90000, intervalMs: 1000 });
}
