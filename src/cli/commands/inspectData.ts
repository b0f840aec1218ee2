import { CliCommand, CliIo, EXIT_FAILED, EXIT_OK, ParsedArgs, UsageError, flagNumber, flagString, printResult } from '../command';
import { answerInJsonOnFailure } from '../jsonAnswer';
import { DatasetInspection, defaultPython, inspectData } from '../../core/python';

export const inspectDataCommand: CliCommand = {
  name: 'inspect-data',
  summary: 'Inspect a data set: format, trl task, column mapping, problems',
  usage: 'ml-intern inspect-data <path-or-hub-id> [--max-length N] [--sample N] [--json] [--python P]\n' +
    '  Reads JSONL/JSON/CSV (Parquet needs pyarrow, Hub ids need datasets in that Python); any file you can read,\n' +
    '  in the workspace or not. A row over 64 MB or nested over 100 levels is reported and skipped.\n' +
    '  Exit 1 when the data set cannot be trained on as is. With --json the answer is JSON, an error too: {"error": …}.',
  run(args, io) {
    return answerInJsonOnFailure(args, io, () => inspect(args, io));
  },
};

async function inspect(args: ParsedArgs, io: CliIo): Promise<number> {
  const [target, ...extra] = args.positional;
  if (!target || extra.length) throw new UsageError(target ? 'give exactly one path or Hub id' : 'missing <path-or-hub-id>');
  const maxLength = flagNumber(args, 'max-length');
  const sample = flagNumber(args, 'sample');
  for (const [name, v] of [['max-length', maxLength], ['sample', sample]] as const) {
    if (v !== undefined && (v < 0 || !Number.isInteger(v))) throw new UsageError(`--${name} must be a whole number >= 0`);
  }
  const result = await inspectData(defaultPython(io.env, flagString(args, 'python')), target, { cwd: io.cwd, env: { ...process.env, ...io.env }, maxLength, sample });
  printResult(io, args, result, formatInspection);
  return result.trainable ? EXIT_OK : EXIT_FAILED;
}

export function formatInspection(r: DatasetInspection): string {
  const lines = [`${r.path}: ${r.rows} row${r.rows === 1 ? '' : 's'}, format ${r.format}${r.task ? ` → trl ${r.task}` : ''}`];
  const mapping = Object.entries(r.mapping).map(([role, col]) => `${role} ← ${col}`);
  if (mapping.length) lines.push(`  mapping: ${mapping.join(', ')}`);
  if (r.columns.length) lines.push(`  columns: ${r.columns.map((c) => `${c.name} (${c.type})`).join(', ')}`);
  lines.push(`  trainable: ${r.trainable ? 'yes' : 'no'}`);
  if (r.problems.length) lines.push('  problems:', ...r.problems.map((p) => `    - ${p}`));
  if (r.notes.length) lines.push('  notes:', ...r.notes.map((n) => `    - ${n}`));
  return lines.join('\n');
}
