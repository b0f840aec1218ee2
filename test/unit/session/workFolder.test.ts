/**
 * One folder for ML Intern's outputs (issue 25 polish: "every command adds a top-level folder to the
 * workspace"): mlIntern.workFolder, default ml-intern/, "" = the root as before; a value leading
 * outside the workspace is refused naming the setting, and nothing is written. The scripts, one level
 * deeper, still find the workspace's data from their folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { checkWorkFolder, DEFAULT_WORK_FOLDER, WorkFolderError } from '../../../src/core/workFolder';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { FineTuneSession, scriptFolder } from '../../../src/core/session/fineTuneSession';
import { artifactFolder, planArtifact } from '../../../src/core/session/artifactPlan';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { RunStore } from '../../../src/core/runs/runStore';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { readConfig } from '../../../src/core/recipes/configBlock';
import { dataSearchExclude, notInWorkFolder } from '../../../src/ui/wizard/dataSearch';
import { MEDICAL_QA_REQUEST } from '../../support/sampleRequest';

test('the work folder: ml-intern by default, "" for the root, nested paths cleaned', () => {
  assert.equal(DEFAULT_WORK_FOLDER, 'ml-intern');
  assert.equal(DEFAULT_SETTINGS.workFolder, 'ml-intern');
  assert.equal(checkWorkFolder(undefined), 'ml-intern');
  for (const root of ['', '  ', '.', './']) assert.equal(checkWorkFolder(root), '', JSON.stringify(root));
  assert.equal(checkWorkFolder('a/b'), 'a/b');
  assert.equal(checkWorkFolder(' ./a//b/ '), 'a/b');
  assert.equal(checkWorkFolder('a\\b\\'), 'a/b', 'Windows separators');
  assert.equal(checkWorkFolder('outputs/.hidden-ok'), 'outputs/.hidden-ok');
  assert.equal(checkWorkFolder('x'.repeat(120)), 'x'.repeat(120));
});

test('a work folder outside the workspace, or over what is not ML Intern\'s, is refused naming the setting', () => {
  const hostile: Array<[unknown, RegExp]> = [
    ['/tmp/out', /absolute path/],
    ['C:\\Users\\me', /absolute path/],
    ['\\\\server\\share', /absolute path/],
    ['../x', /"\.\." leads out/],
    ['a/../../x', /"\.\." leads out/],
    ['a/..', /"\.\." leads out/],
    ['~', /home-folder/],
    ['~/ml', /home-folder/],
    ['ml\u0000intern', /control character/],
    ['ml\nintern', /control character/],
    ['x'.repeat(121), /longer than 120 characters/],
    ['.ml-intern', /run records/],
    ['./.ml-intern/runs', /run records/],
    ['a/.git/hooks', /git's own folder/],
    [42, /not text/],
  ];
  for (const [value, why] of hostile) {
    assert.throws(() => checkWorkFolder(value), (err: unknown) => {
      assert.ok(err instanceof WorkFolderError, String(err));
      assert.match(err.message, /^mlIntern\.workFolder must be a folder inside the workspace, e\.g\. "ml-intern" \(or "" for the workspace root\), not /);
      assert.match(err.message, why);
      assert.doesNotMatch(err.message, /[\u0000\n]/, 'the value is shown escaped');
      assert.ok(err.message.length < 300, 'a long value is cut');
      return true;
    }, JSON.stringify(value));
  }
  assert.throws(() => checkWorkFolder('/x', '--work-folder'), { message: /^--work-folder must be a folder inside the workspace/ });
});

test('every command\'s folder is inside the work folder; "" keeps the layout at the root', () => {
  assert.equal(scriptFolder(MEDICAL_QA_REQUEST), 'ml-intern/sft-qwen2-5-0-5b-instruct');
  assert.equal(scriptFolder(MEDICAL_QA_REQUEST, ''), 'sft-qwen2-5-0-5b-instruct');
  assert.equal(scriptFolder(MEDICAL_QA_REQUEST, 'a/b'), 'a/b/sft-qwen2-5-0-5b-instruct');
  const model = 'ml-intern/sft-qwen2-5-0-5b-instruct/outputs/run1';
  assert.deepEqual(
    [
      artifactFolder({ kind: 'eval', model, baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', tasks: ['gsm8k'] }),
      artifactFolder({ kind: 'merge-adapter', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', adapter: model, output: 'merged' }),
      artifactFolder({ kind: 'push', folder: model, repo: 'me/qwen-medical', private: true }),
      artifactFolder({ kind: 'try-it', model, prompts: ['hi'] }),
      artifactFolder({ kind: 'export', model, name: 'qwen-medical', quants: [], ollama: true, vllm: false }),
    ],
    ['ml-intern/eval-run1', 'ml-intern/merge-run1', 'ml-intern/push-qwen-medical', 'ml-intern/try-run1', 'ml-intern/export-qwen-medical'],
  );
  assert.equal(artifactFolder({ kind: 'try-it', model, prompts: ['hi'] }, ''), 'try-run1');
});

test('the wizard\'s data search leaves out the work folder (scripts, transcripts, trained models), whatever its name', () => {
  assert.match(dataSearchExclude('ml-intern'), /,ml-intern\/\*\*[,}]/);
  assert.match(dataSearchExclude('a/b', ['**/outputs/**']), /,a\/b\/\*\*,\*\*\/outputs\/\*\*\}$/);
  assert.doesNotMatch(dataSearchExclude(''), /,\/\*\*/, 'the root is not left out');
  // A name the glob would read as a pattern is left out by the filter instead.
  assert.doesNotMatch(dataSearchExclude('out{a,b}'), /out\{/);
  assert.equal(notInWorkFolder('out{a,b}/sft-x/ds_zero3.json', 'out{a,b}'), false);
  assert.equal(notInWorkFolder('ml-intern/try-run1/transcript.jsonl', 'ml-intern'), false);
  assert.equal(notInWorkFolder('data/ml-intern.jsonl', 'ml-intern'), true);
  assert.equal(notInWorkFolder('ml-intern-data/train.jsonl', 'ml-intern'), true);
  assert.equal(notInWorkFolder('sft-x/train.jsonl', ''), true);
});

