// `npm run test:e2e`: the real-workbench suite. Installs what it needs (cached),
// starts code-server once with the extension under development, runs the
// extension-host suite and the user flows in headless Chromium, stops everything,
// and prints "N passed, N failed". Screenshots go to test-results/ (git-ignored).
import { existsSync, cpSync, mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ensureWorkbench } from './setup.mjs';
import { REPO, startCodeServer, launchBrowser, screenshot } from './workbench.mjs';

const only = process.argv.slice(2);

async function loadFlows() {
  const dir = new URL('./flows/', import.meta.url).pathname;
  const files = readdirSync(dir).filter((f) => f.endsWith('.mjs')).sort();
  const flows = [];
  for (const f of files) {
    const mod = await import(join(dir, f));
    for (const flow of mod.flows ?? [mod.flow]) if (flow) flows.push(flow);
  }
  return only.length ? flows.filter((f) => only.some((o) => f.id === o || f.name.toLowerCase().includes(o.toLowerCase()))) : flows;
}

function freshWorkspace(name) {
  const ws = mkdtempSync(join(tmpdir(), `ml-intern-ws-${name}-`));
  cpSync(join(REPO, 'examples', 'medical-qa'), ws, { recursive: true });
  return ws;
}

async function main() {
  if (!existsSync(join(REPO, 'dist', 'extension.js')) || !existsSync(join(REPO, 'dist', 'test', 'suite', 'index.js'))) {
    const r = spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm run build failed');
  }
  const { codeServer, chromium } = ensureWorkbench();
  const flows = await loadFlows();
  const results = [];
  const browser = await launchBrowser(chromium);
  try {
    for (const flow of flows) {
      const workspace = freshWorkspace(flow.name.replace(/\W+/g, '-'));
      const started = Date.now();
      let server;
      let ctx;
      console.log(`\n▶ ${flow.name}`);
      try {
        server = await startCodeServer({ codeServer, workspace, userSettings: flow.userSettings ?? {}, env: flow.env ?? {}, extensions: (flow.extensions ?? []).map((e) => join(REPO, e)) });
        ctx = { server, workspace, browser: browser.context, repo: REPO, screenshot: (page, n) => screenshot(page, `${flow.id}-${n}`), log: (m) => console.log(`  ${m}`) };
        await flow.run(ctx);
        results.push({ name: flow.name, ok: true, seconds: (Date.now() - started) / 1000 });
        console.log(`✔ ${flow.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      } catch (err) {
        results.push({ name: flow.name, ok: false, error: err });
        const pages = browser.context.pages();
        const shot = pages.length ? await screenshot(pages[pages.length - 1], `${flow.id}-FAILED`) : '(no page)';
        console.log(`✘ ${flow.name}: ${err.message}\n  screenshot: ${shot}`);
        if (server) console.log(`  code-server output (tail):\n${server.output().split('\n').slice(-15).map((l) => '    ' + l).join('\n')}`);
      } finally {
        for (const p of browser.context.pages()) await p.close().catch(() => undefined);
        await ctx?.cleanup?.().catch(() => undefined);
        await server?.stop();
        rmSync(workspace, { recursive: true, force: true });
      }
    }
  } finally {
    await browser.close();
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`\nE2E results:`);
  for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.ok ? '' : ` — ${r.error.message.split('\n')[0]}`}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && results.length > 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(`E2E run could not start: ${err.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
