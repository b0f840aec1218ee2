// The mocha extension-host suite (test/vscode/suite), run inside code-server's
// real extension host through extensionTestsPath.
import { join } from 'node:path';
import { format } from 'node:util';
import { openWorkbench } from '../workbench.mjs';

export const flow = {
  id: 'exthost',
  name: 'extension-host suite (mocha, in the real extension host)',
  // A stand-in for the Python extension, so the interpreter it selects is tested in the real host.
  extensions: ['test/fixtures/extensions/ms-python.python-2099.0.0'],
  async run(ctx) {
    let resolveExit;
    const exited = new Promise((r) => (resolveExit = r));
    const lines = [];
    await openWorkbench(ctx.browser, ctx.server, {
      folder: ctx.workspace,
      extensionTestsPath: join(ctx.repo, 'dist', 'test', 'suite', 'index.js'),
      onExit: (code) => resolveExit(code),
      onLog: (type, ...rest) => {
        // The workbench passes the console call's arguments as one array; mocha's reporter logs
        // printf-style ("%s (%dms)", title, ms): format it as the console would.
        const args = rest.length === 1 && Array.isArray(rest[0]) ? rest[0] : rest;
        const line = format(...args);
        lines.push(line);
        if (process.env.ML_INTERN_E2E_VERBOSE) console.log(`    [exthost] ${line}`);
      },
    });
    const timeout = new Promise((r) => setTimeout(() => r('timeout'), 300000));
    const code = await Promise.race([exited, timeout]);
    const report = lines.join('\n').split('\n').filter((l) => /passing|failing|pending|✔|✓|\d+\)|Error|AssertionError/.test(l)).slice(-60).join('\n    ');
    ctx.log(report);
    if (code === 'timeout') throw new Error('the extension-host suite did not finish within 300 s');
    if (code !== 0) throw new Error(`the extension-host suite failed (exit ${code}):\n${lines.slice(-40).join('\n')}`);
  },
};
