// One owner per run and one run per script folder, through the CLI on the fixture GPU box
// (test/fixtures/trainer/fake-python: real trainer output, out of memory at micro-batch 4):
// a second `fine-tune --attach` is refused while the first command follows the run, a dead
// follower's lock is taken over, and two fine-tunes at once never share a train.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../../src/cli/main';
import { CliIo } from '../../../src/cli/command';
import { readConfig } from '../../../src/core/recipes/configBlock';
import { startFakeLlmServer } from '../../support/fakeLlmServer';

const REPO = path.resolve(__dirname, '../../..');
const FAKE_PYTHON = path.join(REPO, 'test/fixtures/trainer/fake-python');
const CLI_MAIN = path.join(REPO, 'src', 'cli', 'main.ts');
const ARGS = ['fine-tune', '--model', 'Qwen/Qwen2.5-0.5B-Instruct', '--data', 'data/medical_qa.jsonl', '--python', FAKE_PYTHON, '--approve=all'];
const SCRIPT = path.join('ml-intern/sft-qwen2-5-0-5b-instruct', 'train.py');

function workspace(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'mli-owner-'));
  cpSync(path.join(REPO, 'examples/medical-qa'), root, { recursive: true });
  return root;
}

function io(cwd: string, env: NodeJS.ProcessEnv = {}): CliIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', cwd, env: { CI: '1', ...env } as NodeJS.ProcessEnv, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
  return o;
}

interface Cli {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number>;
}

/** `ml-intern fine-tune` in its own process, with a slow trainer so others can meet it mid-run. */
function startCli(root: string, extra: string[] = [], steps = '200'): Cli {
  const env = { ...process.env, CI: '1', FAKE_STEPS: steps, FAKE_DELAY_MS: '30' };
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, ...ARGS, ...extra, '--workspace', root], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exit = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? -1)));
  return { child, output: () => out, exit };
}

