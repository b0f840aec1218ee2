// Issue 18, findings 7, 8 and 13: which tokens an SFT train.py trains on for each trl (answers only; EOS never the
// pad on trl < 0.17) and the speed switches written when the environment has the package, with every keyword
// checked against the version table and the loss-mask helpers run on fake tokenizers (real Jinja templates).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { acceptsKeyword, EnvReportLike, importModule, Library, readConfig, renderRecipe, resolveTargets } from '../../../src/core/recipes';
import { extractCalls, pyCompile, writeFiles } from './helpers';

const PROBE = resolve(__dirname, '../../fixtures/loss_mask_probe.py');

const TRL: Record<string, { trl: string; transformers: string; peft: string }> = {
  '0.11': { trl: '0.11.4', transformers: '4.44.2', peft: '0.12.0' },
  '0.16': { trl: '0.16.1', transformers: '4.50.3', peft: '0.15.2' },
  '0.18': { trl: '0.18.2', transformers: '4.52.4', peft: '0.15.2' },
  '0.20': { trl: '0.20.0', transformers: '4.55.0', peft: '0.17.0' },
  '1.0': { trl: '1.0.0', transformers: '4.57.1', peft: '0.17.1' },
  '1.3': { trl: '1.3.0', transformers: '4.57.1', peft: '0.17.1' },
  '1.9': { trl: '1.9.0', transformers: '5.2.0', peft: '0.18.1' },
};
const SHAPES = {
  multi: { messages: 'conversations' },
  single: { user: 'question', assistant: 'answer' },
  text: { text: 'body' },
} as const;
type Shape = keyof typeof SHAPES;

const SYMBOLS: Record<string, [Library, string]> = {
  SFTConfig: ['trl', 'SFTConfig'], SFTTrainer: ['trl', 'SFTTrainer'], LoraConfig: ['peft', 'LoraConfig'],
  BitsAndBytesConfig: ['transformers', 'BitsAndBytesConfig'], 'AutoModelForCausalLM.from_pretrained': ['transformers', 'from_pretrained'],
  DataCollatorForCompletionOnlyLM: ['trl', 'DataCollatorForCompletionOnlyLM'],
};

const H100 = [{ name: 'H100', memoryTotalMiB: 81559, bf16: true, flashAttention: true }];

function render(version: string, shape: Shape, extra: Record<string, string> = {}, method: 'sft' | 'dpo' = 'sft'): { src: string; path: string; notes: string[]; env: EnvReportLike } {
  const env: EnvReportLike = { packages: { ...TRL[version], ...extra }, gpus: H100 };
  const columnMapping = method === 'dpo' ? { prompt: 'q', chosen: 'good', rejected: 'bad' } : SHAPES[shape];
  const r = renderRecipe({ method, adapter: 'lora', baseModel: 'meta-llama/Llama-3.1-8B-Instruct', dataset: 'data/train.jsonl', columnMapping }, { env });
  const path = join(writeFiles(r.files), 'train.py');
  return { src: r.files.find((f) => f.path === 'train.py')!.content, path, notes: r.notes, env };
}

/** Every keyword of every known call exists in the targeted versions; imports come from where that trl keeps them. */
function assertKeywordsExist(path: string, env: EnvReportLike): string[] {
  assert.equal(pyCompile([path]), '');
  const t = resolveTargets(env.packages);
  const { calls, imports } = extractCalls(path);
  for (const c of calls) {
    const [lib, sym] = SYMBOLS[c.name];
    for (const kw of c.keywords) assert.ok(acceptsKeyword(lib, sym, kw, t), `${sym}(${kw}=...) at line ${c.line} is not accepted by ${lib} ${t[lib]}`);
  }
  for (const i of imports.filter((x) => x.module?.startsWith('trl'))) {
    for (const name of i.names.filter((n) => n === 'SFTTrainer' || n === 'DataCollatorForCompletionOnlyLM')) {
      assert.equal(i.module, importModule('trl', name, t.trl), `${name} is imported from where trl ${t.trl} keeps it`);
    }
  }
  return calls.map((c) => c.name);
}

interface Headers { response: string; instruction: string; response_found: boolean; instruction_found: boolean; alone_would_match: boolean }
interface PadChoice { pad: string; pad_is_eos: boolean; added: string[] }
type Decision = [boolean, string];
interface ProbeOut {
  headers: Record<'chatml' | 'llama3' | 'plain', Headers>;
  pad: Record<'llama3' | 'mistral' | 'gpt2', PadChoice>;
  marked: Decision; unmarked: Decision; known_family: Decision; unknown_family: Decision;
  prompt_completion: { prompt: unknown[]; completion: unknown[] };
}

