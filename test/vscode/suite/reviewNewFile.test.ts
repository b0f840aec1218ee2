// A new file's proposal in the real extension host: it opens as a plain editor of the proposal
// (a diff would show a blank left half), labelled as a proposal, with the same CodeLens; closing
// and reopening, the keyboard's Accept, and a file created on disk meanwhile (then it becomes a diff).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ReviewController } from '../../../src/vscode/review/reviewController';
import { change, clearPending, exists, pendingFor, readText, reviewApi, reviewTabs, waitFor, writeFile } from './review/helpers';

/** Tabs showing the proposal `uri` on its own (not inside a diff). */
function plainTabsOf(uri: string): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri);
}

/** Diff tabs whose proposed side is `uri`. */
function diffTabsOf(uri: string): vscode.Tab[] {
  return reviewTabs().filter((t) => (t.input as vscode.TabInputTextDiff).modified.toString() === uri);
}

async function lensTitles(uri: vscode.Uri): Promise<string[]> {
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
  return lenses.map((l) => l.command?.title ?? '');
}

suite('review: a new file opens as the proposal alone', () => {
  let review: ReviewController;

  suiteSetup(async () => {
    review = await reviewApi();
    review.setValidator(async () => []);
  });

  teardown(async () => {
    await clearPending(review);
  });

  test('plain editor labelled as a proposal, with the CodeLens; closed and reopened; accepted from the keyboard command', async () => {
    const rel = 'review-tests/newfile/train.py';
    const proposed = 'import torch\nLEARNING_RATE = 2e-4\nprint("train")\n';
    const decision = review.propose(change(rel, null, proposed));
    const p = await pendingFor(review, rel);
    const uri = vscode.Uri.parse(p.proposedUri);

    const tab = await waitFor(() => plainTabsOf(p.proposedUri)[0], 'the plain tab of the proposal');
    assert.equal(diffTabsOf(p.proposedUri).length, 0, 'no diff editor for a new file');
    assert.equal(tab.label, 'train.py (new file) · ML Intern proposal');
    assert.equal(review.activeChangeId(), p.id, 'the proposal tab is the active review (the context key and keybindings follow it)');
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.equal(doc.languageId, 'python', 'the URI keeps the file name, so the language mode matches');
    const titles = await waitFor(async () => {
      const t = await lensTitles(uri);
      return t.length ? t : undefined;
    }, 'the CodeLens');
    assert.ok(titles.some((t) => t.includes('Accept change')), titles.join(' | '));
    assert.ok(titles.some((t) => t.startsWith('✓ Accept hunk (+3')), titles.join(' | '));

    // Closed without a decision: still pending, hidden; the panel's Review diff brings the same plain tab back.
    await vscode.window.tabGroups.close(tab);
    await waitFor(() => review.get(p.id)?.status === 'hidden', 'the change to be hidden');
    assert.equal(await review.reveal(p.id), true);
    await waitFor(() => plainTabsOf(p.proposedUri).length === 1 && review.get(p.id)?.status === 'open', 'the proposal to reopen on its own');
    assert.equal(diffTabsOf(p.proposedUri).length, 0);

    // An edit by hand before accepting is what gets written; the keyboard's Accept (no argument) takes the active review.
    const edit = new vscode.WorkspaceEdit();
    edit.insert(uri, new vscode.Position(3, 0), 'print("done")\n');
    await vscode.workspace.applyEdit(edit);
    assert.equal(await exists(rel), false, 'nothing is written before the accept');
    assert.equal(await vscode.commands.executeCommand('mlIntern.acceptChange'), true);
    const d = await decision;
    assert.equal(d.kind, 'accepted');
    assert.equal(await readText(rel), `${proposed}print("done")\n`);
    await waitFor(() => plainTabsOf(p.proposedUri).length === 0, 'the proposal tab to close after the accept');
  });

  test('decided while its editor is still opening: no tab of it is left behind', async () => {
    const rel = 'review-tests/newfile/quick.py';
    const decision = review.propose(change(rel, null, 'x = 1\n'));
    const p = await pendingFor(review, rel);
    await review.reject(p.id, 'too quick');
    assert.deepEqual(await decision, { kind: 'rejected', reason: 'too quick' });
    // The open that was under way lands after the decision; it must close itself again.
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual([...plainTabsOf(p.proposedUri), ...diffTabsOf(p.proposedUri)].map((t) => t.label), []);
  });

  test('the file appears on disk during the review: the proposal is shown again as a diff against it', async () => {
    const rel = 'review-tests/newfile/config.yaml';
    const decision = review.propose(change(rel, null, 'lr: 2e-4\nepochs: 3\n'));
    const p = await pendingFor(review, rel);
    await waitFor(() => plainTabsOf(p.proposedUri).length === 1, 'the plain tab of the new file');
    await writeFile(rel, 'lr: 1e-4\n');
    const watched = await waitFor(() => review.get(p.id)?.notice, 'the watcher', 5000).catch(() => undefined);
    if (!watched) assert.equal(await review.accept(p.id), false, 'the first accept only rebases');
    assert.equal(review.get(p.id)?.isNew, false);
    await waitFor(() => diffTabsOf(p.proposedUri).length === 1 && plainTabsOf(p.proposedUri).length === 0, 'the review to turn into a diff');
    assert.equal(review.get(p.id)?.status, 'open');
    await review.reject(p.id, 'keep mine');
    assert.deepEqual(await decision, { kind: 'rejected', reason: 'keep mine' });
    assert.equal(await readText(rel), 'lr: 1e-4\n');
    await waitFor(() => diffTabsOf(p.proposedUri).length === 0, 'the diff to close');
  });
});
