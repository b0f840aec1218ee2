// `npm run package [-- <target>...]`: one .vsix per platform users have, in dist-vsix/.
// Default target: this machine's (linux-x64 here), also copied to ml-intern.vsix for the E2E
// flow that installs the package. `npm run package -- all` builds every target below.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';

const ALL = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'darwin-x64', 'win32-x64'];
const here = `${process.platform}-${process.arch}`;
const args = process.argv.slice(2);
const targets = args.includes('all') ? ALL : args.length ? args : [here];
for (const t of targets) if (!ALL.includes(t)) fail(`Unknown target ${t}: use one of ${ALL.join(', ')} or all.`);

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { stdio: 'inherit' });
  if (r.status !== 0) fail(`${cmd} ${argv.join(' ')} failed (exit ${r.status}).`);
}
function fail(msg) {
  console.error(msg);
  process.exit(1);
}

run(process.execPath, ['esbuild.js', '--production']);
mkdirSync('dist-vsix', { recursive: true });
for (const t of targets) {
  run(process.execPath, ['scripts/bundle-node-pty.mjs', t]);
  const out = `dist-vsix/ml-intern-${t}.vsix`;
  // --readme-path: the Marketplace README (docs/MARKETPLACE.md), not the developers' README.
  run('npx', ['vsce', 'package', '--no-dependencies', '--no-rewrite-relative-links', '--readme-path', 'docs/MARKETPLACE.md', '--target', t, '--out', out]);
  if (t === here) copyFileSync(out, 'ml-intern.vsix');
}
// Leave dist/ with this machine's node-pty, as a build here expects.
if (targets.at(-1) !== here) run(process.execPath, ['scripts/bundle-node-pty.mjs', here]);
