/** The environment report (python/env_report.py) in the shapes the recipes and the playbook read. */
import { DatasetInspection, EnvReport } from '../python/types';
import { DatasetInspectionLike, EnvReportLike } from '../recipes/spec';
import { RecoveryEnvironment } from '../recovery/types';

function installed(report: EnvReport): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(report.libraries ?? {})) if (v) out[k] = v;
  return out;
}

export function recipeEnvironment(report: EnvReport | undefined): EnvReportLike | undefined {
  if (!report) return undefined;
  return {
    gpus: report.gpus.map((g) => ({
      name: g.name,
      memoryTotalMiB: g.memoryTotalMiB ?? undefined,
      memoryFreeMiB: g.memoryFreeMiB ?? undefined,
      computeCapability: g.computeCapability,
      bf16: g.bf16 ?? undefined,
      flashAttention: g.flashAttention ?? undefined,
    })),
    packages: report.libraries,
  };
}

export function recoveryEnvironment(report: EnvReport | undefined): RecoveryEnvironment | undefined {
  if (!report) return undefined;
  return {
    gpus: report.gpus.map((g) => ({
      name: g.name,
      bf16: g.bf16 ?? undefined,
      computeCapability: g.computeCapability ?? undefined,
      memoryMiB: g.memoryTotalMiB ?? undefined,
    })),
    packages: installed(report),
  };
}

export function recipeInspection(inspection: DatasetInspection | undefined): DatasetInspectionLike | undefined {
  if (!inspection) return undefined;
  return {
    format: inspection.format,
    task: inspection.task ?? undefined,
    mapping: inspection.mapping as Record<string, string>,
    columns: inspection.columns.map((c) => c.name),
    trainable: inspection.trainable,
    problems: inspection.problems,
    // The run's length is estimated from the row count only when it is the dataset's size.
    ...(inspection.rowsSampled ? {} : { rows: inspection.rows }),
    ...(inspection.jsonField ? { jsonField: inspection.jsonField } : {}),
  };
}
