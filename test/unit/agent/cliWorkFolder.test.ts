// The CLI and the extension driving one workspace agree on where the scripts go (mlIntern.workFolder):
// the CLI reads the workspace's .vscode/settings.json as the extension does, so both take the same
// script-folder lock and refuse each other; --work-folder overrides it; a value outside the workspace
// is a usage error naming where it came from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../../src/cli/main';
import { CliIo } from '../../../src/cli/command';
import { tempWorkspace } from './helpers';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { claimScriptFolder } from '../../../src/core/runs/runLocks';
import { scriptFolder } from '../../../src/core/session/fineTuneParts';
import { workFolderOf } from '../../../src/core/workFolder';
import { DEFAULT_SETTINGS } from '../../../src/core/settings';
import { MEDICAL_QA_REQUEST } from '../../support/sampleRequest';

const FAKE_PYTHON = path.resolve(__dirname, '../../fixtures/trainer/fake-python');
const MEDICAL_QA = path.resolve(__dirname, '../../../examples/medical-qa/data/medical_qa.jsonl');
const ARGS = ['fine-tune', '--model', MEDICAL_QA_REQUEST.baseModel, '--data', MEDICAL_QA_REQUEST.dataset, '--python', FAKE_PYTHON];

function io(cwd: string): CliIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', cwd, env: { CI: '1' }, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
  return o;
}

function homeWith(files: Record<string, string>): string {
  const home = tempWorkspace('mli-cli-home-');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(home, rel)), { recursive: true });
    writeFileSync(path.join(home, rel), text);
  }
  return home;
}

function workspace(settings?: string): string {
  const root = tempWorkspace('mli-cli-wf-');
  cpSync(MEDICAL_QA, path.join(root, MEDICAL_QA_REQUEST.dataset));
  if (settings !== undefined) {
    mkdirSync(path.join(root, '.vscode'), { recursive: true });
    writeFileSync(path.join(root, '.vscode', 'settings.json'), settings);
  }
  return root;
}

/** What fine-tune proposed when nobody could approve it (--json: the refused changes, nothing written). */
async function refusedChanges(root: string, extra: string[] = [], env: Record<string, string> = {}): Promise<string[]> {
  const o = io(root);
  o.env = { ...o.env, ...env };
  assert.equal(await runCli([...ARGS, ...extra, '--json'], o), 1, o.stderr);
  return (JSON.parse(o.stdout) as { refused: string[] }).refused;
}

// VS Code's settings file: comments and a trailing comma, as users write it.
const VSCODE_SETTINGS = '{\n  // where ML Intern writes\n  "mlIntern.workFolder": "out/ml", /* nested */\n  "editor.tabSize": 2,\n}\n';

test('without settings the CLI writes where the extension does by default: ml-intern/<method>-<model>/', { timeout: 60_000 }, async () => {
  const expected = `${scriptFolder(MEDICAL_QA_REQUEST, workFolderOf(DEFAULT_SETTINGS))}/train.py`;
  assert.equal(expected, 'ml-intern/sft-qwen2-5-0-5b-instruct/train.py');
  assert.deepEqual(await refusedChanges(workspace()), [`change ${expected}: SFT training script (lora)`]);
});

test('the workspace\'s mlIntern.workFolder is read from .vscode/settings.json; --work-folder overrides it', { timeout: 60_000 }, async () => {
  const root = workspace(VSCODE_SETTINGS);
  assert.deepEqual(await refusedChanges(root), ['change out/ml/sft-qwen2-5-0-5b-instruct/train.py: SFT training script (lora)']);
  assert.deepEqual(await refusedChanges(root, ['--work-folder', '']), ['change sft-qwen2-5-0-5b-instruct/train.py: SFT training script (lora)'], '"" = the root, as before');
  assert.deepEqual(await refusedChanges(root, ['--work-folder=team/a']), ['change team/a/sft-qwen2-5-0-5b-instruct/train.py: SFT training script (lora)']);
  assert.deepEqual(readdirSync(root).sort(), ['.ml-intern', '.vscode', 'data'], 'nothing written without approval');
});

