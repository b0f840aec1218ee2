// "Start a vLLM server" through the Try-it view's controller, with real processes: a stand-in `vllm` (a python
// stdlib server, test/fixtures/fake-vllm/vllm) in the bin/ of the configured python, started detached as the
// extension starts it, polled until both served names are listed; then Run streams both columns from it through
// the real `openai` client. A server dying at start is explained; Stop and closing the tab end the process.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseTryItMessage, TryItRunners, TryItToView, TryItViewController, TryItViewInit } from '../../../src/core/export/tryItView';
import { streamTryItVllm } from '../../../src/core/export/tryItVllm';
import { TryItBoard } from '../../../src/core/export/tryItStream';
import { serveVllm, VllmServerDeps, VllmServerState } from '../../../src/core/export/vllmServer';
import { startDetached } from '../../../src/core/exec/detached';
import { resolveProgram } from '../../../src/core/session/artifactPlan';

const FAKE_VLLM = resolve('test/fixtures/fake-vllm/vllm');
const PYTHON3 = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const BASE = 'Qwen/Qwen2.5-0.5B-Instruct';
const TEMPLATE = '{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}';

/** Every server folder of this file: a server a failing test left running is killed at the end. */
const folders: string[] = [];
after(() => {
  for (const f of folders) {
    const pid = existsSync(join(f, 'logs/pid')) ? Number(readFileSync(join(f, 'logs/pid'), 'utf8').trim()) : 0;
    if (pid > 0 && alive(pid)) process.kill(-pid, 'SIGKILL');
  }
});

/** A workspace with a LoRA adapter folder, and a python environment whose bin/ has `vllm` (or not). */
function setup(withVllm = true) {
  const root = mkdtempSync(join(tmpdir(), 'vllm-serve-'));
  const model = join(root, 'sft/outputs/run1');
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, 'adapter_config.json'), JSON.stringify({ base_model_name_or_path: BASE, r: 100, peft_type: 'LORA' }));
  writeFileSync(join(model, 'tokenizer_config.json'), JSON.stringify({ chat_template: TEMPLATE, eos_token: '<|im_end|>' }));
  const bin = join(root, 'venv/bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(PYTHON3, join(bin, 'python3'));
  if (withVllm) symlinkSync(FAKE_VLLM, join(bin, 'vllm'));
  const folder = join(root, 'ml-intern/try-run1/vllm-server');
  folders.push(folder);
  return { root, model, python: join(bin, 'python3'), folder };
}

