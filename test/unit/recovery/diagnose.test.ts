import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { diagnose, diagnoseStream } from '../../../src/core/recovery/diagnose';
import { stripAnsi } from '../../../src/core/recovery/logScan';
import { FAILURE_CATEGORIES, FailureCategory } from '../../../src/core/recovery/types';
import { sharedAbsentReason, sharedDataDir } from '../../support/sharedData';

const SHARED_LOGS = sharedDataDir('logs');

const CORPUS = join(__dirname, '../../fixtures/failures');

function corpus(): Array<{ category: FailureCategory; name: string; text: string }> {
  const out: Array<{ category: FailureCategory; name: string; text: string }> = [];
  for (const dir of readdirSync(CORPUS).sort()) {
    if (!statSync(join(CORPUS, dir)).isDirectory()) continue;
    for (const f of readdirSync(join(CORPUS, dir)).sort()) {
      if (f.endsWith('.log')) out.push({ category: dir as FailureCategory, name: f, text: readFileSync(join(CORPUS, dir, f), 'utf8') });
    }
  }
  return out;
}

test('corpus: accuracy >= 90% with every category covered (per-category confusion printed)', () => {
  const cases = corpus();
  const confusion = new Map<string, Map<string, number>>();
  let correct = 0;
  for (const c of cases) {
    const got = diagnose(c.text).category;
    if (got === c.category) correct++;
    else console.log(`  miss: ${c.category}/${c.name} -> ${got}`);
    const row = confusion.get(c.category) ?? new Map<string, number>();
    row.set(got, (row.get(got) ?? 0) + 1);
    confusion.set(c.category, row);
  }
  console.log('  per-category (expected: got=count):');
  for (const [cat, row] of confusion) {
    const total = [...row.values()].reduce((a, b) => a + b, 0);
    console.log(`    ${cat.padEnd(22)} ${row.get(cat) ?? 0}/${total}  ${[...row].map(([g, n]) => `${g}=${n}`).join(' ')}`);
  }
  const accuracy = correct / cases.length;
  console.log(`  accuracy ${correct}/${cases.length} = ${(accuracy * 100).toFixed(1)}%`);
  assert.ok(accuracy >= 0.9, `accuracy ${accuracy}`);
  for (const cat of FAILURE_CATEGORIES) {
    const row = confusion.get(cat);
    assert.ok(row, `no corpus cases for ${cat}`);
    const total = [...row.values()].reduce((a, b) => a + b, 0);
    assert.ok(total >= 4, `${cat} has only ${total} cases`);
    assert.ok((row.get(cat) ?? 0) > 0, `${cat} never recognised`);
  }
});

test('corpus: every evidence line occurs literally in the ANSI-stripped log; summaries are one line', () => {
  for (const c of corpus()) {
    const d = diagnose(c.text);
    const stripped = stripAnsi(c.text);
    assert.ok(d.evidence.length > 0 || d.category === 'unknown', `${c.category}/${c.name}: no evidence`);
    for (const e of d.evidence) assert.ok(stripped.includes(e), `${c.category}/${c.name}: evidence not in log: ${e}`);
    assert.ok(!d.summary.includes('\n') && d.summary.length > 10, d.summary);
    assert.ok(['playbook', 'llm', 'user'].includes(d.fix.kind));
  }
});

test('streaming in arbitrary chunks gives the same diagnosis as the whole string', async () => {
  const cases = corpus();
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: cases.length - 1 }), fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 20 }), async (i, sizes) => {
      const text = cases[i].text;
      const chunks: string[] = [];
      let at = 0;
      for (let k = 0; at < text.length; k++) {
        const n = sizes[k % sizes.length];
        chunks.push(text.slice(at, at + n));
        at += n;
      }
      const whole = diagnose(text);
      const streamed = await diagnoseStream(chunks);
      assert.equal(streamed.category, whole.category);
      assert.deepEqual(streamed.evidence, whole.evidence);
    }),
    { numRuns: 60 },
  );
});

