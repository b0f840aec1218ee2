/**
 * Registers the review area: the two virtual document schemes, the per-hunk
 * CodeLens, the commands (Accept/Reject Change, Accept/Reject Hunk) and the
 * status bar entry. The controller is built once at activation (services.ts):
 * the sessions use it as the core `Reviewer`, the chat panel through its public API.
 */
import * as vscode from 'vscode';
import { Host, guarded } from '../host';
import { HunkLensProvider } from './hunkLens';
import { ReviewController } from './reviewController';
import { ORIGINAL_SCHEME, PROPOSED_SCHEME, changeIdOf } from './uris';

export function registerReview(host: Host, c: ReviewController): void {
  const subs = host.context.subscriptions;
  subs.push(
    c,
    vscode.workspace.registerFileSystemProvider(PROPOSED_SCHEME, c.fileSystem, { isCaseSensitive: true }),
    vscode.workspace.registerTextDocumentContentProvider(ORIGINAL_SCHEME, c.originals),
    vscode.languages.registerCodeLensProvider({ scheme: PROPOSED_SCHEME }, new HunkLensProvider(c)),
  );

  const bar = vscode.window.createStatusBarItem('mlIntern.review', vscode.StatusBarAlignment.Left, 50);
  bar.name = 'ML Intern: changes to review';
  bar.command = 'mlIntern.review.showNext';
  c.statusBar = bar;
  subs.push(bar);

  /** The change a command is about: an explicit id (panel, CodeLens), the URI of the editor (title bar), or the active review. */
  const target = (arg: unknown): string | undefined => {
    if (typeof arg === 'string') return arg;
    if (arg instanceof vscode.Uri) return changeIdOf(arg);
    return c.activeChangeId() ?? c.pending().find((p) => p.status === 'open')?.id;
  };
  const noReview = () => void vscode.window.showInformationMessage('No ML Intern change is open for review. Pending changes are listed in the ML Intern chat panel.');

  subs.push(
    vscode.commands.registerCommand(
      'mlIntern.acceptChange',
      guarded(host, 'acceptChange', async (arg?: unknown) => {
        const id = target(arg);
        if (!id || !c.get(id)) return noReview();
        return c.accept(id);
      }),
    ),
    vscode.commands.registerCommand(
      'mlIntern.rejectChange',
      guarded(host, 'rejectChange', async (arg?: unknown, reason?: unknown) => {
        const id = target(arg);
        const change = id ? c.get(id) : undefined;
        if (!id || !change) return noReview();
        let why = typeof reason === 'string' ? reason : undefined;
        if (why === undefined) {
          why = await vscode.window.showInputBox({
            title: `Reject the change to ${change.path}`,
            prompt: `Why? (optional: ${change.origin === 'agent' ? 'the agent reads this and tries again' : "kept in the run's record"}). Enter to reject, Escape to keep reviewing.`,
            placeHolder: 'e.g. keep the learning rate at 1e-4',
            ignoreFocusOut: true,
          });
          if (why === undefined) return false;
        }
        return c.reject(id, why);
      }),
    ),
    vscode.commands.registerCommand(
      'mlIntern.acceptHunk',
      guarded(host, 'acceptHunk', (changeId: unknown, hunkId: unknown) => decideHunkCommand(c, changeId, hunkId, 'accept')),
    ),
    vscode.commands.registerCommand(
      'mlIntern.rejectHunk',
      guarded(host, 'rejectHunk', (changeId: unknown, hunkId: unknown) => decideHunkCommand(c, changeId, hunkId, 'reject')),
    ),
    vscode.commands.registerCommand(
      'mlIntern.review.showNext',
      guarded(host, 'showNextReview', async () => {
        const next = c.pending()[0];
        return next ? c.reveal(next.id) : noReview();
      }),
    ),
  );
  c.updateContextKey();
}

/**
 * From a CodeLens the change and hunk ids come as arguments; from the keyboard
 * (palette, keybinding) the hunk is the one at the cursor in the proposed side,
 * or the next one below it.
 */
function decideHunkCommand(c: ReviewController, changeId: unknown, hunkId: unknown, verdict: 'accept' | 'reject'): Promise<boolean> | boolean {
  if (typeof changeId === 'string' && typeof hunkId === 'string') return c.decideHunk(changeId, hunkId, verdict);
  const id = c.activeChangeId();
  const change = id ? c.get(id) : undefined;
  if (!id || !change || change.hunks.length === 0) {
    void vscode.window.showInformationMessage('No ML Intern change is open for review. Pending changes are listed in the ML Intern chat panel.');
    return false;
  }
  const editor = vscode.window.activeTextEditor;
  const cursor = editor && editor.document.uri.toString() === change.proposedUri ? editor.selection.active.line + 1 : 1;
  const spans = change.hunks.map((h) => ({ id: h.id, from: h.line, to: h.line + Math.max(h.added, 1) - 1 }));
  const hunk = spans.find((h) => cursor >= h.from && cursor <= h.to) ?? spans.find((h) => h.from >= cursor) ?? spans[0];
  return c.decideHunk(id, hunk.id, verdict);
}
