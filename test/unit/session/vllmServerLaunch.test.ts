/**
 * GRPO with vLLM on several GPUs: the launch plan proposes launch_vllm_server.sh, which starts
 * `trl vllm-serve` on the last GPU, waits for its /health/ route (trl/scripts/vllm_serve.py, polled by
 * trl's VLLMClient), trains on the other GPUs and stops the server at the end, also on failure.
 * The script runs here for real with a stand-in `trl` on PATH (a python http.server answering
 * /health/) and a stand-in training command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planLaunch } from '../../../src/core/session/launchPlan';
import { renderVllmServerScript, VLLM_LAUNCH_NAME } from '../../../src/core/exec/vllmServerScript';
import { DEFAULT_SETTINGS } from '../../../src/core/settings';
import { FineTuneRequest } from '../../../src/core/session/types';
import { gpuEnvReport } from '../../support/gpuEnvReport';

const PY = '/opt/venv/bin/python';
const common = { python: PY, script: 'train.py', folder: 'grpo-x', folderAbs: '/ws/grpo-x', runId: 'r1', runDirAbs: '/ws/.ml-intern/runs/r1' };
const grpo: FineTuneRequest = { baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/gsm8k.jsonl', method: 'grpo', adapter: 'lora', evalSplit: 0 };

function envWith(gpus: number, libraries: Record<string, string | null>) {
  const env = gpuEnvReport(gpus);
  return { ...env, libraries: { ...env.libraries, ...libraries } as typeof env.libraries };
}

test('4 GPUs, vLLM and trl 0.19: the server on GPU 3, accelerate on GPUs 0-2 with 3 processes, the cleanup trap', () => {
  const { plan, files } = planLaunch({ ...common, request: grpo, settings: DEFAULT_SETTINGS, environment: envWith(4, { trl: '0.19.1', vllm: '0.10.1' }) });
  assert.deepEqual(plan.argv, ['bash', VLLM_LAUNCH_NAME]);
  assert.equal(plan.gpus, 4);
  const fsdp = files.find((f) => f.name === 'accelerate_fsdp.yaml')!;
  assert.match(fsdp.content, /num_processes: 3/);
  const script = files.find((f) => f.name === VLLM_LAUNCH_NAME)!.content;
  assert.match(script, /CUDA_VISIBLE_DEVICES=3 "\$TRL" vllm-serve --model Qwen\/Qwen2\.5-0\.5B-Instruct --tensor-parallel-size 1 --port "\$PORT" &/);
  assert.match(script, /CUDA_VISIBLE_DEVICES=0,1,2 \/opt\/venv\/bin\/python -m accelerate\.commands\.launch --num_processes 3 --config_file accelerate_fsdp\.yaml .*train\.py &/);
  assert.match(script, /127\.0\.0\.1:8000\/health\//);
  assert.match(script, /trap stop_server EXIT/);
  assert.ok(script.indexOf('/health/') < script.indexOf('CUDA_VISIBLE_DEVICES=0,1,2'), 'the training starts after the wait');
});

test('2 GPUs: one training process on GPU 0, no accelerate config; no vLLM, QLoRA, SFT or trl 0.17: the usual launch', () => {
  const two = planLaunch({ ...common, request: grpo, settings: DEFAULT_SETTINGS, environment: envWith(2, { trl: '0.19.1', vllm: '0.10.1' }) });
  assert.deepEqual(two.files.map((f) => f.name), [VLLM_LAUNCH_NAME]);
  assert.match(two.files[0].content, /CUDA_VISIBLE_DEVICES=0 \/opt\/venv\/bin\/python train\.py &/);
  const usual = (request: FineTuneRequest, libraries: Record<string, string | null>) => planLaunch({ ...common, request, settings: DEFAULT_SETTINGS, environment: envWith(4, libraries) });
  for (const p of [usual(grpo, { trl: '0.19.1' }), usual({ ...grpo, adapter: 'qlora' }, { trl: '0.19.1', vllm: '0.10.1' }), usual({ ...grpo, method: 'sft' }, { trl: '0.19.1', vllm: '0.10.1' }), usual(grpo, { trl: '0.17.0', vllm: '0.8.0' })]) {
    assert.ok(p.files.every((f) => f.name !== VLLM_LAUNCH_NAME));
    assert.ok(p.plan.argv.includes('4'), p.plan.argv.join(' '));
  }
});

test('a hostile model id stays one quoted word in the script', () => {
  const script = renderVllmServerScript({ python: PY, model: "x'; rm -rf ~; echo '$(id)", gpus: 2, port: 8000, trainArgv: [PY, 'train.py'] });
  assert.match(script, /--model 'x'\\''; rm -rf ~; echo '\\''\$\(id\)' --tensor-parallel-size/);
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A stand-in `trl`: records its argv and GPU, answers /health/ after a second, notes its stop. */
const FAKE_TRL = `#!/usr/bin/env python3
import http.server, os, signal, sys, time
log = os.environ["EVENTS"]
def note(s):
    with open(log, "a") as f: f.write(s + "\\n")
note("server start " + " ".join(sys.argv[1:]) + " gpu=" + os.environ.get("CUDA_VISIBLE_DEVICES", ""))
if os.environ.get("FAIL_SERVER"): sys.exit(2)
def stop(*_):
    note("server stopped"); os._exit(0)
signal.signal(signal.SIGTERM, stop)
time.sleep(1)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health/" else 404); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[sys.argv.index("--port") + 1])), H).serve_forever()
`;

