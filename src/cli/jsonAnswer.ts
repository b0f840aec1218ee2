/**
 * With --json a command answers in JSON on standard output even when it fails — `{"error": "…"}`
 * beside the usual one line on standard error and the same exit code — so a script that parses
 * stdout gets an answer it can read instead of nothing (inspect-data on a bad file used to print
 * nothing there).
 */
import { CliIo, ParsedArgs } from './command';
import { redactor } from '../core/util/redact';

export async function answerInJsonOnFailure(args: ParsedArgs, io: CliIo, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (err) {
    if (args.flags.json) io.out(JSON.stringify({ error: redactor.redact(err instanceof Error ? err.message : String(err)) }, null, 2) + '\n');
    throw err;
  }
}
