/**
 * Uploads happen once, from the main process, and the model card states what trained.
 * push_to_hub.py runs with the real python3 against a recording stand-in for huggingface_hub (not
 * installed here); train.py's own summary and card functions run with python3 on its CONFIG block.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderRecipe } from '../../../src/core/recipes';
import { CONFIG_END, CONFIG_START, setConfig } from '../../../src/core/recipes/configBlock';

/** A huggingface_hub that records create_repo / upload_folder calls (and the README it would upload) to calls.jsonl. */
const FAKE_HUB = `import json, os
class _Repo:
    def __init__(self, repo_id): self.repo_id = repo_id
class HfApi:
    def create_repo(self, repo_id, private=False, exist_ok=False):
        _log({"call": "create_repo", "repo_id": repo_id, "private": private}); return _Repo(repo_id)
    def upload_folder(self, repo_id, folder_path, commit_message=None, ignore_patterns=None):
        card = os.path.join(folder_path, "README.md")
        _log({"call": "upload_folder", "repo_id": repo_id, "ignore": ignore_patterns, "rank": os.environ.get("RANK"),
              "card": open(card, encoding="utf-8").read() if os.path.exists(card) else None})
def _log(entry):
    with open(os.environ["HUB_CALLS"], "a", encoding="utf-8") as f: f.write(json.dumps(entry) + "\\n")
`;

function hubStub(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-hubstub-'));
  mkdirSync(join(dir, 'huggingface_hub'));
  writeFileSync(join(dir, 'huggingface_hub', '__init__.py'), FAKE_HUB);
  return dir;
}

function calls(file: string): Record<string, unknown>[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  } catch {
    return [];
  }
}

/** A training summary as train.py's write_training_summary leaves it, produced by that function itself. */
function summaryFromTrainScript(trainPy: string, outputDir: string, steps: number, loss: number): void {
  const start = trainPy.indexOf(CONFIG_START);
  const config = trainPy.slice(start, trainPy.indexOf(CONFIG_END, start) + CONFIG_END.length);
  const fn = /\ndef write_training_summary\(result\):[\s\S]*?\n    return summary\n/.exec(trainPy)![0];
  const code = ['import json, os', 'from types import SimpleNamespace', config, `OUTPUT_DIR = ${JSON.stringify(outputDir)}`, fn, `write_training_summary(SimpleNamespace(global_step=${steps}, training_loss=${loss}))`].join('\n');
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8', env: { ...process.env, WORLD_SIZE: '2' } });
  assert.equal(r.status, 0, r.stderr);
}

const trainSpec = { method: 'sft', baseModel: 'org/base', dataset: 'data/train.jsonl', adapter: 'lora', hubRepo: 'me/model', outputDir: 'outputs/run1', columnMapping: { messages: 'messages' } } as const;

test('push_to_hub.py uploads from the main process only, with checkpoints and set-aside runs left out', () => {
  const r = renderRecipe({ method: 'push', baseModel: 'org/base', hubRepo: 'me/model', adapter: 'lora', modelPath: 'outputs/run1' });
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-push-'));
  for (const f of r.files) writeFileSync(join(ws, f.path), f.content);
  mkdirSync(join(ws, 'outputs', 'run1'), { recursive: true });
  const log = join(ws, 'calls.jsonl');
  const env = { ...process.env, PYTHONPATH: hubStub(), HUB_CALLS: log };
  for (const rank of ['1', '2', '3']) {
    const p = spawnSync('python3', ['push_to_hub.py'], { cwd: ws, encoding: 'utf8', env: { ...env, RANK: rank } });
    assert.equal(p.status, 0, p.stderr);
  }
  assert.deepEqual(calls(log), [], 'ranks other than 0 upload nothing');
  const main = spawnSync('python3', ['push_to_hub.py'], { cwd: ws, encoding: 'utf8', env: { ...env, RANK: '0' } });
  assert.equal(main.status, 0, main.stderr);
  const uploads = calls(log).filter((c) => c.call === 'upload_folder');
  assert.equal(uploads.length, 1);
  assert.ok((uploads[0].ignore as string[]).includes('checkpoint-*') && (uploads[0].ignore as string[]).includes('superseded-*'));
});

test('train.py pushes once: every upload sits behind trainer.is_world_process_zero(), none through model.push_to_hub', () => {
  const src = renderRecipe(trainSpec).files.find((f) => f.path === 'train.py')!.content;
  const ast = spawnSync('python3', ['-c', `
import ast, sys
tree = ast.parse(sys.stdin.read())
main = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main")
def guarded(node, path):
    for child in ast.iter_child_nodes(node):
        here = path + ([child] if isinstance(child, ast.If) else [])
        if isinstance(child, ast.Call) and getattr(child.func, "id", None) == "push_output":
            print("push_output guarded:", any("is_world_process_zero" in ast.unparse(i.test) for i in here))
        guarded(child, here)
guarded(main, [])
print("push_to_hub calls:", sum(1 for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "push_to_hub"))
`], { input: src, encoding: 'utf8' });
  assert.equal(ast.status, 0, ast.stderr);
  assert.match(ast.stdout, /push_output guarded: True/);
  assert.doesNotMatch(ast.stdout, /guarded: False/);
  assert.match(ast.stdout, /push_to_hub calls: 0/);
});

