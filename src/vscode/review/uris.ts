/**
 * The two virtual documents of a review: the left side (what is on disk plus
 * the hunks accepted so far, read-only) and the right side (the editable
 * proposal). Both keep the file's name so the language mode, icons and
 * syntax colouring match the real file; nothing about them touches the disk.
 */
import * as vscode from 'vscode';

export const ORIGINAL_SCHEME = 'ml-intern-original';
export const PROPOSED_SCHEME = 'ml-intern-proposed';

/**
 * ml-intern-proposed:/<workspace-relative path>?<changeId>. The id is the query: in the path it
 * showed as a folder in the breadcrumb and in the Problems view (issue 25 polish).
 */
export function reviewUri(scheme: typeof ORIGINAL_SCHEME | typeof PROPOSED_SCHEME, changeId: string, path: string): vscode.Uri {
  const rel = path.replace(/\\/g, '/').replace(/^\.?\/+/, '');
  return vscode.Uri.from({ scheme, path: `/${rel}`, query: changeId });
}

/** The change id a review document belongs to, or undefined for any other document. */
export function changeIdOf(uri: vscode.Uri | undefined): string | undefined {
  if (!uri || (uri.scheme !== ORIGINAL_SCHEME && uri.scheme !== PROPOSED_SCHEME)) return undefined;
  return uri.query || undefined;
}

/** The change id of a tab showing a review (the diff, or either side on its own). */
export function changeIdOfTab(tab: vscode.Tab | undefined): string | undefined {
  const input = tab?.input;
  if (input instanceof vscode.TabInputTextDiff) return changeIdOf(input.modified) ?? changeIdOf(input.original);
  if (input instanceof vscode.TabInputText) return changeIdOf(input.uri);
  return undefined;
}
