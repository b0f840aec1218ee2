/**
 * Issue 24: the exact reproductions. Strings from the spec or the data that used to run as Python
 * (the generated script is executed here with the real Python: no PWNED file may appear), and spec
 * values of the wrong type or out of range that used to be written into train.py (now: exit 1 from
 * `ml-intern recipe`, the field, its value and the allowed range named, nothing written).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/main';
import { CliIo } from '../../../src/cli/command';
import { recipeCommand } from '../../../src/cli/commands/recipe';
import { readConfig, RecipeSpec, resolveSpec, SpecError } from '../../../src/core/recipes';
import { FIELD_CHECKS } from '../../../src/core/recipes/specChecks';

const PAYLOAD = 'x"""; __import__("os").system("touch PWNED"); """';
const SFT = { method: 'sft', baseModel: 'Q/x', dataset: 'data/train.jsonl', columnMapping: { text: 't' } };

function io(cwd: string): CliIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', cwd, env: {} as NodeJS.ProcessEnv, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
  return o;
}

async function recipe(spec: unknown): Promise<{ dir: string; code: number; o: ReturnType<typeof io> }> {
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-spec-'));
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
  const o = io(dir);
  const code = await runCli(['recipe', 'spec.json', '--out', 'o'], o, [recipeCommand]);
  return { dir, code, o };
}

const MAP_ROWS = join(__dirname, '..', '..', 'fixtures', 'map_rows.py');

/**
 * Runs a generated script with the real Python from its folder (torch & co. are absent here, so it
 * stops at its first heavy import), then, for train.py, its row mapping on `row` as main() applies it.
 */
