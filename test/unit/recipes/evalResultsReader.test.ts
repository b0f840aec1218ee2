/**
 * compare_results.py run with the real python3 on LightEval results files written in the shapes each
 * release writes them. The shapes are built here from lighteval's own code at each tag (not copied
 * files): logging/info_loggers.py MetricsLogger.aggregate (task keys, the ":_average" group rows, "all"),
 * logging/evaluation_tracker.py save_results (results/<model name>/results_<date>.json, or the
 * --results-path-template folder) and GeneralConfigLogger (config_general, model_config since 0.11).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderRecipe } from '../../../src/core/recipes';
import { COMPARE_RESULTS_SCRIPT } from '../../../src/core/recipes/templates/compareResults';
import { comparisonCaveats, parseComparison } from '../../../src/core/session/artifactSession';

type Metrics = Record<string, number>;
interface Row { task: string; base: number | null; trained: number | null; benchmark: string; variant: string; fewshot: number; metric: string; comparable: boolean; note: string }

const SUBJECTS = ['anatomy', 'astronomy', 'virology'];

/** metric_aggregated as MetricsLogger.aggregate leaves it: per-task metrics, then "<suite|>family:_average|n" over the subtasks, then "all". */
function aggregated(keyOf: (task: string, fewshot: number) => string, mmlu: number[], gsm8k: number, mmluMetric: string, gsmMetric: string): Record<string, Metrics> {
  const out: Record<string, Metrics> = {};
  SUBJECTS.forEach((s, i) => (out[keyOf(`mmlu:${s}`, 5)] = { [mmluMetric]: mmlu[i], [`${mmluMetric}_stderr`]: 0.04 }));
  out[keyOf('gsm8k', 5)] = { [gsmMetric]: gsm8k, [`${gsmMetric}_stderr`]: 0.013 };
  const all: Metrics = {};
  const counts: Record<string, number> = {};
  for (const metrics of Object.values(out)) for (const [m, v] of Object.entries(metrics)) { all[m] = (all[m] ?? 0) + v; counts[m] = (counts[m] ?? 0) + 1; }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  out[keyOf('mmlu:_average', 5)] = { [mmluMetric]: mean(mmlu), [`${mmluMetric}_stderr`]: 0.04 };
  for (const m of Object.keys(all)) all[m] /= counts[m];
  out.all = all;
  return out;
}

interface Shape { configGeneral: Record<string, unknown>; results: Record<string, Metrics> }

/** 0.8–0.10: keys "suite|task|fewshot", config_general without model_config (its "config" popped). */
function v08(model: string, mmlu: number[], gsm8k: number): Shape {
  return {
    configGeneral: { lighteval_sha: '?', num_fewshot_seeds: 1, override_batch_size: -1, max_samples: null, job_id: 0, start_time: 1.0, end_time: 2.0, total_evaluation_time_secondes: '1.0', model_name: model, model_sha: '', model_dtype: 'torch.bfloat16', model_size: '15.0 GB', generation_parameters: {} },
    results: aggregated((t, n) => `leaderboard|${t}|${n}`, mmlu, gsm8k, 'acc', 'em'),
  };
}

/** 0.11–0.12: keys still "suite|task|fewshot"; config_general.model_config is the model config's model_dump(). */
function v011(model: string, mmlu: number[], gsm8k: number, suite: string, chat: boolean | null, maxSamples: number | null = null): Shape {
  return {
    configGeneral: { lighteval_sha: '?', num_fewshot_seeds: 1, max_samples: maxSamples, job_id: '0', start_time: 1.0, end_time: 2.0, total_evaluation_time_secondes: '1.0', model_config: { model_name: model, dtype: 'bfloat16', override_chat_template: chat, system_prompt: null }, model_name: model },
    results: aggregated((t, n) => `${suite}|${t}|${n}`, mmlu, gsm8k, suite === 'leaderboard' ? 'acc' : 'em', suite === 'leaderboard' ? 'em' : 'extractive_match'),
  };
}

