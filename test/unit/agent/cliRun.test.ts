import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../../src/cli/main';
import { CliIo } from '../../../src/cli/command';
import { startFakeLlmServer } from '../../support/fakeLlmServer';
import { tempWorkspace } from './helpers';

function io(cwd: string, env: NodeJS.ProcessEnv): CliIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', cwd, env, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
  return o;
}

const call = (name: string, args: unknown) => ({ name, arguments: JSON.stringify(args) });

test('ml-intern run (non-interactive, --approve=none): proposed changes and runs are refused with a clear reason and listed; ml-intern runs lists the run', async () => {
  const server = await startFakeLlmServer();
  try {
    const root = tempWorkspace('mli-cli-');
    writeFileSync(path.join(root, 'notes.txt'), 'hello');
    server.script([
      { text: 'Reading.', toolCalls: [call('read_file', { path: 'notes.txt' })] },
      { toolCalls: [call('write_file', { path: 'train.py', content: 'print(1)\n', description: 'a script' })] },
      { toolCalls: [call('run', { command: ['python', 'train.py'], reason: 'train' })] },
      { toolCalls: [call('finish', { summary: 'Could not write or run: not approved.' })] },
    ]);
    const key = 'sk-cli-test-abcdefghijklmnopqrstuvwxyz';
    const o = io(root, { OPENAI_API_KEY: key, HF_TOKEN: 'hf_abcdefghijklmnopqrstuvwxyz123' });
    const code = await runCli(['run', 'write a training script', '--base-url', server.openaiBaseUrl, '--model', 'gpt-4.1', '--max-steps', '10'], o);
    assert.equal(code, 0, o.stderr);
    assert.match(o.stdout, /Reading\./);
    assert.match(o.stdout, /succeeded/);
    assert.match(o.stdout, /Not approved \(re-run with --approve=all/);
    assert.match(o.stdout, /change train\.py: a script/);
    assert.match(o.stdout, /run python3 train\.py: train/);
    assert.match(o.stderr, /not approved \(run with --approve=all/);
    assert.equal(existsSync(path.join(root, 'train.py')), false, 'nothing written');
    // The model was told why.
    const body = server.requests[2].body as { messages: Array<{ role: string; content: string }> };
    assert.match(body.messages[body.messages.length - 1].content, /rejected the change to train\.py: not approved \(run with --approve=/);
    assert.equal(server.requests[0].headers.authorization, `Bearer ${key}`);

    const list = io(root, {});
    assert.equal(await runCli(['runs', '--json'], list), 0);
    const runs = JSON.parse(list.stdout);
    assert.equal(runs.length, 1);
    assert.equal(runs[0].status.state, 'succeeded');
    const human = io(root, {});
    await runCli(['runs'], human);
    assert.match(human.stdout, /succeeded\s+4 steps/);
    const transcript = readFileSync(path.join(root, runs[0].folder, 'transcript.jsonl'), 'utf8');
    assert.ok(!transcript.includes(key));
  } finally {
    await server.close();
  }
});

test('ml-intern run --approve=all writes and runs; --json prints one result object', async () => {
  const server = await startFakeLlmServer();
  try {
    const root = tempWorkspace('mli-cli-');
    server.script([
      { toolCalls: [call('write_file', { path: 'hello.py', content: 'print("hi from python")\n', description: 'hello' })] },
      { toolCalls: [call('run', { command: ['python', 'hello.py'], reason: 'say hi' })] },
      { toolCalls: [call('finish', { summary: 'said hi' })] },
    ]);
    const o = io(root, { OPENAI_API_KEY: 'sk-cli-test-abcdefghijklmnopqrstuvwxyz' });
    const code = await runCli(['run', 'say hi', '--approve=all', '--base-url', server.openaiBaseUrl, '--model', 'gpt-4.1', '--json'], o);
    assert.equal(code, 0, o.stderr);
    const result = JSON.parse(o.stdout);
    assert.equal(result.state, 'succeeded');
    assert.deepEqual(result.refused, []);
    assert.equal(readFileSync(path.join(root, 'hello.py'), 'utf8'), 'print("hi from python")\n');
    const body = server.requests[2].body as { messages: Array<{ role: string; content: string }> };
    assert.match(body.messages[body.messages.length - 1].content, /hi from python/);
  } finally {
    await server.close();
  }
});

test('ml-intern run: usage errors', async () => {
  const o = io(tempWorkspace(), {});
  assert.equal(await runCli(['run', 'x', '--approve=maybe', '--provider', 'openai'], o), 2);
  assert.match(o.stderr, /--approve must be none, recipe, sandboxed or all/);
  const o2 = io(tempWorkspace(), {});
  assert.equal(await runCli(['run', 'x'], o2), 2);
  assert.match(o2.stderr, /no provider/);
});

test('ml-intern run --mcp-config: the MCP server’s tools are offered, called after approval, and its result reaches the model', async () => {
  const server = await startFakeLlmServer();
  try {
    const root = tempWorkspace('mli-cli-mcp-');
    const mcpServer = path.resolve(__dirname, '../../fixtures/mcp/server.mjs');
    writeFileSync(path.join(root, 'mcp.json'), JSON.stringify({ gpu: { command: process.execPath, args: [mcpServer], env: { FIXTURE_TAG: 'cli' } } }));
    server.script([
      { toolCalls: [call('mcp__gpu__gpu_status', { index: 0 })] },
      { toolCalls: [call('finish', { summary: 'GPU checked.' })] },
    ]);
    const o = io(root, { OPENAI_API_KEY: 'test-key' });
    const code = await runCli(['run', 'check the GPU', '--base-url', server.openaiBaseUrl, '--model', 'gpt-4.1', '--approve=all', '--mcp-config', 'mcp.json'], o);
    assert.equal(code, 0, o.stderr);
    const offered = (server.requests[0].body as { tools: Array<{ function: { name: string } }> }).tools.map((t) => t.function.name);
    assert.ok(offered.includes('mcp__gpu__gpu_status'), offered.join(','));
    assert.match(JSON.stringify(server.requests[1].body), /GPU 0: 79\.1 GiB free of 80 GiB \(cli\)/);
  } finally {
    await server.close();
  }
});

test('ml-intern run --mcp-config with a broken file is a usage error (exit 2) that names the file', async () => {
  const root = tempWorkspace('mli-cli-mcp-bad-');
  writeFileSync(path.join(root, 'mcp.json'), '[1, 2');
  const o = io(root, { OPENAI_API_KEY: 'test-key' });
  const code = await runCli(['run', 'x', '--base-url', 'http://127.0.0.1:9/v1', '--model', 'gpt-4.1', '--mcp-config', 'mcp.json'], o);
  assert.equal(code, 2);
  assert.match(o.stderr, /--mcp-config mcp\.json/);
});

test('ml-intern run: the command dies mid-training (an SSH drop), the training goes on, `run --continue` waits for it and the model gets its real result', { timeout: 120_000 }, async () => {
  const server = await startFakeLlmServer();
  try {
    const root = tempWorkspace('mli-cli-drop-');
    const trainer = path.resolve(__dirname, '../../fixtures/trainer/fake_trainer.py');
    server.script([
      { text: 'Training.', toolCalls: [call('run', { command: ['python', trainer, '--steps', '60', '--delay-ms', '80', '--logging-steps', '5'], reason: 'train' })] },
      { toolCalls: [call('finish', { summary: 'Trained after the drop.' })] },
    ]);
    const env = { ...process.env, CI: '1', OPENAI_API_KEY: 'sk-cli-test-abcdefghijklmnopqrstuvwxyz' };
    const cliMain = path.resolve(__dirname, '../../../src/cli/main.ts');
    const args = ['--base-url', server.openaiBaseUrl, '--model', 'gpt-4.1', '--approve=all', '--workspace', root];
    const first = spawn(process.execPath, ['--import', 'tsx', cliMain, 'run', 'train it', ...args], { cwd: path.resolve(__dirname, '../../..'), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    first.stdout.on('data', (b: Buffer) => (out += b.toString()));
    first.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const end = Date.now() + 60_000;
    while (!/\{'loss'/.test(out)) {
      if (Date.now() > end) throw new Error(`no training output; so far:\n${out.slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    first.kill('SIGHUP');
    await new Promise((r) => first.once('close', r));
    const id = readdirSync(path.join(root, '.ml-intern', 'runs'))[0];
    const runDir = path.join(root, '.ml-intern', 'runs', id);
    const { pid } = JSON.parse(readFileSync(path.join(runDir, 'logs', 'cmd-1', 'launcher.json'), 'utf8')) as { pid: number };
    assert.doesNotThrow(() => process.kill(pid, 0), 'the training outlives the command that started it');

    const o = io(root, { OPENAI_API_KEY: 'sk-cli-test-abcdefghijklmnopqrstuvwxyz' });
    const code = await runCli(['run', '--continue', id, ...args], o);
    assert.equal(code, 0, o.stderr + o.stdout.slice(-1500));
    assert.match(o.stdout, /\(re-attached\)/);
    assert.match(o.stdout, /'train_runtime'/, 'the output after the drop is printed');
    assert.match(o.stdout, /succeeded/);
    const body = server.requests[1].body as { messages: Array<{ role: string; content: string }> };
    const result = body.messages.filter((m) => m.role === 'tool').at(-1)?.content ?? '';
    assert.match(result, /exit code 0 after/);
    assert.doesNotMatch(result, /Interrupted/);
    const losses = readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { step: number; loss?: number }).filter((p) => p.loss !== undefined).map((p) => p.step);
    assert.deepEqual(losses, Array.from({ length: 12 }, (_, i) => (i + 1) * 5), 'each loss once across the drop');
  } finally {
    await server.close();
  }
});

test('ml-intern run: Ctrl+C stops the training it started; Ctrl+C twice quits at once and kills it, leaving nothing running unseen', { timeout: 120_000 }, async () => {
  const server = await startFakeLlmServer();
  try {
    const root = tempWorkspace('mli-cli-int-');
    const trainer = path.resolve(__dirname, '../../fixtures/trainer/fake_trainer.py');
    // A trainer that ignores SIGINT and SIGTERM: only the second Ctrl+C (SIGKILL) ends it.
    server.script([{ toolCalls: [call('run', { command: ['python', trainer, '--steps', '100000', '--delay-ms', '50', '--ignore-signals'], reason: 'train' })] }]);
    const env = { ...process.env, CI: '1', OPENAI_API_KEY: 'sk-cli-test-abcdefghijklmnopqrstuvwxyz' };
    const cli = spawn(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '../../../src/cli/main.ts'), 'run', 'train', '--base-url', server.openaiBaseUrl, '--model', 'gpt-4.1', '--approve=all', '--workspace', root], { cwd: path.resolve(__dirname, '../../..'), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    cli.stdout.on('data', (b: Buffer) => (out += b.toString()));
    cli.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const closed = new Promise<number | null>((r) => cli.once('close', (code) => r(code)));
    const end = Date.now() + 60_000;
    while (!/\/100000 \[/.test(out)) {
      if (Date.now() > end) throw new Error(`no training output; so far:\n${out.slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const id = readdirSync(path.join(root, '.ml-intern', 'runs'))[0];
    const { pid } = JSON.parse(readFileSync(path.join(root, '.ml-intern', 'runs', id, 'logs', 'cmd-1', 'launcher.json'), 'utf8')) as { pid: number };
    cli.kill('SIGINT');
    while (!/Stopping the run/.test(out)) await new Promise((r) => setTimeout(r, 50));
    cli.kill('SIGINT');
    assert.equal(await closed, 130);
    const gone = Date.now() + 10_000;
    const alive = () => {
      try {
        process.kill(pid, 0);
        return !/^[^)]*\)\s+Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };
    while (alive() && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(), false, 'the training was killed with the CLI');
  } finally {
    await server.close();
  }
});

test('ml-intern run prints the tokens it spent (uncached input + output) with cache reads apart, and takes --reasoning-effort (a wrong value is refused naming the flag)', async () => {
  const server = await startFakeLlmServer();
  try {
    const root = tempWorkspace('mli-cli-');
    server.script([
      { toolCalls: [call('plan', { items: [{ text: 'look', status: 'in_progress' }] })], usage: { inputTokens: 300, cachedInputTokens: 4000, outputTokens: 20 } },
      { toolCalls: [call('finish', { summary: 'Done.' })], usage: { inputTokens: 100, cachedInputTokens: 4300, outputTokens: 30 } },
    ]);
    const o = io(root, { OPENAI_API_KEY: 'sk-cli-test-abcdefghijklmnopqrstuvwxyz' });
    const code = await runCli(['run', 'plan it', '--base-url', server.openaiBaseUrl, '--model', 'gpt-5', '--reasoning-effort', 'low'], o);
    assert.equal(code, 0, o.stderr);
    assert.match(o.stdout, /Used: 2 steps, 450 tokens \(uncached input \+ output\), 8300 cached reads, \$/);
    assert.equal(server.requests[0].path, '/v1/responses', 'a reasoning model with an effort goes through the Responses API');

    const bad = io(root, { OPENAI_API_KEY: 'sk-cli-test-abcdefghijklmnopqrstuvwxyz' });
    assert.equal(await runCli(['run', 'x', '--reasoning-effort', 'max'], bad), 2);
    assert.match(bad.stderr, /--reasoning-effort must be one of off, low, medium, high, got 'max'/);
  } finally {
    await server.close();
  }
});
