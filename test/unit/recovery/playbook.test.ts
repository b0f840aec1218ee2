import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readConfig } from '../../../src/core/recipes';
import { recipeScript } from './helpers';
import { diagnose } from '../../../src/core/recovery/diagnose';
import { playbook, PlaybookFix } from '../../../src/core/recovery/playbook';
import { preflight } from '../../../src/core/recovery/preflight';
import { findKwarg, insertKwarg, removeKwarg, renameKwarg, replaceKwargValue } from '../../../src/core/recovery/scriptEdits';
import { Diagnosis } from '../../../src/core/recovery/types';

const HAND = `import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainingArguments
from trl import SFTTrainer, SFTConfig

model_id = "meta-llama/Llama-3.2-1B"
tokenizer = AutoTokenizer.from_pretrained(model_id)
model = AutoModelForCausalLM.from_pretrained(
    model_id,
    torch_dtype=torch.bfloat16,
    attn_implementation="flash_attention_2",
)
args = SFTConfig(
    output_dir="out",  # checkpoints
    per_device_train_batch_size=8,
    gradient_accumulation_steps=2,
    learning_rate=2e-4,
    bf16=True,
    fp16=False,
    max_seq_length=1024,
)
trainer = SFTTrainer(model=model, args=args, tokenizer=tokenizer, train_dataset=ds)
trainer.train()
`;

function diag(line: string): Diagnosis {
  return diagnose(line);
}
const OOM = diag('torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.');

function asEdit(f: PlaybookFix): Extract<PlaybookFix, { kind: 'edit' }> {
  assert.equal(f.kind, 'edit', JSON.stringify(f));
  return f as Extract<PlaybookFix, { kind: 'edit' }>;
}

test('scriptEdits: change, rename, insert and remove keywords, everything else byte for byte', () => {
  const s = 'args = TrainingArguments(\n    output_dir="o(",  # a ) in a comment\n    bf16=True,\n)\nx = f(a, b=1)\n';
  assert.equal(replaceKwargValue(s, 'bf16', 'False', ['TrainingArguments']), s.replace('bf16=True', 'bf16=False'));
  assert.equal(insertKwarg(s, 'fp16', 'True', ['TrainingArguments']), s.replace('bf16=True,\n', 'bf16=True,\n    fp16=True,\n'));
  assert.equal(insertKwarg(s, 'c', '2', ['f']), s.replace('b=1)', 'b=1, c=2)'));
  assert.equal(renameKwarg(s, 'b', 'bb'), s.replace('b=1', 'bb=1'));
  assert.equal(removeKwarg(s, 'b', ['f']), s.replace(', b=1', ''));
  assert.equal(findKwarg(s, 'output_dir', ['TrainingArguments'])?.value, '"o("');
  const noTrailing = 'a = SFTConfig(\n    x=1,\n    y=2  # why\n)\n';
  assert.equal(insertKwarg(noTrailing, 'z', '3', ['SFTConfig']), 'a = SFTConfig(\n    x=1,\n    y=2,  # why\n    z=3\n)\n');
  const crlf = 'a = SFTConfig(\r\n    x=1,\r\n)\r\n';
  assert.equal(insertKwarg(crlf, 'z', '3', ['SFTConfig']), 'a = SFTConfig(\r\n    x=1,\r\n    z=3,\r\n)\r\n');
});

