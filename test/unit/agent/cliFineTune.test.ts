// `ml-intern fine-tune`: the extension's deterministic fine-tune path, headless and without an API
// key, on the fixture GPU box (test/fixtures/trainer/fake-python: a real process printing real
// trainer output, out of memory at micro-batch 4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../../src/cli/main';
import { CliIo } from '../../../src/cli/command';
import { tempWorkspace } from './helpers';

const FAKE_PYTHON = path.resolve(__dirname, '../../fixtures/trainer/fake-python');
const MEDICAL_QA = path.resolve(__dirname, '../../../examples/medical-qa/data/medical_qa.jsonl');

function io(cwd: string, env: NodeJS.ProcessEnv = {}): CliIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', cwd, env: { CI: '1', ...env }, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
  return o;
}

function workspace(): string {
  const root = tempWorkspace('mli-cli-ft-');
  cpSync(MEDICAL_QA, path.join(root, 'data', 'train.jsonl'));
  return root;
}

const ARGS = ['fine-tune', '--model', 'Qwen/Qwen2.5-0.5B-Instruct', '--data', 'data/train.jsonl', '--python', FAKE_PYTHON];

test('fine-tune --approve=all, no API key: recipe, out of memory, playbook fix, success; everything in the run folder', { timeout: 120_000 }, async () => {
  const root = workspace();
  const o = io(root);
  const code = await runCli([...ARGS, '--approve=all'], o);
  assert.equal(code, 0, o.stderr + o.stdout.slice(-2000));
  assert.match(o.stdout, /^SFT \(lora\) of Qwen\/Qwen2\.5-0\.5B-Instruct on data\/train\.jsonl: 36 rows, custom_qa \(patient_query → user, doctor_response → assistant\)/);
  assert.match(o.stdout, /No API key: recipe mode/);
  assert.match(o.stdout, /✓ sft-qwen2-5-0-5b-instruct\/train\.py accepted \(auto-approved\)/);
  assert.match(o.stdout, /✗ attempt 1 failed: cuda_oom — The GPU ran out of memory/);
  assert.match(o.stdout, /fix: Out of memory: micro-batch 4 → 2, gradient accumulation 4 → 8/);
  assert.match(o.stdout, /Run \S+: succeeded\nTraining finished after 1 automatic repair/);
  const script = readFileSync(path.join(root, 'sft-qwen2-5-0-5b-instruct', 'train.py'), 'utf8');
  assert.match(script, /^PER_DEVICE_TRAIN_BATCH_SIZE = 2 /m);
  const runs = readdirSync(path.join(root, '.ml-intern', 'runs'));
  assert.equal(runs.length, 1);
  const folder = path.join(root, '.ml-intern', 'runs', runs[0]);
  assert.ok(readFileSync(path.join(folder, 'metrics.jsonl'), 'utf8').includes('"loss"'));
  assert.equal(JSON.parse(readFileSync(path.join(folder, 'status.json'), 'utf8')).state, 'succeeded');
});

test('fine-tune without approval and nobody to ask: the script is refused, listed, and nothing runs', { timeout: 60_000 }, async () => {
  const root = workspace();
  const o = io(root);
  const code = await runCli([...ARGS, '--json'], o);
  assert.equal(code, 1);
  const result = JSON.parse(o.stdout);
  assert.equal(result.outcome, 'rejected');
  assert.deepEqual(result.refused, ['change sft-qwen2-5-0-5b-instruct/train.py: SFT training script (lora)']);
  assert.match(o.stderr, /not approved \(run with --approve=all/);
  assert.equal(existsSync(path.join(root, 'sft-qwen2-5-0-5b-instruct', 'train.py')), false);
});

test('fine-tune on data that cannot be trained on says why and starts nothing; bad flags are usage errors', { timeout: 60_000 }, async () => {
  const root = tempWorkspace('mli-cli-ft-');
  writeFileSync(path.join(root, 'half.jsonl'), '{"question": "q1", "answer": "a1"}\n{"question": "q2", "answer": "a2"}\n{"question": "q3", "ans');
  const o = io(root);
  assert.equal(await runCli(['fine-tune', '--model', 'm', '--data', 'half.jsonl', '--python', FAKE_PYTHON, '--approve=all'], o), 1);
  assert.match(o.stderr, /half\.jsonl cannot be trained on as it is[\s\S]*the last line \(line 3\) is cut off mid-record/);
  assert.equal(existsSync(path.join(root, '.ml-intern')), false, 'no run folder');

  const u = io(workspace());
  assert.equal(await runCli(['fine-tune', '--model', 'm'], u), 2);
  assert.match(u.stderr, /--model and --data are required/);
  const m = io(workspace());
  assert.equal(await runCli([...ARGS, '--method', 'ppo'], m), 2);
  assert.match(m.stderr, /--method must be one of sft, dpo, orpo, kto, got 'ppo'/);
});
