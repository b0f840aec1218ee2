import { createReadStream } from 'node:fs';
import * as path from 'node:path';
import { CliCommand, EXIT_OK, UsageError } from '../command';
import { diagnoseStream } from '../../core/recovery/diagnose';
import { Diagnosis } from '../../core/recovery/types';

function human(d: Diagnosis): string {
  const lines = [`${d.category}: ${d.summary}`];
  if (d.evidence.length) lines.push('Evidence:', ...d.evidence.map((e) => `  ${e}`));
  lines.push(`Fix (${d.fix.kind}): ${d.fix.description}`);
  return lines.join('\n');
}

export const diagnoseCommand: CliCommand = {
  name: 'diagnose',
  summary: 'Name the failure in a training log, quote the evidence and propose a fix',
  usage: 'ml-intern diagnose <log-file | -> [--json]\n  Reads the log streaming (any size); `-` reads standard input.',
  async run(args, io) {
    const file = args.positional[0];
    if (!file) throw new UsageError('give the log file to diagnose (or - for standard input)');
    const source =
      file === '-'
        ? process.stdin
        : createReadStream(path.resolve(io.cwd, file)).on('error', () => undefined);
    let d: Diagnosis;
    try {
      d = await diagnoseStream(source);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new Error(`cannot read '${file}': no such file`);
      if (code === 'EISDIR') throw new Error(`cannot read '${file}': it is a folder, give a log file`);
      throw err;
    }
    if (args.flags.json) {
      io.out(JSON.stringify({ category: d.category, summary: d.summary, evidence: d.evidence, fix: { kind: d.fix.kind, description: d.fix.description } }, null, 2) + '\n');
    } else io.out(human(d) + '\n');
    return EXIT_OK;
  },
};
