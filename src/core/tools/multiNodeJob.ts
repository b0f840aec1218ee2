/**
 * submit_job across several nodes: the agent's `python script.py …` becomes the multi-node batch
 * script (exec/multiNodeSbatch.ts), one launcher per node meeting at a rendezvous on the first.
 * Only a Python script can be spread this way (the launcher starts it once per GPU); anything else
 * is refused with the form to use, so a command never silently runs once on one node.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { MultiNodeLauncher, renderMultiNodeSbatch, SharedPath } from '../exec/multiNodeSbatch';
import { hfHubCache } from '../exec/sharedFolders';
import { jobScriptSpec } from '../session/launchPlan';

export interface MultiNodeJobInput {
  spec: ReturnType<typeof jobScriptSpec>;
  argv: string[];
  nodes: number;
  gpusPerNode: number;
  launcher?: MultiNodeLauncher;
  /** accelerate: its config file (relative to the working folder or absolute). */
  accelerateConfig?: string;
  /** accelerate: a DeepSpeed JSON instead (submit_job's sharding deepspeed), with its --mixed_precision. */
  deepSpeedConfigFile?: string;
  mixedPrecision?: 'bf16' | 'fp16' | 'no';
  workspaceAbs: string;
  runDirAbs: string;
  env: Record<string, string>;
}

/** The batch script, or why the command cannot be spread over nodes (a sentence for the model). */
export function multiNodeJobScript(o: MultiNodeJobInput): { script: string } | { refused: string } {
  const [python, script, ...scriptArgs] = o.argv;
  if (!/python[0-9.]*$/.test(path.basename(python ?? '')) || !script || script.startsWith('-')) {
    return { refused: `With nodes > 1 give the training script itself, as ["python", "train.py", …args]: the job starts one launcher per node (torchrun or accelerate) around it. Got ${JSON.stringify(o.argv)}.` };
  }
  const launcher: MultiNodeLauncher = o.launcher ?? (o.accelerateConfig || o.deepSpeedConfigFile || o.gpusPerNode > 0 ? 'accelerate' : 'torchrun');
  // The script proves the nodes see the same workspace (a node-local folder of that name would not have it).
  const scriptAbs = path.resolve(o.spec.workdir, script);
  const inWorkspace = !path.relative(o.workspaceAbs, scriptAbs).startsWith('..');
  const sharedPaths: SharedPath[] = [
    { what: 'workspace', path: o.workspaceAbs, ...(inWorkspace && existsSync(scriptAbs) ? { marker: path.relative(o.workspaceAbs, scriptAbs) } : {}) },
    { what: 'run', path: o.runDirAbs },
  ];
  const cache = hfHubCache({ ...process.env, ...o.env });
  if (existsSync(cache)) sharedPaths.push({ what: 'Hugging Face cache', path: cache });
  const s = o.spec;
  return {
    script: renderMultiNodeSbatch({
      jobName: s.jobName, ...(s.partition ? { partition: s.partition } : {}), ...(s.timeLimit ? { timeLimit: s.timeLimit } : {}), extraDirectives: s.extraDirectives,
      nodes: o.nodes, gpusPerNode: o.gpusPerNode, launcher, python, script, scriptArgs,
      ...(launcher === 'accelerate' && o.accelerateConfig ? { acceleratorConfigFile: o.accelerateConfig } : {}),
      ...(launcher === 'accelerate' && o.deepSpeedConfigFile ? { deepSpeedConfigFile: o.deepSpeedConfigFile, ...(o.mixedPrecision ? { mixedPrecision: o.mixedPrecision } : {}) } : {}),
      outputFile: s.outputFile, workdir: s.workdir, sharedPaths, ...(s.redactOutput ? { redactOutput: s.redactOutput } : {}), ...(s.wrap ? { wrap: s.wrap } : {}),
    }),
  };
}