test('the model card states what trained: CONFIG edited after the recipe was written, pushed by the push step with its defaults', () => {
  const rendered = renderRecipe(trainSpec);
  const edited = setConfig(rendered.files.find((f) => f.path === 'train.py')!.content, 'LEARNING_RATE', 3e-5);
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-card-'));
  mkdirSync(join(ws, 'outputs', 'run1'), { recursive: true });
  summaryFromTrainScript(edited, join(ws, 'outputs', 'run1'), 123, 0.87654);
  // The push step renders its own card from a spec that knows nothing of the training (defaults).
  const push = renderRecipe({ method: 'push', baseModel: 'org/base', hubRepo: 'me/model', adapter: 'lora', modelPath: 'outputs/run1' });
  const card = push.files.find((f) => f.path === 'README.md')!.content;
  assert.doesNotMatch(card, /learning rate \| 0\.0002/, 'no default presented as what trained');
  for (const f of push.files) writeFileSync(join(ws, f.path), f.content);
  const log = join(ws, 'calls.jsonl');
  const p = spawnSync('python3', ['push_to_hub.py'], { cwd: ws, encoding: 'utf8', env: { ...process.env, PYTHONPATH: hubStub(), HUB_CALLS: log } });
  assert.equal(p.status, 0, p.stderr);
  const uploaded = String(calls(log).find((c) => c.call === 'upload_folder')!.card);
  assert.match(uploaded, /\| LEARNING_RATE \| 3e-05 \|/);
  assert.match(uploaded, /\| optimizer steps done \| 123 \|/);
  assert.match(uploaded, /\| final training loss \| 0\.8765 \|/);
  assert.match(uploaded, /\| processes \(GPUs\) \| 2 \|/);
  assert.match(uploaded, /\| MODEL_ID \| org\/base \|/);
  assert.match(uploaded, /## Training/);
  assert.doesNotMatch(uploaded, /HUB_MODEL_ID/);
});

test('a model folder without a training record: the card says the settings were not recorded instead of guessing', () => {
  const push = renderRecipe({ method: 'push', baseModel: 'org/base', hubRepo: 'me/model', adapter: 'full', modelPath: 'merged' });
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-card-'));
  mkdirSync(join(ws, 'merged'));
  for (const f of push.files) writeFileSync(join(ws, f.path), f.content);
  const log = join(ws, 'calls.jsonl');
  const p = spawnSync('python3', ['push_to_hub.py'], { cwd: ws, encoding: 'utf8', env: { ...process.env, PYTHONPATH: hubStub(), HUB_CALLS: log } });
  assert.equal(p.status, 0, p.stderr);
  assert.match(String(calls(log)[1].card), /settings that trained this model were not recorded/);
});

test('the model card says how to run the model with transformers, vLLM and Ollama, each with the training chat template', () => {
  const card = (adapter: 'lora' | 'full') => renderRecipe({ method: 'push', baseModel: 'org/base', hubRepo: 'me/Qwen2.5-Med', adapter, modelPath: '../sft-qwen/outputs/run1' }).files.find((f) => f.path === 'README.md')!.content;
  const lora = card('lora');
  assert.match(lora, /## How to run it[\s\S]*### transformers[\s\S]*### vLLM[\s\S]*### Ollama/);
  assert.match(lora, /AutoPeftModelForCausalLM\.from_pretrained\("me\/Qwen2\.5-Med"\)/);
  assert.match(lora, /tokenizer\.apply_chat_template\(messages, add_generation_prompt=True/);
  // An adapter is served on its base, with the template it was trained with (vLLM would take the base's).
  assert.match(lora, /vllm serve org\/base --enable-lora --lora-modules qwen2\.5-med="\$ADAPTER" --chat-template chat_template\.jinja/);
  assert.match(lora, /"model": "qwen2\.5-med"/);
  assert.match(lora, /ml-intern export sft-qwen\/outputs\/run1 --name qwen2\.5-med --gguf Q4_K_M .*--ollama --run\nollama run qwen2\.5-med/);
  const full = card('full');
  assert.match(full, /AutoModelForCausalLM\.from_pretrained\("me\/Qwen2\.5-Med"\)/);
  assert.match(full, /vllm serve me\/Qwen2\.5-Med --served-model-name qwen2\.5-med/);
  assert.doesNotMatch(full, /--enable-lora/);
});
