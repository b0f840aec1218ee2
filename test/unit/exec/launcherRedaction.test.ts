// Secrets a run prints never reach train.log: the detached launcher redacts its output before writing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startDetached } from '../../../src/core/exec/detached';
import { Redactor } from '../../../src/core/util/redact';
import { tempDir } from './helpers';

const opts = { pollMs: 50 };
const STORED = 'my-stored-anthropic-value-4242';
const HF = 'hf_' + 'AbCdEfGhIjKlMnOpQrStUv12';

test('a run that prints its token, its environment and key-shaped strings leaves none of them in train.log; tqdm redraws, odd bytes and the rest stay as they were', async () => {
  const { dir, cleanup } = tempDir('mli-redact-');
  try {
    const script = path.join(dir, 'leaky.py');
    writeFileSync(
      script,
      [
        'import os, sys, time',
        'out = sys.stdout.buffer',
        "print('token is', os.environ['HF_TOKEN'], flush=True)",
        "print('env:', dict(os.environ), flush=True)",
        "print('stored value in my env:', any(v == " + JSON.stringify(STORED) + " for v in os.environ.values()), flush=True)",
        // Half a secret now, the rest after a pause: held back until the line ends.
        "sys.stdout.write('split: ' + os.environ['HF_TOKEN'][:10]); sys.stdout.flush(); time.sleep(0.1)",
        "print(os.environ['HF_TOKEN'][10:] + ' end', flush=True)",
        "print('echo ' + " + JSON.stringify(STORED) + ", flush=True)",
        "print('wandb', os.environ['WANDB_API_KEY'], 'setting', os.environ['MY_SETTING'], flush=True)",
        "print('Authorization: Bearer abcdefgh12345678 openai sk-proj-ABCDEFGHIJKLMNOP1234 ant sk-ant-api03-xyzXYZ123', flush=True)",
        "print('api_key = \"A1b2C3d4E5f6G7h8I9j0\"; tokenizer.pad_token = tokenizer.eos_token', flush=True)",
        "for i in range(1, 4):",
        "    sys.stderr.write('\\r%d/3 [00:0%d<00:00]' % (i, i)); sys.stderr.flush(); time.sleep(0.05)",
        "sys.stderr.write('\\n'); sys.stderr.flush()",
        "out.write(b'raw \\xff\\xfe bytes\\n'); out.flush()",
        "print({'loss': 1.25, 'grad_norm': 0.5, 'learning_rate': 2e-05, 'epoch': 0.1}, flush=True)",
      ].join('\n'),
    );
    const run = await startDetached(
      { argv: ['python3', script], cwd: dir, runDir: path.join(dir, 'run'), name: 'leaky', env: { HF_TOKEN: HF, WANDB_API_KEY: 'wandb-plain-value-99', MY_SETTING: 'not-a-secret-value' }, secrets: [STORED, HF] },
      opts,
    );
    assert.deepEqual(await run.exit, { code: 0 });
    const bytes = readFileSync(run.logFile);
    const log = bytes.toString('latin1');
    for (const secret of [HF, STORED, HF.slice(10), 'abcdefgh12345678', 'sk-proj-ABCDEFGHIJKLMNOP1234', 'sk-ant-api03', 'A1b2C3d4E5f6G7h8I9j0']) {
      assert.ok(!log.includes(secret), `${secret} must not be in train.log:\n${log}`);
    }
    assert.match(log, /token is \[REDACTED\]/);
    assert.match(log, /split: \[REDACTED\] end/);
    assert.match(log, /stored value in my env: False/, 'stored values go to the launcher only, never into the run environment');
    assert.match(log, /echo \[REDACTED\]/);
    assert.match(log, /wandb \[REDACTED\] setting not-a-secret-value/, "a secret-named variable of the run's own environment is hidden too, other values are not");
    assert.match(log, /Authorization: Bearer \[REDACTED\] openai \[REDACTED\] ant \[REDACTED\]/);
    assert.match(log, /api_key = "\[REDACTED\]"; tokenizer\.pad_token = tokenizer\.eos_token/);
    assert.ok(log.includes('\r1/3 [00:01<00:00]\r2/3 [00:02<00:00]\r3/3 [00:03<00:00]\n'), "tqdm's \\r redraws are kept as written");
    assert.ok(bytes.includes(Buffer.from([0x72, 0x61, 0x77, 0x20, 0xff, 0xfe, 0x20])), 'bytes that are not UTF-8 pass through unchanged');
    assert.match(log, /\{'loss': 1\.25, 'grad_norm': 0\.5, 'learning_rate': 2e-05, 'epoch': 0\.1\}/);
  } finally {
    cleanup();
  }
});

test('the launcher hides what the extension redactor hides: same answers on the same lines', async () => {
  const { dir, cleanup } = tempDir('mli-redact-');
  try {
    const lines = [
      'plain text with token_count = 12 and max_tokens: 512',
      'HF_TOKEN=hf_abcdefghijklmnop1234 and hf_short',
      'key sk-abcdefghijklmnop1 and sk-proj-ZYXWVUTSRQPONMLKJ9_- and sk-ant-admin01-abcDEF123',
      'headers {"authorization": "Bearer eyJhbGciOi.JIUzI1NiJ9.e30"} bearer   tok_en12345',
      'x-api-key: ABCDEFGHIJKLMNOPQRSTUVWXYZ not_secret = "aaaaaaaaaaaaaaaaaaaa" token="abcdefghijklmnop9"',
      `custom ${STORED} twice ${STORED}`,
      'AUTHORIZATION: BEARER AbCdEfGh12345 and API-KEY: "Z9y8X7w6V5u4T3s2R1q0" and Token=NoDigitsHereAtAllXYZ',
      'ünïcödé Ťoken = "Q1w2E3r4T5y6U7i8O9p0" — stays aligned after non-ASCII bytes',
    ];
    const redactor = new Redactor();
    redactor.addSecret(STORED);
    const script = path.join(dir, 'print.py');
    writeFileSync(script, `import sys\nfor line in ${JSON.stringify(lines)}:\n    print(line)\n`);
    const run = await startDetached({ argv: ['python3', script], cwd: dir, runDir: path.join(dir, 'run'), name: 'p', secrets: redactor.knownSecrets() }, opts);
    assert.deepEqual(await run.exit, { code: 0 });
    const got = readFileSync(run.logFile, 'utf8').split('\n').slice(0, lines.length);
    assert.deepEqual(got, lines.map((l) => redactor.redact(l)));
    assert.notDeepEqual(got, lines, 'the corpus has secrets to hide');
  } finally {
    cleanup();
  }
});
