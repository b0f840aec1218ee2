import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  defaultMethod,
  itemsFor,
  missingTrainingPackages,
  parseSplit,
  STEPS,
  typedItem,
  validateHubRepo,
  validateModelId,
  WizardMachine,
} from '../../../src/ui/wizard/wizardSteps';
import { notesFor } from '../../../src/ui/wizard/wizardNotes';

test('next/back walk the seven steps with "(x/y)" titles; a full pass yields a FineTuneRequest', () => {
  const m = new WizardMachine();
  assert.equal(m.total, 7);
  assert.equal(m.title(), 'ML Intern: Fine-tune (1/7) — Base model');
  assert.equal(m.canGoBack, false);
  assert.deepEqual(m.next('Qwen/Qwen2.5-0.5B-Instruct'), { ok: true });
  assert.equal(m.step, 'dataset');
  assert.match(m.title(), /\(2\/7\)/);
  m.back();
  assert.equal(m.step, 'model');
  m.back();
  assert.equal(m.step, 'model', 'back on the first step stays');
  m.next('Qwen/Qwen2.5-0.5B-Instruct');
  m.next('data/train.jsonl');
  m.setInspection({ format: 'messages', task: 'sft', rows: 100, mapping: { messages: 'conversations' }, problems: [] });
  assert.equal(m.step, 'method');
  m.next('SFT');
  m.next('qlora');
  m.next('0.05');
  m.next('');
  m.next('2 epochs');
  assert.ok(m.done);
  assert.deepEqual(m.request(), {
    baseModel: 'Qwen/Qwen2.5-0.5B-Instruct',
    dataset: 'data/train.jsonl',
    method: 'sft',
    adapter: 'qlora',
    evalSplit: 0.05,
    instructions: '2 epochs',
    columnMapping: { messages: 'conversations' },
    datasetFormat: 'messages',
    datasetRows: 100,
  });
});

test('a wrapped JSON file ({"data": [...]}) hands its rows key on to the session', () => {
  const m = new WizardMachine();
  m.next('Qwen/Qwen2.5-0.5B-Instruct');
  m.next('data/train.json');
  m.setInspection({ format: 'custom_qa', task: 'sft', rows: 2, mapping: { user: 'query', assistant: 'response' }, problems: [], jsonField: 'data' });
  for (const answer of ['SFT', 'lora', '0', '', '']) m.next(answer);
  assert.ok(m.done);
  assert.equal(m.request().jsonField, 'data');
  assert.equal(m.request().datasetRows, 2, 'the row count scales how often the run logs');
});

test('a Hub set of unknown size (only its first rows read) does not pass its sample size off as the row count', () => {
  const m = new WizardMachine();
  m.next('Qwen/Qwen2.5-0.5B-Instruct');
  m.next('tatsu-lab/alpaca');
  m.setInspection({ format: 'alpaca', task: 'sft', rows: 5000, rowsSampled: true, mapping: { user: 'instruction', assistant: 'output' }, problems: [] });
  for (const answer of ['SFT', 'lora', '0', '', '']) m.next(answer);
  assert.equal(m.request().datasetRows, undefined);
});

test('going back keeps earlier answers as the pre-selected items', () => {
  const m = new WizardMachine();
  m.next('meta-llama/Llama-3.2-1B-Instruct');
  m.next('d.jsonl');
  m.setInspection({ format: 'preference_explicit', task: 'dpo' });
  m.next('ORPO');
  m.next('LoRA');
  m.back();
  m.back();
  assert.equal(m.step, 'method');
  const items = itemsFor('method', m.answers, {});
  assert.equal(items.find((i) => i.picked)?.label, 'ORPO');
  m.back();
  m.back();
  const models = itemsFor('model', m.answers, { recentModels: ['my/model'] });
  assert.equal(models.find((i) => i.picked)?.label, 'meta-llama/Llama-3.2-1B-Instruct');
  assert.equal(models[0].label, 'my/model');
  assert.equal(models[0].description, 'recent');
});

test('the method is pre-selected from the inspection and re-defaulted when the dataset changes', () => {
  assert.equal(defaultMethod({ task: 'dpo' }), 'dpo');
  assert.equal(defaultMethod({ format: 'preference_implicit', task: null }), 'dpo');
  assert.equal(defaultMethod({ task: 'kto', format: 'kto' }), 'kto');
  assert.equal(defaultMethod({ task: 'sft', format: 'alpaca' }), 'sft');
  assert.equal(defaultMethod(undefined), 'sft');
  const m = new WizardMachine();
  m.next('Qwen/Qwen2.5-0.5B-Instruct');
  m.next('prefs.jsonl');
  m.setInspection({ format: 'preference_explicit', task: 'dpo', rows: 50 });
  let items = itemsFor('method', m.answers, {});
  assert.equal(items.find((i) => i.picked)?.label, 'DPO');
  assert.equal(items.find((i) => i.label === 'DPO')?.description, 'matches the data');
  assert.equal(items.find((i) => i.label === 'SFT')?.description, 'the data does not look like this');
  m.back();
  m.next('chat.jsonl');
  assert.equal(m.answers.inspection, undefined, 'a new dataset drops the old inspection');
  m.setInspection({ format: 'messages', task: 'sft' });
  items = itemsFor('method', m.answers, {});
  assert.equal(items.find((i) => i.picked)?.label, 'SFT');
});

