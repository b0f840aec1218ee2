/**
 * Asking before anything runs: a modal dialog naming the exact command, the
 * folder and why. Nothing agent-written runs without it unless the user's
 * mlIntern.autoApprove setting allows it (the ApprovalGate checks that first).
 */
import * as vscode from 'vscode';
import { CommandApprovalRequest } from '../../core/tools/types';

const RUN = 'Run';

export async function askToRun(request: CommandApprovalRequest): Promise<{ approved: boolean; reason?: string }> {
  if (!vscode.workspace.isTrusted) return { approved: false, reason: 'the workspace is not trusted, so ML Intern runs nothing' };
  const origin = request.origin === 'agent' ? 'written by the LLM' : request.origin === 'playbook' ? 'from the recovery playbook' : request.origin === 'recipe' ? 'from the recipe engine' : request.origin;
  const detail = [`${request.reason}`, '', `Command: ${request.argv.map(quote).join(' ')}`, `Folder: ${request.cwd}`, `Origin: ${origin}`, request.detail ? `\n${request.detail}` : '']
    .join('\n')
    .trim();
  const answer = await vscode.window.showInformationMessage('ML Intern wants to run a command', { modal: true, detail }, RUN);
  return answer === RUN ? { approved: true } : { approved: false, reason: 'the user declined' };
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
