/**
 * "ML Intern: Diagnose a Log": pick a training log (or pass one from the
 * Explorer's context), run the same diagnosis the repair loop and
 * `ml-intern diagnose` use, and show it as a Markdown document beside the
 * editor: the failure, the verbatim evidence and who can fix it.
 */
import * as vscode from 'vscode';
import { createReadStream } from 'node:fs';
import { diagnoseWithTraining, ranCleanly } from '../../core/recovery/diagnose';
import { describeTraining, TrainingSummary } from '../../core/logs/trainingSummary';
import { Diagnosis } from '../../core/recovery/types';
import { redactor } from '../../core/util/redact';
import { NotRegularFileError, refuseSpecialFile } from '../../core/util/regularFile';
import { guarded, Host, UserFacingError } from '../host';

const WHO_FIXES: Record<Diagnosis['fix']['kind'], string> = {
  playbook: 'ML Intern can fix this itself: run the training again from **ML Intern: Fine-tune** and its repair loop applies the fix as a diff for you to review.',
  llm: 'No deterministic fix is known; with a model configured (**ML Intern: Set API Key**), the chat panel can look into it.',
  user: 'Only you can fix this (an account, a machine or a file outside the script).',
};

/** The diagnosis as the Markdown document the user reads. */
export function diagnosisMarkdown(file: string, d: Diagnosis, training?: TrainingSummary): string {
  if (training && ranCleanly(d, training)) return [`# Diagnosis of ${file}`, '', `**No failure**: ${describeTraining(training)}`, ''].join('\n');
  const lines = [`# Diagnosis of ${file}`, '', `**${d.category}**: ${d.summary}`, ''];
  if (d.evidence.length) lines.push('## Evidence (verbatim from the log)', '', '```text', ...d.evidence.map((e) => redactor.redact(e)), '```', '');
  lines.push('## Fix', '', d.fix.description, '', WHO_FIXES[d.fix.kind], '');
  const shows = training && describeTraining(training, { failed: d.category !== 'unknown' });
  if (shows) lines.push('## What the log shows of the training', '', shows, '');
  return lines.join('\n');
}

async function pickLog(host: Host): Promise<vscode.Uri | undefined> {
  const root = host.workspaceRoot();
  const runs = root ? vscode.Uri.joinPath(vscode.Uri.file(root), '.ml-intern', 'runs') : undefined;
  const picked = await vscode.window.showOpenDialog({
    title: 'ML Intern: pick a training log to diagnose',
    openLabel: 'Diagnose',
    canSelectMany: false,
    canSelectFolders: false,
    ...(runs ? { defaultUri: runs } : {}),
    filters: { 'Logs and text': ['log', 'txt', 'out', 'err'], 'All files': ['*'] },
  });
  return picked?.[0];
}

export async function diagnoseLog(host: Host, arg?: unknown): Promise<Diagnosis | undefined> {
  const uri = arg instanceof vscode.Uri ? arg : await pickLog(host);
  if (!uri) return undefined;
  if (uri.scheme !== 'file') throw new UserFacingError(`ML Intern: cannot read ${uri.toString()}: pick a log file on this machine.`);
  let d: Diagnosis;
  let training: TrainingSummary;
  try {
    // Checked before opening: a named pipe without a writer would block a thread of the extension host forever.
    await refuseSpecialFile(uri.fsPath);
    ({ diagnosis: d, training } = await diagnoseWithTraining(createReadStream(uri.fsPath)));
  } catch (err) {
    if (err instanceof NotRegularFileError) throw new UserFacingError(`ML Intern: ${err.message}. Pick a log file (a run's logs/train.log, for example).`);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserFacingError(`ML Intern: cannot read ${uri.fsPath}: no such file. Pick another log.`);
    if (code === 'EISDIR') throw new UserFacingError(`ML Intern: ${uri.fsPath} is a folder. Pick a log file (a run's logs/train.log, for example).`);
    throw err;
  }
  const name = vscode.workspace.asRelativePath(uri, false);
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: diagnosisMarkdown(name, d, training) });
  await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Beside });
  host.logger.info(`Diagnosed ${name}: ${d.category}`);
  return d;
}

export function registerDiagnoseLog(host: Host): void {
  host.context.subscriptions.push(vscode.commands.registerCommand('mlIntern.diagnoseLog', guarded(host, 'diagnoseLog', (arg?: unknown) => diagnoseLog(host, arg))));
}
