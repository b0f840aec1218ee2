/**
 * What a command the agent ran hands the model: its status line and the head and tail of its
 * output (the whole output stays in the run folder). Shared by the executor path (process.ts) and
 * detached commands (detachedCommand.ts).
 */
import { failureObservation, lastRedraws, lossTrajectory } from './runObservation';
import { ToolResult } from './types';
import type { SandboxPlan } from '../sandbox/types';

export const HEAD_CHARS = 2_000;
const TAIL_CHARS = 5_000;

export interface ProcessRequest {
  argv: string[];
  /** Workspace-relative working folder ('' = root). */
  cwd: string;
  name: string;
  timeoutSeconds?: number;
  /** Shown in the UI for python processes. */
  python?: string;
  /** Run it detached when the host can (ToolContext.detached): it outlives a window reload. */
  detach?: boolean;
  /** The sandbox it starts in (sandbox/command.ts launchArgv); absent: unconfined. */
  sandbox?: SandboxPlan;
}

/**
 * What the model gets of a finished command: the status line, then for a failure (a non-zero
 * exit) the diagnosis and the failure extract, else the loss trajectory (when it trained) and the
 * head and tail of its output.
 */
export function commandResult(r: { argv: string[]; status: string; ok: boolean; seconds: number; logRel: string; whole: string; data: unknown; note?: string; exitCode?: number }): ToolResult {
  const whole = lastRedraws(r.whole);
  const top = `$ ${r.argv.join(' ')}\n${r.status} after ${r.seconds.toFixed(1)} s. Full log: ${r.logRel}\n${r.note ? `${r.note}\n` : ''}`;
  if (!r.ok && r.exitCode !== undefined && r.exitCode !== 0 && whole.trim()) {
    return { ok: false, output: `${top}${failureObservation(whole, r.exitCode, r.logRel)}`, data: r.data };
  }
  // From the raw output: the pipeline reads the step from the progress bar's redraws.
  const trajectory = lossTrajectory(r.whole);
  const shown = whole.length > HEAD_CHARS + TAIL_CHARS
    ? `${whole.slice(0, HEAD_CHARS)}\n\n[... ${whole.length - HEAD_CHARS - TAIL_CHARS} characters omitted; full output in ${r.logRel} (read_file with offset/limit) ...]\n\n${whole.slice(whole.length - TAIL_CHARS)}`
    : whole;
  return {
    ok: r.ok,
    output: `${top}${trajectory ? `${trajectory}\n` : ''}--- output ---\n${shown.trim() ? shown : '(no output)'}`,
    data: r.data,
  };
}