/** Until the retried attempt (after the playbook's out-of-memory fix) is training. */
async function untilSecondAttemptTrains(cli: Cli): Promise<void> {
  const end = Date.now() + 90_000;
  for (;;) {
    const out = cli.output();
    if ((out.match(/▶ /g) ?? []).length >= 2 && /\{'loss'/.test(out.split('▶ ').at(-1) ?? '')) return;
    if (Date.now() > end) throw new Error(`timed out; output so far:\n${out.slice(-1500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function onlyRun(root: string): { id: string; folder: string } {
  const [id] = readdirSync(path.join(root, '.ml-intern', 'runs'));
  return { id, folder: path.join(root, '.ml-intern', 'runs', id) };
}

function jsonLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('fine-tune --attach while the first command still follows the run: refused naming its pid; the run is repaired once', { timeout: 180_000 }, async () => {
  const root = workspace();
  const first = startCli(root);
  await untilSecondAttemptTrains(first);
  const { id, folder } = onlyRun(root);

  const second = io(root);
  assert.equal(await runCli(['fine-tune', '--attach', id, '--python', FAKE_PYTHON], second), 1);
  assert.match(second.stderr, new RegExp(`Run ${id} is already followed by another process: pid ${first.child.pid} \\(.*fine-tune.*\\), since `));
  assert.match(second.stderr, /A second follower would repair the same failure and start the next attempt twice/);
  assert.doesNotMatch(second.stdout, /Following run/);

  assert.equal(await first.exit, 0, first.output().slice(-1500));
  // One out-of-memory fix for the one failed attempt, and every logged step once.
  assert.equal(jsonLines(path.join(folder, 'recovery.jsonl')).length, 1);
  const steps = jsonLines(path.join(folder, 'metrics.jsonl')).filter((p) => p.loss !== undefined).map((p) => `${String(p.attempt ?? 1)}:${String(p.step)}`);
  assert.equal(new Set(steps).size, steps.length, `no step recorded twice: ${steps.join(',')}`);
  assert.equal(existsSync(path.join(folder, 'owner.lock')), false, 'the lock is released when the run ends');
});

test("a follower killed mid-run leaves a dead pid's lock: --attach takes it over and follows the run to its end", { timeout: 180_000 }, async () => {
  const root = workspace();
  const first = startCli(root);
  await untilSecondAttemptTrains(first);
  const { id, folder } = onlyRun(root);
  first.child.kill('SIGKILL');
  await first.exit;
  const left = JSON.parse(readFileSync(path.join(folder, 'owner.lock'), 'utf8')) as { pid: number; by?: string };
  assert.equal(left.pid, first.child.pid, 'the dead follower left its lock');
  // A window finding this run later says a terminal's ml-intern ended, not that it reloaded (afterRestart.ts).
  assert.match(left.by ?? '', /the `ml-intern` command .* in a terminal/);

  const o = io(root);
  assert.equal(await runCli(['fine-tune', '--attach', id, '--python', FAKE_PYTHON], o), 0, o.stderr + o.stdout.slice(-1500));
  assert.match(o.stdout, new RegExp(`Run ${id}: succeeded`));
  assert.equal(existsSync(path.join(folder, 'owner.lock')), false);
  assert.deepEqual(readdirSync(path.join(root, '.ml-intern', 'locks')), [], 'the script folder is free again');
});

test('two fine-tunes at once in one workspace: the second is refused before it touches the shared train.py', { timeout: 180_000 }, async () => {
  const root = workspace();
  const a = startCli(root, ['--set', 'LEARNING_RATE=1e-5'], '60');
  const b = startCli(root, ['--set', 'LEARNING_RATE=2e-4'], '60');
  const codes = await Promise.all([a.exit, b.exit]);
  const [winner, loser] = codes[0] === 0 ? [a, b] : [b, a];
  assert.deepEqual([...codes].sort(), [0, 1], `${a.output().slice(-800)}\n---\n${b.output().slice(-800)}`);
  assert.match(loser.output(), /: failed\nml-intern\/sft-qwen2-5-0-5b-instruct\/ is in use by run \S+, driven by pid \d+ .*two runs at once would share ml-intern\/sft-qwen2-5-0-5b-instruct\/train\.py/);
  assert.doesNotMatch(loser.output(), /train\.py accepted/, 'the refused run proposed nothing');
  // The script trained from is the winner's, with its own learning rate.
  const wanted = winner === a ? 1e-5 : 2e-4;
  assert.equal(readConfig(readFileSync(path.join(root, SCRIPT), 'utf8')).LEARNING_RATE, wanted);
  assert.match(winner.output(), /: succeeded\n/);
});

test('run --continue while another process drives the agent run: refused naming its pid; once that process is gone it continues', { timeout: 120_000 }, async () => {
  const server = await startFakeLlmServer();
  try {
    const root = mkdtempSync(path.join(tmpdir(), 'mli-owner-agent-'));
    const env = { OPENAI_API_KEY: 'sk-owner-test-abcdefghijklmnopqrstuvwxyz' };
    const llm = ['--base-url', server.openaiBaseUrl, '--model', 'gpt-4.1'];
    server.script([{ toolCalls: [{ name: 'finish', arguments: JSON.stringify({ summary: 'First pass.' }) }] }]);
    const first = io(root, env);
    assert.equal(await runCli(['run', 'count the rows', ...llm, '--json'], first), 0, first.stderr);
    const { runId } = JSON.parse(first.stdout) as { runId: string };

    // Another terminal continues it; its model call hangs, so it keeps driving the run.
    server.script([{ text: 'x', delayFirstByteMs: 60_000 }, { toolCalls: [{ name: 'finish', arguments: JSON.stringify({ summary: 'Went on.' }) }] }]);
    const other = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, 'run', '--continue', runId, 'go on', ...llm, '--workspace', root], { cwd: REPO, env: { ...process.env, CI: '1', ...env }, stdio: 'ignore' });
    const exited = new Promise((r) => other.once('close', r));
    const status = path.join(root, '.ml-intern', 'runs', runId, 'status.json');
    const end = Date.now() + 60_000;
    while (JSON.parse(readFileSync(status, 'utf8')).pid !== other.pid || server.requests.length < 2) {
      if (Date.now() > end) throw new Error('the other process never drove the run');
      await new Promise((r) => setTimeout(r, 100));
    }

    const second = io(root, env);
    assert.equal(await runCli(['run', '--continue', runId, 'go on', ...llm], second), 1);
    assert.match(second.stderr, new RegExp(`Run ${runId} is running in another process: pid ${other.pid} \\(.*run --continue.*\\)\\. Continuing it here too would answer its steps twice`));
    assert.equal(server.requests.length, 2, 'no model call made by the refused one');

    other.kill('SIGKILL');
    await exited;
    const third = io(root, env);
    assert.equal(await runCli(['run', '--continue', runId, 'go on', ...llm], third), 0, third.stderr);
    assert.match(third.stdout, /succeeded\nWent on\./);
  } finally {
    await server.close();
  }
});
