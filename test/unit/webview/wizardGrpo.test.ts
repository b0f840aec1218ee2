/**
 * GRPO in the Fine-tune wizard, from the real inspection (python/inspect_data.py) of fixture files:
 * offered with what it trains on, marked not available with why when the data has no prompts,
 * prompt-only data gets past the dataset check, and the request carries the GRPO mapping and rewards
 * into a spec that renders train.py + rewards.py.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { inspectData } from '../../../src/core/python';
import { renderRecipe } from '../../../src/core/recipes';
import { requestToSpec } from '../../../src/core/session/fineTuneParts';
import { datasetProblem, InspectionLike, itemsFor, WizardMachine } from '../../../src/ui/wizard/wizardSteps';
import { notesFor } from '../../../src/ui/wizard/wizardNotes';

const DATASETS = resolve(__dirname, '..', '..', 'fixtures', 'datasets');

async function inspected(file: string): Promise<InspectionLike> {
  return (await inspectData('python3', join(DATASETS, file))) as unknown as InspectionLike;
}

/** A machine at the method step with the dataset inspected. */
function atMethod(dataset: string, ins: InspectionLike): WizardMachine {
  const m = new WizardMachine();
  m.next('Qwen/Qwen2.5-0.5B-Instruct');
  m.next(dataset);
  m.setInspection(ins);
  return m;
}

function grpoItem(m: WizardMachine) {
  const item = itemsFor('method', m.answers, {}).find((i) => i.value === 'grpo');
  assert.ok(item, 'GRPO is listed');
  return item;
}

test('GSM8K-shaped data: GRPO is offered with what it trains on; SFT stays the default; the request renders a GRPO recipe with rewards.py', async () => {
  const m = atMethod('data/gsm8k.jsonl', await inspected('gsm8k.jsonl'));
  assert.equal(m.answers.method, 'sft', 'question/answer pairs still default to SFT');
  const item = grpoItem(m);
  assert.equal(item.detail, 'GRPO: prompt ← question, reference ← answer (final answer); rewards exact_answer x1, format x0.2');
  assert.notEqual(item.description, 'not available for this data');
  assert.deepEqual(m.next('GRPO'), { ok: true });
  m.next('lora');
  m.next('0');
  m.next('');
  m.next('');
  const request = m.request();
  assert.equal(request.method, 'grpo');
  assert.deepEqual(request.columnMapping, { prompt: 'question', answer: 'answer' }, 'the GRPO mapping, not the supervised user/assistant one');
  assert.deepEqual(request.rewards, [{ name: 'exact_answer', weight: 1 }, { name: 'format', weight: 0.2 }]);
  const spec = requestToSpec(request, 'outputs/run-1');
  assert.deepEqual(spec.rewards, request.rewards);
  const rendered = renderRecipe(spec);
  const files = Object.fromEntries(rendered.files.map((f) => [f.path, f.content]));
  assert.match(files['train.py'], /^PROMPT_COLUMN = "question"/m);
  assert.match(files['train.py'], /^ANSWER_COLUMN = "answer"/m);
  assert.match(files['rewards.py'], /^REWARD_FUNCS = \[exact_answer_reward, format_reward\]/m);
  assert.match(files['rewards.py'], /^REWARD_WEIGHTS = \[1\.0, 0\.2\]/m);
});

test('prompt-only data (MT-Bench turns): not rejected at the dataset step, GRPO pre-selected, SFT refused with why', async () => {
  const ins = await inspected('no_answers.jsonl');
  assert.equal(ins.trainable, false, 'no supervised format: the fixture is what the check used to reject');
  assert.equal(datasetProblem({ dataset: 'mt.jsonl', inspection: ins }), undefined);
  const m = atMethod('mt.jsonl', ins);
  assert.equal(m.answers.method, 'grpo');
  const item = grpoItem(m);
  assert.equal(item.description, 'matches the data');
  assert.match(item.detail ?? '', /^GRPO: prompt ← turns; rewards format x1, length x0\.5$/);
  const sft = itemsFor('method', m.answers, {}).find((i) => i.value === 'sft');
  assert.equal(sft?.description, 'the data does not look like this');
  const refused = m.next('sft');
  assert.equal(refused.ok, false);
  assert.match(!refused.ok ? refused.error : '', /SFT cannot train on mt\.jsonl.*Pick GRPO/);
  assert.equal(m.step, 'method', 'still at the method step');
  // The notes say only GRPO can use it, and what GRPO's proposal warns about.
  const notes = notesFor('method', m.answers, {}).map((n) => n.label);
  assert.ok(notes.includes('$(warning) Only GRPO can train on it as is'), notes.join('\n'));
  assert.ok(notes.some((l) => /^\$\(info\) GRPO: no reference answer/.test(l)), notes.join('\n'));
  assert.deepEqual(m.next('grpo'), { ok: true });
  for (const v of ['lora', '0', '', '']) m.next(v);
  const request = m.request();
  assert.deepEqual([request.method, request.columnMapping, request.rewards], ['grpo', { prompt: 'turns' }, [{ name: 'format', weight: 1 }, { name: 'length', weight: 0.5 }]]);
  const files = renderRecipe(requestToSpec(request, 'outputs/r')).files.map((f) => f.path);
  assert.ok(files.includes('train.py') && files.includes('rewards.py'), files.join(', '));
});

test('data without prompts: GRPO is listed but not available, with why, and picking it is refused', async () => {
  const m = atMethod('text.jsonl', await inspected('text.jsonl'));
  const item = grpoItem(m);
  assert.equal(item.description, 'not available for this data');
  assert.match(item.detail ?? '', /^Not available: no prompt column/);
  const r = m.next('GRPO');
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error : '', /^GRPO cannot train on text\.jsonl: no prompt column/);
  assert.equal(m.answers.method, 'sft');
});

test('a file nothing can train on is still rejected at the dataset step', async () => {
  assert.match(datasetProblem({ dataset: 'empty.jsonl', inspection: await inspected('empty.jsonl') }) ?? '', /has no rows the training can read/);
});

test('without an inspection (a Hub id offline) GRPO is offered and the recipe maps columns by name', () => {
  const m = new WizardMachine();
  m.next('Qwen/Qwen2.5-0.5B-Instruct');
  m.next('openai/gsm8k');
  m.setInspection(undefined, 'offline');
  assert.equal(grpoItem(m).description, undefined);
  assert.deepEqual(m.next('grpo'), { ok: true });
  for (const v of ['lora', '0', '', '']) m.next(v);
  const request = m.request();
  assert.equal(request.method, 'grpo');
  assert.equal(request.rewards, undefined, 'the recipe picks the default rewards');
});

test('requestToSpec: rewards reach the spec only for GRPO (the spec refuses them for other methods)', () => {
  const base = { baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'd.jsonl', adapter: 'lora' as const, evalSplit: 0, rewards: [{ name: 'format' as const, weight: 1 }] };
  assert.deepEqual(requestToSpec({ ...base, method: 'grpo', columnMapping: { prompt: 'q' } }, 'o').rewards, [{ name: 'format', weight: 1 }]);
  assert.equal(requestToSpec({ ...base, method: 'sft' }, 'o').rewards, undefined);
});
