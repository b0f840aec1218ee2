/**
 * `ml-intern try-it` and `ml-intern export` run as the CLI runs them (runCli, the real files and
 * processes) on a workspace holding a trained adapter: try_it.py really runs with python3 on the
 * stub torch / transformers / peft of test/fixtures/stubs/tryit_fake.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCli } from '../../../src/cli/main';
import { CliIo } from '../../../src/cli/command';
import { readConfig } from '../../../src/core/recipes/configBlock';
import { ADAPTER, artifactWorkspace, BASE } from '../session/artifactWorkspace';
import { CHATML_QWEN } from './templates';
import { startFakeLlmServer } from '../../support/fakeLlmServer';

const STUBS = resolve('test/fixtures/stubs/tryit_fake');

function workspace(): string {
  const ws = artifactWorkspace('ml-intern-export-cli-');
  writeFileSync(join(ws, ADAPTER, 'tokenizer_config.json'), JSON.stringify({ chat_template: CHATML_QWEN, eos_token: '<|im_end|>' }));
  return ws;
}

function io(cwd: string): CliIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', cwd, env: { PYTHONPATH: STUBS, CI: '1' } as NodeJS.ProcessEnv, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
  return o;
}

test('try-it: prompts from held-out rows, try_it.py written and run, both answers streamed, transcript saved', { timeout: 60_000 }, async () => {
  const ws = workspace();
  try {
    writeFileSync(join(ws, 'data', 'eval.jsonl'), [
      { messages: [{ role: 'user', content: 'What is a normal resting heart rate?' }, { role: 'assistant', content: '60-100' }] },
      { messages: [{ role: 'user', content: 'Is 148/92 high?' }, { role: 'assistant', content: 'yes' }] },
      { messages: [{ role: 'user', content: 'third' }, { role: 'assistant', content: 'x' }] },
    ].map((r) => JSON.stringify(r)).join('\n'));
    const o = io(ws);
    const code = await runCli(['try-it', ADAPTER, '--from-data', 'data/eval.jsonl', '--count', '2', '--system', 'Be careful.', '--python', 'python3', '--approve=all'], o);
    assert.equal(code, 0, o.stderr);
    const script = readFileSync(join(ws, 'ml-intern/try-run1', 'try_it.py'), 'utf8');
    assert.equal(readConfig(script).BASE_MODEL, BASE);
    // The first two user turns of the held-out rows, not the third.
    assert.match(script, /PROMPTS = \[\n {4}"What is a normal resting heart rate\?",\n {4}"Is 148\/92 high\?",\n\]/);
    assert.match(o.stdout, /=== Prompt 1: What is a normal resting heart rate\?\s*--- base ---\s*I am not sure, please ask a doctor\.[\s\S]*--- trained ---\s*A resting rate of 60 to 100 beats per minute is normal\./);
    assert.match(o.stdout, /=== Prompt 2: Is 148\/92 high\?/);
    const answers = readFileSync(join(ws, 'ml-intern/try-run1', 'transcript.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string }).filter((e) => e.event === 'answer');
    assert.equal(answers.length, 4);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('try-it with nobody to answer y/n writes the script, runs nothing, and says how to run it', async () => {
  const ws = workspace();
  try {
    const o = io(ws);
    const code = await runCli(['try-it', ADAPTER, '--prompt', 'hello', '--python', 'python3'], o);
    assert.equal(code, 1);
    assert.ok(existsSync(join(ws, 'ml-intern/try-run1', 'try_it.py')));
    assert.ok(!existsSync(join(ws, 'ml-intern/try-run1', 'transcript.jsonl')), 'nothing ran');
    assert.match(o.stderr, /not approved/);
    assert.match(o.stdout, /cd ml-intern\/try-run1 && python3 try_it.py --text/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('try-it without prompts, or on a folder outside the workspace, is a usage error', async () => {
  const ws = workspace();
  try {
    assert.equal(await runCli(['try-it', ADAPTER], io(ws)), 2);
    const o = io(ws);
    assert.equal(await runCli(['try-it', '../elsewhere', '--prompt', 'x'], o), 2);
    assert.match(o.stderr, /not inside the workspace/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('export writes the plan into export-<name>/ and prints its commands; a file the user changed is never written over unasked', async () => {
  const ws = workspace();
  try {
    const o = io(ws);
    const code = await runCli(['export', ADAPTER, '--name', 'qwen-medical', '--gguf', 'q4_k_m', '--llama-cpp', '/opt/llama.cpp', '--ollama', '--vllm', '--python', 'python3'], o);
    assert.equal(code, 0, o.stderr);
    for (const f of ['merge_bf16.py', 'chat_template.jinja', 'Modelfile', 'vllm_smoke.py']) assert.ok(existsSync(join(ws, 'ml-intern/export-qwen-medical', f)), f);
    assert.match(readFileSync(join(ws, 'ml-intern/export-qwen-medical', 'Modelfile'), 'utf8'), /^FROM \.\/model-q4_k_m\.gguf$/m);
    assert.match(o.stdout, /cd ml-intern\/export-qwen-medical && python3 merge_bf16\.py/);
    assert.match(o.stdout, /\/opt\/llama\.cpp\/build\/bin\/llama-quantize model-bf16\.gguf model-q4_k_m\.gguf Q4_K_M/);
    assert.match(o.stdout, /ollama create qwen-medical -f Modelfile/);
    assert.ok(!existsSync(join(ws, 'ml-intern/export-qwen-medical', 'merged')), 'nothing ran without --run');

    writeFileSync(join(ws, 'ml-intern/export-qwen-medical', 'Modelfile'), 'FROM ./mine.gguf\n');
    const again = io(ws);
    assert.equal(await runCli(['export', ADAPTER, '--name', 'qwen-medical', '--ollama', '--python', 'python3'], again), 1);
    assert.equal(readFileSync(join(ws, 'ml-intern/export-qwen-medical', 'Modelfile'), 'utf8'), 'FROM ./mine.gguf\n');
    assert.match(again.stderr, /Modelfile exists and differs from the plan: kept/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('export: --gguf without llama.cpp and a name Ollama refuses are said before anything is written', async () => {
  const ws = workspace();
  try {
    const o = io(ws);
    assert.equal(await runCli(['export', ADAPTER, '--name', 'qwen', '--gguf', 'Q4_K_M'], o), 2);
    assert.match(o.stderr, /--gguf needs --llama-cpp/);
    const bad = io(ws);
    assert.equal(await runCli(['export', ADAPTER, '--name', 'Qwen Medical'], bad), 1);
    assert.match(bad.stderr, /not a valid Ollama model name/);
    assert.ok(!existsSync(join(ws, 'ml-intern/export-qwen-medical')));
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('try-it --vllm: both served names answer through the OpenAI API, printed as they stream, kept in the transcript; no script, nothing asked', { timeout: 60_000 }, async () => {
  const ws = workspace();
  const server = await startFakeLlmServer();
  try {
    server.script([{ text: 'Base says hello.' }, { text: 'Trained says hello.' }]);
    const o = io(ws);
    const code = await runCli(['try-it', ADAPTER, '--prompt', 'Hi', '--vllm', server.openaiBaseUrl, '--served-name', 'qwen-medical', '--temperature', '0'], o);
    assert.equal(code, 0, o.stderr);
    assert.match(o.stdout, /=== Prompt 1: Hi\n\n--- base ---\nBase says hello\.\n\(\d+ tokens, [\d.]+ s\)\n\n--- trained ---\nTrained says hello\./);
    assert.deepEqual(server.requests.map((r) => (r.body as { model: string }).model), [BASE, 'qwen-medical'], 'the base defaults to the adapter\'s');
    assert.equal((server.requests[0].body as { temperature: number }).temperature, 0);
    assert.ok(!existsSync(join(ws, 'ml-intern/try-run1', 'try_it.py')), 'nothing to run here');
    const kept = readFileSync(join(ws, 'ml-intern/try-run1', 'transcript.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; text?: string });
    assert.deepEqual(kept.filter((e) => e.event === 'answer').map((e) => e.text), ['Base says hello.', 'Trained says hello.']);
    const usage = io(ws);
    assert.equal(await runCli(['try-it', ADAPTER, '--prompt', 'Hi', '--vllm', server.openaiBaseUrl], usage), 2);
    assert.match(usage.stderr, /--served-name/);
    const down = io(ws);
    assert.equal(await runCli(['try-it', ADAPTER, '--prompt', 'Hi', '--vllm', 'http://127.0.0.1:9/v1', '--served-name', 'x'], down), 1);
    assert.match(down.stderr, /base model .* did not answer[\s\S]*Is the server running/);
  } finally {
    await server.close();
    rmSync(ws, { recursive: true, force: true });
  }
});
