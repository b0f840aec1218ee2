// `npm start`: build, then open the extension in a real VS Code workbench on the
// sample workspace examples/medical-qa (no API key needed: recipe mode).
// Desktop `code` on the PATH → `code --extensionDevelopmentPath`; otherwise the
// code-server workbench (installed once into ~/.cache/ml-intern-e2e) and the URL to open.
import { spawnSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureWorkbench } from '../test/e2e/setup.mjs';
import { REPO, startCodeServer, workbenchUrl } from '../test/e2e/workbench.mjs';

const exitAfterReady = process.argv.includes('--exit-after-ready');
const workspace = join(REPO, 'examples', 'medical-qa');

const build = spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const hasCode = spawnSync('which', ['code'], { stdio: 'ignore' }).status === 0 && !process.env.ML_INTERN_FORCE_CODE_SERVER;
if (hasCode) {
  console.log('Opening VS Code with the extension under development on examples/medical-qa …');
  const r = spawnSync('code', [`--extensionDevelopmentPath=${REPO}`, workspace], { stdio: 'inherit' });
  process.exit(r.status ?? 0);
}

const { codeServer } = ensureWorkbench();
const server = await startCodeServer({ codeServer, workspace, userSettings: { 'workbench.startupEditor': 'none' } });
const url = workbenchUrl(server, { folder: workspace });
console.log('\nML Intern is running in a VS Code workbench (code-server 4.100.3).');
console.log(`Open this URL in a browser on this machine:\n\n  ${url}\n`);
console.log('Then run "ML Intern: Fine-tune" from the command palette (F1). Press Ctrl+C here to stop.');
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
if (exitAfterReady) await stop();
else spawn('sleep', ['infinity'], { stdio: 'ignore' }).on('exit', stop);