function workspace(): string {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-workfolder-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  return ws;
}

/** A fine-tune whose script is accepted and whose run is declined: what is written, and where. */
async function proposeOnly(ws: string, settings: Partial<Settings>) {
  const files = new NodeFileStore(ws);
  const reviewer = new ScriptedReviewer();
  const session = await FineTuneSession.create(MEDICAL_QA_REQUEST, {
    files,
    runs: new RunStore(files),
    settings: () => ({ ...DEFAULT_SETTINGS, ...settings }),
    python: resolve('test/fixtures/trainer/fake-python'),
    launch: () => {
      throw new Error('nothing may start');
    },
    reviewer,
    events: new RecordingEventSink(),
    approveCommand: async () => ({ approved: false, reason: 'not now' }),
  });
  return { outcome: await session.execute(), reviewer };
}

for (const [setting, folder, dataset] of [
  [undefined, 'ml-intern/sft-qwen2-5-0-5b-instruct', '../../data/medical_qa.jsonl'],
  ['', 'sft-qwen2-5-0-5b-instruct', '../data/medical_qa.jsonl'],
  ['runs/ml', 'runs/ml/sft-qwen2-5-0-5b-instruct', '../../../data/medical_qa.jsonl'],
] as const) {
  test(`work folder ${JSON.stringify(setting)}: train.py in ${folder}/, its DATASET the workspace's data file seen from there`, { timeout: 60_000 }, async () => {
    const ws = workspace();
    const { outcome, reviewer } = await proposeOnly(ws, setting === undefined ? {} : { workFolder: setting });
    assert.equal(outcome.kind, 'stopped', JSON.stringify(outcome));
    assert.deepEqual(reviewer.seen.map((c) => c.path), [`${folder}/train.py`, `${folder}/requirements.txt`]);
    const script = join(ws, folder, 'train.py');
    const dataPath = readConfig(readFileSync(script, 'utf8')).DATASET;
    assert.equal(dataPath, dataset);
    // The script runs from its own folder: from there DATASET is the very file the user picked.
    assert.equal(resolve(dirname(script), String(dataPath)), join(ws, 'data', 'medical_qa.jsonl'));
    assert.ok(existsSync(resolve(dirname(script), String(dataPath))));
    // One new top-level entry at most: the work folder (or the script folder at the root), beside the run records.
    const top = readdirSync(ws).filter((n) => !['data', 'README.md', '.ml-intern'].includes(n) && !existsSync(join('examples/medical-qa', n)));
    assert.deepEqual(top, [folder.split('/')[0]]);
  });
}