test('the method step lists what the inspection found as rows under the choices: format, task, rows, mapping, problems', () => {
  const rows = notesFor('method', { dataset: 'd.jsonl', inspection: { format: 'alpaca', task: 'sft', rows: 1234, mapping: { user: 'instruction', assistant: 'output' }, problems: ['2 empty outputs: drop them'], trainable: true } }, {});
  assert.ok(rows.every((r) => r.action === 'note'), 'Enter on a note does nothing');
  assert.match(rows[0].label, /d\.jsonl: format alpaca · task sft · 1,234 rows/);
  assert.match(rows[0].detail ?? '', /user ← instruction, assistant ← output/);
  assert.match(rows[1].label, /2 empty outputs: drop them/);
  assert.match(notesFor('method', { dataset: 'x', inspectionError: 'python3 not found' }, {})[0].detail ?? '', /python3 not found/);
  assert.ok(notesFor('method', { inspection: { format: 'unknown', trainable: false } }, {}).some((r) => /NOT trainable/.test(r.label)));
  // Many problems: four rows, then a count, so the choices stay on screen.
  const many = notesFor('method', { inspection: { format: 'messages', problems: ['a', 'b', 'c', 'd', 'e', 'f'], trainable: true } }, {});
  assert.equal(many.length, 1 + 4 + 1);
  assert.match(many[5].label, /2 more problems/);
  assert.deepEqual(notesFor('model', {}, {}), []);
});

test('adapter items carry the memory estimate; QLoRA is the default when LoRA does not fit', () => {
  const items = itemsFor('adapter', {}, { estimates: { lora: { text: 'needs ~30 GiB · does not fit 24 GiB', fits: false }, qlora: { text: '~9 GiB of 24 GiB · fits', fits: true } } });
  assert.deepEqual(items.map((i) => i.label), ['LoRA', 'QLoRA', 'Full']);
  assert.equal(items.find((i) => i.picked)?.label, 'QLoRA');
  assert.match(items[0].description ?? '', /does not fit/);
  assert.equal(itemsFor('adapter', {}, {}).find((i) => i.picked)?.label, 'LoRA');
});

test('split: items, typed percentages and the custom row', () => {
  const items = itemsFor('split', {}, {});
  assert.deepEqual(items.map((i) => i.label), ['0 %', '5 %', '10 %', 'Custom…']);
  assert.equal(items[3].action, 'custom');
  assert.deepEqual(parseSplit('5'), { value: 0.05 });
  assert.deepEqual(parseSplit('5 %'), { value: 0.05 });
  assert.deepEqual(parseSplit('2.5%'), { value: 0.025 });
  assert.deepEqual(parseSplit('0.1'), { value: 0.1 });
  assert.deepEqual(parseSplit('0'), { value: 0 });
  for (const bad of ['', 'abc', '-5', '60', '0.6', '5%%', '1e3']) assert.ok('error' in parseSplit(bad), bad);
  const t = typedItem('split', '15', items);
  assert.equal(t?.value, '0.15');
  assert.equal(typedItem('split', '10 %', items), undefined, 'an item already says it');
  const m = new WizardMachine();
  m.index = STEPS.indexOf('split');
  assert.equal(m.next('70').ok, false);
  assert.equal(m.next('0.1').ok, true);
  assert.equal(m.answers.evalSplit, 0.1);
});

test('model ids: Hub ids and local folders pass; malformed ones say why', () => {
  for (const ok of ['Qwen/Qwen2.5-0.5B-Instruct', 'gpt2', 'meta-llama/Meta-Llama-3-8B-Instruct', 'google/gemma-2-2b-it', './models/base', '/data/models/x']) assert.equal(validateModelId(ok), undefined, ok);
  for (const bad of ['', ' ', 'a b', 'a/b/c', '-bad/x', 'x/y-', 'a--b/c', 'x/..', 'x'.repeat(201), 'org/na me']) assert.ok(validateModelId(bad), bad);
  const m = new WizardMachine();
  const r = m.next('not a model');
  assert.equal(r.ok, false);
  assert.equal(m.step, 'model');
  assert.equal(typedItem('model', 'my-org/my-model', itemsFor('model', {}, {}))?.label, 'my-org/my-model');
  assert.equal(typedItem('model', 'Qwen/Qwen2.5-0.5B-Instruct', itemsFor('model', {}, {})), undefined);
  assert.equal(typedItem('model', 'bad id', []), undefined);
});

