/**
 * The two locks a fine-tune session holds while it drives a run (see ownerLock.ts): the run
 * folder's owner.lock (one follower per run) and its script folder's lock (one run per
 * train.py at a time), with the messages a refused second process shows.
 */
import { FileStore } from '../ports';
import { acquireLock, HeldLock, shownCommand } from './ownerLock';
import { RUNS_DIR } from './runStore';
import { RunStatus } from './types';
import { pidAlive } from '../exec/procInfo';

export const LOCKS_DIR = '.ml-intern/locks';

/** The run folder's lock file, workspace-relative. */
export function runLockPath(runFolder: string): string {
  return `${runFolder}/owner.lock`;
}

/** Own the run: refused (LockBusyError) while another live process follows it. */
export function claimRun(files: FileStore, runId: string): HeldLock {
  const folder = `${RUNS_DIR}/${runId}`;
  const file = files.resolve(runLockPath(folder));
  return acquireLock(file, runId, (_owner, who) =>
    `Run ${runId} is already followed by another process: ${who}. A second follower would repair the same failure and start the next attempt twice, ` +
      `so this one does not follow it. Watch it where it runs, or read ${files.resolve(`${folder}/logs/train.log`)}. ` +
      `If that process is gone for good (another machine, say), delete ${file} and attach again.`,
  );
}

/** Own a script folder for a run: refused while another live run writes or trains from it. */
export function claimScriptFolder(files: FileStore, scriptFolder: string, runId: string): HeldLock {
  const file = files.resolve(`${LOCKS_DIR}/${scriptFolder.replace(/[\\/]+/g, '__')}.lock`);
  return acquireLock(file, runId, (owner, who) =>
    `${scriptFolder}/ is in use by run ${owner.runId}, driven by ${who}: two runs at once would share ${scriptFolder}/train.py and write to one OUTPUT_DIR, ` +
      `so this run did not touch it. Wait until that run ends or stop it ('ml-intern runs' lists it), then start this fine-tune again.`,
  );
}

/**
 * An agent run is driven by the process its status.json names while it is 'running' (the agent
 * records its pid there): a second `run --continue` would answer the same tool calls again. The
 * message refusing it, or undefined when nothing else drives the run. (A pid alone: one recycled
 * after a crash refuses wrongly, and the message names it so the user can check.)
 */
export function drivenElsewhere(status: RunStatus, runId: string): string | undefined {
  const pid = status.pid;
  if (status.state !== 'running' || pid === undefined || pid === process.pid || !pidAlive(pid)) return undefined;
  return `Run ${runId} is running in another process: pid ${pid}${shownCommand(pid)}. Continuing it here too would answer its steps twice. Stop it there first (Ctrl+C, or Stop in VS Code), then continue it.`;
}
