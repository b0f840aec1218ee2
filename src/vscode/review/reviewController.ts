/**
 * The VS Code Reviewer: every proposed change to an existing file opens as a
 * diff between the file as it is (left, read-only) and the proposal (right,
 * editable, in memory), with per-hunk CodeLens. A new file opens as the
 * proposal alone (a diff would be half blank). Nothing touches the real file
 * until the user accepts; then exactly the proposed text is written.
 *
 * Several changes may be pending: they are queued and shown one after
 * another, listed by `pending()` for the chat panel, and each `propose()`
 * resolves on its own decision. Operations on one change are serialized.
 */
import * as vscode from 'vscode';
import * as nodePath from 'node:path';
import { ProposedChange, ReviewDecision, Reviewer } from '../../core/ports';
import { Hunk, userPatch } from '../../core/review/hunks';
import { merge3 } from '../../core/review/merge';
import { HunkVerdict, acceptAll, createReview, decideHunk, editShown, isSettled, outcome, rebase } from '../../core/review/reviewState';
import { autoApproves, refuseContent } from '../../core/review/guards';
import { Validator } from '../../core/review/findings';
import { ReviewQueue } from '../../core/review/queue';
import { NodeFileStore } from '../../core/util/nodeFileStore';
import { Host } from '../host';
import { OriginalContentProvider, ProposedFileSystem } from './proposedFileSystem';
import { ORIGINAL_SCHEME, PROPOSED_SCHEME, changeIdOf, changeIdOfTab, reviewUri } from './uris';
import { readCurrent, Refusal } from '../../ui/review/currentFile';
import { ProposalValidation } from './validation';
import { HunkDecorations } from './decorations';
import { autoApply } from './autoApply';
import { closeTabs, showText, syncFromDocument } from './proposedDocument';
import { CANCELLED, Entry, PendingChange, ReviewEvent, describeEntry, withLock } from './reviewEntry';

export type { PendingChange, ReviewEvent } from './reviewEntry';

export class ReviewController implements Reviewer, vscode.Disposable {
  private readonly queue = new ReviewQueue<Entry>();
  private readonly emitter = new vscode.EventEmitter<ReviewEvent>();
  /** Fires when a change is proposed, updated (a hunk decided, an edit, a rebase) or decided. */
  readonly onDidChange = this.emitter.event;
  readonly fileSystem = new ProposedFileSystem();
  readonly originals = new OriginalContentProvider();
  private readonly validation: ProposalValidation;
  private readonly decorations: HunkDecorations;
  private readonly disposables: vscode.Disposable[] = [];
  private counter = 0;

