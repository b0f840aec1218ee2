import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  compareVersions, acceptsKeyword, findRenameForError, importModule, RENAMES, KEYWORD_RULES, readConfig, setConfig, renderRecipe,
  resolveSpec, SpecError, MergeMethod, RecipeSpec, loadPrompt, PROMPT_NAMES, promptsDir,
} from '../../../src/core/recipes';

const T = (trl: string, transformers = '4.56.2', peft = '0.17.0') => ({ trl, transformers, peft });

// ---------------------------------------------------------------- versions table
test('compareVersions orders numerically, ignoring suffixes', () => {
  assert.equal(compareVersions('0.9.0', '0.10.0'), -1);
  assert.equal(compareVersions('1.0.0rc1', '1.0.0'), 0);
  assert.equal(compareVersions('4.46', '4.46.0'), 0);
  assert.equal(compareVersions('v0.20.1', '0.20.0'), 1);
});

test('the table knows the big renames', () => {
  assert.ok(acceptsKeyword('trl', 'SFTConfig', 'max_seq_length', T('0.19.1')));
  assert.ok(!acceptsKeyword('trl', 'SFTConfig', 'max_seq_length', T('0.20.0')));
  assert.ok(acceptsKeyword('trl', 'SFTConfig', 'max_length', T('0.16.0')));
  assert.ok(!acceptsKeyword('trl', 'SFTTrainer', 'tokenizer', T('0.12.0')));
  assert.ok(acceptsKeyword('trl', 'SFTTrainer', 'processing_class', T('0.12.0')));
  assert.ok(!acceptsKeyword('trl', 'DPOConfig', 'max_prompt_length', T('0.29.0')));
  assert.ok(acceptsKeyword('trl', 'DPOConfig', 'max_prompt_length', T('0.28.0')));
  // Config classes inherit TrainingArguments, whose keywords follow transformers.
  assert.ok(acceptsKeyword('trl', 'SFTConfig', 'evaluation_strategy', T('0.11.0', '4.45.2')));
  assert.ok(!acceptsKeyword('trl', 'SFTConfig', 'evaluation_strategy', T('0.12.0', '4.46.0')));
  assert.ok(!acceptsKeyword('trl', 'DPOConfig', 'warmup_ratio', T('1.9.0', '5.2.0')));
  assert.equal(importModule('trl', 'ORPOTrainer', '0.25.0'), 'trl');
  assert.equal(importModule('trl', 'ORPOTrainer', '0.26.0'), 'trl.experimental.orpo');
  assert.equal(importModule('trl', 'KTOTrainer', '1.9.0'), 'trl');
  assert.throws(() => importModule('trl', 'DataCollatorForCompletionOnlyLM', '0.20.0'));
});

test('GRPOConfig keywords follow trl\'s tags (v0.14.0 first release, renames in v0.18 and v0.28)', () => {
  assert.ok(!acceptsKeyword('trl', 'GRPOConfig', 'num_generations', T('0.13.0')), 'no GRPO before trl 0.14');
  assert.ok(acceptsKeyword('trl', 'GRPOConfig', 'num_generations', T('0.14.0')));
  assert.ok(acceptsKeyword('trl', 'GRPOConfig', 'max_completion_length', T('1.9.0')));
  assert.ok(acceptsKeyword('trl', 'GRPOTrainer', 'reward_funcs', T('1.9.0')));
  assert.ok(!acceptsKeyword('trl', 'GRPOTrainer', 'data_collator', T('1.9.0')), 'GRPOTrainer takes no collator');
  assert.ok(!acceptsKeyword('trl', 'GRPOConfig', 'loss_type', T('0.16.0')));
  assert.ok(acceptsKeyword('trl', 'GRPOConfig', 'loss_type', T('0.17.0')));
  assert.ok(acceptsKeyword('trl', 'GRPOConfig', 'vllm_device', T('0.17.0')));
  assert.ok(!acceptsKeyword('trl', 'GRPOConfig', 'vllm_device', T('0.18.0')));
  assert.ok(acceptsKeyword('trl', 'GRPOConfig', 'vllm_mode', T('0.18.0')));
  assert.ok(acceptsKeyword('trl', 'GRPOConfig', 'max_prompt_length', T('0.27.0')));
  assert.ok(!acceptsKeyword('trl', 'GRPOConfig', 'max_prompt_length', T('0.28.0')));
  assert.ok(acceptsKeyword('trl', 'GRPOConfig', 'learning_rate', T('1.9.0')), 'inherits TrainingArguments');
  assert.equal(findRenameForError("TypeError: GRPOConfig.__init__() got an unexpected keyword argument 'vllm_device'")?.new, 'vllm_mode');
  assert.equal(importModule('trl', 'GRPOTrainer', '1.9.0'), 'trl');
  assert.throws(() => importModule('trl', 'GRPOTrainer', '0.13.0'));
});

