/**
 * Hub commands follow the installed huggingface_hub: its setup.py console_scripts list `hf` from
 * 0.34.0 and no `huggingface-cli` from 1.0.0 (huggingface/huggingface_hub tags).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderRecipe } from '../../../src/core/recipes';
import { hubCli } from '../../../src/core/recipes/libraryVersions';

const merge = (huggingface_hub?: string) =>
  renderRecipe({ method: 'merge', mergeMethod: 'linear', hubRepo: 'me/merged', models: [{ model: 'org/a', weight: 0.5 }, { model: 'org/b', weight: 0.5 }], ...(huggingface_hub ? { env: { packages: { huggingface_hub } } } : {}) });

test('the merge upload uses hf on huggingface_hub 0.34+ and 1.x, huggingface-cli before 0.34, hf with a note when unknown', () => {
  const upload = (v?: string) => merge(v).commands.find((c) => c.argv[1] === 'upload')!;
  assert.deepEqual(upload('1.1.2').argv, ['hf', 'upload', 'me/merged', './merged', '.']);
  assert.equal(upload('0.34.0').argv[0], 'hf');
  assert.equal(upload('0.33.5').argv[0], 'huggingface-cli');
  assert.match(upload('0.33.5').description, /huggingface-cli login/);
  assert.match(upload('1.0.0').description, /hf auth login/);
  assert.equal(upload().argv[0], 'hf');
  assert.ok(merge().notes.some((n) => /huggingface_hub was not reported installed/.test(n)));
  assert.deepEqual(hubCli('1.0.0'), { program: 'hf', login: 'hf auth login' });
});

test('train.py and push_to_hub.py name the login command of the installed huggingface_hub', () => {
  const train = (v: string) => renderRecipe({ method: 'sft', baseModel: 'm/x', dataset: 'd.jsonl', hubRepo: 'me/m', columnMapping: { messages: 'messages' }, env: { packages: { huggingface_hub: v } } }).files.find((f) => f.path === 'train.py')!.content;
  assert.match(train('1.0.0'), /run hf auth login\./);
  assert.doesNotMatch(train('1.0.0'), /huggingface-cli/);
  assert.match(train('0.30.0'), /run huggingface-cli login\./);
  const push = renderRecipe({ method: 'push', baseModel: 'm/x', hubRepo: 'me/m', adapter: 'lora', modelPath: 'out', env: { packages: { huggingface_hub: '1.2.0' } } }).files.find((f) => f.path === 'push_to_hub.py')!.content;
  assert.match(push, /HF_TOKEN or hf auth login/);
});
