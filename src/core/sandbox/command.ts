/**
 * The one place an agent command meets the sandbox: the plan is made before the approval (the
 * dialog says "sandboxed (bubblewrap, network off)", and `autoApprove: "sandboxed"` needs it),
 * and the approved argv is wrapped with it where the process starts (process.ts,
 * detachedCommand.ts). The UI and the transcript keep showing the command as the agent wrote it.
 */
import * as path from 'node:path';
import type { Settings } from '../settings';
import { prepareSandbox, Prepared } from './prepare';
import { DEFAULT_SANDBOX_SETTINGS, SandboxPlan } from './types';

export interface SandboxContext {
  settings: Pick<Settings, 'sandbox'>;
  /** Absolute path of a workspace-relative one ('.' = the workspace). */
  files: { resolve(rel: string): string };
  runFolder: string;
  env: Record<string, string>;
  logger?: { warn(message: string): void };
}

/** Warnings already given: `auto` without a sandbox is said once, not before every command. */
const warned = new Set<string>();

/** The plan for the agent's next command, undefined when the sandbox is off, or why nothing may run. */
export function sandboxForCommand(ctx: SandboxContext): Prepared {
  const settings = ctx.settings.sandbox ?? DEFAULT_SANDBOX_SETTINGS;
  if (settings.mode === 'off') return { ok: true, plan: undefined };
  const prepared = prepareSandbox({
    settings,
    workspace: ctx.files.resolve('.'),
    runDir: ctx.files.resolve(ctx.runFolder),
    // HOME, HF_HOME and the PATH the sandbox programs are found on come from this process.
    env: { ...process.env, ...ctx.env },
  });
  const notes = prepared.ok ? [...(prepared.warning ? [prepared.warning] : []), ...(prepared.plan?.warnings ?? [])] : [];
  for (const note of notes) {
    if (warned.has(note)) continue;
    warned.add(note);
    ctx.logger?.warn(`sandbox: ${note}`);
  }
  return prepared;
}

/** The argv that actually starts: the command itself, or the command inside its sandbox. */
export function launchArgv(req: { argv: string[]; sandbox?: SandboxPlan }, cwd: string, env?: Record<string, string>): string[] {
  return req.sandbox ? req.sandbox.wrap(req.argv, path.resolve(cwd), env) : req.argv;
}

/** What the approval needs to know of the plan (its label and network), or nothing when unconfined. */
export function sandboxedAs(plan: SandboxPlan | undefined): { sandbox?: { label: string; network: SandboxPlan['network'] } } {
  return plan ? { sandbox: { label: plan.label, network: plan.network } } : {};
}