test('a line iterator is accepted', () => {
  const lines = ['step 1', "{'loss': 2.1}", 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.00 GiB.'];
  const d = diagnose(lines[Symbol.iterator]());
  assert.equal(d.category, 'cuda_oom');
  assert.deepEqual(d.evidence, [lines[2]]);
});

test('details: unexpected kwarg and class, module → pip package, gated repo id', () => {
  const k = diagnose("TypeError: SFTTrainer.__init__() got an unexpected keyword argument 'tokenizer'");
  assert.deepEqual(k.details, { kwarg: 'tokenizer', className: 'SFTTrainer' });
  const k2 = diagnose("    training_args = SFTConfig(\n  File \"<string>\", in __init__\nTypeError: __init__() got an unexpected keyword argument 'max_seq_length'");
  assert.deepEqual(k2.details, { kwarg: 'max_seq_length', className: 'SFTConfig' });
  const m = diagnose("ModuleNotFoundError: No module named 'sklearn'");
  assert.equal(m.details?.pipPackage, 'scikit-learn');
  assert.equal(diagnose("ModuleNotFoundError: No module named 'flash_attn.bert_padding'").details?.pipPackage, 'flash-attn');
  const g = diagnose('Access to model meta-llama/Llama-3.1-8B is restricted. You must have access to it and be authenticated to access it. Please log in.');
  assert.equal(g.category, 'gated_or_auth');
  assert.equal(g.details?.repoId, 'meta-llama/Llama-3.1-8B');
});

test('root cause wins: an OOM on rank 1 under ChildFailedError and NCCL time-outs is cuda_oom', () => {
  const log = [
    '[rank0]:[E ProcessGroupNCCL.cpp:616] [Rank 0] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=5, OpType=ALLREDUCE) ran for 600082 milliseconds before timing out.',
    '[rank1]: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB.',
    'torch.distributed.elastic.multiprocessing.errors.ChildFailedError: ',
  ].join('\n');
  assert.equal(diagnose(log).category, 'cuda_oom');
  assert.equal(diagnose(log.split('\n')[0] + '\n' + log.split('\n')[2]).category, 'nccl_or_distributed');
});

test('upload-time auth errors are hub_push, download-time ones gated_or_auth', () => {
  const push = 'trainer.push_to_hub()\nhuggingface_hub.errors.HfHubHTTPError: 401 Client Error: Unauthorized for url: https://huggingface.co/api/models/ana/x/preupload/main';
  assert.equal(diagnose(push).category, 'hub_push');
  const dl = 'huggingface_hub.errors.HfHubHTTPError: 401 Client Error: Unauthorized for url: https://huggingface.co/ana/x/resolve/main/config.json';
  assert.equal(diagnose(dl).category, 'gated_or_auth');
});

test('a warning alone does not beat a fatal error', () => {
  const log = "`flash-attention` package not found, consider installing for better performance: No module named 'flash_attn'.\nKeyError: 'text'";
  assert.equal(diagnose(log).category, 'dataset_schema');
});

test('never throws on arbitrary strings', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 3000 }), (s) => {
      const d = diagnose(s);
      assert.ok(FAILURE_CATEGORIES.includes(d.category));
      const stripped = stripAnsi(s);
      for (const e of d.evidence) assert.ok(stripped.includes(e));
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.array(fc.constantFrom('\r', '\n', '\x1b[3', '1m', '[rank0]: ', 'Error: ', 'CUDA out of memory', "'loss': nan", 'x'.repeat(5000), ' ', 'KeyError: \'a\''), { maxLength: 200 }), (parts) => {
      const s = parts.join('');
      const d = diagnose(s);
      const stripped = stripAnsi(s);
      for (const e of d.evidence) assert.ok(stripped.includes(e), JSON.stringify(e));
    }),
    { numRuns: 300 },
  );
});

test('bounded in time on large random input', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 200 }), fc.integer({ min: 1000, max: 20000 }), (unit, reps) => {
      const s = unit.repeat(reps).slice(0, 4_000_000);
      const t0 = Date.now();
      diagnose(s);
      assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms for ${s.length} chars`);
    }),
    { numRuns: 8 },
  );
});

test('a 100 MB log with the error at the end: found, fast, without holding the lines', () => {
  const noiseLine = "\r 42%|████████▍           | 4200/10000 [1:02:11<1:25:54,  1.13it/s]{'loss': 1.2345, 'grad_norm': 0.88, 'learning_rate': 0.0001, 'epoch': 0.42}\n";
  const big = noiseLine.repeat(Math.ceil(100_000_000 / noiseLine.length)) + 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 4.00 GiB.\n';
  const before = process.memoryUsage().heapUsed;
  const t0 = Date.now();
  const d = diagnose(big);
  const ms = Date.now() - t0;
  const grown = process.memoryUsage().heapUsed - before;
  console.log(`  100 MB: ${ms} ms, heap +${(grown / 1e6).toFixed(1)} MB`);
  assert.equal(d.category, 'cuda_oom');
  assert.ok(ms < 30_000);
});

test('real successful runs (shared/data/logs) are not misdiagnosed', { skip: SHARED_LOGS ? false : sharedAbsentReason('logs') }, () => {
  const names = readdirSync(SHARED_LOGS ?? '').filter((f) => f.endsWith('.log'));
  assert.ok(names.length > 0, 'the shared logs folder holds logs');
  for (const f of names) assert.equal(diagnose(readFileSync(join(SHARED_LOGS ?? '', f), 'utf8')).category, 'unknown', f);
});

test("the fixture trainer's failing log is diagnosed as what it is", () => {
  const trainer = join(__dirname, '../../fixtures/trainer');
  assert.equal(diagnose(readFileSync(join(trainer, 'torchrun_oom_2ranks.log'), 'utf8')).category, 'cuda_oom');
});

test('a NameError names the missing package only for names an optional package defines', () => {
  const peft = diagnose("Traceback (most recent call last):\n  File \"t.py\", line 3, in <module>\nNameError: name 'PeftModel' is not defined\n");
  assert.equal(peft.category, 'module_not_found');
  assert.deepEqual(peft.details, { module: 'peft', pipPackage: 'peft' });
  assert.match(peft.summary, /'peft' is not installed/);
  // The script's own typo is not a package to install.
  assert.notEqual(diagnose("NameError: name 'trainr' is not defined\n").category, 'module_not_found');
});

test('NaN only in DPO metrics (loss 0.0) is a NaN, not an unknown failure', () => {
  const line = "{'loss': 0.0, 'grad_norm': 0.0, 'rewards/chosen': nan, 'rewards/rejected': nan, 'logps/chosen': nan, 'epoch': 0.2}\n";
  assert.equal(diagnose(line).category, 'nan_loss');
  assert.equal(diagnose(line.replace(/nan/g, '-0.5')).category, 'unknown');
});
