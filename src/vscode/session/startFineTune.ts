/** What the Fine-tune wizard calls once the user answered its last step. */
import * as vscode from 'vscode';
import { Host } from '../host';
import { FineTuneRequest } from '../../core/session/types';
import type { SessionManager } from './sessionManager';
import { InstructionReading, readInstructions, UNDERSTOOD } from '../../core/recipes/instructions';

export async function startFineTune(host: Host, sessions: SessionManager, request: FineTuneRequest): Promise<void> {
  // What a rule can read from the instructions goes into CONFIG (shown in the diff); without an LLM
  // the rest would be dropped silently, so the user hears which parts were not applied.
  const reading = request.instructions ? readInstructions(request.instructions, { peft: request.adapter !== 'full' }) : undefined;
  if (reading && Object.keys(reading.config).length) request = { ...request, config: { ...reading.config, ...request.config } };
  const session = await sessions.runFineTune(request);
  if (reading) tellInstructions(host, reading);
  // The panel follows the run; the diff opens from the session itself.
  void vscode.commands.executeCommand('mlIntern.chat.focus').then(undefined, () => undefined);
  host.logger.info(`Fine-tune run folder: ${session.handle.folder}`);
}

function tellInstructions(host: Host, reading: InstructionReading): void {
  const applied = reading.applied.length ? `From your instructions, the script's CONFIG gets ${reading.applied.join(', ')} (in the diff to review).` : '';
  host.logger.info(`Fine-tune instructions: applied ${reading.applied.join(', ') || 'nothing'}; not applied ${reading.notApplied.join(', ') || 'nothing'}.`);
  // With a model configured, it adapts the script to the rest of the instructions after the review.
  if (host.settings().provider !== 'none' || !reading.notApplied.length) {
    if (applied) void vscode.window.showInformationMessage(`ML Intern: ${applied}`);
    return;
  }
  void vscode.window.showWarningMessage(
    `ML Intern: ${applied ? `${applied} ` : ''}Not applied: ${reading.notApplied.join(', ')}. Without a language model (ML Intern: Set API Key), only these are read: ${UNDERSTOOD}. Change the rest in the script while you review it.`,
  );
}