function runScript(dir: string, script: string, row?: Record<string, string>): string {
  const cwd = join(dir, 'o');
  spawnSync('python3', [script], { cwd, encoding: 'utf8', timeout: 30_000 });
  if (!row) return '';
  writeFileSync(join(cwd, 'rows.jsonl'), JSON.stringify(row) + '\n');
  const r = spawnSync('python3', [MAP_ROWS, script, 'rows.jsonl'], { cwd, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** [what, spec, the script to run, a row for train.py's mapping (whose column names may be the planted ones)]. */
const HOSTILE_SPECS: [string, Record<string, unknown>, string, Record<string, string>?][] = [
  ['a dataset name (issue 24)', { ...SFT, dataset: PAYLOAD }, 'train.py', { t: 'hello' }],
  ['a data file name', { ...SFT, dataset: `data/${PAYLOAD}.jsonl` }, 'train.py', { t: 'hello' }],
  ['a column name', { ...SFT, columnMapping: { user: PAYLOAD, assistant: 'a' } }, 'train.py', { [PAYLOAD]: 'question', a: 'answer' }],
  ['a preference column name', { ...SFT, method: 'dpo', columnMapping: { prompt: 'p', chosen: PAYLOAD, rejected: 'r' } }, 'train.py', { p: 'q', [PAYLOAD]: 'good', r: 'bad' }],
  ['an unpaired (KTO) label column name', { ...SFT, method: 'kto', columnMapping: { prompt: 'p', completion: 'c', label: PAYLOAD } }, 'train.py', { p: 'q', c: 'a', [PAYLOAD]: 'true' }],
  ['the base model (--model)', { ...SFT, baseModel: PAYLOAD }, 'train.py', { t: 'hello' }],
  ['the model folder of a push', { method: 'push', baseModel: 'Q/x', hubRepo: 'me/m', modelPath: PAYLOAD }, 'push_to_hub.py'],
  ['the base model of an evaluation', { method: 'eval', baseModel: PAYLOAD, modelPath: 'out' }, 'merge_adapter.py'],
];

for (const [what, spec, script, row] of HOSTILE_SPECS) {
  test(`${what} with a planted call is written as data: running ${script}${row ? ' and its row mapping' : ''} creates no file`, async () => {
    const { dir, code, o } = await recipe(spec);
    assert.equal(code, 0, o.stderr);
    const mapped = runScript(dir, script, row);
    if (row) assert.doesNotMatch(mapped, /"error"/, 'the row still maps');
    assert.equal(existsSync(join(dir, 'o', 'PWNED')), false, `${script} ran the planted call:\n${readFileSync(join(dir, 'o', script), 'utf8').slice(0, 800)}`);
    const py = spawnSync('python3', ['-c', 'import ast,sys; ast.parse(open(sys.argv[1], encoding="utf-8").read())', join(dir, 'o', script)], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
  });
}

test('the planted dataset reads back exactly from the CONFIG block and the command line quotes it', async () => {
  const { dir, o } = await recipe({ ...SFT, dataset: PAYLOAD });
  assert.equal(readConfig(readFileSync(join(dir, 'o', 'train.py'), 'utf8')).DATASET, PAYLOAD);
  const weird = await recipe({ method: 'merge', mergeMethod: 'linear', models: [{ model: 'a/b', weight: 0.5 }, { model: 'c/d', weight: 0.5 }], outputDir: "it's; rm -rf ~" });
  assert.match(weird.o.stdout, /mergekit-yaml config\.yaml '\.\/it'\\''s; rm -rf ~' --cuda/);
  assert.ok(o.stdout.includes('python train.py'));
});

const BAD: [string, unknown, RegExp][] = [
  ['bf16', 'false', /bf16: must be true or false, without quotes \(got "false"\)/],
  ['seed', 'abc', /seed: must be a whole number from 0 to 4,294,967,295 \(got "abc"\)/],
  ['loggingSteps', 0, /loggingSteps: must be a whole number from 1 to 1,000,000,000 \(got 0\)/],
  ['evalSteps', -1, /evalSteps: must be a whole number from 1 to 1,000,000,000 \(got -1\)/],
  ['warmupRatio', -5, /warmupRatio: must be a number in \[0, 1\) \(got -5\)/],
  ['learningRate', 1e9, /learningRate: must be a number in \(0, 1\] \(got 1000000000\)/],
  ['maxLength', 1e9, /maxLength: must be a whole number from 1 to 1,048,576 \(got 1000000000\)/],
  ['epochs', 1e308, /epochs: must be a number in \(0, 1000\] \(got 1e\+308\)/],
];

for (const [field, value, message] of BAD) {
  test(`recipe refuses ${field}: ${JSON.stringify(value)} naming the field, the value and the range, and writes nothing`, async () => {
    const { dir, code, o } = await recipe({ ...SFT, [field]: value });
    assert.equal(code, 1);
    assert.match(o.stderr, message);
    assert.equal(existsSync(join(dir, 'o')), false);
  });
}

function problems(spec: unknown): string[] {
  try {
    resolveSpec(spec);
    return [];
  } catch (err) {
    if (err instanceof SpecError) return err.problems;
    throw err;
  }
}

/** A wrong value per field (type or range); every field of the table has one, so a new field cannot go unchecked. */
const WRONG: Record<string, unknown> = {
  baseModel: 'org/x\nmodels:', dataset: 42, datasetSplit: '', hubPrivate: 'yes', columnMapping: { question: 'q' }, datasetFormat: 7, systemPrompt: ['a'],
  maxLength: 1.5, maxPromptLength: 0, outputDir: 'out\nevil: 1', learningRate: 0, epochs: 1001, perDeviceTrainBatchSize: 0, gradientAccumulationSteps: 2.5,
  gradientCheckpointing: 1, loraR: -1, loraAlpha: 'x', loraDropout: 1, targetModules: [1], beta: 0, warmupRatio: 1, lrSchedulerType: 'Cosine!',
  seed: 2 ** 32, saveTotalLimit: 0, saveSteps: 0.5, evalSteps: '10', loggingSteps: -3, bf16: 'true', fp16: 0, attnImplementation: 'sdpa; rm',
  env: { packages: { trl: '1.0"""' } }, inspection: { rows: -1 }, modelPath: 'a\u0000b', modelFolder: 'a\nb', evalTasks: 'mmlu', evalResults: [{ task: 'mmlu', base: 'high' }],
  models: [{ model: 'a/b', weight: 1, extra: true }], mergeLayers: '32\nevil: 1',
  numGenerations: 1, maxCompletionLength: 0, lossType: 5, temperature: 0, rewards: [{ name: 'format', weight: 'high' }],
};

test('every spec field is type- and range-checked, each problem naming its field', () => {
  assert.deepEqual(Object.keys(WRONG).sort(), Object.keys(FIELD_CHECKS).sort(), 'a wrong value for every checked field');
  for (const [field, value] of Object.entries(WRONG)) {
    const base: RecipeSpec = field === 'models' || field === 'mergeLayers'
      ? { method: 'merge', mergeMethod: 'linear', models: [{ model: 'a/b', weight: 1 }] }
      : { ...(SFT as RecipeSpec) };
    const found = problems({ ...base, [field]: value });
    assert.ok(found.some((p) => p.startsWith(`${field}: `)), `${field}: ${JSON.stringify(value)} -> ${JSON.stringify(found)}`);
  }
});

test('a misspelled field is named with the right spelling instead of being ignored', () => {
  assert.ok(problems({ ...SFT, learning_rate: 1e-5 }).some((p) => /^learning_rate: not a recipe spec field \(did you mean "learningRate"\?\)/.test(p)));
  assert.ok(problems({ ...SFT, num_epochs: 1 }).some((p) => /^num_epochs: not a recipe spec field;/.test(p)));
});

test('good values and null (the default) pass; a LightEval model path with a comma is refused', () => {
  assert.deepEqual(problems({ ...SFT, bf16: false, fp16: null, seed: 0, warmupRatio: 0, learningRate: 1, maxLength: 1_048_576, epochs: 0.5, targetModules: ['q_proj'], attnImplementation: 'flash_attention_2', env: { packages: { trl: '0.12.0.dev0', torch: '2.5.1+cu121', weird: 'n/a' } } }), []);
  assert.deepEqual(problems({ ...SFT, columnMapping: { text: 't', system: null }, inspection: { mapping: { user: null, text: 't' }, columns: ['t'] } }), [], 'a role mapped to null is not mapped');
  assert.ok(problems({ method: 'eval', baseModel: 'Q/x', modelPath: 'out,trust_remote_code=True' }).some((p) => p.startsWith('modelPath: LightEval cannot take a model path with a comma')));
});
