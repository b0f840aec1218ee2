// `ml-intern fine-tune`: the extension's deterministic fine-tune path, headless and without an API
// key, on the fixture GPU box (test/fixtures/trainer/fake-python: a real process printing real
// trainer output, out of memory at micro-batch 4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../../src/cli/main';
import { CliIo } from '../../../src/cli/command';
import { tempWorkspace } from './helpers';
import { readConfig } from '../../../src/core/recipes/configBlock';

const FAKE_PYTHON = path.resolve(__dirname, '../../fixtures/trainer/fake-python');
const MEDICAL_QA = path.resolve(__dirname, '../../../examples/medical-qa/data/medical_qa.jsonl');
const REPO = path.resolve(__dirname, '../../..');
const CLI_MAIN = path.join(REPO, 'src', 'cli', 'main.ts');

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
  // A fast trainer (400 steps, no delay): its whole output, ~40 KB, comes within one half-second.
  const saved = { steps: process.env.FAKE_STEPS, delay: process.env.FAKE_DELAY_MS };
  process.env.FAKE_STEPS = '400';
  process.env.FAKE_DELAY_MS = '0';
  const code = await runCli([...ARGS, '--approve=all'], o).finally(() => {
    for (const [k, v] of [['FAKE_STEPS', saved.steps], ['FAKE_DELAY_MS', saved.delay]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  assert.equal(code, 0, o.stderr + o.stdout.slice(-2000));
  assert.match(o.stdout, /^SFT \(lora\) of Qwen\/Qwen2\.5-0\.5B-Instruct on data\/train\.jsonl: 36 rows, custom_qa \(patient_query → user, doctor_response → assistant\)/);
  assert.match(o.stdout, /No API key: recipe mode/);
  assert.match(o.stdout, /✓ ml-intern\/sft-qwen2-5-0-5b-instruct\/train\.py accepted \(auto-approved\)/);
  assert.match(o.stdout, /✗ attempt 1 failed: cuda_oom — The GPU ran out of memory/);
  assert.match(o.stdout, /fix: Out of memory: micro-batch 4 → 2, gradient accumulation 4 → 8/);
  // The session's own messages reach the terminal: what it wrote and the recipe's notes, before the
  // diff; the end summary once, not again under the result line.
  assert.match(o.stdout, /I wrote a SFT script for \*\*Qwen\/Qwen2\.5-0\.5B-Instruct\*\*[^\n]*\n\nNotes from the recipe:\n- [^\n]+\n[\s\S]*→ change ml-intern\/sft-qwen2-5-0-5b-instruct\/train\.py/);
  assert.match(o.stdout, /Training finished after 1 automatic repair[^\n]*\n\nRun \S+: succeeded\nFolder: /);
  assert.equal(o.stdout.split('Training finished after 1 automatic repair').length, 2, 'the summary is printed once');
  const script = readFileSync(path.join(root, 'ml-intern/sft-qwen2-5-0-5b-instruct', 'train.py'), 'utf8');
  assert.match(script, /^PER_DEVICE_TRAIN_BATCH_SIZE = 2 /m);
  const runs = readdirSync(path.join(root, '.ml-intern', 'runs'));
  assert.equal(runs.length, 1);
  const folder = path.join(root, '.ml-intern', 'runs', runs[0]);
  assert.ok(readFileSync(path.join(folder, 'metrics.jsonl'), 'utf8').includes('"loss"'));
  assert.equal(JSON.parse(readFileSync(path.join(folder, 'status.json'), 'utf8')).state, 'succeeded');
  // The terminal got the training's whole output, as running the script would print it: every
  // attempt's log is in what was printed, line for line.
  for (const attempt of ['attempt-1.log', 'attempt-2.log']) {
    const log = readFileSync(path.join(folder, 'logs', attempt), 'utf8');
    for (const line of log.split('\n').filter((l) => l.trim() && !l.startsWith('ML Intern:'))) assert.ok(o.stdout.includes(line), `${attempt}: ${line.slice(0, 120)}`);
  }
});

test('fine-tune --set writes CONFIG values before the review; a name the script lacks stops before anything is written', { timeout: 120_000 }, async () => {
  const root = workspace();
  const o = io(root);
  const code = await runCli([...ARGS, '--approve=all', '--set', 'NUM_TRAIN_EPOCHS=1', '--set', 'learning_rate=1e-4', '--set', 'PER_DEVICE_TRAIN_BATCH_SIZE=2'], o);
  assert.equal(code, 0, o.stderr + o.stdout.slice(-1500));
  assert.match(o.stdout, /→ change ml-intern\/sft-qwen2-5-0-5b-instruct\/train\.py: SFT training script \(lora\) — with your settings: NUM_TRAIN_EPOCHS = 1, LEARNING_RATE = 0\.0001, PER_DEVICE_TRAIN_BATCH_SIZE = 2/);
  assert.doesNotMatch(o.stdout, /cuda_oom/, 'micro-batch 2 fits the fixture GPU: no out-of-memory repair');
  const cfg = readConfig(readFileSync(path.join(root, 'ml-intern/sft-qwen2-5-0-5b-instruct', 'train.py'), 'utf8'));
  assert.deepEqual([cfg.NUM_TRAIN_EPOCHS, cfg.LEARNING_RATE, cfg.PER_DEVICE_TRAIN_BATCH_SIZE], [1, 1e-4, 2]);

  const bad = workspace();
  const b = io(bad);
  assert.equal(await runCli([...ARGS, '--approve=all', '--set', 'EPOCHS=1'], b), 1);
  assert.match(b.stdout, /Run \S+: failed\nEPOCHS is not in the script's CONFIG block \(it has MODEL_ID, DATASET/);
  assert.equal(existsSync(path.join(bad, 'ml-intern/sft-qwen2-5-0-5b-instruct', 'train.py')), false, 'nothing written');
  const u = io(workspace());
  assert.equal(await runCli([...ARGS, '--set', 'epochs'], u), 2);
  assert.match(u.stderr, /--set 'epochs' is not NAME=value/);
  const twice = io(workspace());
  assert.equal(await runCli([...ARGS, '--model', 'other/model'], twice), 2, 'a one-value flag given twice is not silently merged');
  assert.match(twice.stderr, /--model is given more than once/);
});

test('fine-tune without approval and nobody to ask: the script is refused, listed, and nothing runs', { timeout: 60_000 }, async () => {
  const root = workspace();
  const o = io(root);
  const code = await runCli([...ARGS, '--json'], o);
  assert.equal(code, 1);
  const result = JSON.parse(o.stdout);
  assert.equal(result.outcome, 'rejected');
  assert.deepEqual(result.refused, ['change ml-intern/sft-qwen2-5-0-5b-instruct/train.py: SFT training script (lora)']);
  assert.match(o.stderr, /not approved \(run with --approve=all/);
  assert.equal(existsSync(path.join(root, 'ml-intern/sft-qwen2-5-0-5b-instruct', 'train.py')), false);
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
  assert.match(m.stderr, /--method must be one of sft, dpo, orpo, kto, grpo, got 'ppo'/);
});

test('fine-tune --attach: the command that started a run is killed (an SSH drop); a new one follows the run to its end', { timeout: 120_000 }, async () => {
  const root = workspace();
  // A slower trainer (200 steps x 30 ms) so the first command can be killed mid-run; batch 2 fits.
  const env = { ...process.env, CI: '1', FAKE_STEPS: '200', FAKE_DELAY_MS: '30' };
  const first = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, ...ARGS, '--approve=all', '--workspace', root], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  first.stdout.on('data', (b: Buffer) => (out += b.toString()));
  first.stderr.on('data', (b: Buffer) => (out += b.toString()));
  // Once the retried run (after the playbook's OOM fix) is training, the command goes away without a word.
  await waitUntil(() => (out.match(/▶ /g) ?? []).length >= 2 && /\{'loss'/.test(out.split('▶ ').at(-1) ?? ''), 60_000, () => out.slice(-1500));
  first.kill('SIGKILL');
  await new Promise((r) => first.once('close', r));
  const id = readdirSync(path.join(root, '.ml-intern', 'runs'))[0];
  assert.equal(JSON.parse(readFileSync(path.join(root, '.ml-intern', 'runs', id, 'status.json'), 'utf8')).state, 'running');

  const o = io(root);
  const code = await runCli(['fine-tune', '--attach', id, '--python', FAKE_PYTHON], o);
  assert.equal(code, 0, o.stderr + o.stdout.slice(-1500));
  assert.match(o.stdout, new RegExp(`^Following run ${id} \\(pid \\d+\\) from step \\d+…`));
  assert.match(o.stdout, new RegExp(`Training finished after 1 automatic repair[^\n]*\n\nRun ${id}: succeeded\n`), 'the repair before the drop still counts');
  const folder = path.join(root, '.ml-intern', 'runs', id);
  assert.equal(JSON.parse(readFileSync(path.join(folder, 'status.json'), 'utf8')).state, 'succeeded');
  const points = readFileSync(path.join(folder, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const steps = points.filter((p) => p.loss !== undefined).map((p) => p.step as number);
  assert.equal(new Set(steps).size, steps.length, `no training loss recorded twice: ${steps.join(',')}`);
  assert.equal(Math.max(...steps), 200, 'followed to the last step');

  // Attaching to a finished run says how it ended; an unknown id is a usage error.
  const again = io(root);
  assert.equal(await runCli(['fine-tune', '--attach', id], again), 0);
  assert.match(again.stdout, new RegExp(`^Run ${id} is succeeded: Training finished`));
  const unknown = io(root);
  assert.equal(await runCli(['fine-tune', '--attach', 'nope'], unknown), 2);
  assert.match(unknown.stderr, /no run nope in .*\.ml-intern\/runs \(ml-intern runs lists them\)/);
});

async function waitUntil(ok: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out; output so far:\n${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a relative --python means the shell folder it was typed in, not --workspace', { timeout: 120_000 }, async () => {
  const root = workspace();
  const o = io(REPO);
  const code = await runCli(['fine-tune', '--model', 'Qwen/Qwen2.5-0.5B-Instruct', '--data', 'data/train.jsonl', '--workspace', root, '--approve=all', '--python', 'test/fixtures/trainer/fake-python'], o);
  assert.equal(code, 0, o.stderr + o.stdout.slice(-800));
  assert.match(o.stdout, new RegExp(`▶ ${FAKE_PYTHON.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} train\\.py`));
});