  constructor(
    private readonly host: Host,
    validator?: Validator,
  ) {
    this.validation = new ProposalValidation(validator, host.logger, (uri) => {
      const e = this.entryOf(uri);
      if (e) this.changed(e);
    });
    this.decorations = new HunkDecorations((uri) => this.entryOf(uri)?.state.hunks);
    this.disposables.push(
      this.emitter,
      this.validation,
      this.decorations,
      vscode.workspace.onDidChangeTextDocument((e) => this.onDocumentChanged(e.document)),
      vscode.window.onDidChangeVisibleTextEditors(() => this.decorations.refresh()),
      vscode.window.tabGroups.onDidChangeTabs((e) => this.onTabsChanged(e.closed, e.opened)),
      vscode.window.tabGroups.onDidChangeTabGroups(() => this.updateContextKey()),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateContextKey()),
    );
    this.closeOrphans(vscode.window.tabGroups.all.flatMap((g) => g.tabs));
  }

  /** Use another validator (the python helper's validate_script.py, or a test double). */
  setValidator(validator: Validator | undefined): void {
    this.validation.setValidator(validator);
  }

  // ── Reviewer ────────────────────────────────────────────────────────────

  async propose(change: ProposedChange, signal?: AbortSignal): Promise<ReviewDecision> {
    if (signal?.aborted) return { kind: 'rejected', reason: CANCELLED };
    let store: NodeFileStore;
    let current: string | null;
    try {
      store = this.host.requireWritableWorkspace(`write ${change.path}`);
      // One spelling of the path from here on (absolute or './x' become workspace-relative).
      change = { ...change, path: nodePath.relative(store.root, store.resolve(change.path)).split(nodePath.sep).join('/') };
      current = await readCurrent(store, change.path);
      const refusal = refuseContent(change.path, change.proposed, 'proposed');
      if (refusal) throw new Refusal(refusal);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.host.logger.warn(`Change to ${change.path} refused: ${reason}`);
      return { kind: 'rejected', reason };
    }

    // The agent's idea of the file may be stale: review against the disk, carrying
    // the proposal over when its changes do not touch what changed meanwhile.
    let proposed = change.proposed;
    if (change.original !== null && current !== null && current !== change.original) {
      const merged = merge3(change.original, current, change.proposed);
      if (merged !== null) proposed = merged;
      this.host.logger.info(`${change.path} differs from what the agent read; reviewing against the file on disk${merged !== null ? ' (proposal merged)' : ''}.`);
    }

    if (autoApproves(this.host.settings().autoApprove, change.origin)) {
      return autoApply(this.host, this.disposables, store, change, current, proposed);
    }

    const state = createReview(current, proposed);
    if (isSettled(state) && !state.isNew) {
      return { kind: 'accepted', text: state.original, userPatch: '', auto: false };
    }
    const id = this.newId(change.id);
    return new Promise<ReviewDecision>((resolve) => {
      const entry: Entry = {
        id,
        change,
        state,
        status: 'queued',
        originalUri: reviewUri(ORIGINAL_SCHEME, id, change.path),
        proposedUri: reviewUri(PROPOSED_SCHEME, id, change.path),
        resolve,
        disposables: [],
        lock: Promise.resolve(),
        editing: false,
        committing: false,
        done: false,
      };
      this.originals.set(entry.originalUri, state.base);
      this.fileSystem.set(entry.proposedUri, state.shown);
      this.queue.add(entry);
      this.watchDisk(entry, store);
      if (signal) {
        const onAbort = () => void withLock(entry, () => this.finish(entry, { kind: 'rejected', reason: CANCELLED }));
        signal.addEventListener('abort', onAbort, { once: true });
        entry.disposables.push(new vscode.Disposable(() => signal.removeEventListener('abort', onAbort)));
      }
      this.host.logger.info(`Change ${id} proposed for ${change.path} (${change.origin}): ${change.description}`);
      this.emitter.fire({ kind: 'proposed', changeId: id, path: change.path });
      this.updateStatusBar();
      if (!this.queue.list().some((e) => e.status === 'open')) void this.open(entry, true);
    });
  }

  /** The change's own id (the one its card shows) unless already taken or not usable in a URI path. */
  private newId(wanted: string | undefined): string {
    if (wanted && /^[A-Za-z0-9._:@-]+$/.test(wanted) && !this.queue.get(wanted)) return wanted;
    const id = `c${Date.now().toString(36)}${++this.counter}`;
    if (wanted) this.host.logger.warn(`Change id ${wanted} is already under review or unusable; reviewing it as ${id}.`);
    return id;
  }

  // ── API for the chat panel and the commands ─────────────────────────────

  /** Pending changes, oldest first. */
  pending(): PendingChange[] {
    return this.queue.list().map((e) => this.describe(e));
  }

  get(changeId: string): PendingChange | undefined {
    const e = this.queue.get(changeId);
    return e && this.describe(e);
  }

  /** Accept the whole change as the user sees it now. False when nothing was written (unknown id, or the file changed on disk and the user must look again). */
  accept(changeId: string): Promise<boolean> {
    const entry = this.queue.get(changeId);
    if (!entry) return Promise.resolve(false);
    return withLock(entry, async () => {
      syncFromDocument(entry);
      if (await this.diskChanged(entry)) return false;
      return this.commit(entry, acceptAll(entry.state).shown);
    });
  }

  /** Reject the whole change (nothing is written, not even hunks accepted before); `reason` goes back to the agent. */
  reject(changeId: string, reason?: string): Promise<boolean> {
    const entry = this.queue.get(changeId);
    if (!entry) return Promise.resolve(false);
    return withLock(entry, async () => {
      await this.finish(entry, reason?.trim() ? { kind: 'rejected', reason: reason.trim() } : { kind: 'rejected' });
      return true;
    });
  }

  /** Decide one hunk; when none is left pending the change resolves. */
  decideHunk(changeId: string, hunkId: string, verdict: HunkVerdict): Promise<boolean> {
    const entry = this.queue.get(changeId);
    if (!entry) return Promise.resolve(false);
    return withLock(entry, async () => {
      syncFromDocument(entry);
      const before = entry.state;
      const after = decideHunk(before, hunkId, verdict);
      if (after === before) return false;
      entry.state = after;
      if (verdict === 'reject') await showText(entry, after.shown);
      // The left side is about to close when this was the last hunk: updating it would race the close.
      else if (!isSettled(after)) this.originals.set(entry.originalUri, after.base);
      this.changed(entry);
      if (isSettled(entry.state)) await this.settle(entry);
      return true;
    });
  }

  /** Show a pending change's diff (and focus it). */
  async reveal(changeId: string): Promise<boolean> {
    const entry = this.queue.get(changeId);
    if (!entry) return false;
    await this.open(entry, false);
    return true;
  }

  /** The change shown in the active editor tab, if any. */
  activeChangeId(): string | undefined {
    const id = changeIdOfTab(vscode.window.tabGroups.activeTabGroup.activeTab) ?? changeIdOf(vscode.window.activeTextEditor?.document.uri);
    return id && this.queue.get(id) ? id : undefined;
  }

  /** The review a document belongs to (for the CodeLens). */
  reviewFor(uri: vscode.Uri): { id: string; hunks: readonly Hunk[] } | undefined {
    const e = this.entryOf(uri);
    return e && { id: e.id, hunks: e.state.hunks };
  }

  readonly onDidChangeReviews: vscode.Event<unknown> = (listener, thisArg, disposables) => this.emitter.event(listener, thisArg, disposables);

  /** Status bar entry with the number of pending changes; set by registerReview. */
  statusBar?: vscode.StatusBarItem;

  dispose(): void {
    for (const e of this.queue.list()) {
      e.done = true;
      e.resolve({ kind: 'rejected', reason: 'Cancelled: VS Code closed the review.' });
      for (const d of e.disposables) d.dispose();
    }
    for (const d of this.disposables) d.dispose();
  }

  // ── internals ────────────────────────────────────────────────────────────

  private describe(e: Entry): PendingChange {
    return describeEntry(e, this.validation.findingsFor(e.proposedUri));
  }

  private entryOf(uri: vscode.Uri): Entry | undefined {
    const id = changeIdOf(uri);
    return id ? this.queue.get(id) : undefined;
  }

  private changed(entry: Entry): void {
    this.decorations.refresh();
    this.emitter.fire({ kind: 'updated', changeId: entry.id, path: entry.change.path });
  }

  private async open(entry: Entry, preserveFocus: boolean): Promise<void> {
    entry.status = 'open';
    const name = entry.change.path.split(/[\\/]/).pop() ?? entry.change.path;
    // preserveFocus: the review appears next to what the user is doing without taking the keyboard.
    const options: vscode.TextDocumentShowOptions = { preview: false, preserveFocus };
    try {
      if (entry.state.isNew) {
        // Nothing to compare with: the proposal alone, its tab labelled so it never reads as the real file
        // (the URI keeps the file's name, so the language mode and icon still match).
        await vscode.commands.executeCommand('vscode.open', entry.proposedUri, options, `${name} (new file) · ML Intern proposal`);
      } else {
        await vscode.commands.executeCommand('vscode.diff', entry.originalUri, entry.proposedUri, `${name} ↔ ML Intern proposal`, options);
      }
    } catch (err) {
      this.host.logger.error(`Could not open the review of ${entry.change.path}: ${err instanceof Error ? err.message : String(err)}`);
    }
    // Decided (or withdrawn) while the editor was opening: finish() found no tab to close, so close it now.
    if (entry.done) {
      await closeTabs(entry, this.host.logger);
      return;
    }
    this.updateContextKey();
    this.changed(entry);
    void this.validation.schedule(entry.proposedUri, entry.change.path, () => (entry.done ? undefined : entry.state.shown), false);
  }

  private onDocumentChanged(doc: vscode.TextDocument): void {
    if (doc.uri.scheme !== PROPOSED_SCHEME) return;
    const entry = this.entryOf(doc.uri);
    if (!entry || entry.editing || entry.done) return;
    if (doc.getText() === entry.state.shown) return;
    entry.state = editShown(entry.state, doc.getText());
    this.changed(entry);
    void this.validation.schedule(entry.proposedUri, entry.change.path, () => (entry.done ? undefined : entry.state.shown), true);
  }

  /** All hunks are decided: write the result when any was accepted, else reject. */
  private async settle(entry: Entry): Promise<void> {
    const result = outcome(entry.state);
    if (result.kind === 'rejected') {
      await this.finish(entry, { kind: 'rejected', reason: 'The user rejected every hunk.' });
      return;
    }
    if (await this.diskChanged(entry)) return;
    await this.commit(entry, result.text);
  }

  private async commit(entry: Entry, text: string): Promise<boolean> {
    let store: NodeFileStore;
    try {
      store = this.host.requireWritableWorkspace(`write ${entry.change.path}`);
      entry.committing = true;
      await store.write(entry.change.path, text);
    } catch (err) {
      entry.committing = false;
      const message = err instanceof Error ? err.message : String(err);
      this.host.logger.error(`Writing ${entry.change.path} failed: ${message}`);
      void vscode.window.showErrorMessage(`ML Intern could not write ${entry.change.path}: ${message} The change is still pending.`);
      return false;
    }
    await this.finish(entry, { kind: 'accepted', text, userPatch: userPatch(entry.state.proposal, text, entry.change.path), auto: false });
    return true;
  }

  /**
   * Compare the disk with what the review is based on. When the file changed,
   * rebase the review, tell the user, and return true: nothing is written
   * until they look again.
   */
  private async diskChanged(entry: Entry): Promise<boolean> {
    if (entry.committing || entry.done) return false;
    let current: string | null;
    try {
      current = await readCurrent(this.host.requireWritableWorkspace(`write ${entry.change.path}`), entry.change.path);
    } catch (err) {
      await this.finish(entry, { kind: 'rejected', reason: err instanceof Error ? err.message : String(err) });
      return true;
    }
    const unchanged = current === null ? entry.state.isNew && entry.state.original === '' : !entry.state.isNew && current === entry.state.original;
    if (unchanged) return false;
    const wasNew = entry.state.isNew;
    const { state, merged } = rebase(entry.state, current);
    entry.state = state;
    this.originals.set(entry.originalUri, state.base);
    await showText(entry, state.shown);
    // Created or deleted on disk meanwhile: a new file shows alone, a change to an existing one as a diff.
    if (state.isNew !== wasNew && entry.status === 'open') {
      await closeTabs(entry, this.host.logger);
      await this.open(entry, true);
    }
    const file = entry.change.path;
    entry.notice = merged
      ? `${file} changed on disk during the review. Your change and the proposal touch different lines, so the proposal now includes yours: review it again, then accept.`
      : current === null
        ? `${file} was deleted on disk during the review. The proposal is now shown as a new file: review it again.`
        : `${file} changed on disk where the proposal also changes it. The proposal is now shown against the new content (hunks may undo your edit): review each hunk again.`;
    this.host.logger.warn(entry.notice);
    void (merged ? vscode.window.showInformationMessage(entry.notice) : vscode.window.showWarningMessage(entry.notice));
    this.changed(entry);
    void this.validation.schedule(entry.proposedUri, entry.change.path, () => (entry.done ? undefined : entry.state.shown), false);
    return true;
  }

  private watchDisk(entry: Entry, store: NodeFileStore): void {
    const pattern = new vscode.RelativePattern(vscode.Uri.file(store.root), entry.change.path.replace(/\\/g, '/').replace(/^\.\//, ''));
    const watcher = vscode.workspace.createFileSystemWatcher(pattern);
    const onDisk = () => void withLock(entry, () => this.diskChanged(entry));
    entry.disposables.push(watcher, watcher.onDidChange(onDisk), watcher.onDidCreate(onDisk), watcher.onDidDelete(onDisk));
  }

  private async finish(entry: Entry, decision: ReviewDecision): Promise<void> {
    if (entry.done) return;
    entry.done = true;
    this.queue.remove(entry.id);
    for (const d of entry.disposables) d.dispose();
    this.validation.clear(entry.proposedUri);
    await closeTabs(entry, this.host.logger);
    this.fileSystem.remove(entry.proposedUri);
    this.originals.remove(entry.originalUri);
    const summary = decision.kind === 'accepted' ? `accepted${decision.userPatch ? ' with the user’s edits' : ''}` : `rejected${decision.reason ? `: ${decision.reason}` : ''}`;
    this.host.logger.info(`Change ${entry.id} to ${entry.change.path} ${summary}.`);
    entry.resolve(decision);
    this.emitter.fire({ kind: 'decided', changeId: entry.id, path: entry.change.path, decision });
    this.updateStatusBar();
    this.updateContextKey();
    this.decorations.refresh();
    if (!this.queue.list().some((e) => e.status === 'open')) {
      const next = this.queue.head();
      if (next) await this.open(next, true);
    }
  }

  /**
   * Review tabs of changes this window does not hold close: a reload restores them, but their
   * proposal lived in the old extension host's memory, so they could only show an error.
   */
  private closeOrphans(tabs: readonly vscode.Tab[]): void {
    const orphans = tabs.filter((t) => {
      const id = changeIdOfTab(t);
      return id !== undefined && !this.queue.get(id);
    });
    if (orphans.length) void Promise.resolve(vscode.window.tabGroups.close(orphans, true)).catch((err: unknown) => this.host.logger.warn(`Closing the tabs of reviews no longer pending: ${err instanceof Error ? err.message : String(err)}`));
  }

  private onTabsChanged(closed: readonly vscode.Tab[], opened: readonly vscode.Tab[]): void {
    this.closeOrphans(opened);
    for (const tab of closed) {
      const id = changeIdOfTab(tab);
      const entry = id ? this.queue.get(id) : undefined;
      if (!entry || entry.done || entry.status !== 'open') continue;
      const stillShown = vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => changeIdOfTab(t) === entry.id));
      if (!stillShown) {
        // Closed without a decision: it stays pending (listed in the panel and the status bar).
        entry.status = 'hidden';
        this.changed(entry);
      }
    }
    this.updateContextKey();
  }

  updateContextKey(): void {
    void vscode.commands.executeCommand('setContext', 'mlIntern.reviewActive', this.activeChangeId() !== undefined);
  }

  private updateStatusBar(): void {
    const bar = this.statusBar;
    if (!bar) return;
    const n = this.queue.size;
    if (n === 0) {
      bar.hide();
      return;
    }
    bar.text = `$(diff) ${n} change${n === 1 ? '' : 's'} to review`;
    bar.tooltip = `ML Intern proposals waiting for you:\n${this.queue.list().map((e) => `• ${e.change.path}: ${e.change.description}`).join('\n')}`;
    bar.show();
  }
}
