import { CliCommand, EXIT_FAILED, EXIT_OK, UsageError, flagNumber, flagString } from '../command';
import { defaultPython } from '../../core/python';
import { countFailures, formatPreflight, PreflightReport, preflightRecipe, preflightSpec } from '../../core/preflight';
import { RecipeSpec, SpecError } from '../../core/recipes';
import { readJsonFile } from './recipe';

export const preflightCommand: CliCommand = {
  name: 'preflight',
  summary: 'Before any GPU time: the tokens a recipe trains on, template checks and lengths',
  usage: 'ml-intern preflight <recipe dir | train.py | spec.json> [--rows N] [--sample N] [--trl-version V] [--json] [--python P]\n' +
    '  Renders N rows (default 3) with the base model\'s tokenizer and chat template as trl will, marks the trained\n' +
    '  tokens, checks the template and measures lengths against MAX_LENGTH over up to --sample rows (default 2000).\n' +
    '  Needs transformers in that Python. Exit 1 when a check fails.',
  async run(args, io) {
    const [target, ...extra] = args.positional;
    if (!target || extra.length) throw new UsageError(target ? 'give exactly one recipe folder, train.py or spec.json' : 'missing <recipe dir | train.py | spec.json>');
    const rows = flagNumber(args, 'rows');
    const sample = flagNumber(args, 'sample');
    for (const [name, v] of [['rows', rows], ['sample', sample]] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new UsageError(`--${name} must be a whole number of at least 1, got ${v}`);
    }
    const opts = {
      rows,
      sample,
      trlVersion: flagString(args, 'trl-version'),
      cwd: io.cwd,
      env: { ...process.env, ...io.env },
    };
    const python = defaultPython(io.env, flagString(args, 'python'));
    let report: PreflightReport;
    if (/\.json$/i.test(target)) {
      const spec = readJsonFile(target, io.cwd, 'spec file') as RecipeSpec;
      try {
        report = await preflightSpec(python, spec, { ...opts, baseDir: io.cwd });
      } catch (e) {
        if (!(e instanceof SpecError)) throw e;
        io.err(e.message + '\n');
        return EXIT_FAILED;
      }
    } else report = await preflightRecipe(python, target, opts); // relative to io.cwd, named as the user wrote it
    if (args.flags.json) io.out(JSON.stringify(report, null, 2) + '\n');
    else io.out(formatPreflight(report, { color: useColor(io.env) }) + '\n');
    return countFailures(report) ? EXIT_FAILED : EXIT_OK;
  },
};

/** Colours on a terminal unless NO_COLOR is set; FORCE_COLOR turns them on anywhere. */
function useColor(env: NodeJS.ProcessEnv): boolean {
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return Boolean(process.stdout.isTTY) && !env.NO_COLOR;
}
