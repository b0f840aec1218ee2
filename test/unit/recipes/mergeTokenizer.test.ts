/**
 * A mergekit merge names its tokenizer and chat template, and checks them after merging. The config
 * keys are mergekit's (config.py MergeConfiguration on main: tokenizer_source, chat_template; never
 * both tokenizer_source and a tokenizer: block). check_merged_tokenizer.py runs with the real
 * python3 against a stand-in AutoTokenizer (transformers is not installed here) that reads the
 * tokenizer_config.json each folder holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderRecipe, RecipeSpec } from '../../../src/core/recipes';

const TIES: RecipeSpec = { method: 'merge', mergeMethod: 'ties', baseModel: 'mistralai/Mistral-7B-v0.1', models: [{ model: 'org/mistral-instruct-a', weight: 0.5, density: 0.5 }, { model: 'org/mistral-instruct-b', weight: 0.5, density: 0.7 }] };

const FAKE_TRANSFORMERS = `import json, os
class AutoTokenizer:
    @classmethod
    def from_pretrained(cls, path):
        folder = path if os.path.isdir(path) else os.path.join(os.environ["FAKE_HUB"], path)
        cfg = json.load(open(os.path.join(folder, "tokenizer_config.json")))
        tok = cls()
        tok.eos_token, tok.eos_token_id, tok.chat_template = cfg.get("eos_token"), cfg.get("eos_token_id"), cfg.get("chat_template")
        return tok
`;

function folder(root: string, name: string, tokenizer: Record<string, unknown>, config?: Record<string, unknown>): void {
  mkdirSync(join(root, name), { recursive: true });
  writeFileSync(join(root, name, 'tokenizer_config.json'), JSON.stringify(tokenizer));
  if (config) writeFileSync(join(root, name, 'config.json'), JSON.stringify(config));
}

function check(merged: Record<string, unknown>, config?: Record<string, unknown>): { status: number | null; out: string } {
  const r = renderRecipe(TIES);
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-mergetok-'));
  for (const f of r.files) writeFileSync(join(ws, f.path), f.content);
  mkdirSync(join(ws, 'stub', 'transformers'), { recursive: true });
  writeFileSync(join(ws, 'stub', 'transformers', '__init__.py'), FAKE_TRANSFORMERS);
  folder(join(ws, 'hub'), 'org/mistral-instruct-a', { eos_token: '<|im_end|>', eos_token_id: 32000, chat_template: '{% for m in messages %}<|im_start|>{{ m.content }}<|im_end|>{% endfor %}' });
  folder(ws, 'merged', merged, config);
  const p = spawnSync('python3', ['check_merged_tokenizer.py'], { cwd: ws, encoding: 'utf8', env: { ...process.env, PYTHONPATH: join(ws, 'stub'), FAKE_HUB: join(ws, 'hub') } });
  return { status: p.status, out: p.stdout + p.stderr };
}

test('the merge config names the fine-tune\'s tokenizer and chat_template auto, not the base model\'s by default', () => {
  const r = renderRecipe(TIES);
  const yaml = r.files.find((f) => f.path === 'config.yaml')!.content;
  assert.match(yaml, /\ntokenizer_source: org\/mistral-instruct-a\n/);
  assert.match(yaml, /\nchat_template: auto\n/);
  assert.doesNotMatch(yaml, /\ntokenizer:/, 'mergekit refuses tokenizer_source together with a tokenizer: block');
  const slerp = renderRecipe({ method: 'merge', mergeMethod: 'slerp', baseModel: 'mistralai/Mistral-7B-v0.1', models: [{ model: 'mistralai/Mistral-7B-v0.1' }, { model: 'org/mistral-ft' }], t: 0.5 });
  assert.match(slerp.files.find((f) => f.path === 'config.yaml')!.content, /\ntokenizer_source: org\/mistral-ft\n/);
  assert.deepEqual(r.commands.map((c) => c.argv.slice(0, 2)), [['mergekit-yaml', 'config.yaml'], ['python', 'check_merged_tokenizer.py']]);
  const py = spawnSync('python3', ['-c', 'import json,sys,yaml; d=yaml.safe_load(sys.stdin.read()); print(json.dumps([d["tokenizer_source"], d["chat_template"]]))'], { input: yaml, encoding: 'utf8' });
  if (py.status === 0) assert.deepEqual(JSON.parse(py.stdout), ['org/mistral-instruct-a', 'auto']);
});

test('check_merged_tokenizer.py passes a merge that kept the fine-tune\'s EOS and template, and fails the base model\'s', () => {
  const good = check({ eos_token: '<|im_end|>', eos_token_id: 32000, chat_template: '{% for m in messages %}{{ m.content }}{% endfor %}' }, { eos_token_id: 32000 });
  assert.equal(good.status, 0, good.out);
  assert.match(good.out, /matches org\/mistral-instruct-a/);
  const base = check({ eos_token: '</s>', eos_token_id: 2, chat_template: null }, { eos_token_id: 2 });
  assert.equal(base.status, 1, base.out);
  assert.match(base.out, /EOS is '<\/s>', but org\/mistral-instruct-a ends answers with '<\|im_end\|>'/);
  assert.match(base.out, /no chat template/);
  const config = check({ eos_token: '<|im_end|>', eos_token_id: 32000, chat_template: '{{ x }}' }, { eos_token_id: 2 });
  assert.equal(config.status, 1);
  assert.match(config.out, /config\.json eos_token_id \[2\] does not include the tokenizer's EOS id 32000/);
});
