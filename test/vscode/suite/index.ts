/**
 * Extension-host test suite (mocha TDD), run inside a real VS Code extension host:
 * by code-server through `extensionTestsPath` (test/e2e/run.mjs, the CI path) or by
 * @vscode/test-electron (npm run test:vscode) where VS Code can be downloaded.
 *
 * Bundled by esbuild.js into dist/test/suite/index.js. Test files are loaded
 * with require() INSIDE run(), after mocha has installed its globals
 * (suite/test/suiteSetup): add one line to TEST_MODULES per test file.
 */
import Mocha from 'mocha';

/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading after mocha's globals exist is the point */
function loadTestModules(): void {
  // One line per test file (esbuild bundles each require lazily).
  require('./activation.test');
  require('./commands.test');
  require('./stopWaiting.test');
  require('./review.test');
  require('./reviewNewFile.test');
  require('./python.test');
  require('./agentResume.test');
  require('./slurmGpuCheck.test');
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', timeout: 120000, color: false, reporter: 'spec' });
  mocha.suite.emit('pre-require', globalThis, 'bundle', mocha);
  loadTestModules();
  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => {
        if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed.`));
        else resolve();
      });
    } catch (err) {
      reject(err);
    }
  });
}
