/**
 * A training step's batch script spec with the node sandbox in it (sandbox/slurmNode.ts) when
 * mlIntern.sandboxTrainings covers it: used by the Evaluate/Merge steps that run as Slurm jobs,
 * whose approval then says where the command runs (slurmSandboxNote.ts).
 */
import * as path from 'node:path';
import type { SbatchSpec } from '../exec/slurm';
import type { SandboxSettings } from '../sandboxSettings';
import { NodeSandbox, nodeSandboxWrap, trainingNodeSandbox } from '../sandbox/slurmNode';

export type SandboxedSpec = SbatchSpec & { nodeSandbox?: NodeSandbox };

/** `spec` run inside bubblewrap on the node when the sandbox covers trainings; else as it is. */
export function sandboxedJobSpec(settings: SandboxSettings | undefined, workspace: string, spec: SbatchSpec, env: NodeJS.ProcessEnv = process.env): SandboxedSpec {
  const sandbox = trainingNodeSandbox({ settings, workspace, runDir: path.dirname(spec.outputFile), workdir: spec.workdir, env });
  return sandbox ? { ...spec, wrap: nodeSandboxWrap(sandbox), nodeSandbox: sandbox } : spec;
}