test('a fine-tune the extension drives in the same folder refuses the CLI\'s, through the shared lock', { timeout: 60_000 }, async () => {
  const root = workspace(VSCODE_SETTINGS);
  // What the extension's session claims with this workspace's settings (readSettings → workFolderOf).
  const folder = scriptFolder(MEDICAL_QA_REQUEST, workFolderOf({ workFolder: 'out/ml' }));
  const held = claimScriptFolder(new NodeFileStore(root), folder, '20261207-000000-vscode-run');
  try {
    const o = io(root);
    assert.equal(await runCli([...ARGS, '--approve=all'], o), 1);
    assert.match(o.stdout, /out\/ml\/sft-qwen2-5-0-5b-instruct\/ is in use by run 20261207-000000-vscode-run, driven by pid \d+/);
    assert.ok(!existsSync(path.join(root, folder, 'train.py')), 'the CLI did not touch the shared train.py');
  } finally {
    held.release();
  }
});

test('a work folder outside the workspace is a usage error naming the flag or the settings file; nothing is written', async () => {
  const flag = workspace();
  const f = io(flag);
  assert.equal(await runCli([...ARGS, '--work-folder', '../elsewhere', '--approve=all'], f), 2);
  assert.match(f.stderr, /--work-folder must be a folder inside the workspace, e\.g\. "ml-intern" \(or "" for the workspace root\), not "\.\.\/elsewhere": "\.\." leads out of the workspace/);
  const file = workspace('{ "mlIntern.workFolder": "/tmp/ml" }');
  const s = io(file);
  assert.equal(await runCli([...ARGS, '--approve=all'], s), 2);
  assert.match(s.stderr, /mlIntern\.workFolder in \.vscode\/settings\.json must be a folder inside the workspace.*an absolute path is outside the workspace/);
  for (const root of [flag, file]) assert.ok(!existsSync(path.join(root, '.ml-intern')), 'no run started');
  assert.ok(!existsSync(path.join(flag, '..', 'elsewhere')));
});

test('with no workspace setting the CLI reads mlIntern.workFolder where VS Code does: remote Machine settings, then user settings', { timeout: 90_000 }, async () => {
  const userFile = process.platform === 'darwin' ? 'Library/Application Support/Code/User/settings.json' : '.config/Code/User/settings.json';
  const user = homeWith({ [userFile]: '{ "mlIntern.workFolder": "from-user", }' });
  assert.deepEqual(await refusedChanges(workspace(), [], { HOME: user}), ['change from-user/sft-qwen2-5-0-5b-instruct/train.py: SFT training script (lora)']);
  // On a Remote-SSH host the Machine settings of VS Code Server rule over the user's, as in the extension.
  const remote = homeWith({ [userFile]: '{ "mlIntern.workFolder": "from-user" }', '.vscode-server/data/Machine/settings.json': '{ "mlIntern.workFolder": "from-machine" }' });
  assert.deepEqual(await refusedChanges(workspace(), [], { HOME: remote}), ['change from-machine/sft-qwen2-5-0-5b-instruct/train.py: SFT training script (lora)']);
  // The workspace's own setting still comes first.
  assert.deepEqual(await refusedChanges(workspace(VSCODE_SETTINGS), [], { HOME: remote}), ['change out/ml/sft-qwen2-5-0-5b-instruct/train.py: SFT training script (lora)']);
  // A bad value in the user settings is refused naming that file, before anything is written.
  const bad = homeWith({ [userFile]: '{ "mlIntern.workFolder": "../outside" }' });
  const root = workspace();
  const o = io(root);
  o.env = { ...o.env, HOME: bad};
  assert.equal(await runCli([...ARGS, '--json'], o), 2, o.stdout);
  assert.match(o.stderr, new RegExp(`mlIntern\\.workFolder in ${path.join(bad, userFile).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} must be a folder inside the workspace`));
  assert.deepEqual(readdirSync(root).filter((d) => d !== '.ml-intern').sort(), ['data'], 'nothing written');
});
