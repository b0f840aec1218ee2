// `ml-intern inspect-data` and `ml-intern diagnose` on files that are not what they seem: a row
// nested 500 deep, a named pipe with no writer, a device, a symlink loop. Each ends at once with
// words that say what the file is, and with --json the answer on stdout is always JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../../src/cli/main';
import { CliIo } from '../../../src/cli/command';
import { tempDir } from '../exec/helpers';

function io(cwd: string): CliIo & { stdout: string; stderr: string } {
  const o = {
    stdout: '',
    stderr: '',
    cwd,
    env: { ML_INTERN_PYTHON: process.env.ML_INTERN_PYTHON || 'python3' },
    out: (t: string) => void (o.stdout += t),
    err: (t: string) => void (o.stderr += t),
  };
  return o;
}

/** Runs the command; fails the test rather than hang when a read blocks. */
async function cli(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const o = io(cwd);
  let timer: NodeJS.Timeout | undefined;
  const blocked = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`ml-intern ${args.join(' ')} did not answer in 20 s`)), 20_000);
  });
  try {
    const code = await Promise.race([runCli(args, o), blocked]);
    return { code, stdout: o.stdout, stderr: o.stderr };
  } finally {
    clearTimeout(timer);
  }
}

function hostileFolder(): { dir: string; cleanup: () => void } {
  const t = tempDir('mli-hostile-');
  execFileSync('mkfifo', [path.join(t.dir, 'pipe.log')]);
  symlinkSync('loop_b.jsonl', path.join(t.dir, 'loop_a.jsonl'));
  symlinkSync('loop_a.jsonl', path.join(t.dir, 'loop_b.jsonl'));
  mkdirSync(path.join(t.dir, 'folder'));
  return t;
}

test('inspect-data --json on a row nested 500 deep: the row is reported and skipped, the answer is JSON with the other rows', async () => {
  const { dir, cleanup } = tempDir('mli-hostile-');
  try {
    const deep = `{"text": ${'['.repeat(500)}${']'.repeat(500)}}`;
    writeFileSync(path.join(dir, 'deep.jsonl'), `{"text": "a"}\n${deep}\n{"text": "b"}\n`);
    const r = await cli(['inspect-data', 'deep.jsonl', '--json'], dir);
    assert.equal(r.code, 1, 'not trainable as it is');
    const answer = JSON.parse(r.stdout) as { rows: number; problems: string[]; trainable: boolean };
    assert.equal(answer.rows, 2);
    assert.match(answer.problems.join('\n'), /1 row\(s\) nested more than 100 levels deep skipped \(rows 2\)/);
    assert.doesNotMatch(r.stdout + r.stderr, /RecursionError/);
  } finally {
    cleanup();
  }
});

test('inspect-data --json answers in JSON when it fails: a pipe, a device, a symlink loop, a missing file, a usage error', async () => {
  const { dir, cleanup } = hostileFolder();
  try {
    const cases: Array<[string[], RegExp, number]> = [
      [['pipe.log'], /'pipe\.log' is a named pipe \(FIFO\), not a data file/, 1],
      [['/dev/zero'], /'\/dev\/zero' is a character device, not a data file/, 1],
      [['loop_a.jsonl'], /'loop_a\.jsonl' is a symbolic link loop/, 1],
      [['missing.jsonl'], /File not found: 'missing\.jsonl'/, 1],
      [['a.jsonl', 'b.jsonl'], /give exactly one path or Hub id/, 2],
    ];
    for (const [args, words, exit] of cases) {
      const r = await cli(['inspect-data', ...args, '--json'], dir);
      assert.equal(r.code, exit, args.join(' '));
      const answer = JSON.parse(r.stdout) as { error: string };
      assert.match(answer.error, words);
      assert.match(r.stderr, words, 'the one line on stderr stays');
    }
    const plain = await cli(['inspect-data', 'pipe.log'], dir);
    assert.equal(plain.stdout, '', 'without --json stdout stays empty on failure');
  } finally {
    cleanup();
  }
});

test('diagnose refuses a named pipe without a writer, a device, a folder and a symlink loop at once, saying what each is', async () => {
  const { dir, cleanup } = hostileFolder();
  try {
    const cases: Array<[string, RegExp]> = [
      ['pipe.log', /cannot read 'pipe\.log': it is a named pipe \(FIFO\), not a log file .* pipe it in: … \| ml-intern diagnose -/],
      ['/dev/zero', /cannot read '\/dev\/zero': it is a character device, not a log file/],
      ['folder', /cannot read 'folder': it is a folder, give a log file/],
      ['loop_a.jsonl', /cannot read 'loop_a\.jsonl': it is a symbolic link loop/],
      ['missing.log', /cannot read 'missing\.log': no such file/],
    ];
    for (const [file, words] of cases) {
      const r = await cli(['diagnose', file], dir);
      assert.equal(r.code, 1, file);
      assert.match(r.stderr, words);
      const j = await cli(['diagnose', file, '--json'], dir);
      assert.match((JSON.parse(j.stdout) as { error: string }).error, words, `${file} --json`);
    }
    writeFileSync(path.join(dir, 'train.log'), 'Traceback (most recent call last):\ntorch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB\n');
    const ok = await cli(['diagnose', 'train.log', '--json'], dir);
    assert.equal(ok.code, 0);
    assert.equal((JSON.parse(ok.stdout) as { category: string }).category, 'cuda_oom', 'a regular log is still diagnosed');
  } finally {
    cleanup();
  }
});
