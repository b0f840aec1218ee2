import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readInstructions } from '../../../src/core/recipes/instructions';
import { applyOverrides } from '../../../src/core/recipes/configOverrides';
import { readConfig } from '../../../src/core/recipes/configBlock';
import { renderRecipe } from '../../../src/core/recipes';
import { requestToSpec } from '../../../src/core/session/fineTuneSession';
import { MEDICAL_QA_REQUEST } from '../../support/sampleRequest';

test('the issue\'s words ("3 epochs, max length 512, lr 1e-4") become CONFIG values; nothing is left over', () => {
  const r = readInstructions('3 epochs, max length 512, lr 1e-4', { peft: true });
  assert.deepEqual(r.config, { NUM_TRAIN_EPOCHS: 3, MAX_LENGTH: 512, LEARNING_RATE: 1e-4 });
  assert.deepEqual(r.applied, ['NUM_TRAIN_EPOCHS = 3', 'MAX_LENGTH = 512', 'LEARNING_RATE = 0.0001']);
  assert.deepEqual(r.notApplied, []);
});

test('many spellings of the usual settings; several in one clause', () => {
  const r = readInstructions(
    'learning rate of 2e-5; batch size 4 and gradient accumulation 8\nlora r=32 alpha 64, dropout 10 %, warmup 0.05, seed: 7, epochs=1.5, max_seq_length=1024, no gradient checkpointing, logging steps 10',
    { peft: true },
  );
  assert.deepEqual(r.config, {
    LEARNING_RATE: 2e-5,
    PER_DEVICE_TRAIN_BATCH_SIZE: 4,
    GRADIENT_ACCUMULATION_STEPS: 8,
    LORA_R: 32,
    LORA_ALPHA: 64,
    LORA_DROPOUT: 0.1,
    WARMUP_RATIO: 0.05,
    SEED: 7,
    NUM_TRAIN_EPOCHS: 1.5,
    MAX_LENGTH: 1024,
    GRADIENT_CHECKPOINTING: false,
    LOGGING_STEPS: 10,
  });
  assert.deepEqual(r.notApplied, []);
});

test('what no rule understands, out-of-range values and LoRA settings on a full fine-tune are named, not dropped', () => {
  const r = readInstructions('focus on short answers, 3 epochs, effective batch size 64, max length 5, lora r 16', { peft: false });
  assert.deepEqual(r.config, { NUM_TRAIN_EPOCHS: 3 });
  assert.deepEqual(r.notApplied, [
    '"focus on short answers"',
    '"effective batch size 64"',
    '"max length 5" (max length must be a whole number from 16 to 1048576)',
    '"lora r 16" (a full fine-tune has no LoRA r)',
  ]);
});

test('what is applied fits the real recipe script: applyOverrides writes it into CONFIG', () => {
  const spec = requestToSpec(MEDICAL_QA_REQUEST, 'outputs/run-1');
  const script = renderRecipe(spec).files.find((f) => f.path === 'train.py')!.content;
  const r = readInstructions('3 epochs, max length 512, lr 1e-4, batch size 2, lora r 8, alpha 16, seed 3, gradient checkpointing', { peft: true });
  const after = readConfig(applyOverrides(script, r.config));
  for (const [name, value] of Object.entries(r.config)) assert.equal(after[name], value, name);
});
