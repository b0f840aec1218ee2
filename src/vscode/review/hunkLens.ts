/**
 * "✓ Accept hunk / ✗ Reject hunk" above every pending hunk of the proposed
 * side, plus "Accept change / Reject change" on the first line. A new file's
 * proposal opens in a plain editor (editor.codeLens, on by default); a change to an
 * existing file opens as a diff, which shows them because the manifest turns
 * `diffEditor.codeLens` on by default (a configurationDefaults entry cannot be scoped
 * to one scheme, so docs/MARKETPLACE.md says so and how to turn it off).
 */
import * as vscode from 'vscode';
import { Hunk } from '../../core/review/hunks';
import { PROPOSED_SCHEME } from './uris';

export interface LensSource {
  /** The change id and pending hunks of the review a proposed document belongs to. */
  reviewFor(uri: vscode.Uri): { id: string; hunks: readonly Hunk[] } | undefined;
  readonly onDidChangeReviews: vscode.Event<unknown>;
}

export class HunkLensProvider implements vscode.CodeLensProvider {
  readonly onDidChangeCodeLenses: vscode.Event<void>;

  constructor(private readonly source: LensSource) {
    this.onDidChangeCodeLenses = (listener, thisArg, disposables) =>
      source.onDidChangeReviews(() => listener.call(thisArg), undefined, disposables);
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (document.uri.scheme !== PROPOSED_SCHEME) return [];
    const review = this.source.reviewFor(document.uri);
    if (!review) return [];
    const lenses: vscode.CodeLens[] = [];
    const top = new vscode.Range(0, 0, 0, 0);
    lenses.push(
      new vscode.CodeLens(top, { title: '$(check-all) Accept change', tooltip: 'Write this text to the file (Ctrl+Alt+Enter)', command: 'mlIntern.acceptChange', arguments: [review.id] }),
      new vscode.CodeLens(top, { title: '$(close-all) Reject change', tooltip: 'Leave the file as it is and tell the agent why (Ctrl+Alt+Backspace)', command: 'mlIntern.rejectChange', arguments: [review.id] }),
    );
    for (const h of review.hunks) {
      const line = Math.max(0, Math.min(h.newStart, document.lineCount - 1));
      const range = new vscode.Range(line, 0, line, 0);
      const what = describe(h);
      lenses.push(
        new vscode.CodeLens(range, { title: `✓ Accept hunk${what}`, tooltip: 'Keep this part of the proposal', command: 'mlIntern.acceptHunk', arguments: [review.id, h.id] }),
        new vscode.CodeLens(range, { title: '✗ Reject hunk', tooltip: 'Put the current lines back for this part', command: 'mlIntern.rejectHunk', arguments: [review.id, h.id] }),
      );
    }
    return lenses;
  }
}

function describe(h: Hunk): string {
  if (h.newLines.length === 0) return ` (delete ${h.oldLines.length} line${h.oldLines.length === 1 ? '' : 's'})`;
  return ` (+${h.newLines.length} −${h.oldLines.length})`;
}