/** The stand-in training: checks the server answers, notes its GPUs, exits with TRAIN_EXIT. */
const FAKE_TRAIN = `import os, sys, urllib.request
urllib.request.urlopen("http://127.0.0.1:" + os.environ["PORT_UNDER_TEST"] + "/health/", timeout=2)
with open(os.environ["EVENTS"], "a") as f: f.write("train gpu=" + os.environ["CUDA_VISIBLE_DEVICES"] + "\\n")
import time; time.sleep(float(os.environ.get("TRAIN_SLEEP", "0")))
sys.exit(int(os.environ.get("TRAIN_EXIT", "0")))`;

async function prepare(model = 'Qwen/Qwen2.5-0.5B-Instruct') {
  const dir = mkdtempSync(join(tmpdir(), 'vllm-launch-'));
  writeFileSync(join(dir, 'trl'), FAKE_TRL);
  chmodSync(join(dir, 'trl'), 0o755);
  const port = await freePort();
  const script = renderVllmServerScript({ python: 'python3', model, gpus: 3, port, trainArgv: ['python3', '-c', FAKE_TRAIN], waitSeconds: 20 });
  writeFileSync(join(dir, VLLM_LAUNCH_NAME), script);
  const events = join(dir, 'events.log');
  writeFileSync(events, '');
  const env = (extra: Record<string, string>) => ({ ...process.env, PATH: `${dir}:${process.env.PATH}`, EVENTS: events, PORT_UNDER_TEST: String(port), ...extra });
  return { dir, port, env, events: () => readFileSync(events, 'utf8').trim().split('\n') };
}

async function runScript(extraEnv: Record<string, string>, model?: string) {
  const p = await prepare(model);
  const r = spawnSync('bash', [VLLM_LAUNCH_NAME], { cwd: p.dir, encoding: 'utf8', timeout: 60_000, env: p.env(extraEnv) });
  return { r, events: p.events(), port: p.port, dir: p.dir };
}

async function portClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

test('the real script: server started on the last GPU, training after /health/ answers on the others, server stopped after', async () => {
  const { r, events, port } = await runScript({});
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.deepEqual(events, [`server start vllm-serve --model Qwen/Qwen2.5-0.5B-Instruct --tensor-parallel-size 1 --port ${port} gpu=2`, 'train gpu=0,1', 'server stopped']);
  assert.match(r.stdout, /Waiting for the vLLM server[\s\S]*vLLM server ready[\s\S]*Training exited with code 0/);
  assert.ok(await portClosed(port), 'the server no longer listens');
});

test('the real script: a failed training still stops the server and its exit code is the script\'s', async () => {
  const { r, events, port } = await runScript({ TRAIN_EXIT: '3' });
  assert.equal(r.status, 3);
  assert.deepEqual(events.slice(1), ['train gpu=0,1', 'server stopped']);
  assert.ok(await portClosed(port));
});

test('the real script: a server that dies before answering fails the launch and no training runs', async () => {
  const { r, events } = await runScript({ FAIL_SERVER: '1' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /The vLLM server exited before it answered/);
  assert.equal(events.length, 1, events.join('\n'));
});

test('the real script: stopped during training (SIGTERM to the script), it stops the training and the server', async () => {
  const p = await prepare();
  const child = spawn('bash', [VLLM_LAUNCH_NAME], { cwd: p.dir, env: p.env({ TRAIN_SLEEP: '30' }), stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (let i = 0; i < 200 && !p.events().some((e) => e.startsWith('train')); i++) await new Promise((r) => setTimeout(r, 100));
  const started = Date.now();
  child.kill('SIGTERM');
  assert.equal(await exited, 143);
  assert.ok(Date.now() - started < 10_000, 'the stop does not wait for the training to finish');
  assert.deepEqual(p.events().slice(1), ['train gpu=0,1', 'server stopped']);
  assert.ok(await portClosed(p.port));
});

test('the real script: a hostile model id reaches trl vllm-serve as one argument and runs nothing', async () => {
  const model = "x'; touch pwned; echo '$(touch pwned2) `touch pwned3`";
  const { r, events, dir } = await runScript({}, model);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(events[0].startsWith(`server start vllm-serve --model ${model} --tensor-parallel-size 1`), events[0]);
  for (const f of ['pwned', 'pwned2', 'pwned3']) assert.ok(!existsSync(join(dir, f)), f);
});
