/**
 * A change that `mlIntern.autoApprove` lets through without a review: written at once, logged,
 * and announced in the status bar.
 */
import * as vscode from 'vscode';
import { ProposedChange, ReviewDecision } from '../../core/ports';
import { countLines, normalizeProposal } from '../../core/review/hunks';
import { createReview } from '../../core/review/reviewState';
import { NodeFileStore } from '../../core/util/nodeFileStore';
import { Host } from '../host';

/** Writes the proposal; `disposables` receives the status bar message (disposed with the controller). */
export async function autoApply(
  host: Host,
  disposables: vscode.Disposable[],
  store: NodeFileStore,
  change: ProposedChange,
  current: string | null,
  proposed: string,
): Promise<ReviewDecision> {
  const text = normalizeProposal(current, proposed);
  try {
    if (text !== current) await store.write(change.path, text);
  } catch (err) {
    const reason = `Could not write ${change.path}: ${err instanceof Error ? err.message : String(err)}`;
    host.logger.error(reason);
    return { kind: 'rejected', reason };
  }
  const { added, removed } = countLines(createReview(current, text).hunks);
  host.logger.info(`Change to ${change.path} auto-approved (mlIntern.autoApprove = ${host.settings().autoApprove}, origin ${change.origin}): +${added} −${removed}.`);
  // A status bar message: visible, but never takes focus from what the user is typing.
  disposables.push(vscode.window.setStatusBarMessage(`$(check) ML Intern wrote ${change.path} (+${added} −${removed}, auto-approved)`, 8000));
  return { kind: 'accepted', text, userPatch: '', auto: true };
}
