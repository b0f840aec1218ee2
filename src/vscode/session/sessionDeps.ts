/** Builds the ports a session needs from the VS Code host. */
import { RunStore } from '../../core/runs/runStore';
import { SessionDeps } from '../../core/session/fineTuneSession';
import { DetachedOptions, DetachedRun, DetachedSpec, startDetached } from '../../core/exec/detached';
import { Host } from '../host';
import { showRunTerminal } from '../terminal';
import { resolvePython } from '../python/interpreter';
import { askToRun } from './approvals';
import { createHostProvider } from '../llm/createHostProvider';
import type { TrainingEnvironment } from '../wizard/wizardServices';
import type { Reviewer } from '../../core/ports';
import { sandboxTrainings } from '../../core/sandbox/trainings';

/** The window's services a session's ports come from (built once at activation, services.ts). */
export interface SessionServices {
  readonly review: Reviewer;
  readonly environment: TrainingEnvironment;
}

export async function buildSessionDeps(host: Host, services: SessionServices, options: { withLlm?: boolean } = {}): Promise<SessionDeps> {
  const files = host.requireWritableWorkspace('start a run');
  const reviewer = services.review;
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
    environment: await services.environment.report(),
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
