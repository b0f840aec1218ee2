// A secret that reaches the launcher (or the Slurm pump) in pieces — printed in two writes with a
// pause, or cut by the pipe's 64 KiB reads inside one long line — never reaches train.log in clear.
// Real processes: the generated launcher and pump run with python3, the run is a real child.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startDetached } from '../../../src/core/exec/detached';
import { LAUNCHER_PY, PUMP_PY } from '../../../src/core/exec/launcherScript';
import { Redactor } from '../../../src/core/util/redact';
import { safeCut } from '../../../src/core/util/streamRedact';
import { tempDir } from './helpers';

const opts = { pollMs: 50 };
// Built, so no key-shaped literal sits in the tree.
const HF = 'hf_' + 'Q7wErTy9UiOpAsDfGh12JkLz';
const OPENAI = 'sk-' + 'proj-' + 'Z9y8X7w6V5u4T3s2R1q0';
const STORED = 'my-stored-value-8642';

/** A child that prints the secrets the two ways the launcher used to let through. */
function leakyChild(): string {
  return [
    'import os, sys, time',
    'out = sys.stdout.buffer',
    'def say(b):',
    '    out.write(b); out.flush()',
    // Longer than the launcher's old 0.25 s of quiet, after which it wrote the half it had.
    "hf = os.environ['HF_TOKEN'].encode()",
    "say(b'split: ' + hf[:9]); time.sleep(0.6); say(hf[9:] + b' end\\n')",
    `stored = ${JSON.stringify(STORED)}.encode()`,
    "say(b'stored: ' + stored[:4]); time.sleep(0.4); say(stored[4:12]); time.sleep(0.4); say(stored[12:] + b'!\\n')",
    // One 200 KiB line: the stored value straddles 64 KiB, a key 128 KiB (the pipe's reads are 64 KiB).
    `key = ${JSON.stringify(OPENAI)}.encode()`,
    "line = bytearray(b'ab ' * 70000)",
    'line[65536 - 6:65536 - 6 + len(stored)] = stored',
    'line[131072 - 11:131072 - 11 + len(key)] = key',
    "say(bytes(line) + b'\\n')",
    "say(b'done\\n')",
  ].join('\n');
}

function assertClean(log: string, what: string): void {
  for (const secret of [HF, HF.slice(9), HF.slice(0, 12), STORED, STORED.slice(4, 12), OPENAI, OPENAI.slice(11)]) {
    assert.ok(!log.includes(secret), `${JSON.stringify(secret)} must not be in ${what}`);
  }
  assert.match(log, /split: \[REDACTED\] end\n/);
  assert.match(log, /stored: \[REDACTED\]!\n/);
  assert.match(log, /done\n$/);
}

test('the launcher hides a token printed in two writes with a pause, a stored value in three, and keys across the 64 KiB and 128 KiB reads of one long line', async () => {
  const { dir, cleanup } = tempDir('mli-redact-pieces-');
  try {
    const script = path.join(dir, 'leaky.py');
    writeFileSync(script, leakyChild());
    const run = await startDetached(
      { argv: ['python3', script], cwd: dir, runDir: path.join(dir, 'run'), name: 'leaky', env: { HF_TOKEN: HF }, secrets: [STORED] },
      opts,
    );
    assert.deepEqual(await run.exit, { code: 0 });
    const log = readFileSync(run.logFile, 'latin1');
    assertClean(log, 'train.log');
    const long = log.split('\n').find((l) => l.length > 100_000) ?? '';
    assert.equal(long.split('[REDACTED]').length, 3, 'both secrets of the long line are hidden, the rest of it is kept');
    assert.ok(long.startsWith('ab ab ') && long.endsWith('ab ab '));
  } finally {
    cleanup();
  }
});

test('the Slurm pump hides them the same way (its input is a pipe from the job)', () => {
  const { dir, cleanup } = tempDir('mli-redact-pieces-');
  try {
    const child = path.join(dir, 'leaky.py');
    const pump = path.join(dir, 'redact_output.py');
    writeFileSync(child, leakyChild());
    writeFileSync(pump, PUMP_PY);
    // The pump hides the job's own secret-named variables (no stored values reach a job).
    const env = { ...process.env, HF_TOKEN: HF, MY_API_KEY: STORED };
    const r = spawnSync('sh', ['-c', 'python3 "$1" 2>&1 | python3 -u "$2" > "$3"', 'sh', child, pump, path.join(dir, 'slurm-1.out')], { env, timeout: 30_000 });
    assert.equal(r.status, 0, String(r.stderr));
    assertClean(readFileSync(path.join(dir, 'slurm-1.out'), 'latin1'), 'the Slurm output file');
  } finally {
    cleanup();
  }
});

