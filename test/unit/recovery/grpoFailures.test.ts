/**
 * GRPO's own failure: trl refusing a generation batch that does not hold whole groups of
 * num_generations. The corpus cases (test/fixtures/failures/grpo_generation_batch, texts from trl's
 * sources per version) are diagnosed as such, and the playbook's fix on a real GRPO train.py
 * makes the batch divisible so trl (and the script's own start-up check) would accept it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig, renderRecipe, setConfig } from '../../../src/core/recipes';
import { diagnose } from '../../../src/core/recovery/diagnose';
import { playbook } from '../../../src/core/recovery/playbook';

const CASES = join(__dirname, '..', '..', 'fixtures', 'failures', 'grpo_generation_batch');

test('every generation-batch case of the corpus is diagnosed as grpo_generation_batch, with trl\'s line as evidence', () => {
  const files = readdirSync(CASES).filter((f) => f.endsWith('.log'));
  assert.ok(files.length >= 4);
  for (const f of files) {
    const d = diagnose(readFileSync(join(CASES, f), 'utf8'));
    assert.equal(d.category, 'grpo_generation_batch', f);
    assert.ok(d.evidence.some((e) => /divisible/.test(e)), `${f}: ${d.evidence.join(' | ')}`);
    assert.match(d.summary, /completions per prompt/);
  }
});

function grpoScript(trl: string, accumulation: number): string {
  const r = renderRecipe({ method: 'grpo', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/gsm8k.jsonl', columnMapping: { prompt: 'question', answer: 'answer' } },
    { env: { packages: { trl, transformers: '4.56.2', peft: '0.17.0' } } });
  return setConfig(setConfig(r.files[0].content, 'PER_DEVICE_TRAIN_BATCH_SIZE', 3), 'GRADIENT_ACCUMULATION_STEPS', accumulation);
}

test('the playbook raises GRADIENT_ACCUMULATION_STEPS to the smallest value holding whole groups (trl >= 0.17)', () => {
  const script = grpoScript('1.9.0', 2);
  const d = diagnose(readFileSync(join(CASES, 'trl19_generation_batch.log'), 'utf8'));
  const fix = playbook({ diagnosis: d, script });
  assert.equal(fix.kind, 'edit');
  if (fix.kind !== 'edit') return;
  const cfg = readConfig(fix.script);
  assert.equal(cfg.GRADIENT_ACCUMULATION_STEPS, 8, fix.description);
  assert.equal((3 * 8) % (cfg.NUM_GENERATIONS as number), 0);
  assert.match(fix.description, /GRADIENT_ACCUMULATION_STEPS 2 -> 8/);
});

test('with trl 0.15-0.16 (accumulation does not count) the user is asked instead of a fix that would fail again', () => {
  const d = diagnose(readFileSync(join(CASES, 'trl016_global_batch.log'), 'utf8'));
  const fix = playbook({ diagnosis: d, script: grpoScript('0.16.0', 2) });
  assert.equal(fix.kind, 'user');
  if (fix.kind === 'user') assert.match(fix.question, /PER_DEVICE_TRAIN_BATCH_SIZE to a multiple of NUM_GENERATIONS/);
});