test('cuda_oom ladder on a recipe script: the fixes that keep the task (batch with the same effective batch, checkpointing, a leaner optimizer), then what changes it (MAX_LENGTH, QLoRA, the model) is a question, never an edit', () => {
  let s = recipeScript();
  const c0 = readConfig(s);
  assert.equal(c0.PER_DEVICE_TRAIN_BATCH_SIZE, 4);
  const f1 = asEdit(playbook({ diagnosis: OOM, script: s }));
  assert.match(f1.description, /micro-batch 4 → 2, gradient accumulation 4 → 8 \(effective batch 16 kept\), gradient checkpointing on/);
  s = f1.script;
  assert.deepEqual([readConfig(s).PER_DEVICE_TRAIN_BATCH_SIZE, readConfig(s).GRADIENT_ACCUMULATION_STEPS, readConfig(s).GRADIENT_CHECKPOINTING], [2, 8, true]);
  s = asEdit(playbook({ diagnosis: OOM, script: s })).script;
  assert.deepEqual([readConfig(s).PER_DEVICE_TRAIN_BATCH_SIZE, readConfig(s).GRADIENT_ACCUMULATION_STEPS], [1, 16]);
  // The optimizer: 8-bit AdamW when bitsandbytes is installed, else Adafactor.
  assert.equal(readConfig(s).OPTIM, 'adamw_torch');
  const withBnb = asEdit(playbook({ diagnosis: OOM, script: s, environment: { packages: { bitsandbytes: '0.45.0' } } }));
  assert.equal(readConfig(withBnb.script).OPTIM, 'adamw_bnb_8bit');
  const opt = asEdit(playbook({ diagnosis: OOM, script: s }));
  assert.equal(opt.id, 'oom:optim');
  assert.match(opt.description, /optimizer adamw_torch → adafactor/);
  s = opt.script;
  const before = { ...readConfig(s) };
  const q = playbook({ diagnosis: OOM, script: s, history: [{ category: 'cuda_oom', fixId: 'oom:batch' }, { category: 'cuda_oom', fixId: 'oom:optim' }] });
  assert.equal(q.kind, 'user');
  assert.equal((q as { id: string }).id, 'oom:scope');
  const question = (q as { question: string }).question;
  assert.match(question, /\(a\) lower MAX_LENGTH 2048 → 1024 \(examples longer than 1024 tokens get truncated/);
  assert.match(question, /\(b\) switch to QLoRA .*changes the training method/);
  assert.match(question, /\(c\) a smaller model, or a GPU with more memory\. Which one\?/);
  // Asked again, the same question: nothing in the script is changed behind the user's back.
  const again = playbook({ diagnosis: OOM, script: s, history: [{ category: 'cuda_oom', fixId: 'oom:scope' }] });
  assert.equal(again.kind, 'user');
  assert.deepEqual(readConfig(s), before);
  // Already in 4-bit: QLoRA is not offered.
  const q4 = playbook({ diagnosis: OOM, script: s.replace(/^OPTIM = .*$/m, '$&\nLOAD_IN_4BIT = True') });
  assert.doesNotMatch((q4 as { question: string }).question, /QLoRA/);
});

test('cuda_oom on a hand-written script edits the keywords in place', () => {
  const f = asEdit(playbook({ diagnosis: OOM, script: HAND }));
  assert.match(f.script, /per_device_train_batch_size=4,\n {4}gradient_accumulation_steps=4,/);
  assert.match(f.script, /max_seq_length=1024,\n {4}gradient_checkpointing=True,\n\)/);
  const f2 = asEdit(playbook({ diagnosis: OOM, script: 'args = TrainingArguments(output_dir="o", per_device_train_batch_size=3, gradient_checkpointing=True)\n' }));
  assert.match(f2.description, /micro-batch 3 → 1, gradient accumulation 1 → 3 \(effective batch 3 kept\)$/);
});

