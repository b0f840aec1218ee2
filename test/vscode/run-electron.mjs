// `npm run test:vscode`: the same extension-host suite through @vscode/test-electron
// 2.5.x, for machines that can download VS Code. On machines that cannot (no
// internet), the code-server runner in test/e2e/run.mjs runs this suite instead.
import { runTests } from '@vscode/test-electron';
import { resolve } from 'node:path';

const repo = resolve(new URL('../..', import.meta.url).pathname);
try {
  await runTests({
    version: '1.100.3',
    // With the stand-in for the Python extension that test/vscode/suite/python.test.ts needs.
    extensionDevelopmentPath: [repo, resolve(repo, 'test/fixtures/extensions/ms-python.python-2099.0.0')],
    extensionTestsPath: resolve(repo, 'dist/test/suite/index.js'),
    launchArgs: [resolve(repo, 'examples/medical-qa'), '--disable-extensions'],
  });
} catch (err) {
  console.error(`The @vscode/test-electron run failed: ${err.message}\nIf VS Code cannot be downloaded here, use 'npm run test:e2e' (code-server).`);
  process.exit(1);
}
