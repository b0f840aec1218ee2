// Installs what the real-workbench tests need, idempotently, cached outside the
// repo: code-server 4.100.3 (VS Code 1.100.3) from npm, Debian's chromium and the
// build packages code-server's native modules need. Recipe: ../shared/E2E-RECIPE.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ensureSystemPackages } from '../../scripts/system-packages.mjs';

export const CODE_SERVER_VERSION = '4.100.3';
export const CACHE_DIR = process.env.ML_INTERN_E2E_CACHE || join(homedir(), '.cache', 'ml-intern-e2e');
export const CHROMIUM = process.env.ML_INTERN_CHROMIUM || '/usr/bin/chromium';

function log(msg) {
  console.log(`[e2e setup] ${msg}`);
}

function ensureDebianPackages() {
  if (spawnSync('which', ['dpkg'], { stdio: 'ignore' }).status !== 0) {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}. Install Chromium or set ML_INTERN_CHROMIUM.`);
    return;
  }
  // One list for CI, npm test, test:unit and test:e2e (scripts/debian-packages.txt).
  ensureSystemPackages(log);
}

export function codeServerBin() {
  return join(CACHE_DIR, 'node_modules', '.bin', 'code-server');
}

function codeServerInstalled() {
  const marker = join(CACHE_DIR, `.installed-${CODE_SERVER_VERSION}`);
  return existsSync(marker) && existsSync(codeServerBin());
}

function ensureCodeServer() {
  if (codeServerInstalled()) return;
  mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = join(CACHE_DIR, 'tmp');
  mkdirSync(tmp, { recursive: true });
  // @vscode/ripgrep downloads rg from GitHub unless its cache already holds it:
  // put Debian's rg there under the exact name it looks for.
  const rgCache = join(tmp, 'vscode-ripgrep-cache-1.15.11');
  mkdirSync(rgCache, { recursive: true });
  const tarball = join(rgCache, 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz');
  if (!existsSync(tarball)) {
    const stage = join(tmp, 'rg-stage');
    mkdirSync(stage, { recursive: true });
    copyFileSync('/usr/bin/rg', join(stage, 'rg'));
    execFileSync('tar', ['-czf', tarball, '-C', stage, 'rg']);
    rmSync(stage, { recursive: true, force: true });
  }
  if (!existsSync(join(CACHE_DIR, 'package.json'))) writeFileSync(join(CACHE_DIR, 'package.json'), '{"name":"ml-intern-e2e-cache","private":true}\n');
  log(`installing code-server@${CODE_SERVER_VERSION} into ${CACHE_DIR} (about 90 s, once)`);
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--unsafe-perm', '--foreground-scripts', `code-server@${CODE_SERVER_VERSION}`], {
    cwd: CACHE_DIR,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, npm_config_yes: 'true', TMPDIR: tmp },
  });
  if (r.status !== 0 || !existsSync(codeServerBin())) throw new Error(`Installing code-server@${CODE_SERVER_VERSION} failed (exit ${r.status}). See the npm output above.`);
  writeFileSync(join(CACHE_DIR, `.installed-${CODE_SERVER_VERSION}`), new Date().toISOString() + '\n');
}

/** Make sure chromium and code-server are there; returns their paths. */
export function ensureWorkbench() {
  ensureDebianPackages();
  ensureCodeServer();
  return { codeServer: codeServerBin(), chromium: CHROMIUM };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = ensureWorkbench();
  log(`ready: ${JSON.stringify(r)}`);
}