function harness(o: { withVllm?: boolean; approve?: boolean; env?: Record<string, string> } = {}) {
  const s = setup(o.withVllm ?? true);
  const posted: TryItToView[] = [];
  const approvals: string[][] = [];
  const deps: VllmServerDeps = {
    modelDir: s.model, model: 'sft/outputs/run1', baseModel: BASE, trainedName: 'qwen2.5-0.5b-instruct-run1', python: s.python, folder: s.folder,
    seen: { adapterConfig: readFileSync(join(s.model, 'adapter_config.json'), 'utf8'), tokenizerConfig: readFileSync(join(s.model, 'tokenizer_config.json'), 'utf8') },
    resolveProgram,
    approve: async (r) => (approvals.push(r.argv), o.approve === false ? { approved: false, reason: 'the user declined' } : { approved: true }),
    launch: (spec) => startDetached(spec, { pollMs: 50 }),
    writeFile: async (p, text) => (mkdirSync(join(p, '..'), { recursive: true }), writeFileSync(p, text)),
    pollMs: 100,
    ...(o.env ? { env: o.env } : {}),
  };
  const init: TryItViewInit = {
    model: 'sft/outputs/run1', baseModel: BASE, prompts: ['Hi'], system: '', temperature: 0.7, topP: 0.9, maxNewTokens: 64, seed: 0,
    vllm: { endpoint: 'http://127.0.0.1:8000/v1', baseName: BASE, trainedName: 'qwen2.5-0.5b-instruct-run1' }, transcript: 'ml-intern/try-run1/transcript.jsonl',
  };
  const runners: TryItRunners = { script: async () => ({ ok: false, message: 'not here' }), vllm: streamTryItVllm, appendTranscript: async () => undefined, serve: (onState, signal) => serveVllm(deps, onState, signal) };
  const controller = new TryItViewController(init, runners, (m) => posted.push(m));
  const states = () => posted.flatMap((m) => (m.type === 'server' ? [m.server] : []));
  const until = async (state: VllmServerState['state'], ms = 20_000) => {
    const end = Date.now() + ms;
    while (!states().some((x) => x.state === state)) {
      if (Date.now() > end) assert.fail(`no ${state} server state: ${JSON.stringify(states())}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return states().find((x) => x.state === state)!;
  };
  const pid = () => Number(readFileSync(join(s.folder, 'logs/pid'), 'utf8').trim());
  return { ...s, deps, init, posted, approvals, controller, states, until, pid };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('the view\'s serve and serve-stop messages are accepted; other types are still refused', () => {
  assert.deepEqual(parseTryItMessage({ type: 'serve' }), { type: 'serve' });
  assert.deepEqual(parseTryItMessage({ type: 'serve-stop', argv: ['rm', '-rf', '/'] }), { type: 'serve-stop' }, 'nothing from the view reaches the command');
  assert.match(String(parseTryItMessage({ type: 'serve-start' })), /unknown message type serve-start/);
});

test('start → approved argv → ready fills the endpoint and names; Run streams both columns from the server; Stop ends the process', async () => {
  const h = harness();
  await h.controller.receive({ type: 'serve' });
  const ready = await h.until('ready');
  assert.equal(h.approvals.length, 1);
  const argv = h.approvals[0];
  assert.equal(argv[0], join(h.root, 'venv/bin/vllm'), 'vllm from the configured python\'s bin/');
  assert.deepEqual(argv.slice(1, 8), ['serve', BASE, '--enable-lora', '--lora-modules', `qwen2.5-0.5b-instruct-run1=${h.model}`, '--max-lora-rank', '128']);
  assert.equal(argv[argv.indexOf('--chat-template') + 1], join(h.folder, 'chat_template.jinja'));
  assert.equal(readFileSync(join(h.folder, 'chat_template.jinja'), 'utf8'), TEMPLATE, 'the tokenizer_config template written for --chat-template');
  assert.ok(ready.state === 'ready');
  if (ready.state !== 'ready') return;
  assert.match(ready.endpoint, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  assert.equal(ready.endpoint, `http://127.0.0.1:${argv[argv.indexOf('--port') + 1]}/v1`);
  assert.deepEqual([ready.baseName, ready.trainedName], [BASE, 'qwen2.5-0.5b-instruct-run1']);
  assert.deepEqual(h.states().map((x) => x.state), ['waiting', 'starting', 'ready']);

  await h.controller.receive({ type: 'run', backend: 'vllm', prompts: ['What is a fever?'], system: '', temperature: 0.2, topP: 0.9, maxNewTokens: 64, seed: 1, endpoint: ready.endpoint, baseName: ready.baseName, trainedName: ready.trainedName });
  const board = new TryItBoard();
  for (const m of h.posted) if (m.type === 'events') m.events.forEach((e) => board.apply(e));
  assert.equal(board.state.rows[0].base.text, `${BASE} answers: What is a fever?`);
  assert.equal(board.state.rows[0].trained.text, 'qwen2.5-0.5b-instruct-run1 answers: What is a fever?');
  assert.equal((h.posted.filter((m) => m.type === 'status').at(-1) as { state: string }).state, 'done');

  const pid = h.pid();
  assert.ok(alive(pid));
  await h.controller.receive({ type: 'serve-stop' });
  await h.controller.serving;
  assert.equal(h.states().at(-1)?.state, 'stopped');
  assert.equal(alive(pid), false, 'the server process is gone');
  await assert.rejects(fetch(`${ready.endpoint}/models`), 'nothing answers on the port any more');
});

test('a server that dies at start (CUDA out of memory) → the reason and the flags, no stack trace', async () => {
  const h = harness({ env: { FAKE_VLLM_FAIL: 'oom' } });
  await h.controller.receive({ type: 'serve' });
  const failed = await h.until('failed');
  assert.match(failed.message, /ran out of memory.*--gpu-memory-utilization.*--max-model-len/);
  assert.doesNotMatch(failed.message, /Traceback|File "/);
  assert.ok(!h.states().some((x) => x.state === 'ready'));
});

test('no vllm in the python environment → how to install it', async () => {
  const h = harness({ withVllm: false });
  await h.controller.receive({ type: 'serve' });
  const failed = await h.until('failed');
  assert.match(failed.message, new RegExp(`vLLM is not installed in the environment of ${h.python.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.* -m pip install vllm`));
});

test('declined → nothing runs, the view says so', async () => {
  const h = harness({ approve: false });
  await h.controller.receive({ type: 'serve' });
  await h.controller.serving;
  assert.equal(h.states().at(-1)?.state, 'declined');
  assert.match(h.states().at(-1)!.message, /not started \(the user declined\): nothing ran/);
  assert.equal(existsSync(join(h.folder, 'logs')), false, 'no process was started');
});

test('closing the tab (or the window) stops the server, the SIGINT sent at once', async () => {
  const h = harness();
  await h.controller.receive({ type: 'serve' });
  await h.until('ready');
  const pid = h.pid();
  h.controller.dispose();
  // Synchronously: a window closing runs its disposables and does not wait for promises.
  assert.match(readFileSync(join(h.folder, 'logs/train.log'), 'utf8'), /sent SIGINT to process group/);
  await h.controller.serving;
  assert.equal(alive(pid), false);
});

test('a server left running from before (a window reloaded while it served) is stopped by a new Start, which then gets ready', async () => {
  const h = harness();
  await h.controller.receive({ type: 'serve' });
  await h.until('ready');
  const old = h.pid();
  // The window reloads: the view and its controller are gone, the detached server is not.
  const again = new TryItViewController(h.init, { script: async () => ({ ok: false, message: '' }), vllm: streamTryItVllm, appendTranscript: async () => undefined, serve: (onState, signal) => serveVllm(h.deps, onState, signal) }, (m) => h.posted.push(m));
  h.posted.length = 0;
  await again.receive({ type: 'serve' });
  const ready = await h.until('ready');
  assert.match(JSON.stringify(h.states()), new RegExp(`left running from before \\(pid ${old}\\)`));
  assert.equal(alive(old), false, 'the old server is gone');
  assert.notEqual(h.pid(), old);
  assert.ok(ready.state === 'ready' && (await fetch(`${ready.endpoint}/models`)).ok);
  again.dispose();
  await again.serving;
});