/** 0.13 and main: keys "task|fewshot" (registry.py dropped the suite), aggregate splits them in two. */
function v013(model: string, mmlu: number[], gsm8k: number, chat: boolean | null): Shape {
  const shape = v011(model, mmlu, gsm8k, 'lighteval', chat);
  return { ...shape, results: aggregated((t, n) => `${t}|${n}`, mmlu, gsm8k, 'em', 'extractive_match') };
}

/** Writes the file where save_results puts it: <output>/results/<model_name.strip("/")>/results_<isoformat with - for :>.json, or a template folder. */
function save(outputDir: string, shape: Shape, templateFolder?: string): void {
  const model = String(shape.configGeneral.model_name).replace(/^\/+|\/+$/g, '');
  const folder = templateFolder ? join(outputDir, templateFolder) : join(outputDir, 'results', model);
  mkdirSync(folder, { recursive: true });
  const body = { config_general: shape.configGeneral, results: shape.results, versions: {}, config_tasks: {}, summary_tasks: {}, summary_general: {} };
  writeFileSync(join(folder, 'results_2026-01-02T03-04-05.678901.json'), JSON.stringify(body, null, 2));
}

function compare(base: Shape, trained: Shape, layout?: { base?: string; trained?: string }): { rows: Row[]; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-eval-'));
  writeFileSync(join(dir, 'compare_results.py'), COMPARE_RESULTS_SCRIPT);
  save(join(dir, 'results', 'base'), base, layout?.base);
  save(join(dir, 'results', 'trained'), trained, layout?.trained);
  const r = spawnSync('python3', ['compare_results.py'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { rows: JSON.parse(readFileSync(join(dir, 'results', 'comparison.json'), 'utf8')) as Row[], stdout: r.stdout, stderr: r.stderr };
}

const byBenchmark = (rows: Row[], b: string) => rows.find((r) => r.benchmark === b);
const close = (a: number | null | undefined, b: number) => assert.ok(a !== null && a !== undefined && Math.abs(a - b) < 1e-9, `${a} ≈ ${b}`);

test('LightEval 0.13 keys (mmlu:anatomy|5, gsm8k|5): one row per benchmark, not one row named "5"', () => {
  const { rows, stdout } = compare(v013('meta-llama/Llama-3.1-8B', [0.5, 0.6, 0.7], 0.3, false), v013('tmp/outputs/med-merged', [0.55, 0.65, 0.75], 0.4, false));
  assert.deepEqual(rows.map((r) => r.task).sort(), ['gsm8k (lighteval, 5-shot, extractive_match)', 'mmlu (lighteval, 5-shot, em)']);
  assert.ok(!rows.some((r) => r.task === '5' || r.benchmark === '5'));
  close(byBenchmark(rows, 'mmlu')?.base, 0.6);
  close(byBenchmark(rows, 'mmlu')?.trained, 0.65);
  close(byBenchmark(rows, 'gsm8k')?.trained, 0.4);
  assert.ok(rows.every((r) => r.comparable && r.fewshot === 5));
  assert.match(stdout, /exact match of the generated answer/);
});

test('LightEval 0.8–0.10 keys (leaderboard|mmlu:anatomy|5): the leaderboard variant and its log-likelihood accuracy', () => {
  const { rows } = compare(v08('m/base', [0.4, 0.5, 0.6], 0.2), v08('outputs/full', [0.45, 0.5, 0.7], 0.25));
  const mmlu = byBenchmark(rows, 'mmlu');
  assert.equal(mmlu?.task, 'mmlu (leaderboard, 5-shot, acc)');
  close(mmlu?.base, 0.5);
  close(mmlu?.trained, 0.55);
  assert.equal(byBenchmark(rows, 'gsm8k')?.metric, 'em');
  assert.equal(rows.length, 2, 'the "all" row is not a benchmark');
});

test('LightEval 0.11 on a local model path (nested results folder) and 0.12 through --results-path-template', () => {
  const nested = compare(v011('m/base', [0.3, 0.3, 0.3], 0.1, 'leaderboard', false), v011('/abs/outputs/med-merged', [0.4, 0.4, 0.4], 0.2, 'leaderboard', false));
  close(byBenchmark(nested.rows, 'mmlu')?.trained, 0.4);
  const templated = compare(v011('org/base', [0.3, 0.3, 0.3], 0.1, 'lighteval', false), v011('org/tuned', [0.4, 0.4, 0.4], 0.2, 'lighteval', false), { base: 'org_base', trained: 'org_tuned' });
  assert.equal(byBenchmark(templated.rows, 'mmlu')?.task, 'mmlu (lighteval, 5-shot, em)');
  close(byBenchmark(templated.rows, 'gsm8k')?.base, 0.1);
});

test('runs evaluated differently are marked not comparable, with the reason', () => {
  const chat = compare(v013('m/base', [0.3, 0.3, 0.3], 0.1, null), v013('out', [0.4, 0.4, 0.4], 0.2, false));
  assert.ok(chat.rows.every((r) => !r.comparable && /override_chat_template/.test(r.note)));
  assert.match(chat.stderr, /NOT COMPARABLE/);
  assert.match(chat.stdout, /not comparable/);
  const capped = compare(v011('m/base', [0.3, 0.3, 0.3], 0.1, 'lighteval', false, 100), v011('out', [0.4, 0.4, 0.4], 0.2, 'lighteval', false));
  assert.ok(capped.rows.every((r) => !r.comparable && /max_samples/.test(r.note)));
  // what the Evaluate step's summary shows under the table
  const text = JSON.stringify(capped.rows);
  assert.equal(parseComparison(text).length, 2);
  assert.deepEqual(comparisonCaveats(text).length, 2);
  assert.match(comparisonCaveats(text)[0], /max_samples was 100 for the base and None for the trained model/);
});

test('a benchmark scored under another variant for one model stays in its own row', () => {
  const { rows } = compare(v011('m/base', [0.3, 0.3, 0.3], 0.1, 'leaderboard', false), v011('out', [0.4, 0.4, 0.4], 0.2, 'lighteval', false));
  const mmluRows = rows.filter((r) => r.benchmark === 'mmlu');
  assert.equal(mmluRows.length, 2);
  assert.ok(mmluRows.every((r) => !r.comparable && (r.base === null) !== (r.trained === null)));
});

test('task strings and the chat-template pin follow the installed LightEval', () => {
  const argvFor = (lighteval?: string) => renderRecipe({ method: 'eval', baseModel: 'm/x', adapter: 'full', modelPath: 'out', ...(lighteval ? { env: { packages: { lighteval } } } : {}) }).commands[0].argv;
  assert.ok(argvFor('0.10.0').includes('leaderboard|mmlu|5|0,leaderboard|gsm8k|5|0'));
  assert.ok(argvFor('0.11.0').includes('leaderboard|mmlu|5,leaderboard|gsm8k|5'));
  assert.ok(argvFor('0.12.2').includes('lighteval|mmlu|5,lighteval|gsm8k|5'));
  assert.ok(argvFor('0.13.0').includes('mmlu|5,gsm8k|5'));
  assert.ok(argvFor(undefined).includes('lighteval|mmlu|5,lighteval|gsm8k|5'));
  assert.ok(argvFor('0.13.0').includes('model_name=m/x,dtype=bfloat16,override_chat_template=False'));
  assert.ok(argvFor('0.10.0').includes('model_name=m/x,dtype=bfloat16'));
  const notes = renderRecipe({ method: 'eval', baseModel: 'm/x', adapter: 'full', modelPath: 'out', env: { packages: { lighteval: '0.13.0' } } }).notes.join('\n');
  assert.match(notes, /generated exact match/);
});
