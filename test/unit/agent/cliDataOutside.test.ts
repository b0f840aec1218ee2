// `ml-intern fine-tune --data` outside the workspace (data on a shared disk): an absolute path, a
// `../` path and a workspace link that leads out are read where they are — the inspection reads
// them, the training script loads them from its own folder — and nothing is written outside.
// On the fixture GPU box (test/fixtures/trainer/fake-python), whose trainer fails as datasets does
// when DATASET does not exist from the script's folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../../src/cli/main';
import { CliIo } from '../../../src/cli/command';
import { fineTuneCommand } from '../../../src/cli/commands/fineTune';
import { readConfig } from '../../../src/core/recipes/configBlock';

const FAKE_PYTHON = path.resolve(__dirname, '../../fixtures/trainer/fake-python');
const MEDICAL_QA = path.resolve(__dirname, '../../../examples/medical-qa/data/medical_qa.jsonl');

function io(cwd: string): CliIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', cwd, env: { CI: '1' }, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
  return o;
}

/** Every file under `dir` with its size and modification time: what "nothing written there" compares. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false })
    .map((name) => {
      const st = statSync(path.join(dir, String(name)));
      return `${String(name)} ${st.size} ${st.mtimeMs}`;
    })
    .sort();
}

test('fine-tune --data outside the workspace (absolute, ../, a link out): read where it is, trained on, nothing written outside', { timeout: 180_000 }, async () => {
  const base = mkdtempSync(path.join(tmpdir(), 'mli-data-outside-'));
  const saved = { steps: process.env.FAKE_STEPS, delay: process.env.FAKE_DELAY_MS, oom: process.env.FAKE_OOM_ABOVE };
  process.env.FAKE_STEPS = '20';
  process.env.FAKE_DELAY_MS = '0';
  process.env.FAKE_OOM_ABOVE = '64';
  try {
    const shared = path.join(base, 'shared-disk');
    mkdirSync(shared);
    cpSync(MEDICAL_QA, path.join(shared, 'train.jsonl'));
    const before = snapshot(shared);
    const cases: Array<{ name: string; data: (root: string) => string; dataset: string }> = [
      { name: 'absolute', data: () => path.join(shared, 'train.jsonl'), dataset: path.join(shared, 'train.jsonl') },
      // From the workspace, then from the script's folder two levels below it (ml-intern/sft-…/).
      { name: 'dotdot', data: () => '../shared-disk/train.jsonl', dataset: '../../../shared-disk/train.jsonl' },
      {
        name: 'link',
        data: (root) => {
          mkdirSync(path.join(root, 'data'));
          symlinkSync(path.join(shared, 'train.jsonl'), path.join(root, 'data', 'train.jsonl'));
          return 'data/train.jsonl';
        },
        dataset: '../../data/train.jsonl',
      },
    ];
    for (const c of cases) {
      const root = path.join(base, `ws-${c.name}`);
      mkdirSync(root);
      const o = io(root);
      const code = await runCli(['fine-tune', '--model', 'Qwen/Qwen2.5-0.5B-Instruct', '--data', c.data(root), '--python', FAKE_PYTHON, '--approve=all'], o);
      assert.equal(code, 0, `${c.name}: ${o.stderr}${o.stdout.slice(-1500)}`);
      assert.match(o.stdout, /36 rows, custom_qa/, `${c.name}: the inspection read the file`);
      assert.match(o.stdout, /Run \S+: succeeded/, `${c.name}: the training loaded it from its folder`);
      const script = readFileSync(path.join(root, 'ml-intern/sft-qwen2-5-0-5b-instruct', 'train.py'), 'utf8');
      assert.equal(readConfig(script).DATASET, c.dataset, c.name);
      assert.deepEqual(snapshot(shared), before, `${c.name}: nothing was written next to the data`);
      assert.deepEqual(readdirSync(base).sort(), ['shared-disk', ...cases.slice(0, cases.indexOf(c) + 1).map((x) => `ws-${x.name}`)].sort(), 'nothing written beside the workspaces');
    }
    assert.match(fineTuneCommand.usage, /--data <file\|folder\|hub-id>/);
    assert.match(fineTuneCommand.usage, /a file outside it \(\.\.\/data, an absolute path, a link, e\.g\. on a\s+shared disk\) is read where it is and never copied or written/);
  } finally {
    for (const [k, v] of [['FAKE_STEPS', saved.steps], ['FAKE_DELAY_MS', saved.delay], ['FAKE_OOM_ABOVE', saved.oom]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(base, { recursive: true, force: true });
  }
});
