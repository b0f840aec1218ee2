import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Registered on purpose without a palette entry: reached from the status bar item only. */
const INTERNAL_COMMANDS = ['mlIntern.review.showNext'];

interface Manifest {
  contributes: { commands: Array<{ command: string }>; views?: Record<string, Array<{ id: string }>> };
}

async function activated(): Promise<vscode.Extension<unknown>> {
  const ext = vscode.extensions.getExtension('ml-intern.ml-intern');
  assert.ok(ext, 'extension ml-intern.ml-intern is installed in the host');
  await ext.activate();
  return ext;
}

suite('contributed commands', () => {
  test('every command in package.json is registered after activation (none answers "command not found")', async () => {
    const ext = await activated();
    const manifest = ext.packageJSON as Manifest;
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = manifest.contributes.commands.map((c) => c.command).filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed but never registered: ${missing.join(', ')}`);
  });

  test('every registered mlIntern.* command is contributed or listed as internal', async () => {
    const ext = await activated();
    const manifest = ext.packageJSON as Manifest;
    const contributed = new Set(manifest.contributes.commands.map((c) => c.command));
    // VS Code itself adds `<view id>.focus` (and the like) for each contributed view.
    const viewIds = Object.values(manifest.contributes.views ?? {}).flat().map((v) => v.id);
    const stray = (await vscode.commands.getCommands(true)).filter(
      (id) => id.startsWith('mlIntern.') && !contributed.has(id) && !INTERNAL_COMMANDS.includes(id) && !viewIds.some((v) => id.startsWith(`${v}.`)),
    );
    assert.deepEqual(stray, [], `registered but neither contributed nor internal: ${stray.join(', ')}`);
  });

  test('Diagnose a Log names the failure of a log file and shows its evidence', async () => {
    await activated();
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(root, 'the suite needs a workspace folder');
    const log = path.join(root, 'diagnose-me.log');
    await fs.writeFile(
      log,
      "{'loss': 1.9, 'epoch': 0.1}\ntorch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 23.65 GiB of which 1.02 GiB is free.\n",
    );
    try {
      await vscode.commands.executeCommand('mlIntern.diagnoseLog', vscode.Uri.file(log));
      const text = vscode.window.activeTextEditor?.document.getText() ?? '';
      assert.match(text, /# Diagnosis of diagnose-me\.log/);
      assert.match(text, /\*\*cuda_oom\*\*/);
      assert.match(text, /CUDA out of memory\. Tried to allocate 2\.00 GiB/);
      // What the log shows of the training before it failed.
      assert.match(text, /## What the log shows of the training\n\nThe log shows training: 1 logged training step up to step 1; loss 1\.90 → 1\.90\. The failure above stopped it after step 1\./);
    } finally {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await fs.rm(log, { force: true });
    }
  });
});