test("the launcher's cut (Python) is the extension's (TypeScript) on the same texts", () => {
  const { dir, cleanup } = tempDir('mli-redact-pieces-');
  try {
    // Key-ish fragments, labels, separators and stored-value starts in random order (ASCII: the
    // launcher cuts bytes, the extension characters), besides the hand-picked cases.
    const fragment = fc.constantFrom('a', 'Z9', '_', '-', '.', ' ', '\n', '\r', '"', ':', '=', 'token', 'Bearer ', 'api_key', 'hf_', 'sk-', 'proj-', STORED.slice(0, 5), STORED, HF.slice(0, 20), OPENAI);
    const random = fc.sample(fc.array(fragment, { maxLength: 14 }).map((parts) => parts.join('')), { numRuns: 400, seed: 24 });
    const texts = [
      ...random,
      'loss 1.0\n',
      '\r 3/10 [00:03<00:07, 1.00it/s]',
      `split: ${HF.slice(0, 9)}`,
      `value (${STORED.slice(0, 7)}`,
      'Authorization: Bearer ',
      'headers: {"api_key": "',
      'token:\n',
      `ab ${OPENAI} ab`,
      `x ${STORED} y ${STORED.slice(0, 3)}`,
      `${'z'.repeat(70_000)}`,
      `${'q '.repeat(10)}${'z'.repeat(70_000)}${HF}`,
      `plain words and nothing else.`,
    ];
    const redactor = new Redactor();
    redactor.addSecret(STORED);
    // The launcher itself, imported as a module: its safe_cut on each text (bytes; the texts are ASCII).
    const launcher = path.join(dir, 'launcher.py');
    writeFileSync(launcher, LAUNCHER_PY);
    const probe = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(dir)})`,
      'import launcher',
      'texts = json.loads(sys.stdin.read())',
      `secrets = [${JSON.stringify(STORED)}.encode()]`,
      'print(json.dumps([launcher.safe_cut(t.encode(), secrets) for t in texts]))',
    ].join('\n');
    const got = JSON.parse(execFileSync('python3', ['-c', probe], { input: JSON.stringify(texts) }).toString()) as number[];
    assert.deepEqual(got, texts.map((t) => safeCut(t, redactor.knownSecrets())));
    assert.ok(got.some((cut, i) => cut < texts[i].length) && got.some((cut, i) => cut === texts[i].length), 'the corpus has texts held and texts let through');
  } finally {
    cleanup();
  }
});

test("property: the launcher's redaction of random text cut into up to three pieces is its one-piece redaction", () => {
  const { dir, cleanup } = tempDir('mli-redact-pieces-');
  try {
    const fragment = fc.constantFrom('a', 'Z9', '_', '-', ' ', '\n', '"', ': ', '=', 'token', 'Bearer ', 'api_key', 'hf_', 'sk-', STORED.slice(0, 5), STORED, HF, OPENAI);
    const cases = fc.sample(
      fc.record({ text: fc.array(fragment, { maxLength: 12 }).map((parts) => parts.join('')), cuts: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }) }),
      { numRuns: 500, seed: 5 },
    ).map(({ text, cuts }) => {
      const offsets = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
      return [0, ...offsets].map((from, i) => text.slice(from, offsets[i] ?? text.length));
    });
    writeFileSync(path.join(dir, 'launcher.py'), LAUNCHER_PY);
    // The pump's loop, fed the pieces as reads: safe_cut, redact what is before the cut, keep the rest.
    const probe = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(dir)})`,
      'import launcher',
      `secrets = [${JSON.stringify(STORED)}.encode()]`,
      'redact = launcher.make_redact(secrets)',
      'bad = []',
      'for pieces in json.loads(sys.stdin.read()):',
      '    held, out = b"", b""',
      '    for p in pieces:',
      '        held += p.encode()',
      '        cut = launcher.safe_cut(held, secrets)',
      '        out += redact(held[:cut]); held = held[cut:]',
      '    out += redact(held)',
      '    if out != redact("".join(pieces).encode()): bad.append(pieces)',
      'print(json.dumps(bad[:3]))',
    ].join('\n');
    const bad = JSON.parse(execFileSync('python3', ['-c', probe], { input: JSON.stringify(cases) }).toString()) as string[][];
    assert.deepEqual(bad, [], 'pieces whose streamed redaction differs from the whole one');
    assert.ok(cases.some((pieces) => pieces.length > 1 && pieces.join('').includes(HF)), 'the cases cut keys');
  } finally {
    cleanup();
  }
});
