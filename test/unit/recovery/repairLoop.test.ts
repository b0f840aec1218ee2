import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig } from '../../../src/core/recipes';
import { repairLoop, RunResult, ScriptRunner } from '../../../src/core/recovery/repairLoop';
import { MemoryFileStore, RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { LlmProvider } from '../../../src/core/llm/types';
import { OpenAiProvider } from '../../../src/core/llm/openaiProvider';
import { startFakeLlmServer } from '../../support/fakeLlmServer';
import { recipeScript } from './helpers';

const FAKE_TRAINER = join(__dirname, '../../fixtures/trainer/fake_trainer.py');
const SCRIPT = 'train.py';
const RUN_DIR = '.ml-intern/runs/r1';

/** Runs the fixture trainer (a real python process) on the script's CONFIG block, from a folder holding its data file. */
function fakeTrainerRunner(files: MemoryFileStore, runs: RunResult[]): ScriptRunner {
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-repair-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'train.jsonl'), '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n');
  return async (scriptPath) => {
    const path = join(dir, 'train.py');
    writeFileSync(path, await files.read(scriptPath));
    const r = await new Promise<RunResult>((resolve, reject) => {
      const p = spawn('python3', [FAKE_TRAINER, '--reads-config', path, '--oom-above', '2', '--steps', '6', '--no-color'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      p.stdout.on('data', (b: Buffer) => (log += b.toString()));
      p.stderr.on('data', (b: Buffer) => (log += b.toString()));
      p.on('error', reject);
      p.on('close', (code) => resolve({ exitCode: code ?? 1, logText: log }));
    });
    runs.push(r);
    return r;
  };
}

const throwingLlm: LlmProvider = {
  id: 'fake',
  model: 'none',
  contextWindow: 128000,
  chat: async () => {
    throw new Error('the LLM must not be called on a playbook path');
  },
};

test('OOM on the first run → playbook diff (batch 4 → 2, accumulation up, checkpointing on) → accepted → second run succeeds; zero LLM calls', async () => {
  const server = await startFakeLlmServer();
  try {
    const files = new MemoryFileStore('/ws', { [SCRIPT]: recipeScript() });
    const reviewer = new ScriptedReviewer();
    const events = new RecordingEventSink();
    const runs: RunResult[] = [];
    const llm = new OpenAiProvider({ apiKey: 'sk-test', model: 'gpt-4.1', baseUrl: server.openaiBaseUrl });
    const res = await repairLoop({ runId: 'r1', runDir: RUN_DIR, scriptPath: SCRIPT, files, reviewer, events, run: fakeTrainerRunner(files, runs), llm });
    assert.equal(res.outcome, 'succeeded', JSON.stringify(res, null, 1).slice(0, 2000));
    assert.equal(runs.length, 2);
    assert.notEqual(runs[0].exitCode, 0);
    assert.match(runs[0].logText, /CUDA out of memory/);
    assert.equal(runs[1].exitCode, 0);
    assert.equal(res.attempts.length, 1);
    const a = res.attempts[0];
    assert.equal(a.category, 'cuda_oom');
    assert.equal(a.origin, 'playbook');
    assert.equal(a.outcome, 'fixed');
    assert.match(a.diff, /^-PER_DEVICE_TRAIN_BATCH_SIZE = 4/m);
    assert.match(a.diff, /^\+PER_DEVICE_TRAIN_BATCH_SIZE = 2/m);
    assert.match(a.diff, /^\+GRADIENT_ACCUMULATION_STEPS = 8/m);
    assert.match(a.diff, /^\+GRADIENT_CHECKPOINTING = True/m);
    const cfg = readConfig(await files.read(SCRIPT));
    assert.deepEqual([cfg.PER_DEVICE_TRAIN_BATCH_SIZE, cfg.GRADIENT_ACCUMULATION_STEPS, cfg.GRADIENT_CHECKPOINTING], [2, 8, true]);
    assert.equal(reviewer.seen.length, 1);
    assert.equal(reviewer.seen[0].origin, 'playbook');
    assert.equal(server.requests.length, 0, 'no LLM call on the playbook path');
    const diag = events.ofType('diagnosis');
    assert.equal(diag.length, 1);
    assert.equal(diag[0].category, 'cuda_oom');
    assert.match(diag[0].fix, /micro-batch 4 → 2/);
    const jsonl = (await files.read(`${RUN_DIR}/recovery.jsonl`)).trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(jsonl.length, 1);
    assert.equal(jsonl[0].outcome, 'fixed');
    assert.match(jsonl[0].diff, /GRADIENT_CHECKPOINTING/);
  } finally {
    await server.close();
  }
});

test('the same on a provider that throws if called', async () => {
  const files = new MemoryFileStore('/ws', { [SCRIPT]: recipeScript() });
  const res = await repairLoop({ runId: 'r1', runDir: RUN_DIR, scriptPath: SCRIPT, files, reviewer: new ScriptedReviewer(), events: new RecordingEventSink(), run: fakeTrainerRunner(files, []), llm: throwingLlm });
  assert.equal(res.outcome, 'succeeded');
});

const DATA_SCRIPT = 'from datasets import load_dataset\nds = load_dataset("json", data_files="d.jsonl", split="train")\ndef fmt(ex):\n    return {"text": ex["instruction"] + ex["output"]}\nds = ds.map(fmt)\n';
const KEYERROR_LOG = 'Traceback (most recent call last):\n  File "train.py", line 5, in <module>\n    ds = ds.map(fmt)\n  File "train.py", line 4, in fmt\n    return {"text": ex["instruction"] + ex["output"]}\nKeyError: \'instruction\'\n';

function scriptedRunner(files: MemoryFileStore, decide: (script: string, n: number) => RunResult): ScriptRunner & { calls: number } {
  const f = async (p: string) => {
    f.calls++;
    return decide(await files.read(p), f.calls);
  };
  f.calls = 0;
  return f;
}

test('no playbook rule: the LLM (real provider over the fake server) proposes a fix, it is reviewed as an agent change, applied, and the run succeeds', async () => {
  const server = await startFakeLlmServer();
  try {
    server.script([
      { text: 'FIX: The dataset has prompt/response columns, not instruction/output.\n<<<<<<< SEARCH\n    return {"text": ex["instruction"] + ex["output"]}\n=======\n    return {"text": ex["prompt"] + ex["response"]}\n>>>>>>> REPLACE\n' },
    ]);
    const files = new MemoryFileStore('/ws', { [SCRIPT]: DATA_SCRIPT });
    const reviewer = new ScriptedReviewer();
    const events = new RecordingEventSink();
    const run = scriptedRunner(files, (s) => (s.includes('ex["prompt"]') ? { exitCode: 0, logText: "{'train_runtime': 1.0, 'train_loss': 1.2}\n" } : { exitCode: 1, logText: KEYERROR_LOG }));
    const llm = new OpenAiProvider({ apiKey: 'sk-test', model: 'gpt-4.1', baseUrl: server.openaiBaseUrl });
    const res = await repairLoop({ runId: 'r2', runDir: RUN_DIR, scriptPath: SCRIPT, files, reviewer, events, run, llm });
    assert.equal(res.outcome, 'succeeded', JSON.stringify(res.attempts));
    assert.equal(server.requests.length, 1);
    const prompt = JSON.stringify(server.requests[0].body);
    assert.match(prompt, /KeyError: 'instruction'/);
    assert.match(prompt, /dataset_schema/);
    assert.equal(reviewer.seen.length, 1);
    assert.equal(reviewer.seen[0].origin, 'agent');
    assert.match(reviewer.seen[0].description, /prompt\/response columns/);
    assert.match(await files.read(SCRIPT), /ex\["prompt"\] \+ ex\["response"\]/);
    assert.equal(res.attempts[0].origin, 'agent');
    assert.match(res.attempts[0].diff, /^\+    return \{"text": ex\["prompt"\]/m);
  } finally {
    await server.close();
  }
});

test('a malformed LLM answer gets one retry, then the loop asks the user', async () => {
  const server = await startFakeLlmServer();
  try {
    server.script([{ text: 'I think you should rename the column.' }, { text: 'FIX: x\n<<<<<<< SEARCH\nnot in the script\n=======\ny\n>>>>>>> REPLACE\n' }]);
    const files = new MemoryFileStore('/ws', { [SCRIPT]: DATA_SCRIPT });
    const events = new RecordingEventSink();
    const run = scriptedRunner(files, () => ({ exitCode: 1, logText: KEYERROR_LOG }));
    const res = await repairLoop({ runId: 'r3', runDir: RUN_DIR, scriptPath: SCRIPT, files, reviewer: new ScriptedReviewer(), events, run, llm: new OpenAiProvider({ apiKey: 'sk-test', model: 'gpt-4.1', baseUrl: server.openaiBaseUrl }) });
    assert.equal(res.outcome, 'needs_user');
    assert.equal(server.requests.length, 2);
    assert.match(res.question ?? '', /could not be applied/);
    assert.equal(events.ofType('ask_user').length, 1);
    assert.equal(run.calls, 1);
  } finally {
    await server.close();
  }
});

test('the same failure after the same fix: the loop stops and asks instead of looping', async () => {
  // The runner reverts the script each time (as if something regenerated it): the playbook would propose the same diff again.
  const original = recipeScript();
  const files = new MemoryFileStore('/ws', { [SCRIPT]: original });
  const oom = 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.\n';
  const run = scriptedRunner(files, () => ({ exitCode: 1, logText: oom }));
  const reverting: ScriptRunner = async (p, o) => {
    const r = await run(p, o);
    await files.write(SCRIPT, original);
    return r;
  };
  const events = new RecordingEventSink();
  const res = await repairLoop({ runId: 'r4', runDir: RUN_DIR, scriptPath: SCRIPT, files, reviewer: new ScriptedReviewer(), events, run: reverting, llm: throwingLlm });
  assert.equal(res.outcome, 'needs_user');
  assert.match(res.question ?? '', /came back after the same fix/);
  assert.equal(run.calls, 2);
  assert.equal(events.ofType('ask_user').length, 1);
});

test('an OOM that never goes away climbs the ladder that keeps the task and ends with the question of what to change (never silently)', async () => {
  const files = new MemoryFileStore('/ws', { [SCRIPT]: recipeScript() });
  const run = scriptedRunner(files, () => ({ exitCode: 1, logText: 'torch.OutOfMemoryError: CUDA out of memory.\n' }));
  const res = await repairLoop({ runId: 'r5', runDir: RUN_DIR, scriptPath: SCRIPT, files, reviewer: new ScriptedReviewer(), events: new RecordingEventSink(), run, maxAttempts: 10 });
  assert.equal(res.outcome, 'needs_user');
  assert.match(res.question ?? '', /MAX_LENGTH 2048 → 1024.*QLoRA/);
  assert.deepEqual(res.attempts.map((a) => a.fixId), ['oom:batch', 'oom:batch', 'oom:optim', 'oom:scope']);
  const script = await files.read(SCRIPT);
  assert.doesNotMatch(script, /LOAD_IN_4BIT = True/);
  assert.match(script, /^MAX_LENGTH = 2048\b/m, "the user's data is not truncated behind their back");
});

test('budget, rejection, network retry with env, and pip commands through approval', async () => {
  // Budget of 1: one fix, the failure stays, then the loop asks.
  let files = new MemoryFileStore('/ws', { [SCRIPT]: recipeScript() });
  let run = scriptedRunner(files, () => ({ exitCode: 1, logText: 'torch.OutOfMemoryError: CUDA out of memory.\n' }));
  let res = await repairLoop({ runId: 'r6', runDir: RUN_DIR, scriptPath: SCRIPT, files, reviewer: new ScriptedReviewer(), events: new RecordingEventSink(), run, maxAttempts: 1 });
  assert.equal(res.outcome, 'budget_exhausted');

  // A rejected fix stops the loop.
  files = new MemoryFileStore('/ws', { [SCRIPT]: recipeScript() });
  run = scriptedRunner(files, () => ({ exitCode: 1, logText: 'torch.OutOfMemoryError: CUDA out of memory.\n' }));
  res = await repairLoop({ runId: 'r7', runDir: RUN_DIR, scriptPath: SCRIPT, files, reviewer: new ScriptedReviewer([{ kind: 'rejected', reason: 'keep the batch' }]), events: new RecordingEventSink(), run });
  assert.equal(res.outcome, 'needs_user');
  assert.match(res.question ?? '', /rejected \(keep the batch\)/);
  assert.equal(run.calls, 1);

  // Network: the retry carries the longer time-outs in the environment.
  files = new MemoryFileStore('/ws', { [SCRIPT]: recipeScript() });
  const envs: Array<Record<string, string> | undefined> = [];
  const netRun: ScriptRunner = async (_p, o) => {
    envs.push(o.env);
    return envs.length === 1 ? { exitCode: 1, logText: "OSError: We couldn't connect to 'https://huggingface.co' to load this file\n" } : { exitCode: 0, logText: 'done\n' };
  };
  res = await repairLoop({ runId: 'r8', runDir: RUN_DIR, scriptPath: SCRIPT, files, reviewer: new ScriptedReviewer(), events: new RecordingEventSink(), run: netRun });
  assert.equal(res.outcome, 'succeeded');
  assert.deepEqual(envs[1], { HF_HUB_DOWNLOAD_TIMEOUT: '60', HF_HUB_ETAG_TIMEOUT: '60' });

  // pip: approved and run, then the script runs again.
  files = new MemoryFileStore('/ws', { [SCRIPT]: recipeScript() });
  const commands: string[][] = [];
  let installed = false;
  const pipRun: ScriptRunner = async () => (installed ? { exitCode: 0, logText: 'ok\n' } : { exitCode: 1, logText: "ModuleNotFoundError: No module named 'trl'\n" });
  res = await repairLoop({
    runId: 'r9', runDir: RUN_DIR, scriptPath: SCRIPT, files, reviewer: new ScriptedReviewer(), events: new RecordingEventSink(), run: pipRun,
    approveCommand: async () => true,
    runCommand: async (argv) => {
      commands.push(argv);
      installed = true;
      return { exitCode: 0, logText: 'Successfully installed trl-0.21.0\n' };
    },
  });
  assert.equal(res.outcome, 'succeeded');
  assert.deepEqual(commands, [['python3', '-m', 'pip', 'install', 'trl']]);
  // Without an approver the command becomes a question.
  res = await repairLoop({ runId: 'r10', runDir: RUN_DIR, scriptPath: SCRIPT, files, reviewer: new ScriptedReviewer(), events: new RecordingEventSink(), run: async () => ({ exitCode: 1, logText: "ModuleNotFoundError: No module named 'peft'\n" }) });
  assert.equal(res.outcome, 'needs_user');
  assert.match(res.question ?? '', /pip install peft/);
  // The install refused by an OS-managed Python (PEP 668): the question says to make a virtual environment.
  res = await repairLoop({
    runId: 'r11', runDir: RUN_DIR, scriptPath: SCRIPT, files, reviewer: new ScriptedReviewer(), events: new RecordingEventSink(),
    run: async () => ({ exitCode: 1, logText: "ModuleNotFoundError: No module named 'peft'\n" }),
    approveCommand: async () => true,
    runCommand: async () => ({
      exitCode: 1,
      logText: 'error: externally-managed-environment\n\n× This environment is externally managed\n╰─> To install Python packages system-wide, try apt install\n    python3-xyz, where xyz is the package you are trying to\n    install.\n\nhint: See PEP 668 for the detailed specification.\n',
    }),
  });
  assert.equal(res.outcome, 'needs_user');
  assert.match(res.question ?? '', /'python3 -m pip install peft' failed \(exit 1\)\. hint: See PEP 668.*managed by the operating system: create a virtual environment \(python3 -m venv \.venv\)/);
});
