import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { CliCommand, EXIT_FAILED, EXIT_OK, flagString, printResult, UsageError } from '../command';
import { commentText, RecipeSpec, renderRecipe, shellLine, SpecError } from '../../core/recipes';
import { refuseSpecialFileSync } from '../../core/util/regularFile';
import { measuredLengthsOf } from '../../core/recipes/lengthPlan';

/** Read and parse a JSON file given on the command line, with a clear message on failure. */
export function readJsonFile(path: string, cwd: string, what: string): unknown {
  const p = isAbsolute(path) ? path : resolve(cwd, path);
  if (!existsSync(p)) throw new UsageError(`${what} ${path} does not exist`);
  refuseSpecialFileSync(p, `${what} ${path}`);
  try {
    return JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new Error(`${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

export const recipeCommand: CliCommand = {
  name: 'recipe',
  summary: 'Write training/eval/merge/push scripts from a recipe spec (JSON)',
  usage: 'ml-intern recipe <spec.json> --out <dir> [--lengths preview.json] [--force] [--json]\n  Writes train.py (or the eval/merge/push files) into <dir>; refuses to overwrite existing files without --force.\n  --lengths plans the batch for the rows a token preview measured (ml-intern preflight --json, or a run folder\'s preview.json) instead of MAX_LENGTH per row.',
  booleanFlags: ['force'],
  async run(args, io) {
    const specPath = args.positional[0];
    if (!specPath) throw new UsageError('a spec file is required');
    const out = flagString(args, 'out');
    if (!out) throw new UsageError('--out <dir> is required');
    const spec = readJsonFile(specPath, io.cwd, 'spec file') as RecipeSpec;
    const lengthsPath = flagString(args, 'lengths');
    const lengths = lengthsPath ? measuredLengthsOf(readJsonFile(lengthsPath, io.cwd, '--lengths file')) : undefined;
    if (typeof lengths === 'string') throw new UsageError(`--lengths ${lengthsPath}: ${lengths}`);
    let recipe;
    try {
      recipe = renderRecipe(spec, lengths ? { lengths } : {});
    } catch (e) {
      if (e instanceof SpecError) {
        io.err(e.message + '\n');
        return EXIT_FAILED;
      }
      throw e;
    }
    const dir = isAbsolute(out) ? out : resolve(io.cwd, out);
    const existing = recipe.files.filter((f) => existsSync(join(dir, f.path))).map((f) => f.path);
    if (existing.length && !args.flags.force) {
      io.err(`ml-intern recipe: ${existing.join(', ')} already exist in ${out}; pass --force to overwrite\n`);
      return EXIT_FAILED;
    }
    for (const f of recipe.files) {
      const p = join(dir, f.path);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, f.content);
    }
    const result = {
      outDir: dir,
      files: recipe.files.map((f) => ({ path: join(dir, f.path), description: f.description })),
      commands: recipe.commands,
      notes: recipe.notes,
      targets: { trl: recipe.targets.trl, transformers: recipe.targets.transformers, peft: recipe.targets.peft },
    };
    printResult(io, args, result, (r: typeof result) => [
      `Wrote ${r.files.length} file(s) to ${out}:`,
      ...r.files.map((f) => `  ${f.path}  (${f.description})`),
      'Run (from that folder):',
      // Quoted for pasting into a shell: a model id or folder with a quote, a ; or a line break stays one word.
      ...r.commands.map((c) => `  ${shellLine(c.argv)}    # ${commentText(c.description)}`),
      ...(r.notes.length ? ['Notes:', ...r.notes.map((n) => `  - ${n}`)] : []),
    ].join('\n'));
    return EXIT_OK;
  },
};
