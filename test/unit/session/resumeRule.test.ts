/**
 * RESUME_FROM_CHECKPOINT = "auto" goes on only from a checkpoint of the same run that is not finished.
 * The generated train.py's own functions (its CONFIG block and the helpers between its "resume rule"
 * markers) run with the real python3 on temp folders; the session's mirror (checkpointState) must
 * decide the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_END, CONFIG_START, setConfig } from '../../../src/core/recipes/configBlock';
import { renderRecipe } from '../../../src/core/recipes';
import { RESUME_BEGIN, RESUME_END } from '../../../src/core/recipes/templates/resumePy';
import { checkpointState } from '../../../src/core/run/checkpoints';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { MEDICAL_QA_REQUEST } from '../../support/sampleRequest';

const rendered = renderRecipe({ ...MEDICAL_QA_REQUEST, outputDir: 'outputs/run1' } as never).files.find((f) => f.path === 'train.py')!.content;

function between(text: string, start: string, end: string): string {
  const a = text.indexOf(start);
  const b = text.indexOf(end, a);
  assert.ok(a >= 0 && b > a, `${start} … ${end} in train.py`);
  return text.slice(a, b + end.length);
}

/** The script's CONFIG block and resume helpers, then `code`, run by python3 in the script's folder. */
function runScriptPart(script: string, cwd: string, code: string): string {
  const source = ['import hashlib, json, os, time', between(script, CONFIG_START, CONFIG_END), between(script, RESUME_BEGIN, RESUME_END), code].join('\n');
  const r = spawnSync('python3', ['-c', source], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** A workspace with train.py in sft/ and a local data file, as the recipe lays them out. */
function workspace(script = rendered): { ws: string; dir: string; files: NodeFileStore } {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-resume-rule-'));
  const dir = join(ws, 'sft');
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'data', 'medical_qa.jsonl'), '{"patient_query": "q", "doctor_response": "a"}\n');
  writeFileSync(join(dir, 'train.py'), script);
  return { ws, dir, files: new NodeFileStore(ws) };
}

/** A checkpoint as the Trainer and the script's RunRecordCallback leave it, written by the script that trained it. */
function saveCheckpoint(script: string, dir: string, step: number, maxSteps: number): void {
  runScriptPart(script, dir, [
    `folder = os.path.join(OUTPUT_DIR, "checkpoint-${step}")`,
    'os.makedirs(folder, exist_ok=True)',
    `json.dump({"global_step": ${step}, "max_steps": ${maxSteps}}, open(os.path.join(folder, "trainer_state.json"), "w"))`,
    'write_run_record(folder, run_record())',
  ].join('\n'));
}

const decide = (script: string, dir: string) => runScriptPart(script, dir, 'print("->", checkpoint_to_resume())');

test('a finished run, then CONFIG edited (learning rate) and rerun: starts over and says why, instead of training 0 steps', async () => {
  const { dir, files } = workspace();
  saveCheckpoint(rendered, dir, 100, 100);
  const edited = setConfig(rendered, 'LEARNING_RATE', 5e-5);
  writeFileSync(join(dir, 'train.py'), edited);
  const out = decide(edited, dir);
  assert.match(out, /Starting over: outputs\/run1\/checkpoint-100 was trained with a different LEARNING_RATE/);
  assert.match(out, /-> None\n/);
  assert.deepEqual(await checkpointState(files, 'sft/train.py'), { step: 0, resumes: true });
});

