import * as path from 'node:path';
import { CliCommand, EXIT_FAILED, EXIT_OK, UsageError, flagString, printResult } from '../command';
import { EnvReport, defaultPython, envReport } from '../../core/python';
import { unwritableFolder } from '../../core/util/diskErrors';

export const envCommand: CliCommand = {
  name: 'env',
  summary: 'Report GPUs, CUDA, Python and ML library versions, disk and RAM',
  usage: 'ml-intern env [--output-dir DIR] [--json] [--python P]',
  async run(args, io) {
    if (args.positional.length) throw new UsageError(`unexpected argument '${args.positional[0]}'`);
    const outputDir = flagString(args, 'output-dir');
    const report = await envReport(defaultPython(io.env, flagString(args, 'python')), { cwd: io.cwd, env: { ...process.env, ...io.env }, outputDir });
    // Free space in a folder the training cannot write to is no answer: it would fail at its first save.
    const unwritable = outputDir ? unwritableFolder(path.resolve(io.cwd, outputDir)) : undefined;
    if (unwritable) report.problems.push(`--output-dir ${unwritable}: the training could not save there. Choose a folder you can write to.`);
    printResult(io, args, report, formatEnv);
    if (unwritable) io.err(`ml-intern env: --output-dir ${unwritable}. Choose a folder you can write to.\n`);
    return unwritable ? EXIT_FAILED : EXIT_OK;
  },
};

const mib = (n: number | null): string => (n === null ? '?' : `${n} MiB`);
const yn = (b: boolean | null): string => (b === null ? '?' : b ? 'yes' : 'no');

export function formatEnv(r: EnvReport): string {
  const lines = [`Python ${r.python.version} (${r.python.executable})`];
  if (r.gpus.length === 0) lines.push('GPUs: none');
  for (const g of r.gpus) {
    lines.push(
      `GPU ${g.index ?? '?'}: ${g.name}, ${mib(g.memoryFreeMiB)} free of ${mib(g.memoryTotalMiB)}, ` +
        `compute ${g.computeCapability ?? '?'}, bf16 ${yn(g.bf16)}, flash-attention ${yn(g.flashAttention)}`,
    );
  }
  if (r.cudaVersion || r.driverVersion) lines.push(`CUDA ${r.cudaVersion ?? '?'}, driver ${r.driverVersion ?? '?'}`);
  const libs = Object.entries(r.libraries).map(([name, v]) => `${name} ${v ?? '—'}`);
  lines.push(`Libraries: ${libs.join(', ')}`);
  lines.push(`Disk: ${mib(r.disk.freeMiB)} free in ${r.disk.path}`);
  lines.push(`HF token: ${r.hfToken ? 'available' : 'not set (set HF_TOKEN or run huggingface-cli login for gated models)'}`);
  lines.push(`CPUs: ${r.cpuCount ?? '?'}, RAM: ${mib(r.ramMiB)}${r.ramAvailableMiB !== null ? ` (${mib(r.ramAvailableMiB)} available)` : ''}`);
  if (r.problems.length) lines.push('Problems:', ...r.problems.map((p) => `  - ${p}`));
  return lines.join('\n');
}
