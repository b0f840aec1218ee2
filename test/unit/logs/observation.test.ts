import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildFailureObservation, buildFailureObservationFromFile } from '../../../src/core/logs/observation';
import { TRAINER_FIXTURES } from './helpers';

const fixture = (name: string) => readFileSync(path.join(TRAINER_FIXTURES, name), 'utf8');
const tokens = (s: string) => Math.ceil(s.length / 4);

function fakeTrainer(args: string[]): string {
  try {
    return execFileSync('bash', ['-c', `python3 "$0" "$@" 2>&1`, path.join(TRAINER_FIXTURES, 'fake_trainer.py'), ...args], { encoding: 'utf8' });
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? '');
  }
}

test('torchrun, 2 ranks interleaving their tracebacks line by line: the real OOM of the first failing rank, not ChildFailedError', () => {
  const obs = buildFailureObservation({ text: fixture('torchrun_oom_2ranks.log'), exitCode: 1, logPath: '/ws/.ml-intern/runs/r1/logs/train.log' });
  assert.ok(tokens(obs) <= 2000, `${tokens(obs)} tokens`);
  assert.match(obs, /Exception \(rank 1, the first failing rank/);
  assert.match(obs, /torch\.OutOfMemoryError: CUDA out of memory\. Tried to allocate 3\.91 GiB\. GPU 1 has a total capacity of 79\.10 GiB/);
  // The exception section holds rank 1's exception only, with no rank 0 lines mixed in.
  const exc = obs.slice(obs.indexOf('Exception ('), obs.indexOf('Key frames'));
  assert.doesNotMatch(exc, /GPU 0 has/);
  assert.match(obs, /File "\/workspace\/train_fsdp\.py", line 81, in main/);
  assert.match(obs, /trainer\.train\(\)/);
  assert.match(obs, /torch\/autograd\/graph\.py", line 823, in _engine_run_backward/, 'innermost library frame');
  assert.doesNotMatch(obs.slice(0, obs.indexOf('Other exceptions') === -1 ? undefined : obs.indexOf('Other exceptions')), /File ".*accelerate\/accelerator\.py"/, 'middle library frames are left out');
  assert.match(obs, /Last progress: .*17\/500/);
  assert.match(obs, /UserWarning: When using ``NO_SHARD``/);
  assert.match(obs, /Exit code: 1/);
  assert.match(obs, /read the full log with the read_file tool at \/ws\/\.ml-intern\/runs\/r1\/logs\/train\.log/);
});

test('accelerate launch, 4 ranks: the ValueError, not CalledProcess/ChildFailedError', () => {
  const obs = buildFailureObservation({ text: fixture('accelerate_valueerror_4ranks.log'), exitCode: 1, logPath: '/tmp/x.log' });
  assert.match(obs, /Exception \(rank 2/, 'Root Cause names rank 2');
  assert.match(obs, /ValueError: The dataset has no 'text' or 'messages' column/);
  assert.match(obs, /File "\/home\/user\/proj\/train\.py", line 57, in <module>/);
  assert.ok(tokens(obs) <= 2000);
});

test('a 100k-line failed log: bounded extract with the exception, frames, progress, warnings and exit code', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mli-obs-'));
  try {
    const run = fakeTrainer(['--steps', '2000', '--logging-steps', '1', '--fail', 'oom', '--fail-at', '1990']);
    const noise = Array.from({ length: 100_000 }, (_, i) => `[INFO|trainer.py:${i % 4000}] 2025-01-01 00:00:00 >> step ${i} data loader heartbeat`).join('\n');
    const text = `${noise}\n${run}`;
    assert.ok(text.split('\n').length > 100_000);
    const logPath = path.join(dir, 'train.log');
    writeFileSync(logPath, text);
    const t0 = Date.now();
    const obs = buildFailureObservation({ text, exitCode: 1, logPath });
    const ms = Date.now() - t0;
    assert.ok(tokens(obs) <= 2000, `${tokens(obs)} tokens`);
    assert.ok(ms < 5000, `${ms} ms`);
    assert.match(obs, /^torch\.OutOfMemoryError: CUDA out of memory\. Tried to allocate 2\.00 GiB\. GPU 0 has a total capacity of 22\.06 GiB of which 1\.19 GiB is free/m);
    assert.match(obs, /File "\/workspace\/train\.py", line 136, in main/);
    assert.match(obs, /torch\/nn\/modules\/linear\.py", line 125, in forward/);
    assert.match(obs, /Last progress: .*1989\/2000/);
    assert.match(obs, /UserWarning: You passed a tokenizer with `padding_side`/);
    assert.match(obs, /Exit code: 1\./);
    assert.ok(obs.includes(`read the full log with the read_file tool at ${logPath}`));
    // From the file: reads only its end, same essentials.
    const o = await buildFailureObservationFromFile(logPath, { exitCode: 1, maxBytes: 512 * 1024 });
    assert.match(o, /torch\.OutOfMemoryError/);
    assert.ok(tokens(o) <= 2000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the budget is a hard cap, also with a tiny one; warnings are deduplicated', () => {
  const warn = '/x/site-packages/peft/utils/save_and_load.py:309: UserWarning: Setting `save_embedding_layers` to `True`';
  const text = [...Array.from({ length: 50 }, () => warn), 'Traceback (most recent call last):', '  File "/w/train.py", line 3, in <module>', '    boom()', `RuntimeError: ${'x'.repeat(5000)}`].join('\n');
  const obs = buildFailureObservation({ text, exitCode: 1, maxTokens: 300 });
  assert.ok(obs.length <= 1200, String(obs.length));
  assert.match(obs, /RuntimeError: x+/);
  const big = buildFailureObservation({ text, exitCode: 1 });
  assert.ok(big.split('UserWarning').length - 1 <= 2, 'once in the warnings, at most once in the tail');
  assert.match(big, /\(×50\)/);
});

test('SIGKILL with no traceback: says so, exit 137 explained, tail kept', () => {
  const obs = buildFailureObservation({ lines: ['loading', ' 10%|█         | 10/100 [00:10<01:30,  1.00it/s]'], exitCode: 137 });
  assert.match(obs, /Exit code: 137 \(signal 9\)/);
  assert.match(obs, /No Python traceback/);
  assert.match(obs, /Last progress: 10%\|█ +\| 10\/100/);
});
