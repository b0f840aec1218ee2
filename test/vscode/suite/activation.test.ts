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

  test('the extension runs on the workspace side (Remote-SSH ready)', () => {
    const ext = vscode.extensions.getExtension('ml-intern.ml-intern');
    assert.equal(ext?.extensionKind, vscode.ExtensionKind.Workspace);
  });
});