test('a run interrupted at step 40 of 100, same CONFIG: resumes from its checkpoint (script and session agree)', async () => {
  const { dir, files } = workspace();
  saveCheckpoint(rendered, dir, 20, 100);
  saveCheckpoint(rendered, dir, 40, 100);
  const out = decide(rendered, dir);
  assert.match(out, /Resuming from outputs\/run1\/checkpoint-40 \(step 40 of 100;/);
  assert.match(out, /-> outputs\/run1\/checkpoint-40\n/);
  assert.deepEqual(await checkpointState(files, 'sft/train.py'), { step: 40, folder: 'sft/outputs/run1/checkpoint-40', resumes: true });
});

test('the out-of-memory fix (half the micro-batch, twice the accumulation) still resumes; a new effective batch does not', () => {
  const { dir } = workspace();
  saveCheckpoint(rendered, dir, 40, 100);
  const split = setConfig(setConfig(rendered, 'PER_DEVICE_TRAIN_BATCH_SIZE', 2), 'GRADIENT_ACCUMULATION_STEPS', 8);
  const micro = /PER_DEVICE_TRAIN_BATCH_SIZE = (\d+)/.exec(rendered)![1];
  const accum = /GRADIENT_ACCUMULATION_STEPS = (\d+)/.exec(rendered)![1];
  assert.equal(Number(micro) * Number(accum), 16, 'the recipe plans an effective batch of 16 here');
  assert.match(decide(split, dir), /-> outputs\/run1\/checkpoint-40\n/);
  const bigger = setConfig(rendered, 'GRADIENT_ACCUMULATION_STEPS', Number(accum) * 2);
  assert.match(decide(bigger, dir), /different EFFECTIVE_BATCH[\s\S]*-> None\n/);
});

test('the same CONFIG after the run finished, or with other data in the same file: starts over', async () => {
  const { dir, files } = workspace();
  saveCheckpoint(rendered, dir, 100, 100);
  assert.match(decide(rendered, dir), /is the end of a finished run \(step 100 of 100\)[\s\S]*-> None\n/);
  const other = workspace();
  saveCheckpoint(rendered, other.dir, 40, 100);
  writeFileSync(join(other.dir, 'data', 'medical_qa.jsonl'), '{"patient_query": "another", "doctor_response": "row"}\n');
  assert.match(decide(rendered, other.dir), /different the data in DATASET[\s\S]*-> None\n/);
  assert.equal((await checkpointState(other.files, 'sft/train.py')).step, 0);
  assert.equal((await checkpointState(files, 'sft/train.py')).step, 0);
});

test('incomplete or unrecorded checkpoints are skipped for an older complete one of this run; starting over moves them aside', async () => {
  const { dir, files } = workspace();
  saveCheckpoint(rendered, dir, 20, 100);
  mkdirSync(join(dir, 'outputs', 'run1', 'checkpoint-30'));
  writeFileSync(join(dir, 'outputs', 'run1', 'checkpoint-30', 'adapter_model.safetensors'), 'half-written');
  mkdirSync(join(dir, 'outputs', 'run1', 'checkpoint-25'));
  writeFileSync(join(dir, 'outputs', 'run1', 'checkpoint-25', 'trainer_state.json'), '{"global_step": 25, "max_steps": 100}');
  const out = decide(rendered, dir);
  assert.match(out, /Skipping outputs\/run1\/checkpoint-30: not completely written/);
  assert.match(out, /Skipping outputs\/run1\/checkpoint-25: it has no ml_intern_run\.json/);
  assert.match(out, /-> outputs\/run1\/checkpoint-20\n/);
  assert.deepEqual(await checkpointState(files, 'sft/train.py'), { step: 20, folder: 'sft/outputs/run1/checkpoint-20', resumes: true });
  runScriptPart(rendered, dir, 'set_aside_checkpoints()');
  const left = readdirSync(join(dir, 'outputs', 'run1'));
  assert.ok(!left.some((n) => n.startsWith('checkpoint-')), 'no checkpoint-N left where the Trainer rotates');
  const aside = left.find((n) => n.startsWith('superseded-'))!;
  assert.deepEqual(readdirSync(join(dir, 'outputs', 'run1', aside)).sort(), ['checkpoint-20', 'checkpoint-25', 'checkpoint-30'], 'nothing deleted');
  writeFileSync(join(dir, 'train.py'), setConfig(rendered, 'RESUME_FROM_CHECKPOINT', null));
  assert.equal((await checkpointState(files, 'sft/train.py')).resumes, false);
});
