/**
 * What the session shows before it proposes the launch files (a notice in the panel and on the CLI,
 * a note in the transcript), so that nothing about the node layout is decided silently:
 *   - on the Slurm target, when one node of the GPUs a compute node reported cannot hold a full
 *     fine-tune (planNodes), the node count it takes and the setting that asks for it
 *     (mlIntern.slurm.nodes, `--nodes N` on the CLI); the wizard shows the same note;
 *   - when the run would go on from a checkpoint saved by another number of processes (a job
 *     submitted again on another node count), whether the saved format supports that.
 */
import * as path from 'node:path';
import { fullWeightsDtype, lookupModel, planNodes } from '../recipes';
import { readConfig } from '../recipes/configBlock';
import { RUN_RECORD_FILE } from '../recipes/templates/resumePy';
import { checkpointState } from '../run/checkpoints';
import { readCheckpointLayout, resumeAcrossWorldSize, ResumeVerdict } from '../run/checkpointWorldSize';
import { FileStore } from '../ports';
import { EnvReport } from '../python/types';
import { Settings } from '../settings';
import { LaunchPlan } from './launchPlan';
import { FineTuneRequest } from './types';

/** More GPUs than this are not planned (planFullSharding's limit). */
const MAX_GPUS = 64;

export interface NodeAdvice {
  /** Nodes the plan needs. */
  nodes: number;
  note: string;
}

/**
 * The node count a full fine-tune needs on the Slurm target when it differs from mlIntern.slurm.nodes;
 * undefined when there is nothing to suggest (another target, an adapter, no GPU reported or
 * requested, a model of unknown size, or the setting already right).
 */
export function nodeAdvice(
  request: Pick<FineTuneRequest, 'baseModel' | 'adapter' | 'method' | 'maxLength'>,
  settings: Pick<Settings, 'executionTarget' | 'slurm' | 'sharding'>,
  environment: EnvReport | undefined,
): NodeAdvice | undefined {
  if (settings.executionTarget !== 'slurm' || request.adapter !== 'full') return undefined;
  const gpusPerNode = Math.floor(settings.slurm.gpus || 0);
  const gpuMemoryMiB = environment?.gpus.find((g) => typeof g.memoryTotalMiB === 'number' && g.memoryTotalMiB > 0)?.memoryTotalMiB;
  const dims = lookupModel(request.baseModel);
  if (gpusPerNode < 1 || !gpuMemoryMiB || !dims) return undefined;
  const asked = Math.max(1, Math.floor(settings.slurm.nodes ?? 1));
  const maxLength = request.maxLength ?? (request.method === 'sft' ? 2048 : 1024);
  const plan = planNodes({
    dims, adapter: 'full', method: request.method, maxLength, perDeviceTrainBatchSize: 1,
    precision: fullWeightsDtype(request.method, true), gpuMemoryMiB, gpusPerNode,
    maxNodes: Math.max(asked, Math.floor(MAX_GPUS / gpusPerNode)), sharding: settings.sharding,
  });
  const setting = (n: number) => `Set mlIntern.slurm.nodes to ${n} (on the command line: --nodes ${n}) and start the fine-tune again`;
  if (plan.scope === 'multi-node' && plan.nodes > asked) {
    return { nodes: plan.nodes, note: `${plan.note} This job asks for ${asked} node${asked === 1 ? '' : 's'}, where it would run out of GPU memory. ${setting(plan.nodes)}.` };
  }
  if (plan.scope === 'none') return { nodes: plan.nodes, note: plan.note };
  if ((plan.scope === 'one-node' || plan.scope === 'one-gpu') && asked > 1) {
    return { nodes: 1, note: `One node of ${gpusPerNode} GPUs holds this full fine-tune (${plan.note.replace(/\.$/, '')}); the job asks for ${asked} nodes, which is faster if the cluster has them free but waits longer in the queue. ${setting(1)} to use one.` };
  }
  return undefined;
}

