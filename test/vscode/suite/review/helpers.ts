// Helpers for the review suite: the extension's exports, the workspace on disk, polling.
import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ReviewController, PendingChange } from '../../../../src/vscode/review/reviewController';
import type { ProposedChange } from '../../../../src/core/ports';

export async function reviewApi(): Promise<ReviewController> {
  const ext = vscode.extensions.getExtension<{ review?: ReviewController }>('ml-intern.ml-intern');
  if (!ext) throw new Error('extension ml-intern.ml-intern is not installed in the host');
  const exports = await ext.activate();
  if (!exports.review) throw new Error('the extension did not return its review controller from activate()');
  return exports.review;
}

export function workspaceRoot(): string {
  const f = vscode.workspace.workspaceFolders?.[0];
  if (!f) throw new Error('the suite needs a workspace folder');
  return f.uri.fsPath;
}

export const abs = (rel: string) => path.join(workspaceRoot(), rel);

export async function writeFile(rel: string, text: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(abs(rel)), { recursive: true });
  await fs.writeFile(abs(rel), text);
}

export async function readBytes(rel: string): Promise<Buffer> {
  return fs.readFile(abs(rel));
}

export async function readText(rel: string): Promise<string> {
  return fs.readFile(abs(rel), 'utf8');
}

export async function exists(rel: string): Promise<boolean> {
  return fs.stat(abs(rel)).then(
    () => true,
    () => false,
  );
}

export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function change(rel: string, original: string | null, proposed: string, extra: Partial<ProposedChange> = {}): ProposedChange {
  return { path: rel, original, proposed, description: `test change to ${rel}`, origin: 'agent', ...extra };
}

/** The pending entry for a path, once propose() has read the disk and queued it. */
export function pendingFor(review: ReviewController, rel: string): Promise<PendingChange> {
  return waitFor(() => review.pending().find((p) => p.path === rel), `a pending review of ${rel}`);
}

/** Reject whatever a failed test left pending, so the next test starts clean. */
export async function clearPending(review: ReviewController): Promise<void> {
  for (const p of review.pending()) await review.reject(p.id, 'test cleanup');
}

export function reviewTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === 'ml-intern-proposed');
}
