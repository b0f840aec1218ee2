import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  acceptsKeyword, Adapter, EnvReportLike, importModule, Library, RecipeSpec, renderRecipe, resolveTargets, TrainingMethod, readConfig,
} from '../../../src/core/recipes';
import { extractCalls, pyCompile, writeFiles } from './helpers';

const MAPPINGS: Record<TrainingMethod, RecipeSpec['columnMapping']> = {
  sft: { user: 'patient_query', assistant: 'doctor_response' },
  dpo: { prompt: 'question', chosen: 'good_answer', rejected: 'bad_answer' },
  orpo: { prompt: 'question', chosen: 'good_answer', rejected: 'bad_answer' },
  kto: { prompt: 'question', completion: 'answer', label: 'is_good' },
  grpo: { prompt: 'question', answer: 'answer' },
};

const TARGETS: Record<string, EnvReportLike | undefined> = {
  'default (no env)': undefined,
  'trl 0.11 / transformers 4.44 / peft 0.7': { packages: { trl: '0.11.4', transformers: '4.44.2', peft: '0.7.1', tensorboard: '2.17.0' } },
  'trl 0.19 / transformers 4.52 / peft 0.15': { packages: { trl: '0.19.1', transformers: '4.52.4', peft: '0.15.2', wandb: '0.19.0' } },
  'trl 1.9 / transformers 5.2 / peft 0.18': { packages: { trl: '1.9.0', transformers: '5.2.0', peft: '0.18.1', trackio: '0.5.0' }, gpus: [{ name: 'H100', memoryTotalMiB: 81559, bf16: true }] },
};

/** Which library and table symbol each extracted call is checked against. */
const SYMBOLS: Record<string, [Library, string]> = {
  SFTConfig: ['trl', 'SFTConfig'], DPOConfig: ['trl', 'DPOConfig'], ORPOConfig: ['trl', 'ORPOConfig'], KTOConfig: ['trl', 'KTOConfig'],
  SFTTrainer: ['trl', 'SFTTrainer'], DPOTrainer: ['trl', 'DPOTrainer'], ORPOTrainer: ['trl', 'ORPOTrainer'], KTOTrainer: ['trl', 'KTOTrainer'],
  LoraConfig: ['peft', 'LoraConfig'], prepare_model_for_kbit_training: ['peft', 'prepare_model_for_kbit_training'],
  BitsAndBytesConfig: ['transformers', 'BitsAndBytesConfig'], 'AutoModelForCausalLM.from_pretrained': ['transformers', 'from_pretrained'],
  DataCollatorForCompletionOnlyLM: ['trl', 'DataCollatorForCompletionOnlyLM'],
};

// GRPO has its own template and tests (grpoRecipe.test.ts).
const METHODS: Exclude<TrainingMethod, 'grpo'>[] = ['sft', 'dpo', 'orpo', 'kto'];
const ADAPTERS: Adapter[] = ['lora', 'qlora', 'full'];

for (const [label, env] of Object.entries(TARGETS)) {
  for (const method of METHODS) {
    for (const adapter of ADAPTERS) {
      test(`${method} ${adapter} for ${label}: compiles and every keyword exists in the targeted versions`, () => {
        const r = renderRecipe({ method, adapter, baseModel: 'meta-llama/Llama-3.1-8B-Instruct', dataset: 'data/train.jsonl', columnMapping: MAPPINGS[method], hubRepo: 'me/test-model' }, { env });
        const dir = writeFiles(r.files);
        const script = join(dir, 'train.py');
        assert.equal(pyCompile([script]), '');
        const t = resolveTargets(env?.packages);
        const { calls, imports } = extractCalls(script);
        const names = calls.map((c) => c.name);
        const cls = { sft: 'SFT', dpo: 'DPO', orpo: 'ORPO', kto: 'KTO' }[method];
        assert.ok(names.includes(`${cls}Config`) && names.includes(`${cls}Trainer`), `config and trainer calls in ${names}`);
        for (const c of calls) {
          const [lib, sym] = SYMBOLS[c.name];
          for (const kw of c.keywords) {
            assert.ok(acceptsKeyword(lib, sym, kw, t), `${sym}(${kw}=...) at line ${c.line} is not accepted by ${lib} ${t[lib]}`);
          }
        }
        // Imports come from where the targeted trl keeps the class.
        const trainerImport = imports.find((i) => i.names.includes(`${cls}Trainer`));
        assert.equal(trainerImport?.module, importModule('trl', `${cls}Trainer`, t.trl));
        // LoRA config only for adapters, 4-bit only for QLoRA.
        assert.equal(names.includes('LoraConfig'), adapter !== 'full');
        assert.equal(names.includes('BitsAndBytesConfig'), adapter === 'qlora');
        // The script never upcasts a 4-bit model itself: the targeted trl's trainer does it or (newer trl) does not.
        assert.equal(names.includes('prepare_model_for_kbit_training'), false);
        const src = r.files.find((f) => f.path === 'train.py')!.content;
        assert.doesNotMatch(src, /hf_[A-Za-z0-9]{10,}/);
        assert.match(src, /train_test_split\(test_size=EVAL_SPLIT, seed=SEED\)/);
        assert.match(src, /save_total_limit=SAVE_TOTAL_LIMIT/);
        assert.match(src, /tokenizer\.pad_token = tokenizer\.eos_token/);
        for (const col of Object.values(MAPPINGS[method]!)) assert.ok(src.includes(`row["${col}"]`), `mapping uses column ${col}`);
        const cfg = readConfig(src);
        for (const name of ['MODEL_ID', 'PER_DEVICE_TRAIN_BATCH_SIZE', 'GRADIENT_ACCUMULATION_STEPS', 'GRADIENT_CHECKPOINTING', 'MAX_LENGTH', 'LEARNING_RATE', 'BF16', 'FP16', 'ATTN_IMPLEMENTATION', 'SAVE_TOTAL_LIMIT', 'OUTPUT_DIR', 'HUB_MODEL_ID']) {
          assert.ok(name in cfg, `CONFIG has ${name}`);
        }
      });
    }
  }
}

