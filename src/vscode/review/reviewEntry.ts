/**
 * One change under review as the controller keeps it (Entry), what the chat panel is shown of it
 * (PendingChange), the events the controller fires, and the lock that serializes the operations
 * on one change.
 */
import * as vscode from 'vscode';
import { ProposedChange, ReviewDecision } from '../../core/ports';
import { countLines } from '../../core/review/hunks';
import { ReviewState } from '../../core/review/reviewState';
import { Finding } from '../../core/review/findings';

/** What the chat panel shows about one pending change. */
export interface PendingChange {
  id: string;
  path: string;
  description: string;
  origin: ProposedChange['origin'];
  runId?: string;
  isNew: boolean;
  /** open: its review is shown (a diff, or a new file's proposal alone); queued: waiting for the one on screen; hidden: the user closed it without deciding. */
  status: 'queued' | 'open' | 'hidden';
  /** Pending hunks, 1-based lines on the proposed side. */
  hunks: Array<{ id: string; line: number; added: number; removed: number }>;
  added: number;
  removed: number;
  acceptedHunks: number;
  rejectedHunks: number;
  findings: readonly Finding[];
  /** Set when the file changed on disk during the review and the proposal was rebased. */
  notice?: string;
  originalUri: string;
  proposedUri: string;
}

export type ReviewEvent =
  | { kind: 'proposed' | 'updated'; changeId: string; path: string }
  | { kind: 'decided'; changeId: string; path: string; decision: ReviewDecision };

export interface Entry {
  readonly id: string;
  readonly change: ProposedChange;
  state: ReviewState;
  status: PendingChange['status'];
  readonly originalUri: vscode.Uri;
  readonly proposedUri: vscode.Uri;
  readonly resolve: (d: ReviewDecision) => void;
  readonly disposables: vscode.Disposable[];
  lock: Promise<unknown>;
  /** True while the controller edits the proposed document itself (not the user). */
  editing: boolean;
  /** True once the accepted text is being written: our own write is not a conflict. */
  committing: boolean;
  done: boolean;
  notice?: string;
}

export const CANCELLED = 'Cancelled: the run stopped before the change was reviewed.';

/** The panel's view of an entry; `findings` are the validator's for its proposed side. */
export function describeEntry(e: Entry, findings: readonly Finding[]): PendingChange {
  const { added, removed } = countLines(e.state.hunks);
  return {
    id: e.id,
    path: e.change.path,
    description: e.change.description,
    origin: e.change.origin,
    runId: e.change.runId,
    isNew: e.state.isNew,
    status: e.status,
    hunks: e.state.hunks.map((h) => ({ id: h.id, line: h.newStart + 1, added: h.newLines.length, removed: h.oldLines.length })),
    added,
    removed,
    acceptedHunks: e.state.acceptedHunks,
    rejectedHunks: e.state.rejectedHunks,
    findings,
    notice: e.notice,
    originalUri: e.originalUri.toString(),
    proposedUri: e.proposedUri.toString(),
  };
}

/** Runs `op` after every earlier operation on the entry; once the entry is done, resolves to false without running it. */
export function withLock<T>(entry: Entry, op: () => Promise<T>): Promise<T> {
  const run = entry.lock.then(() => (entry.done ? (false as unknown as T) : op()));
  entry.lock = run.catch(() => undefined);
  return run;
}
