/** environment: the machine the training will run on (python/env_report.py), summarised for the model. */
import { EnvReport, ReportedLibrary } from '../../python';
import { ToolDefinition } from '../types';
import { cachedEnvReport, helperFailure, mib } from './shared';

/** The libraries a training run needs; the others are optional extras. */
const TRAINING_LIBS: ReportedLibrary[] = ['torch', 'transformers', 'trl', 'peft', 'datasets', 'accelerate'];
const PIP_NAME: Partial<Record<ReportedLibrary, string>> = { flash_attn: 'flash-attn', huggingface_hub: 'huggingface_hub' };

function yesNo(v: boolean | null): string {
  return v === null ? 'unknown' : v ? 'yes' : 'no';
}

export function summarizeEnvironment(r: EnvReport): string {
  const lines: string[] = [];
  lines.push(`Python ${r.python.version} at ${r.python.executable} (${r.platform}).`);
  if (r.gpusFrom) lines.push(`GPU figures from ${r.gpusFrom}; the rest from this machine.`);
  if (r.gpus.length) {
    lines.push(`GPUs (${r.gpus.length}, from ${r.gpuSource ?? 'unknown'}; CUDA ${r.cudaVersion ?? '?'}, driver ${r.driverVersion ?? '?'}):`);
    for (const g of r.gpus) {
      lines.push(
        `- GPU ${g.index ?? '?'}: ${g.name}, ${mib(g.memoryTotalMiB)} total, ${mib(g.memoryFreeMiB)} free, compute capability ${g.computeCapability ?? '?'}, ` +
          `bf16 ${yesNo(g.bf16)}, FlashAttention 2 capable ${yesNo(g.flashAttention)}`,
      );
    }
  } else {
    lines.push('GPUs: none found. Training would run on CPU, which only suits tiny models; the user may train on another machine (Remote-SSH, Slurm).');
  }
  const libs = Object.entries(r.libraries) as [ReportedLibrary, string | null][];
  const present = libs.filter(([, v]) => v);
  lines.push(`Installed: ${present.length ? present.map(([k, v]) => `${k} ${v}`).join(', ') : 'none of the ML libraries'}.`);
  const missingTraining = TRAINING_LIBS.filter((l) => !r.libraries[l]);
  if (missingTraining.length) {
    lines.push(`MISSING for training: ${missingTraining.join(', ')} — install with: ${r.python.executable} -m pip install ${missingTraining.map((l) => PIP_NAME[l] ?? l).join(' ')}`);
  }
  const missingOptional = libs.filter(([k, v]) => !v && !TRAINING_LIBS.includes(k)).map(([k]) => k);
  if (missingOptional.length) lines.push(`Not installed (optional): ${missingOptional.join(', ')} (lighteval for eval, mergekit for merges, bitsandbytes for QLoRA, flash_attn for FlashAttention 2).`);
  lines.push(`Disk: ${mib(r.disk.freeMiB)} free of ${mib(r.disk.totalMiB)} at ${r.disk.path}. RAM: ${mib(r.ramAvailableMiB)} available of ${mib(r.ramMiB)}. CPUs: ${r.cpuCount ?? '?'}.`);
  lines.push(`Hugging Face token: ${r.hfToken ? 'available' : 'not set (needed for gated models and for pushing to the Hub)'}.`);
  if (r.problems.length) lines.push(`Problems:\n${r.problems.map((p) => `- ${p}`).join('\n')}`);
  return lines.join('\n');
}

export const environmentTool: ToolDefinition<{ refresh?: boolean }> = {
  name: 'environment',
  description:
    "Report the machine the user's Python will train on: GPUs (name, memory, bf16 and FlashAttention support), CUDA and driver versions, " +
    'versions of torch/transformers/trl/peft/datasets/accelerate/bitsandbytes/lighteval/mergekit, which are missing (with the pip command), free disk and RAM, and whether an HF token is set. ' +
    'Call it once before planning a training run; write_recipe and estimate_memory use the same report. Reads only; needs no approval.',
  parameters: {
    type: 'object',
    properties: {
      refresh: { type: 'boolean', description: 'Run the check again even if it ran in the last 10 minutes (e.g. after installing a package).' },
    },
  },
  approval: 'free',
  async handler(args, ctx) {
    try {
      const report = await cachedEnvReport(ctx, args.refresh === true);
      return { ok: true, output: summarizeEnvironment(report), data: report };
    } catch (err) {
      return { ok: false, output: helperFailure('The environment check', err, ctx.python) };
    }
  },
};
