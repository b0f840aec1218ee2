/**
 * One approval for the steps of an Evaluate / Merge / Push plan that run on this machine: the
 * dialog names the first command and lists every step with its full command, so an evaluation is
 * asked about once, not once per step.
 */
import { ApprovalGate } from '../policy/approval';
import { RecipeCommand } from '../recipes';
import { TranscriptEntry } from '../runs/types';
import type { ArtifactPlan } from './artifactPlan';

export interface PlanApprovalDeps {
  gate: ApprovalGate;
  /** The command as it will be started (the chosen interpreter in place of `python`). */
  argv(command: RecipeCommand): string[];
  record(entry: TranscriptEntry): Promise<void>;
  signal?: AbortSignal;
}

/** Undefined when approved; else the message saying nothing was started and where the scripts are. */
export async function approvePlan(plan: ArtifactPlan, deps: PlanApprovalDeps): Promise<string | undefined> {
  const n = plan.commands.length;
  const steps = plan.commands.map((c, i) => `${i + 1}. ${c.description}\n   ${deps.argv(c).join(' ')}`).join('\n');
  const reason = `${n} steps, run in this order; one approval runs them all (a failed step stops the rest).`;
  const decision = await deps.gate.approveCommand({ argv: deps.argv(plan.commands[0]), reason, detail: `Steps:\n${steps}`, origin: 'recipe', tool: 'run', cwd: plan.folder }, deps.signal);
  if (!decision.approved) return `Not started: the ${n} steps were not approved${decision.reason ? ` (${decision.reason})` : ''}. The scripts are saved in ${plan.folder}/.`;
  // The gate recorded the first command; the transcript keeps every command this approval let run.
  await deps.record({ kind: 'note', text: `approved as one plan: ${plan.commands.map((c) => deps.argv(c).join(' ')).join(' ; ')}` });
  return undefined;
}
