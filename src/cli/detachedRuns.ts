/**
 * The trainings a CLI command started detached. They outlive the command on purpose (an SSH
 * drop), but quitting at once with a second Ctrl+C must not leave them running unseen.
 */
import { DetachedOptions, DetachedRun, DetachedSpec, startDetached } from '../core/exec/detached';
import { killGroup } from '../core/exec/processBase';

export class DetachedRuns {
  private readonly running = new Set<DetachedRun>();

  /** startDetached, remembering the run until it ends. */
  readonly launch = async (spec: DetachedSpec, options?: DetachedOptions): Promise<DetachedRun> => {
    const run = await startDetached(spec, options);
    this.running.add(run);
    void run.exit.then(() => this.running.delete(run));
    return run;
  };

  /** SIGKILL every run still going (its whole process group). */
  killAll(): void {
    for (const run of this.running) killGroup(run.pid, 'SIGKILL');
  }
}
