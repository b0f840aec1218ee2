/** What the Fine-tune wizard calls once the user answered its last step. */
import * as vscode from 'vscode';
import { Host } from '../host';
import { FineTuneRequest } from './fineTuneRequest';
import { runFineTune } from './sessionManager';

export async function startFineTune(host: Host, request: FineTuneRequest): Promise<void> {
  const session = await runFineTune(host, request);
  // The panel follows the run; the diff opens from the session itself.
  void vscode.commands.executeCommand('mlIntern.chat.focus').then(undefined, () => undefined);
  host.logger.info(`Fine-tune run folder: ${session.handle.folder}`);
}
