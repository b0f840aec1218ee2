/**
 * What the approval of a Slurm submission says about the sandbox on the compute node: sandboxed
 * there (and how), or that the node has no bubblewrap (what then happens, what to install), or
 * that the command runs unconfined there. From the plan (what the batch script does) and the
 * node check (what the node has, sandbox/slurmNode.ts and exec/slurmProbe.ts).
 */
import type { NodeBubblewrap } from '../python/types';
import type { SandboxSettings } from '../sandboxSettings';
import { NODE_SANDBOX_MISSING_EXIT } from '../sandbox/slurmNode';
import type { LaunchPlan } from './launchPlan';

const INSTALL = 'install the Debian/Ubuntu package `bubblewrap` on the compute nodes (Fedora/RHEL: `dnf install bubblewrap`)';

/** One clause for the approval's reason ("" when the sandbox is off: nothing to say, as for a local run). */
export function slurmSandboxNote(plan: Pick<LaunchPlan, 'nodeSandbox'>, node: NodeBubblewrap | undefined, settings: SandboxSettings | undefined): string {
  const sandbox = plan.nodeSandbox;
  if (!sandbox) {
    if (!settings || settings.mode === 'off') return '';
    return 'unconfined on the compute node (mlIntern.sandboxTrainings is off: only the agent\'s commands run sandboxed)';
  }
  if (!node) {
    return `sandboxed on the node (${sandbox.label}) if it has bubblewrap (the node was not checked: ${sandbox.unconfinedWithout ? 'without it the job runs unconfined there, as mlIntern.sandboxNodesUnconfined allows' : `without it the job stops before training, exit code ${NODE_SANDBOX_MISSING_EXIT}`})`;
  }
  if (node.state === 'works') return `sandboxed on the node (${sandbox.label})`;
  const why = node.state === 'absent' ? 'no bubblewrap' : `a bubblewrap that cannot build a sandbox (${node.detail})`;
  return sandbox.unconfinedWithout
    ? `the compute node has ${why}: the job runs UNCONFINED there (mlIntern.sandboxNodesUnconfined); ${INSTALL} to sandbox it`
    : `the compute node has ${why}: the job will stop before training (exit code ${NODE_SANDBOX_MISSING_EXIT}) and nothing runs; ${INSTALL}, or set mlIntern.sandboxNodesUnconfined to run unconfined there`;
}

/** The note as the end of the approval's reason: "; sandboxed on the node (…)", or nothing. */
export function slurmSandboxClause(plan: Pick<LaunchPlan, 'nodeSandbox'>, node: NodeBubblewrap | undefined, settings: SandboxSettings | undefined): string {
  const note = slurmSandboxNote(plan, node, settings);
  return note ? `; ${note}` : '';
}