test('hub repos: owner/name or empty to skip', () => {
  assert.equal(validateHubRepo(''), undefined);
  assert.equal(validateHubRepo('my-user/qwen-sft'), undefined);
  assert.equal(validateHubRepo('org.name/model_v2.1'), undefined);
  for (const bad of ['justname', 'a/b/c', 'a/', '/b', 'a b/c', 'user/-x', 'user/x.', 'u/a--b', `u/${'x'.repeat(97)}`]) assert.ok(validateHubRepo(bad), bad);
  const m = new WizardMachine();
  m.index = STEPS.indexOf('hub');
  assert.equal(m.next('nope').ok, false);
  assert.equal(m.next('me/model').ok, true);
  assert.equal(m.answers.hubRepo, 'me/model');
});

test('the dataset step offers workspace files and Browse…, and typed paths/Hub ids', () => {
  const items = itemsFor('dataset', {}, { datasetFiles: ['data/train.jsonl', 'x.csv'] });
  assert.deepEqual(items.map((i) => i.label), ['data/train.jsonl', 'x.csv', 'Browse…']);
  assert.equal(items[2].action, 'browse');
  assert.equal(typedItem('dataset', 'trl-lib/Capybara', items)?.label, 'trl-lib/Capybara');
  const m = new WizardMachine();
  m.next('gpt2');
  assert.equal(m.next('').ok, false);
});

test('method and adapter accept typed labels case-insensitively; anything else is refused', () => {
  const m = new WizardMachine();
  m.index = STEPS.indexOf('method');
  assert.equal(m.next('rlhf').ok, false);
  assert.equal(m.next('kto').ok, true);
  assert.equal(m.next('QLORA').ok, true);
  assert.equal(m.answers.method, 'kto');
  assert.equal(m.answers.adapter, 'qlora');
});

test('fuzz: the machine never throws and stays within its steps', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constant<'back'>('back'), fc.string({ maxLength: 30 }), fc.constantFrom('gpt2', 'd.jsonl', 'SFT', 'LoRA', '5', '', 'me/x')), { maxLength: 40 }), (ops) => {
      const m = new WizardMachine();
      for (const op of ops) {
        if (m.done) break;
        if (op === 'back') m.back();
        else m.next(op);
        assert.ok(m.index >= 0 && m.index <= STEPS.length);
      }
      if (m.done) assert.ok(m.request().baseModel);
    }),
    { numRuns: 300 },
  );
});

test('adapter step: what the environment check found missing is said before the run, bitsandbytes on QLoRA', () => {
  // Libraries as env_report.py gives them (null = checked and absent), like the real H200 box.
  const missing = missingTrainingPackages({ torch: '2.11.0', transformers: '5.17.0', trl: null, peft: '0.21.0', datasets: null, accelerate: '1.15.0', bitsandbytes: null, wandb: null });
  assert.deepEqual(missing, ['trl', 'datasets', 'bitsandbytes']);
  const ctx = { gpu: 'NVIDIA H200, 140 GiB', missing };
  const rows = notesFor('adapter', { baseModel: 'meta-llama/Llama-3.1-8B' }, ctx).map((r) => `${r.label} — ${r.detail ?? ''}`);
  assert.match(rows[0], /GPU: NVIDIA H200, 140 GiB/);
  assert.ok(rows.some((r) => /Memory for meta-llama\/Llama-3\.1-8B unknown/.test(r)), rows.join('\n'));
  assert.ok(rows.some((r) => /Not installed: trl, datasets — You will be asked to install them before the run/.test(r)), rows.join('\n'));
  const items = itemsFor('adapter', {}, ctx);
  assert.match(items.find((i) => i.value === 'qlora')!.detail ?? '', /bitsandbytes is not installed/);
  assert.doesNotMatch(items.find((i) => i.value === 'lora')!.detail ?? '', /bitsandbytes/);
  // Nothing missing (or no report): nothing said.
  assert.deepEqual(missingTrainingPackages(undefined), []);
  assert.ok(!notesFor('adapter', {}, { missing: [] }).some((r) => /installed/.test(r.label)));
  // torch is not pip-installed by ML Intern (its build depends on CUDA): said apart.
  const torch = notesFor('adapter', {}, { missing: ['torch', 'trl'] });
  assert.ok(torch.some((r) => r.label.includes('torch is not installed') && /CUDA version/.test(r.detail ?? '')));
  assert.ok(torch.some((r) => r.label.includes('Not installed: trl')));
});
