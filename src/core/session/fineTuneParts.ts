/**
 * What a fine-tune session is built from (its ports and settings) and the pure translations of its
 * request: the script folder, the recipe spec, the one-line description, and why a Slurm job cut
 * short was not resubmitted.
 */
import { EventSink, FileStore, Logger, Reviewer } from '../ports';
import { LlmProvider } from '../llm/types';
import { Settings } from '../settings';
import { CommandApprover } from '../policy/approval';
import { RunStore } from '../runs/runStore';
import { slugify } from '../runs/ids';
import { DEFAULT_WORK_FOLDER, inWorkFolder } from '../workFolder';
import { RecipeSpec } from '../recipes';
import { EnvReport, DatasetInspection } from '../python/types';
import { DetachedLauncher } from '../run/watch';
import { DetachedRun } from '../exec/detached';
import { FineTuneRequest } from './types';
import { SlurmDeps } from '../run/slurmJobs';
import { CheckpointState } from '../run/checkpoints';

export interface SessionDeps {
  files: FileStore;
  reviewer: Reviewer;
  events: EventSink;
  runs: RunStore;
  settings: () => Settings;
  /** The interpreter that trains (Python extension's choice, mlIntern.pythonPath, or python3). */
  python: string;
  environment?: EnvReport;
  inspection?: DatasetInspection;
  /** Optional: repairs the playbook cannot make. */
  llm?: LlmProvider;
  launch: DetachedLauncher;
  approveCommand?: CommandApprover;
  /** Extra environment for training processes (e.g. HF_TOKEN from SecretStorage; never written anywhere). */
  processEnv?: () => Promise<Record<string, string>>;
  logger?: Logger;
  /** mlIntern.execution.target 'slurm': the backend (default: sbatch & co. from the PATH). */
  slurm?: SlurmDeps;
  /** Shows a run the session started itself (a Slurm job) in a terminal; `launch` does that for local runs. */
  showRun?: (run: DetachedRun, name: string) => void;
  /** process_output events carry the whole output (a CLI printing it), not the panel's short tail. */
  fullOutput?: boolean;
}

/**
 * Workspace folder the scripts of one method + model go to, inside the work folder (workFolder.ts:
 * the checked mlIntern.workFolder); re-running proposes changes to them as diffs.
 */
export function scriptFolder(request: Pick<FineTuneRequest, 'method' | 'baseModel'>, workFolder = DEFAULT_WORK_FOLDER): string {
  const model = request.baseModel.split('/').pop() ?? request.baseModel;
  return inWorkFolder(workFolder, `${request.method}-${slugify(model, 40)}`);
}

/** How to go on after a full disk: the same choices again reuse the scripts accepted in `folder` (when there is one yet). */
export function againHint(command: string, folder: string | undefined): string {
  const kept = folder ? `: the scripts you accepted in ${folder}/ are kept, so only what differs is proposed again` : '';
  return `Then run "ML Intern: ${command}" again with the same choices${kept}.`;
}

export function requestToSpec(request: FineTuneRequest, outputDir: string): RecipeSpec {
  return {
    method: request.method,
    baseModel: request.baseModel,
    dataset: request.dataset,
    adapter: request.adapter,
    evalSplit: request.evalSplit,
    ...(request.hubRepo ? { hubRepo: request.hubRepo } : {}),
    ...(request.columnMapping ? { columnMapping: request.columnMapping } : {}),
    ...(request.datasetFormat ? { datasetFormat: request.datasetFormat } : {}),
    ...(request.maxLength ? { maxLength: request.maxLength } : {}),
    // The spec refuses rewards for the other methods, so a request switched away from GRPO does not carry them over.
    ...(request.method === 'grpo' && request.rewards?.length ? { rewards: request.rewards } : {}),
    outputDir,
  } as RecipeSpec;
}

export function describeRequest(r: FineTuneRequest): string {
  const parts = [
    `Fine-tune ${r.baseModel} on ${r.dataset} with ${r.method.toUpperCase()} (${r.adapter})`,
    r.evalSplit > 0 ? `${Math.round(r.evalSplit * 1000) / 10} % validation split` : 'no validation split',
    r.hubRepo ? `push to ${r.hubRepo}` : '',
  ].filter(Boolean);
  return parts.join(', ') + (r.instructions ? `.\nInstructions: ${r.instructions}` : '.');
}

/** Why a job cut short was not resubmitted, for the end of its message. */
export function whyNotResumed(now: CheckpointState, before: CheckpointState, resumed: number): string {
  if (!now.resumes) return ' The script does not go on from its checkpoints by itself (RESUME_FROM_CHECKPOINT = "auto" in the recipe\'s CONFIG does): run it again to start over.';
  if (now.step <= before.step) return now.step ? ` It saved no checkpoint after ${now.folder}: lower SAVE_STEPS, or raise the time limit, so that each job gets further.` : ' It saved no checkpoint before: lower SAVE_STEPS, or raise the time limit.';
  return ` ${resumed} jobs already went on from checkpoints (mlIntern.maxRecoveryAttempts); run it again to go on from ${now.folder}.`;
}
