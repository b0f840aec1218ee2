/**
 * A session that fails after it started a process (the run folder cannot be
 * written, an unexpected error) must not leave that process running where
 * nobody sees it or can stop it. The session keeps following it instead: the
 * panel keeps getting its output and metrics, Stop still reaches it, and the
 * message says so; once the process ends, the message says how.
 *
 * Following (rather than stopping) keeps a training run the user approved: it
 * may be hours in, and the failure was ML Intern's bookkeeping, not the run's.
 */
import { DetachedExit, DetachedRun } from '../exec/detached';

export interface FollowAfterFailure {
  run: DetachedRun;
  /** The failure as the user reads it: what went wrong and what to do about it. */
  failure: string;
  /** The process, to start a sentence: "Training (attempt 1, pid 4242)". */
  what: string;
  /** Where its whole log is, for the closing message. */
  log: string;
  /** Shows the message while the process still runs; the run stays 'running', so Stop is still offered. */
  tell(message: string): Promise<void>;
  /** Follows the run to its end the way the session always does (output, metrics, Stop reaches it). */
  watch(run: DetachedRun): Promise<unknown>;
  /** Whether the user pressed Stop. */
  stopped(): boolean;
}

/** Follow the process to its end; resolves with the closing message (the failure, then how the process ended). */
export async function followAfterFailure(o: FollowAfterFailure): Promise<string> {
  const running =
    `${o.failure} ${o.what} is still running: ML Intern keeps following it until it ends, so its output and metrics keep coming here. ` +
    'To end it now, press Stop in the ML Intern panel or run "ML Intern: Stop Run".';
  // A run that already ended (e.g. one found ended after a reload) is not said to be running.
  let ended = false;
  void o.run.exit.then(() => (ended = true));
  await new Promise((r) => setImmediate(r));
  // The run folder may be what failed: telling the panel must not end the following.
  if (!ended) await o.tell(running).catch(() => undefined);
  await o.watch(o.run);
  const exit = await o.run.exit;
  return `${o.failure} ${o.what} ${ending(exit, o.stopped())} Its log: ${o.log}.`;
}

function ending(exit: DetachedExit, stopped: boolean): string {
  if (stopped) return `was stopped (exit code ${exit.code}).`;
  if (exit.lost) return `is no longer running: ${exit.lost.replace(/\.$/, '')}.`;
  return exit.code === 0 ? 'ran to its end (exit code 0).' : `ended with exit code ${exit.code}.`;
}
