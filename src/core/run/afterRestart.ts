/**
 * What becomes of a run left 'running' when whatever drove it went away (a window reload restarts
 * the extension host; an `ml-intern` process is killed). A run with something still to follow — a
 * training process or Slurm job, an artifact run's step, an agent's detached command — is picked up
 * again (reattach.ts, the sessions' resume). A run that was only waiting inside the old process —
 * a proposed file under review, a command's approval, the recipe being written — has nothing left
 * to wait for: the review lived in that process's memory. Left 'running', the panel and the status
 * bar would show it going forever with nothing to move it on, so it ends here as interrupted
 * ('stopped', with a message saying what happened and how to go on).
 */
import { EventSink, FileStore } from '../ports';
import { describeOwner, lastOwner, liveOwner } from '../runs/ownerLock';
import { drivenElsewhere, runLockPath } from '../runs/runLocks';
import { RunHandle } from '../runs/runStore';
import { RunSummary } from '../runs/types';
import { parseTranscript } from '../runs/transcript';
import { reattachRun, Reattached } from './reattach';

export type AfterRestart =
  /** A fine-tune's training process or Slurm job was found (still running, ended meanwhile, or lost). */
  | { kind: 'reattach'; found: Reattached }
  /** Another live process drives it (an `ml-intern` in a terminal, another window): not this one's to end. */
  | { kind: 'elsewhere'; message: string }
  | { kind: 'interrupted'; message: string; undecided: string[] };

/** The run kinds (spec.kind) and the command that starts each again; an agent (chat) run has none. */
const AGAIN: Record<string, string> = {
  'fine-tune': 'Fine-tune',
  eval: 'Evaluate',
  merge: 'Merge Models',
  push: 'Push to Hub',
  'try-it': 'Try It…',
  export: 'Export Model…',
};

/**
 * The button on an interrupted run's notice that starts it again with its saved request ("Evaluate
 * again"), for the kinds a command starts from the request alone; Try It needs its own panel and an
 * agent run is continued from its chat, so they have none.
 */
export function againLabel(kind: string | undefined): string | undefined {
  if (!kind || kind === 'try-it' || !Object.hasOwn(AGAIN, kind)) return undefined;
  return `${AGAIN[kind].replace(/…$/, '')} again`;
}

/** A run kind no recipe session drives (an agent's chat run has none): the chat agent picks it up, or ends it. */
export function isAgentKind(kind: unknown): boolean {
  return typeof kind !== 'string' || !Object.hasOwn(AGAIN, kind);
}

/** Proposed files never decided (their names), and how many changes were accepted: from scripts/ and transcript.jsonl. */
export async function reviewsLeft(files: FileStore, folder: string): Promise<{ undecided: string[]; accepted: number }> {
  const scripts = `${folder}/scripts`;
  const names = (await files.exists(scripts).catch(() => false)) ? await files.list(scripts, { limit: 100_000 }).catch(() => [] as string[]) : [];
  const text = (await files.readIfExists(`${folder}/transcript.jsonl`).catch(() => undefined)) ?? '';
  const decided = new Set<string>();
  let accepted = 0;
  for (const e of parseTranscript(text, `${folder}/transcript.jsonl`).entries) {
    if (e.kind !== 'decision' || e.subject !== 'change') continue;
    if (e.decision === 'accepted') accepted++;
    for (const p of e.savedAs ?? []) decided.add(p.split('/').pop() ?? p);
  }
  const undecided: string[] = [];
  for (const entry of names.map((n) => n.replace(/\/+$/, '').split('/').pop() ?? n).sort()) {
    // The gate saves every proposal as NNN-proposed-<file> before the review opens (policy/approval.ts).
    const m = /^\d+-proposed-(.+)$/.exec(entry);
    if (m && !decided.has(entry)) undecided.push(m[1]);
  }
  return { undecided, accepted };
}

/** What the user reads: what happened, what was (not) written, and how to go on. */
export function interruptedMessage(run: { kind: string | undefined; undecided: string[]; accepted: number; scriptPath?: string; endedBy?: string }): string {
  const file = run.undecided[run.undecided.length - 1];
  const command = run.kind ? AGAIN[run.kind] : undefined;
  // What went away: the window (a reload, a closed window), or what the run's lock names (a killed `ml-intern` in a terminal).
  const cause = run.endedBy ? `${run.endedBy.charAt(0).toUpperCase()}${run.endedBy.slice(1)} ended` : 'The window reloaded';
  const what = file
    ? `${cause} while ${file} waited for your review, so the run stopped there: ${run.accepted ? `${file} was not written` : 'nothing was written'}.`
    : run.scriptPath || run.accepted
      ? `${cause} before the run started its work, and nothing was left running to pick up again, so the run stopped there.`
      : `${cause} while the run was preparing its files, so the run stopped there: nothing was written.`;
  if (!command) return `${what} Send a message in this chat to continue the run from where it was.`;
  const kept = run.accepted ? ': the scripts you already accepted are kept, so only what differs is proposed again' : '';
  return `${what} Run "ML Intern: ${command}" again with the same choices${kept}.`;
}

/** Another live process drives the run: the owner lock a fine-tune holds, or the pid an agent records while it runs. */
function owner(files: FileStore, summary: RunSummary): string | undefined {
  // An agent run this process started a moment ago (its pid is ours): driven here, not left over.
  if (summary.status.pid === process.pid) return `Run ${summary.id} is driven by this process.`;
  const held = liveOwner(files.resolve(runLockPath(summary.folder)));
  if (held && held.pid !== process.pid) return `Run ${summary.id} is followed by another process (${describeOwner(held)}): left to it.`;
  return drivenElsewhere(summary.status, summary.id);
}

/**
 * An unfinished run after a restart, when the caller found nothing of it to follow (`kind` is its
 * spec.kind; undefined for an agent run). A run another live process drives is left alone.
 */
export async function nothingToFollow(files: FileStore, summary: RunSummary, kind: string | undefined): Promise<AfterRestart & { kind: 'elsewhere' | 'interrupted' }> {
  const elsewhere = owner(files, summary);
  if (elsewhere) return { kind: 'elsewhere', message: elsewhere };
  const reviews = await reviewsLeft(files, summary.folder);
  const endedBy = lastOwner(files.resolve(runLockPath(summary.folder)))?.by;
  return { kind: 'interrupted', undecided: reviews.undecided, message: interruptedMessage({ kind, ...reviews, scriptPath: summary.status.scriptPath, endedBy }) };
}

/** A fine-tune run left 'running': its training found again, or interrupted (or another process's). */
export async function fineTuneAfterRestart(files: FileStore, summary: RunSummary): Promise<AfterRestart> {
  const found = await reattachRun(files, summary);
  if (found) return { kind: 'reattach', found };
  return nothingToFollow(files, summary, 'fine-tune');
}

/** End an interrupted run: status.json, the transcript (a reload replays it) and the panel and status bar agree. */
export async function endInterrupted(handle: RunHandle, message: string, events: EventSink): Promise<void> {
  await handle.updateStatus({ state: 'stopped', lastMessage: message, question: undefined });
  await handle.appendTranscript({ kind: 'state', state: 'stopped', message });
  events.emit({ type: 'run_state', runId: handle.id, state: 'stopped', message });
}
