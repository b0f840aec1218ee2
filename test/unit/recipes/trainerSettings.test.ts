// Settings the real trl 1.9 runs asked for (test/fixtures/real-gpu/trl-1.9): KTO warned that its
// unbalanced data had the wrong desirable_weight, ORPO turned remove_unused_columns off itself with
// a warning. The scripts now set both; the KTO weight is checked against trl's own bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderRecipe } from '../../../src/core/recipes';
import { writeFiles } from './helpers';

const FIXTURES = resolve(__dirname, '../../fixtures');

function script(method: 'kto' | 'orpo' | 'dpo'): string {
  const mapping = method === 'kto' ? { prompt: 'q', completion: 'a', label: 'ok' } : { prompt: 'q', chosen: 'good', rejected: 'bad' };
  const r = renderRecipe({ method, adapter: 'lora', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/train.jsonl', columnMapping: mapping },
    { env: { packages: { trl: '1.9.0', transformers: '5.17.0', peft: '0.21.0' } } });
  return join(writeFiles(r.files), 'train.py');
}

/** Call one of the script's own functions (stdlib Python; torch/trl are never imported). */
function call(path: string, fn: string, arg: unknown): { out?: unknown; exit?: string; printed: string } {
  const code = `
import json, sys
sys.path.insert(0, ${JSON.stringify(FIXTURES)})
from map_rows import namespace_of
ns, _ = namespace_of(${JSON.stringify(path)})
try:
    print(json.dumps({"out": ns[${JSON.stringify(fn)}](json.loads(sys.argv[1]))}))
except SystemExit as e:
    print(json.dumps({"exit": str(e)}))
`;
  const r = spawnSync('python3', ['-c', code, JSON.stringify(arg)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  return { ...JSON.parse(lines.at(-1)!), printed: lines.slice(0, -1).join('\n') };
}

/** trl 1.9 KTOTrainer's test (trl/trainer/kto_trainer.py): no warning when the weight is in these bounds. */
function trlAccepts(weight: number, desirable: number, undesirable: number): boolean {
  const round2 = (x: number) => Math.round(x * 100) / 100;
  return round2(undesirable / desirable) <= weight && weight <= round2((undesirable / desirable) * 1.33);
}

test('KTO: desirable_weight balances the labels within the bounds trl checks, and says so', () => {
  const path = script('kto');
  for (const [desirable, undesirable] of [[27, 18], [18, 27], [100, 3], [5, 5]]) {
    const labels = [...Array(desirable).fill(true), ...Array(undesirable).fill(false)];
    const r = call(path, 'balanced_desirable_weight', labels);
    assert.ok(trlAccepts(r.out as number, desirable, undesirable), `${desirable}/${undesirable}: ${r.out}`);
    assert.match(r.printed, new RegExp(`${desirable} desirable and ${undesirable} undesirable rows`));
  }
  assert.match(call(path, 'balanced_desirable_weight', [true, true]).exit!, /needs both desirable and undesirable rows; the training split has 2 and 0/);
});

test('KTO: a DESIRABLE_WEIGHT set in the CONFIG block wins over the balancing', () => {
  const src = readFileSync(script('kto'), 'utf8');
  assert.match(src, /^DESIRABLE_WEIGHT = None +# None = balance/m);
  assert.match(src, /desirable_weight = DESIRABLE_WEIGHT if DESIRABLE_WEIGHT is not None else balanced_desirable_weight\(train_dataset\["label"\]\)/);
  assert.match(src, /KTOConfig\([\s\S]*desirable_weight=desirable_weight,/);
});

test('ORPO keeps its raw columns (remove_unused_columns=False); DPO and KTO leave the default', () => {
  const read = (m: 'kto' | 'orpo' | 'dpo') => readFileSync(script(m), 'utf8');
  assert.match(read('orpo'), /ORPOConfig\([\s\S]*remove_unused_columns=False,/);
  assert.doesNotMatch(read('dpo'), /remove_unused_columns/);
  assert.doesNotMatch(read('kto'), /remove_unused_columns/);
});
