/**
 * The proposed side of a review as an editor document: taking the user's unsaved edits into the
 * review state, showing a new text with the smallest edit (cursor and scroll stay), and closing
 * the change's tabs (its diff, or a new file's proposal on its own).
 */
import * as vscode from 'vscode';
import { Logger } from '../../core/ports';
import { splitLines } from '../../core/review/hunks';
import { editShown } from '../../core/review/reviewState';
import { changeIdOfTab } from './uris';
import { Entry } from './reviewEntry';

export function loadedDocument(uri: vscode.Uri): vscode.TextDocument | undefined {
  return vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
}

/** Take the user's unsaved edits of the proposed side into the state. */
export function syncFromDocument(entry: Entry): void {
  const doc = loadedDocument(entry.proposedUri);
  if (doc && doc.getText() !== entry.state.shown) entry.state = editShown(entry.state, doc.getText());
}

/** Make the proposed side show `text`, editing only the lines that differ (the cursor and scroll stay). */
export async function showText(entry: Entry, text: string): Promise<void> {
  // Through the document (loading it if needed), never behind its back: a
  // model still loading would otherwise keep the old text.
  const doc = await vscode.workspace.openTextDocument(entry.proposedUri);
  if (doc.getText() === text) return;
  const old = splitLines(doc.getText());
  const next = splitLines(text);
  let head = 0;
  while (head < old.length && head < next.length && old[head] === next[head]) head++;
  let tail = 0;
  while (tail < old.length - head && tail < next.length - head && old[old.length - 1 - tail] === next[next.length - 1 - tail]) tail++;
  const startOffset = old.slice(0, head).join('').length;
  const endOffset = doc.getText().length - old.slice(old.length - tail).join('').length;
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(doc.positionAt(startOffset), doc.positionAt(endOffset)), next.slice(head, next.length - tail).join(''));
  entry.editing = true;
  try {
    await vscode.workspace.applyEdit(edit);
    // Saving writes to the in-memory proposal only; it keeps the tab from showing as unsaved.
    if (doc.isDirty) await doc.save();
  } finally {
    entry.editing = false;
  }
  if (doc.getText() !== entry.state.shown) entry.state = editShown(entry.state, doc.getText());
}

/** Close every tab of the change (saving the in-memory proposal first, so VS Code asks nothing). */
export async function closeTabs(entry: Entry, logger: Logger): Promise<void> {
  const doc = loadedDocument(entry.proposedUri);
  entry.editing = true;
  try {
    if (doc?.isDirty) await doc.save();
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => changeIdOfTab(t) === entry.id);
    if (tabs.length) await vscode.window.tabGroups.close(tabs, true);
  } catch (err) {
    logger.warn(`Closing the review of ${entry.change.path}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    entry.editing = false;
  }
}
