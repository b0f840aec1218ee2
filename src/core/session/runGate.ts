/**
 * The approval gate of a session's run: the user's auto-approve policy, the
 * reviewer, the transcript, and every proposed and accepted version kept in the
 * run folder's scripts/. Shared by the fine-tune and the evaluate/merge/push sessions.
 */
import * as path from 'node:path';
import { ApprovalGate, CommandApprover } from '../policy/approval';
import { EventSink, FileStore, Reviewer } from '../ports';
import { RunHandle } from '../runs/runStore';
import { Settings } from '../settings';

export interface GateDeps {
  files: FileStore;
  reviewer: Reviewer;
  events: EventSink;
  settings: () => Settings;
  approveCommand?: CommandApprover;
}

export function gateFor(handle: RunHandle, deps: GateDeps): ApprovalGate {
  return new ApprovalGate({
    policy: () => deps.settings().autoApprove,
    reviewer: deps.reviewer,
    approveCommand: deps.approveCommand,
    runId: handle.id,
    record: (entry) => handle.appendTranscript(entry),
    emit: (event) => deps.events.emit(event),
    nextChangeNumber: () => handle.nextNumber('scripts', /^(\d+)-/),
    saveVersion: (n, p, text, label) => handle.writeFile(`scripts/${String(n).padStart(3, '0')}-${label}-${path.basename(p)}`, text),
    write: (p, text) => deps.files.write(p, text),
    read: (p) => deps.files.readIfExists(p),
    workspaceCwd: (cwd) => deps.files.resolve(cwd || '.'),
  });
}
