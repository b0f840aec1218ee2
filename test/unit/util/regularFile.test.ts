// A named pipe without a writer (or a device) where a file is expected is refused at once by name
// (issue 24 item 4's class): opening such a pipe blocked a thread of the pool forever — the agent's
// read_file on a workspace FIFO left a process that could not even exit — and the command-line
// readers of a spec, a script or an MCP config blocked the whole CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { readFileTool } from '../../../src/core/tools/readFile';
import { ToolContext } from '../../../src/core/tools/types';
import { tempDir } from '../exec/helpers';

const REPO = path.resolve(__dirname, '../../..');
const CLI_MAIN = path.join(REPO, 'src/cli/main.ts');

/** A reader stuck in open() is released: it gets end of file, so a failing test still ends. */
function release(fifo: string): void {
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // no reader waiting
  }
}

/** Fails (instead of hanging) when the promise does not settle within `ms`. */
async function within<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer in ${ms / 1000} s: it blocked on the pipe`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

test('the workspace file store and read_file refuse a named pipe at once, naming it; regular files read as before', async () => {
  const { dir, cleanup } = tempDir('mli-fifo-');
  const fifo = path.join(dir, 'train.log');
  try {
    execFileSync('mkfifo', [fifo]);
    writeFileSync(path.join(dir, 'notes.txt'), 'one\ntwo\n');
    const files = new NodeFileStore(dir);
    await assert.rejects(within('NodeFileStore.read', 5_000, files.read('train.log')), /train\.log is a named pipe \(FIFO\), not a regular file/);
    await assert.rejects(within('NodeFileStore.readIfExists', 5_000, files.readIfExists('train.log')), (e: NodeJS.ErrnoException) => e.code === 'ENOTREG');
    const r = await within('read_file', 5_000, readFileTool.handler({ path: 'train.log' }, { files } as unknown as ToolContext));
    assert.equal(r.ok, false);
    assert.match(r.output, /^Cannot read train\.log: train\.log is a named pipe \(FIFO\)/);
    assert.equal(await files.read('notes.txt'), 'one\ntwo\n');
    assert.equal(await files.readIfExists('missing.txt'), undefined, 'a missing file is still undefined');
    await assert.rejects(files.read('.'), (e: NodeJS.ErrnoException) => e.code === 'EISDIR', 'a folder still fails as a folder');
  } finally {
    release(fifo);
    cleanup();
  }
});

test('ml-intern recipe, estimate, validate and run --mcp-config refuse a named pipe by name instead of blocking', { timeout: 180_000 }, () => {
  const { dir, cleanup } = tempDir('mli-fifo-cli-');
  const fifo = path.join(dir, 'pipe.json');
  try {
    execFileSync('mkfifo', [fifo]);
    // Run from the repository (where tsx resolves), the pipe named by its absolute path.
    const shown = fifo.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const cases: Array<[string[], RegExp]> = [
      [['recipe', fifo, '--out', path.join(dir, 'o')], new RegExp(`spec file ${shown} is a named pipe \\(FIFO\\), not a regular file`)],
      [['estimate', fifo], new RegExp(`spec file ${shown} is a named pipe \\(FIFO\\)`)],
      [['validate', fifo], new RegExp(`${shown} is a named pipe \\(FIFO\\), not a regular file`)],
      [['run', 'a goal', '--workspace', dir, '--mcp-config', fifo], new RegExp(`--mcp-config ${shown}: ${shown} is a named pipe \\(FIFO\\)`)],
    ];
    for (const [args, words] of cases) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], {
        cwd: REPO,
        encoding: 'utf8',
        timeout: 40_000,
        env: { ...process.env, CI: '1', OPENAI_API_KEY: 'test-key-unused', ANTHROPIC_API_KEY: '' },
      });
      release(fifo);
      assert.notEqual(r.signal, 'SIGTERM', `ml-intern ${args.join(' ')} blocked on the pipe (killed after 40 s)`);
      assert.ok(r.status === 1 || r.status === 2, `ml-intern ${args.join(' ')} exits with an error, got ${r.status}: ${r.stderr}`);
      assert.match(r.stderr, words, `ml-intern ${args.join(' ')}`);
    }
  } finally {
    release(fifo);
    cleanup();
  }
});