test('every rule has a source and a sane range', () => {
  for (const r of KEYWORD_RULES) {
    assert.ok(r.source.length > 10, `${r.symbol}.${r.keyword} cites a source`);
    if (r.since && r.until) assert.ok(compareVersions(r.since, r.until) < 0, `${r.symbol}.${r.keyword} range`);
  }
  assert.ok(RENAMES.length >= 10);
});

test('findRenameForError maps trainer failures to the fix', () => {
  const a = findRenameForError("TypeError: SFTConfig.__init__() got an unexpected keyword argument 'max_seq_length'");
  assert.equal(a?.new, 'max_length');
  assert.equal(a?.removedIn, '0.20.0');
  const b = findRenameForError("TypeError: TrainingArguments.__init__() got an unexpected keyword argument 'evaluation_strategy'");
  assert.equal(b?.new, 'eval_strategy');
  const c = findRenameForError("TypeError: DPOConfig.__init__() got an unexpected keyword argument 'evaluation_strategy'");
  assert.equal(c?.new, 'eval_strategy');
  const d = findRenameForError("TypeError: SFTTrainer.__init__() got an unexpected keyword argument 'tokenizer'");
  assert.equal(d?.new, 'processing_class');
  const e = findRenameForError("ImportError: cannot import name 'ORPOConfig' from 'trl'");
  assert.match(e?.new ?? '', /trl\.experimental\.orpo/);
  assert.equal(findRenameForError('CUDA out of memory'), undefined);
});

// ---------------------------------------------------------------- CONFIG block
const SCRIPT = '#!/usr/bin/env python3\n"""doc"""\n# --- CONFIG ---\nMODEL_ID = "org/m"  # the model\nPER_DEVICE_TRAIN_BATCH_SIZE = 4     # micro-batch\nLEARNING_RATE = 2e-4\nGRADIENT_CHECKPOINTING = False\nHUB_MODEL_ID = None\nSYSTEM_PROMPT = "a # not a comment"  # real comment\nTARGETS = ["q_proj", "v_proj"]\n# --- END CONFIG ---\nPER_DEVICE_TRAIN_BATCH_SIZE = 99\nx = 1\n';

test('readConfig reads literals from the CONFIG block only', () => {
  assert.deepEqual(readConfig(SCRIPT), {
    MODEL_ID: 'org/m', PER_DEVICE_TRAIN_BATCH_SIZE: 4, LEARNING_RATE: 2e-4, GRADIENT_CHECKPOINTING: false, HUB_MODEL_ID: null, SYSTEM_PROMPT: 'a # not a comment', TARGETS: ['q_proj', 'v_proj'],
  });
});

