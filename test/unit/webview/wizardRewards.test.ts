/**
 * GRPO's rewards in the Fine-tune wizard, from the real inspection of fixture files: the multi-select
 * lists the built-ins that fit the data (an answer reward only for the kind of reference found), the
 * suggested ones checked; the weights box starts from the suggestion and reads the CLI's --rewards
 * text; what the user chose reaches the request and rewards.py.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { inspectData } from '../../../src/core/python';
import { renderRecipe } from '../../../src/core/recipes';
import { requestToSpec } from '../../../src/core/session/fineTuneParts';
import { InspectionLike, WizardMachine } from '../../../src/ui/wizard/wizardSteps';
import { parseWeights, rewardItems, weightsText } from '../../../src/ui/wizard/rewardStep';
import { parseRewards } from '../../../src/cli/commands/fineTune';

const DATASETS = resolve(__dirname, '..', '..', 'fixtures', 'datasets');

async function inspected(file: string): Promise<InspectionLike> {
  return (await inspectData('python3', join(DATASETS, file))) as unknown as InspectionLike;
}

test('math data: the final-answer reward and the form rewards are listed, the suggested ones checked with their weights', async () => {
  const ins = await inspected('gsm8k.jsonl');
  const items = rewardItems(ins);
  assert.deepEqual(items.map((i) => i.label), ['exact_answer', 'format', 'length'], 'no multiple-choice or code reward for a final answer');
  assert.deepEqual(items.filter((i) => i.picked).map((i) => i.label), ['exact_answer', 'format']);
  assert.equal(items[0].description, 'suggested for this data · weight 1');
  assert.equal(items[1].description, 'suggested for this data · weight 0.2');
  assert.equal(items[2].description, undefined);
  assert.equal(weightsText(['exact_answer', 'format'], ins), 'exact_answer:1, format:0.2');
  assert.equal(weightsText(['exact_answer', 'length'], ins), 'exact_answer:1, length:0.5', 'an unchecked reward gets its usual weight');
  // A choice made earlier (Back, then the method step again) is what the picker shows.
  const again = rewardItems(ins, [{ name: 'length', weight: 2 }]);
  assert.deepEqual(again.filter((i) => i.picked).map((i) => `${i.label} ${i.description}`), ['length weight 2']);
});

test('prompt-only data: only the rewards that need no reference; an answer reward typed in the weights box is refused, saying why', async () => {
  const ins = await inspected('no_answers.jsonl');
  assert.deepEqual(rewardItems(ins).map((i) => i.label), ['format', 'length']);
  const r = parseWeights('exact_answer:1, format:0.2', ins);
  assert.ok('error' in r && /^'exact_answer' compares with a reference answer and the data has none/.test(r.error), JSON.stringify(r));
});

test('the weights box reads what --rewards reads: the same choices, the same refusals', async () => {
  const ins = await inspected('gsm8k.jsonl');
  const text = 'exact_answer:2, format:0.5, length';
  assert.deepEqual(parseWeights(text, ins), { rewards: parseRewards(text, 'answer') });
  for (const bad of ['format:lots', 'accuracy:1', '', 'format:1, format:2', 'format:1:2']) {
    const r = parseWeights(bad, ins);
    assert.ok('error' in r, `${bad} refused`);
    assert.throws(() => parseRewards(bad, 'answer'), (e: Error) => e.message === `--rewards: ${r.error.charAt(0).toLowerCase()}${r.error.slice(1)}`, bad);
  }
});

test('the rewards chosen in the wizard reach the request, the spec and rewards.py; a new dataset forgets them', async () => {
  const ins = await inspected('gsm8k.jsonl');
  const m = new WizardMachine();
  m.next('Qwen/Qwen2.5-0.5B-Instruct');
  m.next('data/gsm8k.jsonl');
  m.setInspection(ins);
  m.next('GRPO');
  const chosen = parseWeights('exact_answer:1, format:0.5, length:0.1', ins);
  assert.ok('rewards' in chosen);
  m.answers.rewards = chosen.rewards;
  for (const v of ['lora', '0', '', '']) m.next(v);
  const request = m.request();
  assert.deepEqual(request.rewards, [{ name: 'exact_answer', weight: 1 }, { name: 'format', weight: 0.5 }, { name: 'length', weight: 0.1 }]);
  const rewardsPy = renderRecipe(requestToSpec(request, 'outputs/run-1')).files.find((f) => f.path === 'rewards.py')!.content;
  assert.match(rewardsPy, /^REWARD_FUNCS = \[exact_answer_reward, format_reward, length_reward\]/m);
  assert.match(rewardsPy, /^REWARD_WEIGHTS = \[1\.0, 0\.5, 0\.1\]/m);
  m.rejectDataset();
  assert.equal(m.answers.rewards, undefined, 'another dataset starts from its own suggestion');
});

test('multiple-choice data: the letter reward, not the final-answer or code one', async () => {
  const ins = await inspected('arc_choices_answerkey.jsonl');
  const items = rewardItems(ins);
  assert.deepEqual(items.map((i) => i.label), ['choice_letter', 'format', 'length']);
  assert.ok(items.find((i) => i.label === 'choice_letter')?.picked);
});