/** Training processes a launch starts: one per GPU, or one per node without GPUs (torchrun on CPU test clusters). */
export function processesOf(plan: Pick<LaunchPlan, 'gpus' | 'nodes'>): number {
  return plan.gpus > 0 ? plan.gpus : Math.max(1, plan.nodes ?? 1);
}

/** Whether the checkpoint the script would go on from was saved by another process count, and what that means. */
export async function resumeVerdict(files: FileStore, scriptPath: string, plan: Pick<LaunchPlan, 'gpus' | 'nodes'>): Promise<ResumeVerdict | undefined> {
  const state = await checkpointState(files, scriptPath);
  if (!state.resumes || !state.folder) return undefined;
  const layout = await readCheckpointLayout(files.resolve(state.folder));
  if (!layout) return undefined;
  const verdict = resumeAcrossWorldSize(layout, processesOf(plan), path.basename(state.folder));
  if (!verdict?.supported) return verdict;
  return { ...verdict, note: verdict.note + (await batchClause(files, scriptPath, state.folder, processesOf(plan))) };
}

/**
 * train.py goes on from a checkpoint only with the effective batch it was trained with (its run
 * record, resumePy.ts: micro-batch x accumulation x WORLD_SIZE), else it starts over, saying why:
 * with another process count the accumulation that keeps it, when a whole one does.
 */
async function batchClause(files: FileStore, scriptPath: string, folder: string, processes: number): Promise<string> {
  let saved: unknown;
  try {
    saved = (JSON.parse((await files.readIfExists(path.join(folder, RUN_RECORD_FILE))) ?? '{}') as { config?: { EFFECTIVE_BATCH?: unknown } }).config?.EFFECTIVE_BATCH;
  } catch {
    return '';
  }
  const config = readConfig((await files.readIfExists(scriptPath)) ?? '');
  const micro = config.PER_DEVICE_TRAIN_BATCH_SIZE;
  const accumulation = config.GRADIENT_ACCUMULATION_STEPS;
  if (typeof saved !== 'number' || typeof micro !== 'number' || typeof accumulation !== 'number' || micro < 1) return '';
  const now = micro * accumulation * processes;
  if (now === saved) return ` The effective batch stays ${saved} (micro-batch ${micro} x accumulation ${accumulation} x ${processes} processes).`;
  const keep = saved / (micro * processes);
  const fix = Number.isInteger(keep) && keep >= 1
    ? `set GRADIENT_ACCUMULATION_STEPS to ${keep} in train.py's CONFIG to keep it`
    : `no whole accumulation keeps it with micro-batch ${micro} on ${processes} processes: change PER_DEVICE_TRAIN_BATCH_SIZE too, or keep the process count`;
  return ` But train.py goes on only with the effective batch the checkpoint was trained with (${saved}); on ${processes} processes it is ${now} (micro-batch ${micro} x accumulation ${accumulation}), so it would start over: ${fix}.`;
}

/** The verdict's note alone. */
export async function resumeNote(files: FileStore, scriptPath: string, plan: Pick<LaunchPlan, 'gpus' | 'nodes'>): Promise<string | undefined> {
  return (await resumeVerdict(files, scriptPath, plan))?.note;
}

export interface LaunchNote {
  /** warning: the launch as planned would fail or cannot resume; info: said so it is not silent. */
  level: 'info' | 'warning';
  text: string;
}

/** The notes to show before the launch files are proposed (see the file comment). */
export async function launchNotes(o: {
  files: FileStore;
  scriptPath: string;
  request: FineTuneRequest;
  settings: Settings;
  environment: EnvReport | undefined;
  plan: LaunchPlan;
}): Promise<LaunchNote[]> {
  const notes: LaunchNote[] = [];
  const advice = nodeAdvice(o.request, o.settings, o.environment);
  // More nodes than needed only waits longer in the queue; fewer runs out of memory.
  if (advice) notes.push({ level: advice.nodes > Math.max(1, o.settings.slurm.nodes ?? 1) ? 'warning' : 'info', text: advice.note });
  const resume = await resumeVerdict(o.files, o.scriptPath, o.plan);
  if (resume) notes.push({ level: resume.supported ? 'info' : 'warning', text: resume.note });
  return notes;
}
