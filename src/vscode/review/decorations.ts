/**
 * Added and removed lines of the pending hunks, in the theme's diff colours,
 * on both sides of a review (the diff editor's own colouring stays; these
 * mark what is still undecided, also when a side is opened on its own).
 */
import * as vscode from 'vscode';
import { Hunk } from '../../core/review/hunks';
import { ORIGINAL_SCHEME, PROPOSED_SCHEME } from './uris';

export class HunkDecorations implements vscode.Disposable {
  private readonly inserted = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('diffEditor.insertedLineBackground'),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.addedForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  private readonly removed = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('diffEditor.removedLineBackground'),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.deletedForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });

  constructor(private readonly hunksFor: (uri: vscode.Uri) => readonly Hunk[] | undefined) {}

  refresh(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const uri = editor.document.uri;
      if (uri.scheme !== PROPOSED_SCHEME && uri.scheme !== ORIGINAL_SCHEME) continue;
      const hunks = this.hunksFor(uri) ?? [];
      const proposed = uri.scheme === PROPOSED_SCHEME;
      const ranges = hunks
        .map((h) => (proposed ? [h.newStart, h.newLines.length] : [h.oldStart, h.oldLines.length]))
        .filter(([, count]) => count > 0)
        .map(([start, count]) => new vscode.Range(start, 0, start + count - 1, 0));
      editor.setDecorations(proposed ? this.inserted : this.removed, ranges);
    }
  }

  dispose(): void {
    this.inserted.dispose();
    this.removed.dispose();
  }
}
