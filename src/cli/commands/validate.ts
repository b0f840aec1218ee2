import { CliCommand, EXIT_FAILED, EXIT_OK, UsageError, flagString, printResult } from '../command';
import * as path from 'node:path';
import { ValidationReport, defaultPython, validateScript } from '../../core/python';
import { refuseSpecialFile } from '../../core/util/regularFile';

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'Check a training script against the installed trl/transformers/peft versions',
  usage: 'ml-intern validate <file> [--json] [--python P]\n' +
    '  Checks keywords and imports with the libraries installed in that Python. Exit 1 when there are errors.',
  async run(args, io) {
    const [file, ...extra] = args.positional;
    if (!file || extra.length) throw new UsageError(file ? 'give exactly one file' : 'missing <file>');
    // The helper would block opening a FIFO: refused here by name.
    await refuseSpecialFile(path.resolve(io.cwd, file), file);
    const report = await validateScript(defaultPython(io.env, flagString(args, 'python')), file, { cwd: io.cwd, env: { ...process.env, ...io.env } });
    printResult(io, args, report, (r: ValidationReport) => formatValidation(file, r));
    return report.findings.some((f) => f.severity === 'error') ? EXIT_FAILED : EXIT_OK;
  },
};

export function formatValidation(file: string, r: ValidationReport): string {
  const lines = r.findings.map(
    (f) => `${file}:${f.line}:${f.column} ${f.severity} ${f.message}${f.suggestion ? ` (${f.suggestion})` : ''}`,
  );
  const errors = r.findings.filter((f) => f.severity === 'error').length;
  const versions = Object.entries(r.libraries)
    .filter(([, v]) => v !== null)
    .map(([name, v]) => `${name} ${v}`);
  lines.push(
    `${errors} error${errors === 1 ? '' : 's'}, ${r.findings.length - errors} warning${r.findings.length - errors === 1 ? '' : 's'}; ` +
      `${r.checked} call${r.checked === 1 ? '' : 's'} checked with ${r.python}${versions.length ? ` (${versions.join(', ')})` : ''}`,
  );
  return lines.join('\n');
}