test('old trl gets the old keywords: max_seq_length, tokenizer=, evaluation_strategy, torch_dtype', () => {
  const env = TARGETS['trl 0.11 / transformers 4.44 / peft 0.7'];
  const src = renderRecipe({ method: 'sft', baseModel: 'm/x', dataset: 'd.jsonl', columnMapping: MAPPINGS.sft }, { env }).files[0].content;
  assert.match(src, /max_seq_length=MAX_LENGTH/);
  assert.match(src, /tokenizer=tokenizer/);
  assert.match(src, /torch_dtype=MODEL_DTYPE/);
  assert.match(src, /eval_strategy=/); // 4.44 >= 4.41
  assert.doesNotMatch(src, /COMPLETION_ONLY_LOSS/); // prompt/completion loss masking needs trl 0.17
  assert.match(src, /LORA_TARGET_MODULES = \["q_proj"/); // peft 0.7 has no "all-linear"
  const dpo = renderRecipe({ method: 'orpo', baseModel: 'm/x', dataset: 'd.jsonl', columnMapping: MAPPINGS.orpo }, { env }).files[0].content;
  assert.match(dpo, /from trl import ORPOConfig, ORPOTrainer/);
  assert.match(dpo, /def to_text_example/); // trl 0.11 renders the chat template itself
});

test('new trl gets the new ones: experimental ORPO import, no max_prompt_length, warmup_steps on transformers 5', () => {
  const env = TARGETS['trl 1.9 / transformers 5.2 / peft 0.18'];
  const orpo = renderRecipe({ method: 'orpo', baseModel: 'm/x', dataset: 'd.jsonl', columnMapping: MAPPINGS.orpo }, { env }).files[0].content;
  assert.match(orpo, /from trl\.experimental\.orpo import ORPOConfig, ORPOTrainer/);
  assert.doesNotMatch(orpo, /max_prompt_length/);
  assert.match(orpo, /warmup_steps=WARMUP_RATIO/);
  assert.match(orpo, /dtype=MODEL_DTYPE/);
  assert.match(orpo, /REPORT_TO = "trackio"/);
});

test('without an environment report the warmup keyword is chosen at run time', () => {
  const src = renderRecipe({ method: 'sft', baseModel: 'm/x', dataset: 'd.jsonl', columnMapping: MAPPINGS.sft }).files[0].content;
  assert.match(src, /\*\*warmup_kwargs\(\)/);
  assert.match(src, /REPORT_TO = "none"/);
});

test('seed scenario: Llama-3-8B-Instruct, medical QA columns, LoRA, 5 % validation, push the adapter', () => {
  const r = renderRecipe({
    method: 'sft', baseModel: 'meta-llama/Meta-Llama-3-8B-Instruct', dataset: 'data/medical_qa.jsonl', adapter: 'lora', evalSplit: 0.05, hubRepo: 'llama-3-med-qa',
  }, { inspection: { format: 'qa', mapping: { user: 'patient_query', assistant: 'doctor_response' }, columns: ['id', 'patient_query', 'doctor_response', 'specialty'] } });
  const src = r.files.find((f) => f.path === 'train.py')!.content;
  assert.match(src, /def to_messages\(row\):/);
  assert.match(src, /"role": "user", "content": user/);
  assert.match(src, /user = str\(row\["patient_query"\]\)/);
  assert.match(src, /"role": "assistant", "content": str\(row\["doctor_response"\]\)/);
  assert.match(src, /EVAL_SPLIT = 0\.05/);
  assert.match(src, /HUB_MODEL_ID = "llama-3-med-qa"/);
  assert.match(src, /if HUB_MODEL_ID:\n            push_output\(\)/, 'the main process uploads the saved folder');
  assert.match(src, /LoraConfig\(/);
  assert.match(src, /load_dataset\("json", data_files=DATASET/);
  const card = r.files.find((f) => f.path === 'README.md')!.content;
  assert.match(card, /^---\nbase_model: meta-llama\/Meta-Llama-3-8B-Instruct\nlibrary_name: peft\n/);
  assert.deepEqual(r.commands.map((c) => c.argv), [['python', 'train.py']]);
});

test('the model card names the data as the workspace does, not as the script sees it from its folder', () => {
  const r = renderRecipe({ method: 'sft', baseModel: 'm/x', dataset: '../data/medical_qa.jsonl', columnMapping: MAPPINGS.sft, hubRepo: 'me/med' });
  const card = r.files.find((f) => f.path === 'README.md')!.content;
  assert.match(card, /on `data\/medical_qa\.jsonl`/);
  assert.match(r.files.find((f) => f.path === 'train.py')!.content, /^DATASET = "\.\.\/data\/medical_qa\.jsonl"/m);
});

test('no push code path is active and no card is written without hubRepo', () => {
  const r = renderRecipe({ method: 'sft', baseModel: 'm/x', dataset: 'd.jsonl', columnMapping: MAPPINGS.sft });
  assert.match(r.files[0].content, /HUB_MODEL_ID = None/);
  assert.equal(r.files.some((f) => f.path === 'README.md'), false);
});

test('an OpenAI-style messages column and a ShareGPT one both map through as_messages', () => {
  const src = renderRecipe({ method: 'sft', baseModel: 'm/x', dataset: 'org/chat', columnMapping: { messages: 'conversations' } }).files[0].content;
  assert.match(src, /as_messages\(row\["conversations"\], "user"\)/);
  assert.match(src, /load_dataset\(DATASET, split=DATASET_SPLIT\)/);
});

test('GPU report drives precision and the batch plan', () => {
  const r = renderRecipe({ method: 'sft', adapter: 'qlora', baseModel: 'meta-llama/Llama-3.1-8B-Instruct', dataset: 'd.jsonl', columnMapping: MAPPINGS.sft }, { env: { gpus: [{ name: 'Tesla T4', memoryTotalMiB: 15360, bf16: false }], packages: {} } });
  const cfg = readConfig(r.files[0].content);
  assert.equal(cfg.BF16, false);
  assert.equal(cfg.FP16, true);
  assert.match(r.files[0].content, /bnb_4bit_compute_dtype=torch\.bfloat16 if BF16 else torch\.float16/);
  assert.equal((cfg.PER_DEVICE_TRAIN_BATCH_SIZE as number) * (cfg.GRADIENT_ACCUMULATION_STEPS as number), 16);
  assert.ok(r.notes.some((n) => /Memory estimate/.test(n)));
});

test('every generated Python file of eval, merge and push compiles; no token literal anywhere', () => {
  const specs: RecipeSpec[] = [
    { method: 'eval', baseModel: 'meta-llama/Meta-Llama-3-8B-Instruct', adapter: 'lora', outputDir: 'outputs/med' },
    { method: 'eval', baseModel: 'm/x', adapter: 'full', modelPath: 'outputs/full' },
    { method: 'push', baseModel: 'm/x', hubRepo: 'me/model', adapter: 'lora', modelPath: 'outputs/med', evalResults: [{ task: 'gsm8k', base: 0.5, trained: 0.55 }] },
    { method: 'push', baseModel: 'm/x', hubRepo: 'me/merged', adapter: 'full', modelPath: 'merged' },
  ];
  for (const s of specs) {
    const r = renderRecipe(s);
    const dir = writeFiles(r.files);
    const py = r.files.filter((f) => f.path.endsWith('.py')).map((f) => join(dir, f.path));
    assert.ok(py.length > 0);
    assert.equal(pyCompile(py), '', `${s.method} compiles`);
    for (const f of r.files) assert.doesNotMatch(f.content, /hf_[A-Za-z0-9]{10,}/);
  }
});

test('eval recipe: LightEval on base and trained, then the comparison table', () => {
  const r = renderRecipe({ method: 'eval', baseModel: 'meta-llama/Meta-Llama-3-8B-Instruct', adapter: 'lora', outputDir: 'outputs/med' });
  const argv = r.commands.map((c) => c.argv.join(' '));
  assert.deepEqual(r.files.map((f) => f.path), ['merge_adapter.py', 'compare_results.py']);
  assert.ok(argv[0].startsWith('python merge_adapter.py'));
  assert.ok(argv.some((a) => a.includes('model_name=meta-llama/Meta-Llama-3-8B-Instruct') && a.includes('lighteval|mmlu|5,lighteval|gsm8k|5') && a.includes('--output-dir results/base')));
  assert.ok(argv.some((a) => a.includes('model_name=outputs/med-merged') && a.includes('results/trained')));
  assert.equal(argv[argv.length - 1], 'python compare_results.py');
  assert.match(r.files[1].content, /results\/comparison\.json/);
  const old = renderRecipe({ method: 'eval', baseModel: 'm/x', adapter: 'full', env: { packages: { lighteval: '0.8.0' } } });
  assert.ok(old.commands[0].argv.includes('pretrained=m/x,dtype=bfloat16'));
  assert.ok(old.commands[0].argv.includes('leaderboard|mmlu|5|0,leaderboard|gsm8k|5|0'));
});
