// Reviewable diffs in the real extension host: the diff opens, hunks are decided through the
// commands the CodeLens runs, and exactly the accepted text reaches the disk.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ReviewController } from '../../../src/vscode/review/reviewController';
import { abs, change, clearPending, exists, pendingFor, readBytes, readText, reviewApi, reviewTabs, waitFor, writeFile } from './review/helpers';

suite('review: reviewable diffs', () => {
  let review: ReviewController;

  suiteSetup(async () => {
    review = await reviewApi();
    // No interpreter round trips unless a test asks for findings.
    review.setValidator(async () => []);
  });

  teardown(async () => {
    await clearPending(review);
    review.setValidator(async () => []);
  });

  test('accept all: the proposal is written exactly, the decision carries no user patch', async () => {
    const rel = 'review-tests/accept_all.py';
    const original = 'lr = 1e-4\nepochs = 3\nprint("train")\n';
    const proposed = 'lr = 2e-5\nepochs = 3\nprint("train")\nprint("done")\n';
    await writeFile(rel, original);
    const decision = review.propose(change(rel, original, proposed));
    const p = await pendingFor(review, rel);
    assert.equal(p.status, 'open');
    assert.equal(p.hunks.length, 2);
    assert.deepEqual([p.added, p.removed], [2, 1]);
    // The diff is on screen, and nothing has touched the file yet.
    await waitFor(() => reviewTabs().length > 0, 'the review diff tab');
    assert.equal(await readText(rel), original);
    assert.equal(await vscode.commands.executeCommand('mlIntern.acceptChange', p.id), true);
    assert.deepEqual(await decision, { kind: 'accepted', text: proposed, userPatch: '', auto: false });
    assert.equal(await readText(rel), proposed);
    assert.equal(review.pending().length, 0);
    await waitFor(() => reviewTabs().length === 0, 'the review tab to close');
  });

  test('reject all: the file stays byte for byte (CRLF, no final newline) and the reason reaches the agent', async () => {
    const rel = 'review-tests/reject_all.py';
    const original = Buffer.from('a = 1\r\nb = 2\r\nc = 3', 'utf8');
    await writeFile(rel, original);
    const decision = review.propose(change(rel, original.toString('utf8'), 'a = 10\nb = 2\nc = 30\n'));
    const p = await pendingFor(review, rel);
    assert.equal(p.hunks.length, 2);
    assert.equal(await vscode.commands.executeCommand('mlIntern.rejectChange', p.id, 'keep a at 1'), true);
    assert.deepEqual(await decision, { kind: 'rejected', reason: 'keep a at 1' });
    assert.ok((await readBytes(rel)).equals(original), 'the file is unchanged byte for byte');
  });

  test('accept hunk 1, reject hunk 2 through the CodeLens commands: exact content on disk, CRLF kept', async () => {
    const rel = 'review-tests/per_hunk.py';
    const original = 'import torch\r\nlr = 1e-4\r\nepochs = 3\r\nbatch = 8\r\nmodel = "gpt2"\r\n';
    const proposed = 'import torch\nlr = 2e-5\nepochs = 3\nbatch = 8\nmodel = "Qwen/Qwen2.5-0.5B"\n';
    await writeFile(rel, original);
    const decision = review.propose(change(rel, original, proposed));
    const p = await pendingFor(review, rel);
    assert.deepEqual(
      p.hunks.map((h) => [h.line, h.added, h.removed]),
      [
        [2, 1, 1],
        [5, 1, 1],
      ],
    );

    // The CodeLens above each hunk runs exactly these commands.
    const uri = vscode.Uri.parse(p.proposedUri);
    await vscode.workspace.openTextDocument(uri);
    const lenses = await waitFor(async () => {
      const all = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
      return all.filter((l) => l.command?.command === 'mlIntern.acceptHunk').length === 2 ? all : undefined;
    }, 'two Accept hunk lenses');
    const accept = lenses.filter((l) => l.command?.command === 'mlIntern.acceptHunk');
    const reject = lenses.filter((l) => l.command?.command === 'mlIntern.rejectHunk');
    assert.deepEqual(accept.map((l) => l.range.start.line), [1, 4]);
    assert.match(accept[0].command!.title, /Accept hunk/);
    assert.match(reject[0].command!.title, /Reject hunk/);

    await vscode.commands.executeCommand(accept[0].command!.command, ...(accept[0].command!.arguments ?? []));
    // The other hunk keeps its id; the proposed side still shows it.
    const after = await waitFor(() => review.get(p.id)?.hunks.length === 1 && review.get(p.id), 'one pending hunk');
    assert.equal(after.hunks[0].id, p.hunks[1].id);
    assert.equal(await readText(rel), original, 'nothing is written before the last hunk is decided');

    await vscode.commands.executeCommand(reject[1].command!.command, ...(reject[1].command!.arguments ?? []));
    const expected = 'import torch\r\nlr = 2e-5\r\nepochs = 3\r\nbatch = 8\r\nmodel = "gpt2"\r\n';
    const d = await decision;
    assert.equal(d.kind, 'accepted');
    if (d.kind !== 'accepted') return;
    assert.equal(d.text, expected);
    assert.equal(d.auto, false);
    assert.equal(await readText(rel), expected);
    assert.match(d.userPatch, /^-model = "Qwen\/Qwen2\.5-0\.5B"\r?$/m, 'the rejected hunk shows in the user patch');
  });

  test('rejecting a hunk updates the proposed document and shifts the hunks after it', async () => {
    const rel = 'review-tests/shift.py';
    const original = 'a\nb\nc\nd\ne\n';
    const proposed = 'a\nB1\nB2\nB3\nc\nd\nE\n';
    await writeFile(rel, original);
    const decision = review.propose(change(rel, original, proposed));
    const p = await pendingFor(review, rel);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(p.proposedUri));
    assert.equal(doc.getText(), proposed);
    assert.equal(await vscode.commands.executeCommand('mlIntern.rejectHunk', p.id, p.hunks[0].id), true);
    assert.equal(doc.getText(), 'a\nb\nc\nd\nE\n');
    assert.deepEqual(review.get(p.id)?.hunks.map((h) => [h.id, h.line]), [[p.hunks[1].id, 5]]);
    assert.equal(doc.isDirty, false, 'the proposal tab does not look unsaved');
    await vscode.commands.executeCommand('mlIntern.acceptHunk', p.id, p.hunks[1].id);
    assert.equal((await decision).kind, 'accepted');
    assert.equal(await readText(rel), 'a\nb\nc\nd\nE\n');
  });

  test('rejecting every hunk is a rejection and writes nothing', async () => {
    const rel = 'review-tests/reject_hunks.py';
    await writeFile(rel, 'x = 1\ny = 2\nz = 3\n');
    const decision = review.propose(change(rel, 'x = 1\ny = 2\nz = 3\n', 'x = 9\ny = 2\nz = 9\n'));
    const p = await pendingFor(review, rel);
    for (const h of p.hunks) await vscode.commands.executeCommand('mlIntern.rejectHunk', p.id, h.id);
    assert.equal((await decision).kind, 'rejected');
    assert.equal(await readText(rel), 'x = 1\ny = 2\nz = 3\n');
  });

  test('the user edits the proposed side, then accepts: their text is written and the patch holds the edit', async () => {
    const rel = 'review-tests/user_edit.py';
    const original = 'lr = 1e-4\nepochs = 3\n';
    const proposed = 'lr = 2e-5\nepochs = 3\n';
    await writeFile(rel, original);
    const decision = review.propose(change(rel, original, proposed));
    const p = await pendingFor(review, rel);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(p.proposedUri));
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, new vscode.Position(2, 0), '# tuned by hand\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitFor(() => review.get(p.id)?.hunks.length === 2, 'the edit to show as a hunk');
    assert.equal(await review.accept(p.id), true);
    const d = await decision;
    const expected = 'lr = 2e-5\nepochs = 3\n# tuned by hand\n';
    assert.equal(d.kind, 'accepted');
    if (d.kind !== 'accepted') return;
    assert.equal(d.text, expected);
    assert.equal(await readText(rel), expected);
    assert.match(d.userPatch, /^\+# tuned by hand$/m);
    assert.match(d.userPatch, /^--- a\/review-tests\/user_edit\.py/m);
  });

  test('a new file: nothing exists until accepted, then the proposal is created', async () => {
    const rel = 'review-tests/new/accelerate_config.yaml';
    const proposed = 'compute_environment: LOCAL_MACHINE\nnum_processes: 2\n';
    // Given as an absolute path inside the workspace: reviewed under its workspace-relative name.
    const decision = review.propose(change(abs(rel), null, proposed));
    const p = await pendingFor(review, rel);
    assert.equal(p.isNew, true);
    assert.equal(p.hunks.length, 1);
    assert.equal(await exists(rel), false);
    await review.accept(p.id);
    assert.equal((await decision).kind, 'accepted');
    assert.equal(await readText(rel), proposed);
  });

  test('a change on disk during the review is detected and merged, never overwritten blindly', async () => {
    const rel = 'review-tests/disk_change.py';
    const original = 'a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n';
    const proposed = 'a = 10\nb = 2\nc = 3\nd = 4\ne = 5\n';
    await writeFile(rel, original);
    const decision = review.propose(change(rel, original, proposed));
    const p = await pendingFor(review, rel);
    // The user changes another line in their own editor meanwhile.
    const onDisk = 'a = 1\nb = 2\nc = 3\nd = 4\ne = 50\n';
    await writeFile(rel, onDisk);
    // Either the file watcher notices first, or the accept does: both rebase and tell the user.
    const watched = await waitFor(() => review.get(p.id)?.notice, 'the watcher', 5000).catch(() => undefined);
    if (!watched) {
      assert.equal(await review.accept(p.id), false, 'the first accept only rebases');
    }
    const rebased = review.get(p.id);
    assert.match(rebased?.notice ?? '', /changed on disk/);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(p.proposedUri));
    assert.equal(doc.getText(), 'a = 10\nb = 2\nc = 3\nd = 4\ne = 50\n');
    assert.equal(await review.accept(p.id), true);
    const d = await decision;
    assert.equal(d.kind, 'accepted');
    assert.equal(await readText(rel), 'a = 10\nb = 2\nc = 3\nd = 4\ne = 50\n');
  });

  test('a disk change overlapping the proposal: re-proposed against the new content, the disk edit kept until the user accepts again', async () => {
    const rel = 'review-tests/disk_conflict.py';
    const original = 'lr = 1e-4\nepochs = 3\n';
    await writeFile(rel, original);
    const decision = review.propose(change(rel, original, 'lr = 2e-5\nepochs = 3\n'));
    const p = await pendingFor(review, rel);
    await writeFile(rel, 'lr = 5e-5\nepochs = 3\n');
    const watched = await waitFor(() => review.get(p.id)?.notice, 'the watcher', 5000).catch(() => undefined);
    if (!watched) assert.equal(await review.accept(p.id), false, 'the first accept only rebases');
    assert.match(review.get(p.id)?.notice ?? '', /where the proposal also changes it/);
    assert.equal(await readText(rel), 'lr = 5e-5\nepochs = 3\n', 'the user\'s disk edit is still there');
    const again = review.get(p.id)!;
    assert.equal(again.hunks.length, 1);
    assert.equal(await review.accept(p.id), true);
    assert.equal((await decision).kind, 'accepted');
    assert.equal(await readText(rel), 'lr = 2e-5\nepochs = 3\n');
  });

  test('refused: outside the workspace, a symlink escaping it, binary and oversized files', async () => {
    const outside = await review.propose(change('../outside.py', null, 'x = 1\n'));
    assert.equal(outside.kind, 'rejected');
    assert.match(outside.kind === 'rejected' ? (outside.reason ?? '') : '', /outside the workspace/);
    const absolute = await review.propose(change(path.join(os.tmpdir(), 'ml-intern-abs.py'), null, 'x = 1\n'));
    assert.match(absolute.kind === 'rejected' ? (absolute.reason ?? '') : '', /outside the workspace/);

    const target = await fs.mkdtemp(path.join(os.tmpdir(), 'ml-intern-escape-'));
    await fs.mkdir(path.dirname(abs('review-tests/escape')), { recursive: true });
    await fs.rm(abs('review-tests/escape'), { force: true });
    await fs.symlink(target, abs('review-tests/escape'));
    const viaLink = await review.propose(change('review-tests/escape/evil.py', null, 'x = 1\n'));
    assert.match(viaLink.kind === 'rejected' ? (viaLink.reason ?? '') : '', /outside the workspace/);
    assert.equal(await exists('review-tests/escape/evil.py'), false);

    await writeFile('review-tests/weights.bin', Buffer.from([1, 2, 0, 3]));
    const binary = await review.propose(change('review-tests/weights.bin', 'x', 'y'));
    assert.match(binary.kind === 'rejected' ? (binary.reason ?? '') : '', /binary/);

    await writeFile('review-tests/big.jsonl', Buffer.alloc(1024 * 1024 + 10, 97));
    const big = await review.propose(change('review-tests/big.jsonl', null, 'x'));
    assert.match(big.kind === 'rejected' ? (big.reason ?? '') : '', /review limit/);
    assert.equal(review.pending().length, 0);
  });

  test('several changes: queued, listed, shown one after another, each resolved on its own', async () => {
    await writeFile('review-tests/queue/train.py', 'lr = 1\n');
    const events: string[] = [];
    const sub = review.onDidChange((e) => events.push(`${e.kind}:${e.path}`));
    try {
      const first = review.propose(change('review-tests/queue/train.py', 'lr = 1\n', 'lr = 2\n'));
      const p1 = await pendingFor(review, 'review-tests/queue/train.py');
      const second = review.propose(change('review-tests/queue/accelerate_config.yaml', null, 'num_processes: 2\n'));
      const p2 = await pendingFor(review, 'review-tests/queue/accelerate_config.yaml');
      assert.deepEqual(
        review.pending().map((p) => [p.path, p.status]),
        [
          ['review-tests/queue/train.py', 'open'],
          ['review-tests/queue/accelerate_config.yaml', 'queued'],
        ],
      );
      await review.reject(p1.id, 'not now');
      assert.deepEqual(await first, { kind: 'rejected', reason: 'not now' });
      await waitFor(() => review.get(p2.id)?.status === 'open', 'the next change to open');
      assert.equal(await review.reveal(p2.id), true);
      await review.accept(p2.id);
      assert.equal((await second).kind, 'accepted');
      assert.equal(await readText('review-tests/queue/accelerate_config.yaml'), 'num_processes: 2\n');
      assert.ok(events.includes('proposed:review-tests/queue/train.py'));
      assert.ok(events.includes('decided:review-tests/queue/accelerate_config.yaml'));
    } finally {
      sub.dispose();
    }
  });

  test('validator findings show as diagnostics on the proposed side and are re-checked after an edit', async () => {
    const rel = 'review-tests/validated.py';
    const calls: string[] = [];
    review.setValidator(async (_path, text) => {
      calls.push(text);
      const line = text.split('\n').findIndex((l) => l.includes('max_seq_length'));
      return line < 0 ? [] : [{ line: line + 1, column: 11, endColumn: 25, severity: 'error', code: 'unknown-keyword', message: 'SFTConfig has no max_seq_length', suggestion: 'max_length' }];
    });
    const decision = review.propose(change(rel, null, 'from trl import SFTConfig\ncfg = SFTConfig(max_seq_length=512)\n'));
    const p = await pendingFor(review, rel);
    const uri = vscode.Uri.parse(p.proposedUri);
    const diags = await waitFor(() => {
      const d = vscode.languages.getDiagnostics(uri);
      return d.length ? d : undefined;
    }, 'diagnostics on the proposal');
    assert.equal(diags[0].range.start.line, 1);
    assert.equal(diags[0].range.start.character, 10);
    assert.equal(diags[0].range.end.character, 24);
    assert.equal(diags[0].severity, vscode.DiagnosticSeverity.Error);
    assert.equal(diags[0].source, 'ML Intern');
    assert.match(diags[0].message, /max_length/);
    assert.equal(review.get(p.id)?.findings.length, 1);

    const doc = await vscode.workspace.openTextDocument(uri);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, doc.lineAt(1).range, 'cfg = SFTConfig(max_length=512)');
    await vscode.workspace.applyEdit(edit);
    await waitFor(() => vscode.languages.getDiagnostics(uri).length === 0, 'the diagnostics to clear after the fix');
    assert.ok(calls.length >= 2);
    await review.reject(p.id);
    assert.equal((await decision).kind, 'rejected');
    assert.equal(vscode.languages.getDiagnostics(uri).length, 0);
  });

  test('auto-approve (recipe) writes recipe changes at once without opening an editor; agent changes still wait', async () => {
    const config = vscode.workspace.getConfiguration('mlIntern');
    await config.update('autoApprove', 'recipe', vscode.ConfigurationTarget.Global);
    try {
      await waitFor(() => vscode.workspace.getConfiguration('mlIntern').get('autoApprove') === 'recipe', 'the setting');
      const before = vscode.window.activeTextEditor?.document.uri.toString();
      const d = await review.propose(change('review-tests/auto/train.py', null, 'print(1)\n', { origin: 'recipe' }));
      assert.deepEqual(d, { kind: 'accepted', text: 'print(1)\n', userPatch: '', auto: true });
      assert.equal(await readText('review-tests/auto/train.py'), 'print(1)\n');
      assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), before, 'no editor was opened over the user');
      assert.equal(review.pending().length, 0);

      const waiting = review.propose(change('review-tests/auto/agent.py', null, 'print(2)\n', { origin: 'agent' }));
      const p = await pendingFor(review, 'review-tests/auto/agent.py');
      await review.reject(p.id);
      assert.equal((await waiting).kind, 'rejected');
      assert.equal(await exists('review-tests/auto/agent.py'), false);
    } finally {
      await config.update('autoApprove', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('a cancelled run withdraws its pending change', async () => {
    const abort = new AbortController();
    const decision = review.propose(change('review-tests/cancel.py', null, 'x = 1\n'), abort.signal);
    await pendingFor(review, 'review-tests/cancel.py');
    abort.abort();
    const d = await decision;
    assert.equal(d.kind, 'rejected');
    assert.match(d.kind === 'rejected' ? (d.reason ?? '') : '', /Cancelled/);
    assert.equal(review.pending().length, 0);
  });
});
