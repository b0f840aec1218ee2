/**
 * The wizard's reach into other modules (python helpers, recipe estimate,
 * workspace files), each behind a small function that never throws: a
 * missing interpreter or an unknown model only means less information.
 */
import * as vscode from 'vscode';
import { Host } from '../host';
import { defaultPython, envReport, inspectData, PythonHelperError } from '../../core/python';
import type { EnvReport } from '../../core/python';
import { estimateMemory, planBatch, resolveDims } from '../../core/recipes';
import { cachedNodeGpus, trainingEnvironment } from '../../core/exec/slurmProbe';
import { slurmBackendFor } from '../../core/exec/slurmRun';
import type { AdapterKind, InspectionLike, StepContext } from '../../ui/wizard/wizardSteps';
import { stateText } from '../../core/exec/slurm';
import { dataSearchExclude, notInWorkFolder } from '../../ui/wizard/dataSearch';

export const DATA_GLOB = '**/*.{json,jsonl,csv,parquet,JSON,JSONL,CSV,PARQUET}';

export function pythonFor(host: Host): string {
  return defaultPython(process.env, host.settings().pythonPath);
}

/** Workspace-relative data files, most likely first; none of ML Intern's own (the work folder's). */
export async function findDataFiles(workFolder: string, limit = 60): Promise<string[]> {
  try {
    const uris = await vscode.workspace.findFiles(DATA_GLOB, dataSearchExclude(workFolder), limit);
    return uris
      .map((u) => vscode.workspace.asRelativePath(u, false))
      .filter((f) => notInWorkFolder(f, workFolder))
      .sort((a, b) => score(a) - score(b) || a.localeCompare(b));
  } catch {
    return [];
  }
}

function score(p: string): number {
  // Data folders and JSONL first; config-looking JSON last.
  let s = p.split('/').length;
  if (/(^|\/)(data|datasets?)\//i.test(p)) s -= 5;
  if (/\.jsonl$/i.test(p)) s -= 2;
  if (/(config|settings|launch|tokenizer|adapter_config)\.json$/i.test(p)) s += 10;
  return s;
}

export async function inspectDataset(host: Host, dataset: string, signal?: AbortSignal): Promise<{ inspection?: InspectionLike; error?: string }> {
  try {
    const ins = await inspectData(pythonFor(host), dataset, { cwd: host.workspaceRoot(), timeoutMs: 120_000, signal });
    return { inspection: ins as unknown as InspectionLike };
  } catch (err) {
    const message = err instanceof PythonHelperError || err instanceof Error ? err.message : String(err);
    host.logger.warn(`Fine-tune wizard: inspecting ${dataset} failed: ${message}`);
    return { error: message.split('\n')[0].slice(0, 300) };
  }
}

/**
 * The env report (GPUs), cached for 10 minutes; undefined when Python cannot tell. On the Slurm
 * target its GPUs are a compute node's (slurmProbe.ts): a check job runs in the background while
 * the wizard asks its questions, shown in a cancellable notification. One per window
 * (services.ts): the wizard and the sessions share its cache.
 */
export class TrainingEnvironment {
  private cache: { at: number; report: Promise<EnvReport | undefined> } | undefined;

  constructor(private readonly host: Host) {}

  report(): Promise<EnvReport | undefined> {
    const host = this.host;
    if (!this.cache || Date.now() - this.cache.at > 10 * 60_000) {
      this.cache = {
        at: Date.now(),
        report: envReport(pythonFor(host), { cwd: host.workspaceRoot(), timeoutMs: 60_000 })
          .then((report) => forTraining(host, report))
          .catch((err) => {
            host.logger.warn(`Fine-tune wizard: env report failed: ${err instanceof Error ? err.message : String(err)}`);
            this.cache = undefined;
            return undefined;
          }),
      };
    }
    return this.cache.report;
  }

  /** Forget the cached report: packages may have been installed (a session's pip install) or removed. */
  forget(): void {
    this.cache = undefined;
  }
}

/** This machine's report, or on the Slurm target the login node's with a compute node's GPUs. */
async function forTraining(host: Host, report: EnvReport): Promise<EnvReport | undefined> {
  const settings = host.settings();
  const workspace = host.workspaceRoot();
  if (settings.executionTarget !== 'slurm' || !workspace) return report;
  const python = pythonFor(host);
  const options = { settings, python, workspace, backend: slurmBackendFor() };
  const asks = settings.slurm.gpus > 0 && settings.slurm.gpuCheck !== false && !(await cachedNodeGpus({ python, slurm: settings.slurm, workspace }));
  const checked = !asks
    ? await trainingEnvironment(report, options)
    : await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'ML Intern', cancellable: true }, (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        const where = settings.slurm.partition ? `partition ${settings.slurm.partition}` : "the cluster's default partition";
        progress.report({ message: `Asking a compute node of ${where} for its GPUs (a short Slurm job)…` });
        return trainingEnvironment(report, {
          ...options,
          signal: abort.signal,
          onState: (jobId, s) => progress.report({ message: `GPU check: Slurm job ${jobId} ${stateText(s)}…` }),
        });
      });
  if (checked?.gpusFrom) host.logger.info(`GPUs from ${checked.gpusFrom}: ${checked.gpus.map((g) => g.name).join(', ') || 'none'}`);
  const failed = checked?.problems.find((p) => /login node/.test(p));
  if (asks && failed) {
    host.logger.warn(failed);
    void vscode.window.showWarningMessage(`ML Intern: ${failed} The recipe's batch plan is a default; adjust it in the review if you know the nodes' GPUs.`);
  }
  return checked;
}

export function gpuOf(report: EnvReport | undefined): { name: string; memoryMiB: number } | undefined {
  const g = report?.gpus?.find((x) => typeof x.memoryTotalMiB === 'number' && x.memoryTotalMiB > 0);
  return g ? { name: g.name, memoryMiB: g.memoryTotalMiB as number } : undefined;
}

/** Memory estimate per adapter for this model on this GPU (empty when the model's size is unknown). */
export function estimates(baseModel: string, method: string | undefined, gpu: { name: string; memoryMiB: number } | undefined): StepContext['estimates'] {
  const out: NonNullable<StepContext['estimates']> = {};
  try {
    resolveDims({ baseModel });
  } catch {
    return out;
  }
  const m = (method ?? 'sft') as 'sft';
  for (const adapter of ['lora', 'qlora', 'full'] as AdapterKind[]) {
    try {
      const min = estimateMemory({ dims: resolveDims({ baseModel }), adapter, method: m, maxLength: 2048, perDeviceTrainBatchSize: 1, gradientCheckpointing: true });
      if (!gpu) {
        out[adapter] = { text: `needs ~${min.totalGiB} GiB (batch 1, 2k tokens)` };
        continue;
      }
      const gib = Math.round(gpu.memoryMiB / 1024);
      const plan = planBatch({ baseModel, adapter, method: m, maxLength: 2048, perDeviceTrainBatchSize: 4, gradientAccumulationSteps: 4 }, gpu.memoryMiB);
      out[adapter] =
        plan.fits && plan.adapter === adapter
          ? { text: `~${plan.estimate.totalGiB} GiB of ${gib} GiB · fits`, fits: true }
          : { text: `needs ~${min.totalGiB} GiB · does not fit ${gib} GiB`, fits: false };
    } catch {
      // Unknown to the estimate: say nothing rather than guess.
    }
  }
  return out;
}