test('bf16 → fp16, flash-attn → sdpa, pad token, chat template', () => {
  const bf = asEdit(playbook({ diagnosis: diag("ValueError: Your setup doesn't support bf16/gpu."), script: HAND }));
  assert.match(bf.script, /bf16=False,\n {4}fp16=True,/);
  assert.match(bf.script, /torch_dtype=torch\.float16/);
  const rbf = asEdit(playbook({ diagnosis: diag("ValueError: Your setup doesn't support bf16/gpu."), script: recipeScript() }));
  assert.deepEqual([readConfig(rbf.script).BF16, readConfig(rbf.script).FP16], [false, true]);
  const fa = asEdit(playbook({ diagnosis: diag('ImportError: FlashAttention2 has been toggled on, but it cannot be used due to the following error: the package flash_attn seems to be not installed.'), script: HAND }));
  assert.match(fa.script, /attn_implementation="sdpa"/);
  const pad = asEdit(playbook({ diagnosis: diag('ValueError: Asking to pad but the tokenizer does not have a padding token.'), script: HAND }));
  assert.match(pad.script, /tokenizer = AutoTokenizer\.from_pretrained\(model_id\)\nif tokenizer\.pad_token is None:\n {4}tokenizer\.pad_token = tokenizer\.eos_token/);
  const chat = asEdit(playbook({ diagnosis: diag('ValueError: Cannot use chat template functions because tokenizer.chat_template is not set'), script: HAND }));
  assert.match(chat.script, /tokenizer\.chat_template = \(/);
  assert.match(chat.script, /<\|im_start\|>/);
  // The recipe already sets both: nothing for the rule to add.
  assert.equal(playbook({ diagnosis: diag('ValueError: Asking to pad but the tokenizer does not have a padding token.'), script: recipeScript() }).kind, 'llm');
});

test('unexpected_kwarg: renames from the table (both directions), unknown keyword → llm', () => {
  const a = asEdit(playbook({ diagnosis: diag("TypeError: SFTConfig.__init__() got an unexpected keyword argument 'max_seq_length'"), script: HAND }));
  assert.match(a.script, /max_length=1024/);
  const b = asEdit(playbook({ diagnosis: diag("TypeError: SFTTrainer.__init__() got an unexpected keyword argument 'tokenizer'"), script: HAND }));
  assert.match(b.script, /SFTTrainer\(model=model, args=args, processing_class=tokenizer,/);
  const c = asEdit(playbook({ diagnosis: diag("TypeError: DPOTrainer.__init__() got an unexpected keyword argument 'processing_class'"), script: 'trainer = DPOTrainer(model=m, processing_class=tok)\n' }));
  assert.match(c.script, /DPOTrainer\(model=m, tokenizer=tok\)/);
  const e = asEdit(playbook({ diagnosis: diag("TypeError: TrainingArguments.__init__() got an unexpected keyword argument 'evaluation_strategy'"), script: 'a = TrainingArguments(evaluation_strategy="steps")\n' }));
  assert.match(e.script, /eval_strategy="steps"/);
  assert.equal(playbook({ diagnosis: diag("TypeError: SFTConfig.__init__() got an unexpected keyword argument 'frobnicate'"), script: HAND }).kind, 'llm');
});

test('module_not_found → pip command; disk_full → save_total_limit then ask; gated → licence URL; network → retry with time-outs then ask', () => {
  const m = playbook({ diagnosis: diag("ModuleNotFoundError: No module named 'flash_attn'"), script: HAND });
  assert.deepEqual(m.kind === 'command' && m.argv, ['python3', '-m', 'pip', 'install', 'flash-attn']);
  const up = playbook({ diagnosis: diag("ImportError: cannot import name 'SFTConfig' from 'trl' (/x/trl/__init__.py)"), script: HAND, python: '/venv/bin/python' });
  assert.deepEqual(up.kind === 'command' && up.argv, ['/venv/bin/python', '-m', 'pip', 'install', '-U', 'trl']);
  const d = asEdit(playbook({ diagnosis: diag('OSError: [Errno 28] No space left on device'), script: recipeScript() }));
  assert.equal(readConfig(d.script).SAVE_TOTAL_LIMIT, 1);
  const d2 = playbook({ diagnosis: diag('OSError: [Errno 28] No space left on device'), script: d.script });
  assert.equal(d2.kind, 'user');
  const g = playbook({ diagnosis: diag('Cannot access gated repo for url https://huggingface.co/meta-llama/Llama-3.2-1B/resolve/main/config.json.'), script: HAND });
  assert.ok(g.kind === 'user' && g.question.includes('https://huggingface.co/meta-llama/Llama-3.2-1B') && g.question.includes("'ML Intern: Set API Key'"));
  const n = playbook({ diagnosis: diag("OSError: We couldn't connect to 'https://huggingface.co' to load this file"), script: HAND });
  assert.deepEqual(n.kind === 'retry' && n.env, { HF_HUB_DOWNLOAD_TIMEOUT: '60', HF_HUB_ETAG_TIMEOUT: '60' });
  assert.equal(playbook({ diagnosis: diag("OSError: We couldn't connect to 'https://huggingface.co'"), script: HAND, history: [{ category: 'network_timeout', fixId: 'net:timeouts' }] }).kind, 'user');
});

test('nan_loss: learning rate ÷ 4, fp16 → bf16 when supported (else fp32), max_grad_norm 0.3', () => {
  const s = HAND.replace('bf16=True', 'bf16=False').replace('fp16=False', 'fp16=True');
  const a = asEdit(playbook({ diagnosis: diag("{'loss': nan, 'grad_norm': nan}"), script: s, environment: { bf16Supported: true } }));
  assert.match(a.script, /learning_rate=5e-5/);
  assert.match(a.script, /bf16=True,\n {4}fp16=False/);
  assert.match(a.script, /max_grad_norm=0\.3/);
  const b = asEdit(playbook({ diagnosis: diag("{'loss': nan}"), script: s, environment: { gpus: [{ name: 'Tesla T4', bf16: false }] } }));
  assert.match(b.script, /bf16=False,\n {4}fp16=False/);
  assert.match(b.description, /fp16 → fp32/);
});

test('categories without a rule go to the LLM', () => {
  for (const line of ["KeyError: 'instruction'", 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x2 and 3x3)', 'Segmentation fault (core dumped)']) {
    assert.equal(playbook({ diagnosis: diag(line), script: HAND }).kind, 'llm', line);
  }
});

test('preflight: bf16 on a T4 → fp16, flash-attn missing → sdpa, keywords the installed versions lack → renamed', () => {
  const r = preflight(HAND, { gpus: [{ name: 'Tesla T4', bf16: false }], packages: { trl: '0.21.0', transformers: '4.56.2', torch: '2.6.0' } });
  assert.match(r.script, /bf16=False,\n {4}fp16=True/);
  assert.match(r.script, /attn_implementation="sdpa"/);
  assert.match(r.script, /max_length=1024/);
  assert.match(r.script, /processing_class=tokenizer/);
  assert.deepEqual(r.fixes.map((f) => f.id).sort(), ['attn:sdpa', 'bf16:fp16', 'kwarg:max_seq_length->max_length', 'kwarg:tokenizer->processing_class']);
  const old = preflight('trainer = DPOTrainer(model=m, processing_class=tok)\n', { packages: { trl: '0.11.4', transformers: '4.44.0' } });
  assert.match(old.script, /tokenizer=tok/);
  const fine = preflight(HAND, { gpus: [{ name: 'NVIDIA A100', bf16: true }], packages: { trl: '0.11.4', transformers: '4.44.0', flash_attn: '2.7.0' } });
  assert.deepEqual(fine.fixes.map((f) => f.id), []);
  assert.equal(preflight(HAND, undefined).script, HAND);
});

test('cuda_oom after the lean optimizer, SFT with liger-kernel installed: the Liger kernel goes on before any question; not for an old trl or DPO', () => {
  const LIGER = { packages: { liger_kernel: '0.5.10', trl: '0.24.0', transformers: '4.56.2' } };
  // The script as the ladder left it: micro-batch 1, checkpointing on, Adafactor.
  const s = recipeScript({ perDeviceTrainBatchSize: 1, gradientCheckpointing: true }).replace(/^OPTIM = "adamw_torch"/m, 'OPTIM = "adafactor"');
  const f = asEdit(playbook({ diagnosis: OOM, script: s, environment: LIGER }));
  assert.equal(f.id, 'oom:liger');
  assert.match(f.description, /Liger kernel on \(liger-kernel 0\.5\.10 is installed/);
  assert.match(f.script, /training_args = SFTConfig\([\s\S]*use_liger_kernel=True/);
  assert.equal(findKwarg(f.script, 'use_liger_kernel', ['SFTConfig'])?.value, 'True');
  // Once on, what is left is the user's choice.
  assert.equal(playbook({ diagnosis: OOM, script: f.script, environment: LIGER }).kind, 'user');
  // Not where it would change the training or is not read: trl before 0.22 drops the loss masks under it; DPO refuses it with PEFT.
  assert.equal(playbook({ diagnosis: OOM, script: s, environment: { packages: { ...LIGER.packages, trl: '0.21.0' } } }).kind, 'user');
  assert.equal(playbook({ diagnosis: OOM, script: s }).kind, 'user', 'not installed: no rung');
  const dpo = recipeScript({ method: 'dpo', columnMapping: { prompt: 'prompt', chosen: 'chosen', rejected: 'rejected' }, perDeviceTrainBatchSize: 1, gradientCheckpointing: true }).replace(/^OPTIM = "adamw_torch"/m, 'OPTIM = "adafactor"');
  assert.equal(playbook({ diagnosis: OOM, script: dpo, environment: LIGER }).kind, 'user');
});
