/** Builds the ports a session needs from the VS Code host. */
import { RunStore } from '../../core/runs/runStore';
import { SessionDeps } from '../../core/session/fineTuneSession';
import { DetachedOptions, DetachedRun, DetachedSpec, startDetached } from '../../core/exec/detached';
import { Host, UserFacingError } from '../host';
import { getReviewController } from '../review/register';
import { showRunTerminal } from '../terminal';
import { resolvePython } from '../python/interpreter';
import { askToRun } from './approvals';
import { createHostProvider } from '../llm/createHostProvider';
import { environment } from '../wizard/wizardServices';
import { sandboxTrainings } from '../../core/sandbox/trainings';

export async function buildSessionDeps(host: Host, options: { withLlm?: boolean } = {}): Promise<SessionDeps> {
  const files = host.requireWritableWorkspace('start a run');
  const reviewer = getReviewController();
  if (!reviewer) throw new UserFacingError('ML Intern: the review view is not ready yet. Try again in a moment.');
  const python = await resolvePython(host);
  host.logger.info(`Python for runs: ${python.path} (${python.source})`);
  let llm;
  if (options.withLlm !== false) {
    try {
      llm = await createHostProvider(host);
    } catch (err) {
      // Recipe mode still works; the LLM only repairs what the playbook cannot.
      host.logger.warn(`No LLM for repairs: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return {
    files,
    reviewer,
    events: host.events,
    runs: new RunStore(files, { logger: host.logger }),
    settings: host.settings,
    python: python.path,
    environment: await environment(host),
    llm,
    // With mlIntern.sandboxTrainings the trainings start in the agent's sandbox too.
    launch: sandboxTrainings(launchWithTerminal, { settings: host.settings, workspace: files.root, logger: host.logger }),
    // Slurm jobs are submitted by the session itself; this shows them like local runs.
    showRun: (run, name) => void showRunTerminal(run, name, { preserveFocus: true }),
    approveCommand: askToRun,
    processEnv: async (): Promise<Record<string, string>> => {
      const token = await host.secrets.get('hf');
      return token ? { HF_TOKEN: token } : {};
    },
    logger: host.logger,
  };
}

/** Start a detached run (a fine-tune session's, an agent's command) and show it in a terminal the extension owns. */
export async function launchWithTerminal(spec: DetachedSpec, options?: DetachedOptions): Promise<DetachedRun> {
  const run = await startDetached(spec, options);
  showRunTerminal(run, spec.name.replace(/^ML Intern: /, ''), { preserveFocus: true });
  return run;
}
