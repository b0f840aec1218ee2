/**
 * "ML Intern: Create Dev Container": proposes `.devcontainer/devcontainer.json` for GPU training
 * (core/sandbox/devContainer.ts writes it) as a diff in the review view; nothing is written until
 * the user accepts it. Then VS Code's "Reopen in Container" starts it.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEV_CONTAINER_PATH, devContainerJson } from '../../core/sandbox/devContainer';
import type { Reviewer } from '../../core/ports';
import { guarded, Host } from '../host';
import { readCurrent } from '../../ui/review/currentFile';

export async function createDevContainer(host: Host, reviewer: Reviewer): Promise<boolean> {
  const store = host.requireWritableWorkspace('write a Dev Container');
  const proposed = devContainerJson({ name: path.basename(store.root), extensionId: host.context.extension.id });
  const decision = await reviewer.propose({
    path: DEV_CONTAINER_PATH,
    original: await readCurrent(store, DEV_CONTAINER_PATH),
    proposed,
    description: 'A Dev Container for GPU training: CUDA + PyTorch, the GPUs, the training libraries, ML Intern inside',
    origin: 'user',
  });
  if (decision.kind !== 'accepted') return false;
  void vscode.window.showInformationMessage(`ML Intern: ${DEV_CONTAINER_PATH} written. Run "Dev Containers: Reopen in Container" to work inside it (mlIntern.sandbox still applies there).`);
  return true;
}

export function registerCreateDevContainer(host: Host, reviewer: Reviewer): void {
  host.context.subscriptions.push(vscode.commands.registerCommand('mlIntern.createDevContainer', guarded(host, 'createDevContainer', () => createDevContainer(host, reviewer))));
}
