import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

suite('activation', () => {
  test('the extension activates and registers its commands', async () => {
    const ext = vscode.extensions.getExtension('ml-intern.ml-intern');
    assert.ok(ext, 'extension ml-intern.ml-intern is installed in the host');
    await ext.activate();
    assert.equal(ext.isActive, true);
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['mlIntern.fineTune', 'mlIntern.openChat', 'mlIntern.setApiKey', 'mlIntern.selectModel', 'mlIntern.stopRun', 'mlIntern.showRuns']) {
      assert.ok(commands.includes(id), `command ${id} is registered`);
    }
  });

  test('activation logs no errors in the "ML Intern" log', async () => {
    const ext = vscode.extensions.getExtension<{ host: { loggedErrors: string[] } }>('ml-intern.ml-intern');
    const api = await ext!.activate();
    // Resuming runs and priming secrets run after activate() returns: give them their turn.
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(api.host.loggedErrors, []);
  });

  test('the extension runs on the workspace side (Remote-SSH ready)', () => {
    const ext = vscode.extensions.getExtension('ml-intern.ml-intern');
    assert.equal(ext?.extensionKind, vscode.ExtensionKind.Workspace);
  });
});
