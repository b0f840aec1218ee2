// Failure texts produced by the real libraries (transformers 5.17.0, peft 0.21.0, torch 2.11.0 on the
// H200 machine; scripts/gpu-check/failures.py, one case per process, stdout+stderr as the terminal
// shows them): each is diagnosed as what it is, and the playbook's fix is the expected one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LogPipeline } from '../../../src/core/logs/pipeline';
import { diagnose } from '../../../src/core/recovery/diagnose';
import { playbook } from '../../../src/core/recovery/playbook';
import { failedDiagnosis } from '../../../src/core/recovery/repairLoop';
import { datasetFromScriptFolder } from '../../../src/core/recipes/scriptPaths';

const DIR = path.resolve(__dirname, '../../fixtures/real-gpu/failures');
const read = (name: string) => readFileSync(path.join(DIR, `${name}.log`), 'utf8');

const EXPECTED: Record<string, string> = {
  renamed_kwarg: 'unexpected_kwarg',
  lora_typo: 'unexpected_kwarg',
  flash_attn_missing: 'flash_attn_missing',
  offline_hub: 'network_timeout',
  missing_pad_token: 'missing_pad_token',
  missing_chat_template: 'missing_chat_template',
  missing_module: 'module_not_found',
  nan_loss: 'nan_loss',
};

for (const [name, category] of Object.entries(EXPECTED)) {
  test(`real ${name} output is diagnosed as ${category}`, () => {
    assert.equal(diagnose(read(name)).category, category);
  });
}

test('the renamed TrainingArguments keyword is renamed by the playbook; a typo is left to the LLM', () => {
  const renamed = diagnose(read('renamed_kwarg'));
  assert.deepEqual(renamed.details, { kwarg: 'evaluation_strategy', className: 'TrainingArguments' });
  const script = 'from transformers import TrainingArguments\nargs = TrainingArguments(output_dir="out", evaluation_strategy="steps")\n';
  const fix = playbook({ diagnosis: renamed, script });
  assert.equal(fix.kind, 'edit');
  if (fix.kind === 'edit') assert.match(fix.script, /TrainingArguments\(output_dir="out", eval_strategy="steps"\)/);

  const typo = diagnose(read('lora_typo'));
  assert.deepEqual(typo.details, { kwarg: 'target_module', className: 'LoraConfig' });
  // Not a rename the table knows: the LLM repairs it (and validate_script's "did you mean 'target_modules'?"
  // catches it before the run).
  const lora = playbook({ diagnosis: typo, script: 'from peft import LoraConfig\nLoraConfig(r=16, target_module=["q_proj"])\n' });
  assert.deepEqual(lora, { kind: 'llm', reason: "no known rename for 'target_module'" });
});

test('the missing module becomes a pip install to approve', () => {
  const fix = playbook({ diagnosis: diagnose(read('missing_module')), script: 'import trl\n' });
  assert.equal(fix.kind, 'command');
  if (fix.kind === 'command') assert.deepEqual(fix.argv.slice(-2), ['install', 'trl']);
});

test('the diverged run (transformers 5 prints {\'grad_norm\': \'nan\'}): NaN on the chart, loss 0 after it', () => {
  const points: Array<{ loss?: number; gradNorm?: number }> = [];
  const p = new LogPipeline({ onMetric: (pt, kind) => kind === 'train' && points.push({ loss: pt.loss, gradNorm: pt.gradNorm }) });
  p.pushBytes(Buffer.from(read('nan_loss')));
  p.end();
  assert.equal(points.length, 6);
  assert.ok(points.every((pt) => Number.isNaN(pt.gradNorm)));
  assert.deepEqual(points.slice(1).map((pt) => pt.loss), [0, 0, 0, 0, 0]);
});

test('the diverged run exited 0 on the real machine: it still counts as failed (nan_loss), not as finished', () => {
  // What a re-attached session and the repair loop both decide from (exit code 0 was the real one).
  assert.equal(failedDiagnosis({ exitCode: 0, logText: read('nan_loss') })?.category, 'nan_loss');
  assert.equal(failedDiagnosis({ exitCode: 0, logText: readFileSync(path.resolve(__dirname, '../../fixtures/real-gpu/transformers-5.17-trainer.log'), 'utf8') }), undefined);
});

test('the real run of `ml-intern fine-tune` on a GPU that looked for its data inside the script folder: the diagnosis names the file and what to set', () => {
  // Before the session wrote DATASET relative to the script's folder, the script looked for
  // data/train.jsonl inside sft-llama-chat/ (test/fixtures/real-gpu/cli, datasets 5.0.1).
  const text = readFileSync(path.resolve(__dirname, '../../fixtures/real-gpu/cli/sft-attempt-1-data-not-found.log'), 'utf8');
  const d = diagnose(text);
  assert.equal(d.category, 'dataset_schema');
  assert.equal(d.summary, "The data file '/tmp/mli-cli-ws/sft/sft-llama-chat/data/train.jsonl' does not exist: the script looks for DATASET from the folder it runs in; set DATASET in the CONFIG block to the file's path from there (or an absolute path).");
});

test('the session writes a workspace data file as seen from the script folder; Hub ids and absolute paths stay', () => {
  assert.equal(datasetFromScriptFolder('data/train.jsonl', 'sft-llama-chat'), '../data/train.jsonl');
  assert.equal(datasetFromScriptFolder('./data/a.csv', 'sft-x'), '../data/a.csv');
  assert.equal(datasetFromScriptFolder('sft-x/local.jsonl', 'sft-x'), './local.jsonl');
  assert.equal(datasetFromScriptFolder('HuggingFaceH4/ultrafeedback_binarized', 'dpo-x'), 'HuggingFaceH4/ultrafeedback_binarized');
  assert.equal(datasetFromScriptFolder('/data/train.jsonl', 'sft-x'), '/data/train.jsonl');
});
