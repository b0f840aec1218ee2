/**
 * The memory plan counts the rows the token preview measured instead of MAX_LENGTH for every row:
 * the longest row after truncation (each micro-batch is padded to its longest row), MAX_LENGTH with
 * packing. Figures from the planner's own table (Qwen2.5-0.5B, Llama-3.1-8B) on a 24 GiB card.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateMemory, planBatch, resolveDims } from '../../../src/core/recipes/estimate';
import { MeasuredLengths, measuredLengthsOf, planRowLength } from '../../../src/core/recipes/lengthPlan';
import { renderRecipe } from '../../../src/core/recipes';
import { readConfig } from '../../../src/core/recipes/configBlock';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/main';
import { recipeCommand } from '../../../src/cli/commands/recipe';

const MEASURED: MeasuredLengths = { rows: 300, sampled: false, total_rows: 300, mean: 180.4, longest: 512, p95: 301, p99: 455, truncated: 0 };
const CARD_MIB = 24 * 1024;

test('the plan counts the longest measured row after truncation, and says which length and why', () => {
  const rows = planRowLength(MEASURED, 2048);
  assert.equal(rows.tokens, 512);
  assert.equal(rows.measured, true);
  assert.match(rows.why, /rows of up to 512 tokens, the longest of all 300 rows/);
  assert.match(rows.why, /p95 301, p99 455; MAX_LENGTH 2,048/);
  assert.match(rows.why, /padded to its longest row/);

  // Rows longer than MAX_LENGTH are cut there: the plan stays at MAX_LENGTH.
  const long = planRowLength({ ...MEASURED, longest: 3000, truncated: 7 }, 2048);
  assert.deepEqual([long.tokens, long.measured], [2048, false]);
  assert.match(long.why, /7 measured row\(s\) reach it and are truncated/);

  // Packing fills every row towards MAX_LENGTH, however short the examples.
  const packed = planRowLength({ ...MEASURED, packing_efficiency: 0.93 }, 2048);
  assert.deepEqual([packed.tokens, packed.measured], [2048, false]);
  assert.match(packed.why, /packing fills each row towards it \(measured packing efficiency 93 %\)/);

  // A sample of a bigger set: rows not measured may be longer, and MAX_LENGTH at the planned length makes it a bound.
  const sampled = planRowLength({ ...MEASURED, rows: 2000, sampled: true, total_rows: 50000 }, 2048);
  assert.equal(sampled.tokens, 512);
  assert.match(sampled.why, /the first 2,000 of 50,000 rows/);
  assert.match(sampled.why, /MAX_LENGTH = 512 makes it a bound/);

  // Nothing measured: MAX_LENGTH, said.
  assert.equal(planRowLength({ ...MEASURED, rows: 0, longest: 0 }, 1024).tokens, 1024);
});

test('activations and logits scale with the measured row length; weights do not; MAX_LENGTH caps it', () => {
  const dims = resolveDims({ baseModel: 'Qwen/Qwen2.5-0.5B-Instruct' });
  const at = (rowTokens?: number) => estimateMemory({ dims, adapter: 'lora', method: 'sft', maxLength: 2048, rowTokens, perDeviceTrainBatchSize: 8, gradientCheckpointing: false });
  const full = at(undefined);
  const short = at(512);
  assert.equal(full.totalGiB, 53.88);
  assert.equal(short.totalGiB, 15.07);
  assert.equal(short.breakdownGiB.weights, full.breakdownGiB.weights);
  assert.ok(Math.abs(short.breakdownGiB.activations * 4 - full.breakdownGiB.activations) < 0.05, `${short.breakdownGiB.activations} x 4 vs ${full.breakdownGiB.activations}`);
  assert.ok(Math.abs(short.breakdownGiB.logits * 4 - full.breakdownGiB.logits) < 0.05);
  assert.deepEqual(at(4096), full, 'a row longer than MAX_LENGTH is truncated to it');
});

test('on a 24 GiB card the measured rows change the plan: a bigger micro-batch, LoRA where MAX_LENGTH needed QLoRA', () => {
  const qwen = { baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', adapter: 'lora' as const, method: 'sft' as const, maxLength: 2048, perDeviceTrainBatchSize: 8, gradientAccumulationSteps: 2 };
  const assumed = planBatch(qwen, CARD_MIB);
  const measured = planBatch({ ...qwen, rowTokens: 512 }, CARD_MIB);
  assert.deepEqual([assumed.perDeviceTrainBatchSize, assumed.gradientAccumulationSteps], [2, 8]);
  assert.deepEqual([measured.perDeviceTrainBatchSize, measured.gradientAccumulationSteps, measured.gradientCheckpointing], [8, 2, false]);

  const llama = { ...qwen, baseModel: 'meta-llama/Llama-3.1-8B-Instruct' };
  assert.equal(planBatch(llama, CARD_MIB).adapter, 'qlora');
  assert.equal(planBatch({ ...llama, rowTokens: 512 }, CARD_MIB).adapter, 'lora');
});

test('a recipe rendered with the preview\'s lengths plans for them and says so in its notes and CONFIG comment', () => {
  const spec = { method: 'sft' as const, baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/qa.jsonl', adapter: 'lora' as const, columnMapping: { user: 'question', assistant: 'answer' }, maxLength: 2048, perDeviceTrainBatchSize: 8, gradientAccumulationSteps: 2 };
  const plain = renderRecipe(spec, { gpuMemoryMiB: CARD_MIB });
  const measured = renderRecipe(spec, { gpuMemoryMiB: CARD_MIB, lengths: MEASURED });
  const config = (r: typeof plain) => readConfig(r.files.find((f) => f.path === 'train.py')!.content);
  assert.equal(config(plain).PER_DEVICE_TRAIN_BATCH_SIZE, 2);
  assert.equal(config(measured).PER_DEVICE_TRAIN_BATCH_SIZE, 8);
  assert.equal(config(measured).MAX_LENGTH, 2048, 'MAX_LENGTH itself is the user\'s');
  assert.ok(measured.notes.some((n) => /^Memory estimate: ~15\.07 GiB of 24 GiB with micro-batch 8, planned for rows of up to 512 tokens/.test(n)), measured.notes.join('\n'));
  assert.ok(plain.notes.some((n) => /planned for MAX_LENGTH \(2,048 tokens\) per row: no token preview measured the rows/.test(n)), plain.notes.join('\n'));
  const script = measured.files.find((f) => f.path === 'train.py')!.content;
  assert.match(script, /^PER_DEVICE_TRAIN_BATCH_SIZE = 8 +# .*planned for rows of up to 512 tokens \(the longest the token preview measured\)/m);
  assert.doesNotMatch(plain.files.find((f) => f.path === 'train.py')!.content, /token preview measured/);
});

test('ml-intern recipe --lengths plans for a preview\'s measured rows; a file without lengths is refused naming the field', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-lengths-'));
  try {
    const spec = { method: 'sft', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/qa.jsonl', adapter: 'lora', columnMapping: { user: 'question', assistant: 'answer' }, maxLength: 2048, perDeviceTrainBatchSize: 8, gradientAccumulationSteps: 2, env: { gpus: [{ name: 'L4', memoryTotalMiB: CARD_MIB }] } };
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
    // What `ml-intern preflight --json` prints (and a run folder's preview.json keeps): the lengths beside rows and checks.
    writeFileSync(join(dir, 'preview.json'), JSON.stringify({ script: 'train.py', rows: [], checks: [], lengths: { ...MEASURED, sample_limit: 2000, max_length: 2048, dropped: 0, histogram: [], measured: 'the whole example' } }));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ lengths: { ...MEASURED, longest: 'long' } }));
    const io = () => {
      const o = { stdout: '', stderr: '', cwd: dir, env: {} as NodeJS.ProcessEnv, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
      return o;
    };
    const o = io();
    assert.equal(await runCli(['recipe', 'spec.json', '--out', 'run', '--lengths', 'preview.json'], o, [recipeCommand]), 0, o.stderr);
    assert.match(o.stdout, /planned for rows of up to 512 tokens/);
    assert.equal(readConfig(readFileSync(join(dir, 'run', 'train.py'), 'utf8')).PER_DEVICE_TRAIN_BATCH_SIZE, 8);
    const plain = io();
    assert.equal(await runCli(['recipe', 'spec.json', '--out', 'plain'], plain, [recipeCommand]), 0, plain.stderr);
    assert.equal(readConfig(readFileSync(join(dir, 'plain', 'train.py'), 'utf8')).PER_DEVICE_TRAIN_BATCH_SIZE, 2);
    const bad = io();
    assert.equal(await runCli(['recipe', 'spec.json', '--out', 'bad', '--lengths', 'bad.json'], bad, [recipeCommand]), 2);
    assert.match(bad.stderr, /--lengths bad\.json: lengths\.longest is not a number/);
    assert.match(String(measuredLengthsOf({ rows: [] })), /no "lengths" object|lengths\.rows/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
