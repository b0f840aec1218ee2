/**
 * `ml-intern try-it <model folder>`: the same prompts to the trained model and to its base, with
 * the chat template it was trained with — try_it.py written into <work folder>/try-<model>/ (the folder the
 * extension's "Try It…" uses), then run after a y/n, both answers streamed one after the other and
 * kept in <work folder>/try-<model>/transcript.jsonl.
 */
import { readFileSync } from 'node:fs';
import { refuseSpecialFileSync } from '../../core/util/regularFile';
import * as path from 'node:path';
import { CliCommand, EXIT_FAILED, ParsedArgs, UsageError, flagList, flagNumber, flagString } from '../command';
import { pythonFrom } from '../interaction';
import { promptsFromDataText } from '../../core/export/tryItPlan';
import { ExportRequestError } from '../../core/export/exportPlan';
import { commandLines, modelArgument, planFor, runCommands, stepsContext, writeFiles } from '../artifactSteps';
import { tryItThroughVllm } from '../tryItVllm';
import { WORK_FOLDER_USAGE } from '../workFolder';

export const tryItCommand: CliCommand = {
  name: 'try-it',
  summary: 'Send the same prompts to a trained model and to its base, side by side, with the training chat template',
  usage: [
    'ml-intern try-it <model folder> [--base B] [--prompt P ...] [--from-data FILE [--count N]] [--system S]',
    '                 [--temperature T] [--top-p P] [--max-new-tokens N] [--seed N] [--workspace DIR] [--work-folder DIR] [--python P] [--approve=none|all]',
    '                 [--vllm URL --served-name NAME]',
    '',
    'Writes ml-intern/try-<model>/try_it.py (the work folder, see --work-folder; edit its PROMPTS and run it again) and runs it after a y/n (--approve=all: without asking):',
    'each prompt goes to the base (an adapter switched off) and to the trained model, the answers are streamed and kept',
    'in ml-intern/try-<model>/transcript.jsonl. The base defaults to the one adapter_config.json names.',
    '  --from-data FILE  takes the first --count (default 3) user prompts of a .jsonl or .json file (e.g. the held-out split).',
    '  --vllm URL        asks a running vLLM server (OpenAI API root, e.g. http://127.0.0.1:8000/v1; the export\'s vllm serve with',
    '                    the training template) instead: the base as --base (default: the adapter\'s base), the trained model as',
    '                    --served-name; nothing runs here. VLLM_API_KEY is sent when the server was started with --api-key.',
    WORK_FOLDER_USAGE,
  ].join('\n'),
  async run(args, io) {
    const ctx = stepsContext(args, io, pythonFrom(args, io));
    const model = modelArgument(args, io, ctx.root, 'try-it');
    const prompts = [...flagList(args, 'prompt'), ...promptsFromFile(args, io.cwd)];
    if (!prompts.length) throw new UsageError('give the prompts: --prompt "..." (repeatable) or --from-data FILE');
    const request = {
      model,
      prompts,
      ...optional('baseModel', flagString(args, 'base')),
      ...optional('system', flagString(args, 'system')),
      ...optional('temperature', flagNumber(args, 'temperature')),
      ...optional('topP', flagNumber(args, 'top-p')),
      ...optional('maxNewTokens', flagNumber(args, 'max-new-tokens')),
      ...optional('seed', flagNumber(args, 'seed')),
    };
    const vllm = flagString(args, 'vllm');
    if (vllm !== undefined) return tryItThroughVllm(ctx, vllm, flagString(args, 'served-name'), request);
    const plan = await planFor(ctx, { kind: 'try-it', ...request });
    if (!plan) return EXIT_FAILED;
    if (!(await writeFiles(ctx, plan))) return EXIT_FAILED;
    for (const note of plan.notes) io.out(`note: ${note}\n`);
    io.out(`To run it again yourself:\n${commandLines(ctx, plan).join('\n')}\n`);
    return runCommands(ctx, plan);
  },
};

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/** User prompts of the first rows of a JSON Lines or JSON file (the shapes the data inspection reads). */
function promptsFromFile(args: ParsedArgs, cwd: string): string[] {
  const file = flagString(args, 'from-data');
  if (file === undefined) return [];
  const count = flagNumber(args, 'count') ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`--count must be a whole number ≥ 1, got '${count}'`);
  let text: string;
  try {
    refuseSpecialFileSync(path.resolve(cwd, file), file);
    text = readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --from-data ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return promptsFromDataText(text, file, count);
  } catch (err) {
    if (err instanceof ExportRequestError) throw new UsageError(`--from-data: ${err.message}`);
    throw err;
  }
}
