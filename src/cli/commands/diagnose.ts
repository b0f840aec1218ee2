import { createReadStream } from 'node:fs';
import { readlink, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { CliCommand, CliIo, EXIT_OK, ParsedArgs, UsageError } from '../command';
import { answerInJsonOnFailure } from '../jsonAnswer';
import { diagnoseWithTraining, ranCleanly } from '../../core/recovery/diagnose';
import { describeTraining, TrainingSummary } from '../../core/logs/trainingSummary';
import { Diagnosis } from '../../core/recovery/types';
import { specialFileKind } from '../../core/util/regularFile';

function human(d: Diagnosis, training: TrainingSummary): string {
  if (ranCleanly(d, training)) return `no failure: ${describeTraining(training)}`;
  const lines = [`${d.category}: ${d.summary}`];
  if (d.evidence.length) lines.push('Evidence:', ...d.evidence.map((e) => `  ${e}`));
  lines.push(`Fix (${d.fix.kind}): ${d.fix.description}`);
  const shows = describeTraining(training, { failed: d.category !== 'unknown' });
  if (shows) lines.push(shows);
  return lines.join('\n');
}

export const diagnoseCommand: CliCommand = {
  name: 'diagnose',
  summary: 'Name the failure in a training log, quote the evidence and propose a fix',
  usage:
    'ml-intern diagnose <log-file | -> [--json]\n  Reads the log streaming (any size); `-` reads standard input. A pipe, a device or a folder is refused:\n' +
    '  save the output to a file, or pipe it in with `-`. With --json the answer is JSON, an error too: {"error": …}.',
  run(args, io) {
    return answerInJsonOnFailure(args, io, () => diagnose(args, io));
  },
};

async function diagnose(args: ParsedArgs, io: CliIo): Promise<number> {
  const file = args.positional[0];
  if (!file) throw new UsageError('give the log file to diagnose (or - for standard input)');
  const source = file === '-' ? process.stdin : createReadStream(await regularFile(path.resolve(io.cwd, file), file)).on('error', () => undefined);
  let d: Diagnosis;
  let training: TrainingSummary;
  try {
    ({ diagnosis: d, training } = await diagnoseWithTraining(source));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`cannot read '${file}': no such file`);
    if (code === 'EISDIR') throw new Error(`cannot read '${file}': it is a folder, give a log file`);
    throw err;
  }
  if (args.flags.json) {
    io.out(JSON.stringify({ category: d.category, summary: d.summary, evidence: d.evidence, fix: { kind: d.fix.kind, description: d.fix.description }, training }, null, 2) + '\n');
  } else io.out(human(d, training) + '\n');
  return EXIT_OK;
}

/**
 * The log as a regular file, checked before it is opened: opening a FIFO with no writer blocks
 * forever, and a device (/dev/zero) never ends.
 */
async function regularFile(absolute: string, given: string): Promise<string> {
  let st;
  try {
    st = await stat(absolute);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new Error(`cannot read '${given}': it is a symbolic link loop (following it leads back to itself); point the link at the log file`);
    if (code === 'ENOENT') {
      const target = await readlink(absolute).catch(() => undefined);
      throw new Error(target ? `cannot read '${given}': it is a symbolic link to '${target}', which does not exist` : `cannot read '${given}': no such file`);
    }
    throw new Error(`cannot read '${given}': ${(err as Error).message}`);
  }
  if (st.isDirectory()) throw new Error(`cannot read '${given}': it is a folder, give a log file`);
  const kind = specialFileKind(st);
  if (kind) {
    throw new Error(`cannot read '${given}': it is ${kind}, not a log file (reading it could block or never end); save the output to a file, or pipe it in: … | ml-intern diagnose -`);
  }
  return absolute;
}
