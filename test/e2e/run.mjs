// `npm run test:e2e`: the real-workbench suite. Installs what it needs (cached),
// starts code-server once with the extension under development, runs the
// extension-host suite and the user flows in headless Chromium, stops everything,
// and prints "N passed, N failed". Screenshots go to test-results/ (git-ignored).
import { existsSync, cpSync, mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ensureWorkbench } from './setup.mjs';
import { readDurations, writeDurations } from '../durationCache.mjs';
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

/**
 * Flows at once. Each has its own code-server, workspace, HOME and browser, so they cannot see each
 * other. Two at a time on 2 cores measured 279 s for 21 flows against about 520 s one at a time, each
 * flow within a few seconds of its time alone (docs/DEVELOPING.md); ML_INTERN_E2E_CONCURRENCY=1 runs
 * them one by one (e.g. to read one flow's timing undisturbed).
 */
function concurrency() {
  const n = Number(process.env.ML_INTERN_E2E_CONCURRENCY);
  if (Number.isInteger(n) && n > 0) return n;
  return availableParallelism() >= 2 ? 2 : 1;
}

// Last run's seconds per flow (git-ignored): the longest start first, so the two lanes end together.
const TIMES = join(REPO, '.ml-intern-cache', 'e2e-durations.json');

async function runFlow(flow, chromium, codeServer) {
  const lines = [];
  const log = (m) => lines.push(m);
  const browser = await launchBrowser(chromium);
  const workspace = freshWorkspace(flow.name.replace(/\W+/g, '-'));
  const started = Date.now();
  let server;
  let ctx;
  let result;
  log(`\n▶ ${flow.name}`);
  try {
    server = await startCodeServer({ codeServer, workspace, userSettings: flow.userSettings ?? {}, env: flow.env ?? {}, extensions: (flow.extensions ?? []).map((e) => join(REPO, e)) });
    ctx = { server, workspace, browser: browser.context, repo: REPO, screenshot: (page, n) => screenshot(page, `${flow.id}-${n}`), log: (m) => log(`  ${m}`) };
    await flow.run(ctx);
    result = { id: flow.id, name: flow.name, ok: true, seconds: (Date.now() - started) / 1000 };
    log(`✔ ${flow.name} (${result.seconds.toFixed(1)} s)`);
  } catch (err) {
    result = { id: flow.id, name: flow.name, ok: false, error: err, seconds: (Date.now() - started) / 1000 };
    const pages = browser.context.pages();
    const shot = pages.length ? await screenshot(pages[pages.length - 1], `${flow.id}-FAILED`) : '(no page)';
    log(`✘ ${flow.name}: ${err.message}\n  screenshot: ${shot}`);
    if (server) log(`  code-server output (tail):\n${server.output().split('\n').slice(-15).map((l) => '    ' + l).join('\n')}`);
  } finally {
    for (const p of browser.context.pages()) await p.close().catch(() => undefined);
    await ctx?.cleanup?.().catch(() => undefined);
    await server?.stop();
    await browser.close();
    rmSync(workspace, { recursive: true, force: true });
  }
  // A flow's lines are printed together when it ends, so flows running at once never interleave.
  console.log(lines.join('\n'));
  return result;
}

async function main() {
  if (!existsSync(join(REPO, 'dist', 'extension.js')) || !existsSync(join(REPO, 'dist', 'test', 'suite', 'index.js'))) {
    const r = spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm run build failed');
  }
  const { codeServer, chromium } = ensureWorkbench();
  const flows = await loadFlows();
  const times = readDurations(TIMES);
  const queue = [...flows].sort((a, b) => (times[b.id] ?? 30) - (times[a.id] ?? 30));
  const results = [];
  const workers = Math.min(concurrency(), flows.length);
  const started = Date.now();
  if (workers > 1) console.log(`${flows.length} flows, ${workers} at a time`);
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let flow = queue.shift(); flow; flow = queue.shift()) results.push(await runFlow(flow, chromium, codeServer));
    }),
  );
  writeDurations(TIMES, times, Object.fromEntries(results.map((r) => [r.id, Math.round(r.seconds)])));
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`\nE2E results:`);
  for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.seconds.toFixed(0)} s)${r.ok ? '' : ` — ${r.error.message.split('\n')[0]}`}`);
  console.log(`${passed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  process.exit(failed === 0 && results.length === flows.length ? 0 : 1);
}

main().catch((err) => {
  console.error(`E2E run could not start: ${err.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