test('a work folder outside the workspace: the run fails naming mlIntern.workFolder, and nothing is written anywhere', { timeout: 60_000 }, async () => {
  const outside = mkdtempSync(join(tmpdir(), 'ml-intern-outside-'));
  for (const value of [outside, '../escape', '~/ml']) {
    const ws = workspace();
    const before = readdirSync(ws).sort();
    const { outcome, reviewer } = await proposeOnly(ws, { workFolder: value });
    assert.equal(outcome.kind, 'failed');
    assert.match(outcome.summary, /^mlIntern\.workFolder must be a folder inside the workspace/);
    assert.doesNotMatch(outcome.summary, /the scripts you accepted in/, 'no folder to point at');
    assert.deepEqual(reviewer.seen, [], 'no script proposed');
    assert.deepEqual(readdirSync(ws).filter((n) => n !== '.ml-intern').sort(), before.filter((n) => n !== '.ml-intern'));
    assert.ok(!existsSync(join(ws, '..', 'escape')));
  }
  assert.deepEqual(readdirSync(outside), []);
});

test('an adapter trained before the setting (at the workspace root) is still found from ml-intern/eval-…/ and ml-intern/push-…/', async () => {
  const ws = workspace();
  const adapter = 'sft-qwen/outputs/run1';
  mkdirSync(join(ws, adapter), { recursive: true });
  writeFileSync(join(ws, adapter, 'adapter_config.json'), JSON.stringify({ base_model_name_or_path: 'Qwen/Qwen2.5-0.5B-Instruct', peft_type: 'LORA' }));
  const files = new NodeFileStore(ws);
  const evalRequest = { kind: 'eval' as const, model: adapter, tasks: ['gsm8k'] };
  const evalPlan = await planArtifact(evalRequest, files, {}, artifactFolder(evalRequest));
  assert.equal(evalPlan.folder, 'ml-intern/eval-run1');
  const merge = readConfig(evalPlan.files.find((f) => f.path === 'merge_adapter.py')!.content);
  assert.equal(merge.ADAPTER_DIR, '../../sft-qwen/outputs/run1');
  assert.equal(resolve(ws, evalPlan.folder, String(merge.ADAPTER_DIR)), join(ws, adapter), 'the same folder, one level deeper');
  const pushRequest = { kind: 'push' as const, folder: adapter, repo: 'me/qwen-medical', private: true };
  const pushPlan = await planArtifact(pushRequest, files, {}, artifactFolder(pushRequest));
  const push = readConfig(pushPlan.files.find((f) => f.path === 'push_to_hub.py')!.content);
  assert.equal(resolve(ws, pushPlan.folder, String(push.MODEL_DIR)), join(ws, adapter));
  // The card's commands name the folder as the workspace does, not as the script sees it.
  const card = pushPlan.files.find((f) => f.path === 'README.md')!.content;
  assert.match(card, /ml-intern export sft-qwen\/outputs\/run1 --name/);
  const inWork = { ...pushRequest, folder: 'ml-intern/sft-qwen/outputs/run1' };
  mkdirSync(join(ws, inWork.folder), { recursive: true });
  writeFileSync(join(ws, inWork.folder, 'adapter_config.json'), '{}');
  const card2 = (await planArtifact(inWork, files, {}, artifactFolder(inWork))).files.find((f) => f.path === 'README.md')!.content;
  assert.match(card2, /ml-intern export ml-intern\/sft-qwen\/outputs\/run1 --name/);
});