test('setConfig changes one value and keeps every other byte', () => {
  const out = setConfig(SCRIPT, 'PER_DEVICE_TRAIN_BATCH_SIZE', 2);
  assert.equal(out, SCRIPT.replace('PER_DEVICE_TRAIN_BATCH_SIZE = 4     # micro-batch', 'PER_DEVICE_TRAIN_BATCH_SIZE = 2     # micro-batch'));
  assert.equal(readConfig(setConfig(SCRIPT, 'GRADIENT_CHECKPOINTING', true)).GRADIENT_CHECKPOINTING, true);
  assert.equal(readConfig(setConfig(SCRIPT, 'SYSTEM_PROMPT', 'Be "brief"')).SYSTEM_PROMPT, 'Be "brief"');
  assert.match(setConfig(SCRIPT, 'SYSTEM_PROMPT', 'x'), /SYSTEM_PROMPT = "x"  # real comment\n/);
  assert.match(setConfig(SCRIPT, 'LEARNING_RATE', 1e-5), /LEARNING_RATE = 1e-5\n/);
  assert.throws(() => setConfig(SCRIPT, 'NOPE', 1), /NOPE is not in the script's CONFIG block/);
  const crlf = SCRIPT.replace(/\n/g, '\r\n');
  assert.equal(setConfig(crlf, 'PER_DEVICE_TRAIN_BATCH_SIZE', 2), crlf.replace('= 4 ', '= 2 '));
});

test('setConfig output of a generated script still compiles', () => {
  const src = renderRecipe({ method: 'sft', baseModel: 'm/x', dataset: 'd.jsonl', columnMapping: { text: 'text' } }).files[0].content;
  const edited = setConfig(setConfig(src, 'PER_DEVICE_TRAIN_BATCH_SIZE', 1), 'GRADIENT_CHECKPOINTING', true);
  const r = spawnSync('python3', ['-c', 'import ast,sys; ast.parse(sys.stdin.read())'], { input: edited, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readConfig(edited).PER_DEVICE_TRAIN_BATCH_SIZE, 1);
});

// ---------------------------------------------------------------- spec validation
function problems(spec: unknown): string[] {
  try {
    resolveSpec(spec);
    return [];
  } catch (e) {
    assert.ok(e instanceof SpecError);
    return e.problems;
  }
}

test('spec validation names each missing or contradictory field', () => {
  assert.match(problems({ method: 'xyz' })[0], /^method: must be one of/);
  const p = problems({ method: 'sft' });
  assert.ok(p.some((x) => x.startsWith('baseModel:')));
  assert.ok(p.some((x) => x.startsWith('dataset:')));
  assert.ok(problems({ method: 'sft', baseModel: 'm', dataset: 'd.jsonl', columnMapping: { user: 'q' } }).some((x) => /columnMapping: sft needs/.test(x)));
  assert.ok(problems({ method: 'sft', baseModel: 'm', dataset: 'd.jsonl', columnMapping: { text: 't' }, evalSplit: 0.7 }).some((x) => x.startsWith('evalSplit:')));
  assert.ok(problems({ method: 'sft', baseModel: 'm', dataset: 'd.jsonl', columnMapping: { text: 't' }, bf16: true, fp16: true }).some((x) => /choose one/.test(x)));
  assert.ok(problems({ method: 'sft', baseModel: 'm', dataset: 'd.jsonl', columnMapping: { text: 't' }, adapter: 'full', loraR: 8 }).some((x) => /adapter "full"/.test(x)));
  assert.ok(problems({ method: 'dpo', baseModel: 'm', dataset: 'd.jsonl', columnMapping: { user: 'q', assistant: 'a' } }).some((x) => /chosen \+ rejected/.test(x)));
  assert.ok(problems({ method: 'push' }).some((x) => x.startsWith('hubRepo:')));
  assert.ok(problems({ method: 'sft', baseModel: 'm', dataset: 'd', columnMapping: { user: 'nope', assistant: 'a' }, inspection: { columns: ['q', 'a'] } }).some((x) => /"nope" is not in the dataset/.test(x)));
  assert.ok(problems({ method: 'sft', baseModel: 'm', dataset: 'd', hubRepo: 'a/b/c', columnMapping: { text: 't' } }).some((x) => x.startsWith('hubRepo:')));
  assert.deepEqual(problems({ method: 'sft', baseModel: 'm', dataset: 'd.jsonl', inspection: { mapping: { user: 'q', assistant: 'a' } } }), []);
});

// ---------------------------------------------------------------- merges
const MERGES: Record<MergeMethod, RecipeSpec> = {
  slerp: { method: 'merge', mergeMethod: 'slerp', baseModel: 'mistralai/Mistral-7B-v0.1', models: [{ model: 'mistralai/Mistral-7B-v0.1' }, { model: 'org/mistral-ft' }], t: 0.5 },
  ties: { method: 'merge', mergeMethod: 'ties', baseModel: 'mistralai/Mistral-7B-v0.1', models: [{ model: 'org/a', weight: 0.5, density: 0.5 }, { model: 'org/b', weight: 0.5, density: 0.7 }], hubRepo: 'me/merged' },
  dare_ties: { method: 'merge', mergeMethod: 'dare_ties', baseModel: 'mistralai/Mistral-7B-v0.1', models: [{ model: 'org/a', weight: 0.6, density: 0.5 }, { model: 'org/b', weight: 0.4, density: 0.5 }] },
  linear: { method: 'merge', mergeMethod: 'linear', models: [{ model: 'org/a', weight: 0.7 }, { model: 'org/b', weight: 0.3 }] },
  task_arithmetic: { method: 'merge', mergeMethod: 'task_arithmetic', baseModel: 'mistralai/Mistral-7B-v0.1', models: [{ model: 'org/a', weight: 1.0 }, { model: 'org/b' }] },
};

function parseYaml(text: string): Record<string, unknown> | undefined {
  const r = spawnSync('python3', ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: text, encoding: 'utf8' });
  return r.status === 0 ? JSON.parse(r.stdout) : undefined; // PyYAML may be absent: then only the text checks run
}

for (const [mm, spec] of Object.entries(MERGES)) {
  test(`merge ${mm}: valid mergekit YAML, mergekit-yaml command${spec.hubRepo ? ' and upload' : ''}`, () => {
    const r = renderRecipe(spec);
    const yaml = r.files.find((f) => f.path === 'config.yaml')!.content;
    assert.match(yaml, new RegExp(`merge_method: ${mm}\\n`));
    assert.deepEqual(r.commands[0].argv, ['mergekit-yaml', 'config.yaml', './merged', '--cuda']);
    assert.equal(r.commands.some((c) => c.argv[0] === 'hf' && c.argv[1] === 'upload'), Boolean(spec.hubRepo));
    const doc = parseYaml(yaml);
    if (doc) {
      assert.equal(doc.merge_method, mm);
      if (mm === 'slerp') {
        const slices = doc.slices as { sources: { model: string; layer_range: number[] }[] }[];
        assert.equal(slices[0].sources.length, 2);
        assert.deepEqual(slices[0].sources[0].layer_range, [0, 32]);
        assert.equal((doc.parameters as { t: number }).t, 0.5);
      } else {
        const models = doc.models as { model: string; parameters?: Record<string, number> }[];
        for (const m of models.filter((x) => x.model !== spec.baseModel)) {
          assert.ok(m.parameters?.weight !== undefined, `${mm}: weight for ${m.model}`);
          if (mm === 'ties' || mm === 'dare_ties') assert.ok(m.parameters?.density !== undefined);
        }
        assert.equal('base_model' in doc, mm !== 'linear');
      }
    }
  });
}

test('merge validation: slerp needs 2 models and t; ties needs density', () => {
  assert.ok(problems({ ...MERGES.slerp, models: [{ model: 'a' }], t: undefined }).some((x) => /exactly 2 models/.test(x)));
  assert.ok(problems({ ...MERGES.slerp, t: undefined }).some((x) => x.startsWith('t:')));
  assert.ok(problems({ ...MERGES.ties, models: [{ model: 'org/a', weight: 1 }] }).some((x) => /density/.test(x)));
  assert.ok(problems({ ...MERGES.linear, models: [{ model: 'org/a' }] }).some((x) => /weight/.test(x)));
  assert.ok(problems({ ...MERGES.task_arithmetic, baseModel: undefined }).some((x) => x.startsWith('baseModel:')));
});

// ---------------------------------------------------------------- push
test('push recipe: adapter card says library_name peft, full model says transformers; token never in files', () => {
  const a = renderRecipe({ method: 'push', baseModel: 'meta-llama/Meta-Llama-3-8B-Instruct', hubRepo: 'me/llama-3-med-qa', adapter: 'lora', dataset: 'org/medqa', modelPath: 'outputs/med', evalResults: [{ task: 'gsm8k', base: 0.61, trained: 0.63 }] });
  const card = a.files.find((f) => f.path === 'README.md')!.content;
  assert.match(card, /^---\nbase_model: meta-llama\/Meta-Llama-3-8B-Instruct\nlibrary_name: peft\ndatasets:\n- org\/medqa\ntags:\n/);
  assert.match(card, /\| gsm8k \| 0\.61 \| 0\.63 \|/);
  const script = a.files.find((f) => f.path === 'push_to_hub.py')!.content;
  assert.match(script, /HfApi\(\)/);
  assert.doesNotMatch(script, /token\s*=/);
  const f = renderRecipe({ method: 'push', baseModel: 'm/x', hubRepo: 'me/full', adapter: 'full' });
  assert.match(f.files.find((x) => x.path === 'README.md')!.content, /library_name: transformers/);
});

// ---------------------------------------------------------------- prompts
test('every prompt loads, from the source tree and from a bundle-like folder', () => {
  for (const name of PROMPT_NAMES) assert.ok(loadPrompt(name).length > 200, `${name}.md has content`);
  assert.ok(promptsDir(__dirname).endsWith('prompts'));
  assert.throws(() => loadPrompt('../package'), /Invalid prompt name/);
  assert.match(loadPrompt('persona'), /DATA/);
});

test('prompts/renames.md lists every rename of the table', () => {
  const sheet = loadPrompt('renames');
  for (const r of RENAMES) {
    const row = `| ${r.library} | ${r.symbol} | \`${r.old}\` | ${r.new ? '`' + r.new + '`' : '—'} | ${r.deprecatedIn ?? ''} | ${r.removedIn ?? ''} |`;
    assert.ok(sheet.includes(row), `renames.md has ${row}`);
  }
});
