// CONFIG values set up front (ml-intern fine-tune --set NAME=VALUE), written before the review.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readConfig, renderRecipe } from '../../../src/core/recipes';
import { applyOverrides, ConfigOverrideError, parseOverride } from '../../../src/core/recipes/configOverrides';

const script = renderRecipe({ method: 'sft', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/train.jsonl', columnMapping: { user: 'q', assistant: 'a' } })
  .files.find((f) => f.path === 'train.py')!.content;

test('NAME=value parses as a Python literal, true/false/none in any case, or bare text; names are upper-cased', () => {
  assert.deepEqual(parseOverride('NUM_TRAIN_EPOCHS=1'), ['NUM_TRAIN_EPOCHS', 1]);
  assert.deepEqual(parseOverride('learning_rate = 1e-4'), ['LEARNING_RATE', 1e-4]);
  assert.deepEqual(parseOverride('BF16=false'), ['BF16', false]);
  assert.deepEqual(parseOverride('HUB_MODEL_ID=me/med-qa'), ['HUB_MODEL_ID', 'me/med-qa']);
  assert.deepEqual(parseOverride('SYSTEM_PROMPT="You are terse. Answer = short."'), ['SYSTEM_PROMPT', 'You are terse. Answer = short.']);
  assert.deepEqual(parseOverride('LORA_TARGET_MODULES=["q_proj", "v_proj"]'), ['LORA_TARGET_MODULES', ['q_proj', 'v_proj']]);
  assert.deepEqual(parseOverride('HUB_MODEL_ID=None'), ['HUB_MODEL_ID', null]);
  assert.throws(() => parseOverride('epochs'), (e: Error) => e instanceof ConfigOverrideError && /'epochs' is not NAME=value/.test(e.message));
});

test('overrides land in the CONFIG block with their comments kept; the rest of the script is untouched', () => {
  const out = applyOverrides(script, { NUM_TRAIN_EPOCHS: 1, LEARNING_RATE: 1e-4, HUB_MODEL_ID: 'me/med-qa' });
  const cfg = readConfig(out);
  assert.deepEqual([cfg.NUM_TRAIN_EPOCHS, cfg.LEARNING_RATE, cfg.HUB_MODEL_ID], [1, 1e-4, 'me/med-qa']);
  assert.match(out, /^NUM_TRAIN_EPOCHS = 1 +# 1-3 epochs/m);
  const changed = out.split('\n').filter((l, i) => l !== script.split('\n')[i]);
  assert.equal(changed.length, 3);
});

test('a name not in the block, or a value of another kind, is refused with what the block holds', () => {
  assert.throws(() => applyOverrides(script, { EPOCHS: 1 }), (e: Error) => /EPOCHS is not in the script's CONFIG block \(it has MODEL_ID, DATASET, .*NUM_TRAIN_EPOCHS/.test(e.message));
  assert.throws(() => applyOverrides(script, { LEARNING_RATE: 'fast' }), (e: Error) => /LEARNING_RATE takes a number \(it is 0\.0002\), not "fast"/.test(e.message));
  assert.throws(() => applyOverrides(script, { BF16: 1 }), /BF16 takes a boolean/);
});
