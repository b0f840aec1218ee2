import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Host } from '../../../src/vscode/host';
import { resolvePython } from '../../../src/vscode/python/interpreter';

// The E2E run installs a stand-in for the Python extension (test/fixtures/extensions/ms-python.python-*)
// whose environments API selects /opt/fake-venvs/ml/bin/python for the workspace.
const SELECTED = '/opt/fake-venvs/ml/bin/python';

suite('the training interpreter', () => {
  async function host(): Promise<Host> {
    const api = await vscode.extensions.getExtension<{ host: Host }>('ml-intern.ml-intern')!.activate();
    return api.host;
  }

  test("without mlIntern.pythonPath, the Python extension's interpreter for the workspace trains", async () => {
    assert.ok(vscode.extensions.getExtension('ms-python.python'), 'the Python extension stand-in is installed (both test runners install it)');
    const config = vscode.workspace.getConfiguration('mlIntern');
    await config.update('pythonPath', undefined, vscode.ConfigurationTarget.Workspace);
    assert.deepEqual(await resolvePython(await host()), { path: SELECTED, source: 'python-extension' });
  });

  test('mlIntern.pythonPath overrides the Python extension', async () => {
    const config = vscode.workspace.getConfiguration('mlIntern');
    await config.update('pythonPath', '/usr/local/bin/python3.11', vscode.ConfigurationTarget.Workspace);
    try {
      assert.deepEqual(await resolvePython(await host()), { path: '/usr/local/bin/python3.11', source: 'setting' });
    } finally {
      await config.update('pythonPath', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