function probe(path: string, row?: unknown): ProbeOut {
  const r = spawnSync('python3', [PROBE, path, ...(row ? [JSON.stringify(row)] : [])], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

for (const version of Object.keys(TRL)) {
  for (const shape of Object.keys(SHAPES) as Shape[]) {
    test(`trl ${version}, ${shape} rows: the loss mask of this trl, keywords it accepts, the trained tokens reported`, () => {
      const { src, path, env } = render(version, shape);
      const names = assertKeywordsExist(path, env);
      const cfg = readConfig(src);
      const old = version === '0.11' || version === '0.16';
      // Finding 8: trl < 0.17 masks every pad label, so EOS must not be the pad there; trl >= 0.17 pads labels by length.
      assert.equal(/if tokenizer\.pad_token_id == tokenizer\.eos_token_id:\n.*\n\s+print\(f"Padding with \{distinct_pad_token\(tokenizer\)\}/.test(src), old);
      // Every SFT script shows which tokens train before training.
      assert.match(src, /\n    report_trained_tokens\(trainer, tokenizer\)\n/);
      if (shape === 'text') {
        assert.ok(!('ASSISTANT_ONLY_LOSS' in cfg) && !('COMPLETION_ONLY_LOSS' in cfg), 'plain text trains on every token');
        assert.ok(!names.includes('DataCollatorForCompletionOnlyLM'));
        return;
      }
      if (old) {
        // Finding 7 on trl < 0.17: DataCollatorForCompletionOnlyLM built from the chat template's own headers.
        assert.equal(cfg.ASSISTANT_ONLY_LOSS, true);
        assert.ok(names.includes('DataCollatorForCompletionOnlyLM'));
        assert.match(src, /data_collator=data_collator,/);
        assert.doesNotMatch(src, /assistant_only_loss=|COMPLETION_ONLY_LOSS/);
      } else if (shape === 'single' || version === '0.18') {
        // One answer per row, or trl 0.17/0.18 (no assistant_only_loss): prompt/completion, loss on the (last) answer.
        assert.equal(cfg.COMPLETION_ONLY_LOSS, true);
        assert.match(src, /train_dataset\.map\(to_prompt_completion if COMPLETION_ONLY_LOSS else to_messages,/);
        if (shape === 'multi') assert.match(src, /^COMPLETION_ONLY_LOSS = True +# learn the last answer of each conversation \(earlier turns are context\): trl 0\.18\.2 has no assistant_only_loss/m);
        assert.doesNotMatch(src, /assistant_only_loss=/);
      } else {
        // Multi-turn on trl >= 0.19: assistant_only_loss when the template marks the turns, decided at run time.
        assert.equal(cfg.ASSISTANT_ONLY_LOSS, true);
        assert.match(src, /assistant_only_loss=assistant_only,/);
        assert.match(src, /assistant_only, why = assistant_turns_marked\(tokenizer\) if ASSISTANT_ONLY_LOSS else/);
        // The base-model fallback template marks the answers itself.
        assert.match(src, /\{% generation %\}\{\{ message\['content'\] \+ '\\\\n' \+ eos_token \}\}\{% endgeneration %\}/);
        assert.equal(src.includes('from trl.chat_template_utils import get_training_chat_template'), version === '1.3' || version === '1.9', 'trl >= 1.1 patches known templates');
        // trl 1.1-1.5 look for the literal marker before patching; 1.6 accepts {%- generation -%} too.
        assert.equal(src.includes('if "{% generation %}" in (tokenizer.chat_template or ""):'), version === '1.3');
      }
    });
  }
}

test('trl < 0.17: the collator headers are the template\'s own, tokenized in context, and the answer\'s end of turn trains', () => {
  const out = probe(render('0.11', 'multi').path);
  const { chatml, llama3, plain } = out.headers;
  assert.deepEqual([chatml.response, chatml.instruction], ['<|im_end|>\n<|im_start|>assistant\n', '<|im_start|>user\n']);
  assert.deepEqual([llama3.response, llama3.instruction], ['<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n', '<|start_header_id|>user<|end_header_id|>\n\n']);
  // The answer's own <|im_end|> / <|eot_id|> is outside both masks: the model learns to stop.
  for (const h of [chatml, llama3, plain]) assert.ok(h.response_found && h.instruction_found, JSON.stringify(h));
  // SentencePiece-like: "\n### assistant:\n" alone tokenizes differently; the in-context ids still match.
  assert.equal(plain.alone_would_match, false);
  assert.equal(plain.response, '\n### assistant:\n');
});

test('trl < 0.17 with pad = eos: a distinct pad the model has (Llama 3 reserved, <unk>), else one is added', () => {
  const { pad } = probe(render('0.16', 'single').path);
  assert.equal(pad.llama3.pad, '<|finetune_right_pad_id|>');
  assert.equal(pad.mistral.pad, '<unk>');
  assert.deepEqual(pad.gpt2.added, ['<|pad|>']);
  for (const c of Object.values(pad)) assert.equal(c.pad_is_eos, false);
  assert.match(render('0.16', 'single').src, /model\.resize_token_embeddings\(len\(tokenizer\)\)/);
});

test('trl >= 0.19 multi-turn: {% generation %} or trl\'s own patch gives assistant-only loss; otherwise the last answer', () => {
  const row = { conversations: [{ from: 'human', value: 'Hi' }, { from: 'gpt', value: 'Hello' }, { from: 'human', value: 'Bye' }, { from: 'gpt', value: 'Goodbye' }] };
  const newest = probe(render('1.9', 'multi').path, row);
  assert.equal(newest.marked[0], true);
  assert.equal(newest.known_family[0], true, 'trl 1.9 patches the families it knows');
  assert.equal(newest.unknown_family[0], false);
  assert.match(newest.unknown_family[1], /trl cannot patch it/);
  assert.deepEqual(newest.prompt_completion.completion, [{ role: 'assistant', content: 'Goodbye' }]);
  assert.equal(newest.prompt_completion.prompt.length, 3, 'earlier turns are the context of the last answer');
  const older = probe(render('0.20', 'multi').path, row);
  assert.equal(older.marked[0], true);
  assert.equal(older.known_family[0], false, 'trl 0.20 patches no template');
});

test('speed: liger-kernel and flash-attn turn their switches on where this trl keeps the loss mask, and say why', () => {
  const extra = { liger_kernel: '0.6.1', flash_attn: '2.8.3' };
  const mid = render('0.20', 'multi', extra);
  assertKeywordsExist(mid.path, mid.env);
  assert.match(mid.src, /^PADDING_FREE = True +# on because flash-attn 2\.8\.3 is installed/m);
  assert.match(mid.src, /padding_free=PADDING_FREE,/);
  assert.match(mid.src, /^ATTN_IMPLEMENTATION = "flash_attention_2"/m);
  assert.doesNotMatch(mid.src, /use_liger_kernel/);
  assert.ok(mid.notes.some((n) => /liger-kernel is installed, but trl 0\.20\.0 drops the loss masks/.test(n)));
  for (const version of ['1.0', '1.9']) {
    const r = render(version, 'multi', extra);
    assertKeywordsExist(r.path, r.env);
    assert.match(r.src, /^USE_LIGER_KERNEL = True +# on because liger-kernel 0\.6\.1 is installed/m);
    assert.match(r.src, /use_liger_kernel=USE_LIGER_KERNEL,/);
    assert.doesNotMatch(r.src, /padding_free=/, `trl ${version} refuses padding_free without packing while max_length truncates`);
    assert.ok(r.notes.some((n) => /padding_free only with packing/.test(n)));
    assert.match(r.src, /packing=False, +# off for chat/);
  }
  // Plain text rows have no loss mask for Liger to drop: on from trl 0.16, the first SFTTrainer that reads it.
  const text = render('0.20', 'text', extra);
  assertKeywordsExist(text.path, text.env);
  assert.match(text.src, /use_liger_kernel=USE_LIGER_KERNEL,/);
  assert.doesNotMatch(render('0.11', 'text', extra).src, /use_liger_kernel/);
  const none = render('1.9', 'multi');
  assert.doesNotMatch(none.src, /USE_LIGER_KERNEL|PADDING_FREE|use_liger_kernel|padding_free/);
  // DPO/KTO refuse Liger with a PEFT model in trl: only SFT gets it.
  assert.doesNotMatch(render('1.9', 'multi', extra, 'dpo').src, /use_liger_kernel/);
});
