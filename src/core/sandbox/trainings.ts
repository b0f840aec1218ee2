/**
 * `mlIntern.sandboxTrainings`: the fine-tune, evaluate and merge sessions' trainings start in the
 * same sandbox as the agent's commands. A wrapper around the host's launcher, so the sessions
 * stay as they are; a sandbox that cannot start throws, so the session reports that nothing ran
 * and what to install. Off by default: with the network off a training cannot download its model
 * or dataset unless they are in the Hugging Face cache already.
 */
import type { DetachedRun, DetachedSpec } from '../exec/detached';
import type { Settings } from '../settings';
import { prepareSandbox } from './prepare';
import { DEFAULT_SANDBOX_SETTINGS } from './types';

export interface TrainingSandboxDeps {
  settings: () => Pick<Settings, 'sandbox'>;
  /** The workspace root (absolute). */
  workspace: string;
  logger?: { warn(message: string): void };
}

export function sandboxTrainings<O>(launch: (spec: DetachedSpec, options?: O) => Promise<DetachedRun>, deps: TrainingSandboxDeps) {
  return async (spec: DetachedSpec, options?: O): Promise<DetachedRun> => {
    const settings = deps.settings().sandbox ?? DEFAULT_SANDBOX_SETTINGS;
    if (!settings.trainings || settings.mode === 'off') return launch(spec, options);
    const prepared = prepareSandbox({ settings, workspace: deps.workspace, runDir: spec.runDir, env: { ...process.env, ...spec.env } });
    if (!prepared.ok) throw new Error(prepared.message);
    for (const note of [...(prepared.warning ? [prepared.warning] : []), ...(prepared.plan?.warnings ?? [])]) deps.logger?.warn(`sandbox: ${note}`);
    if (!prepared.plan) return launch(spec, options);
    return launch({ ...spec, argv: prepared.plan.wrap(spec.argv, spec.cwd, spec.env) }, options);
  };
}
