/**
 * The Fine-tune wizard's dataset and model steps, as a user meets them: typing to
 * filter the files keeps Enter on the highlighted file; an unusable dataset stops
 * at its own step with what is wrong; a model id is checked against a Hub (a real
 * local HTTP server here), and an unreachable Hub never blocks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { datasetProblem, itemsFor, looksLikeHubDatasetId, STEPS, typedItem, typedItemFirst, WizardMachine } from '../../../src/ui/wizard/wizardSteps';
import { checkHubModel, isLocalModelPath } from '../../../src/ui/wizard/hubModelCheck';

const files = { datasetFiles: ['data/medical_qa.jsonl', 'data/prefs.csv'] };

test('typing part of a file name filters: the typed text comes after the matching files, as an explicit Hub id choice', () => {
  const items = itemsFor('dataset', {}, files);
  assert.equal(typedItemFirst('dataset', 'medical', items), false, 'Enter takes the highlighted data/medical_qa.jsonl');
  const typed = typedItem('dataset', 'medical', items);
  assert.equal(typed?.label, "Use 'medical' as a Hub dataset id or path");
  assert.equal(typed?.value, 'medical');
  // Nothing matches: the typed text is the answer Enter takes.
  assert.equal(typedItemFirst('dataset', 'trl-lib/Capybara', items), true);
  assert.equal(typedItem('dataset', 'trl-lib/Capybara', items)?.label, 'trl-lib/Capybara');
  // "Browse…" is an action, not a file: typing "brow" is not a match for it.
  assert.equal(typedItemFirst('dataset', 'brow', items), true);
});

test('a missing path, an empty file and a file of only invalid lines stop at the dataset step, saying what is wrong', () => {
  const m = new WizardMachine();
  m.next('Qwen/Qwen2.5-0.5B-Instruct');
  m.next('data/empty.jsonl');
  m.setInspection({ format: 'unknown', rows: 0, trainable: false, mapping: {}, problems: ["empty file: 'empty.jsonl' has no rows"] });
  assert.equal(datasetProblem(m.answers), "data/empty.jsonl has no rows the training can read: empty file: 'empty.jsonl' has no rows. Fix the file, or pick another one.");
  // SFT is not said to "match the data" when there is no data.
  const sft = itemsFor('method', m.answers, {}).find((i) => i.value === 'sft');
  assert.notEqual(sft?.description, 'matches the data');
  m.rejectDataset();
  assert.equal(m.step, 'dataset');
  assert.equal(m.answers.dataset, undefined, 'picking the fixed file again inspects it again');
  const items = itemsFor('dataset', m.answers, { ...files, datasetProblem: 'data/empty.jsonl has no rows' });
  assert.equal(items[0].action, 'note');
  assert.match(items[0].detail ?? '', /data\/empty\.jsonl has no rows/);
  assert.equal(items[0].label.includes('empty'), false, 'typing the path again filters the note away: Enter takes the file');
  assert.equal(items[0].alwaysShow, undefined);

  const invalid = { dataset: 'data/bad.jsonl', inspection: { rows: 0, trainable: false, problems: ['2 invalid JSON line(s) (lines 1, 2): fix or remove them', 'no readable rows in the file'] } };
  assert.match(datasetProblem(invalid) ?? '', /^data\/bad\.jsonl has no rows the training can read: 2 invalid JSON line\(s\).*no readable rows/);
  const unmapped = { dataset: 'data/x.csv', inspection: { rows: 12, trainable: false, mapping: {}, problems: [] } };
  assert.match(datasetProblem(unmapped) ?? '', /cannot be trained on as it is: its columns match no format/);
  const good = { dataset: 'data/medical_qa.jsonl', inspection: { rows: 100, trainable: true, mapping: { user: 'q' }, format: 'custom_qa' } };
  assert.equal(datasetProblem(good), undefined);
  // A missing local file is not a Hub id; owner/name without an extension may be one.
  assert.equal(looksLikeHubDatasetId('data/missing.jsonl'), false);
  assert.equal(looksLikeHubDatasetId('missing.jsonl'), false);
  assert.equal(looksLikeHubDatasetId('trl-lib/Capybara'), true);
  assert.equal(STEPS.indexOf('dataset'), 1);
});

async function hub(handler: (path: string, auth: string | undefined) => { status: number; code?: string }): Promise<{ endpoint: string; server: Server }> {
  const server = createServer((req, res) => {
    const r = handler(req.url ?? '', req.headers.authorization);
    res.writeHead(r.status, r.code ? { 'x-error-code': r.code, 'content-type': 'application/json' } : { 'content-type': 'application/json' });
    res.end(JSON.stringify(r.status === 200 ? { id: 'x' } : { error: 'Repository not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

test('model ids: found, a typo not found (401 and 404 as the Hub answers), an unreachable Hub only says it could not check', async () => {
  const seen: string[] = [];
  const { endpoint, server } = await hub((path, auth) => {
    seen.push(`${path} ${auth ?? ''}`);
    if (path === '/api/models/Qwen/Qwen2.5-0.5B-Instruct') return { status: 200 };
    if (path === '/api/models/Qwen/Qwen2.5-0.5B-Instrcut') return { status: 401, code: 'RepoNotFound' };
    if (path === '/api/models/gone') return { status: 404 };
    return { status: 503 };
  });
  try {
    assert.deepEqual(await checkHubModel('Qwen/Qwen2.5-0.5B-Instruct', { endpoint }), { kind: 'found' });
    const typo = await checkHubModel('Qwen/Qwen2.5-0.5B-Instrcut', { endpoint });
    assert.equal(typo.kind, 'not_found');
    assert.match(typo.kind === 'not_found' ? typo.message : '', /'Qwen\/Qwen2\.5-0\.5B-Instrcut' was not found on the Hugging Face Hub: check the spelling/);
    assert.equal((await checkHubModel('gone', { endpoint, token: 'hf_test' })).kind, 'not_found');
    assert.equal(seen.at(-1), '/api/models/gone Bearer hf_test', 'the stored token lets private models be found');
    assert.deepEqual(await checkHubModel('busy/model', { endpoint }), { kind: 'unchecked', reason: 'the Hub answered HTTP 503' });
  } finally {
    server.close();
  }
  // Nothing listens there any more: offline never blocks.
  const offline = await checkHubModel('Qwen/Qwen2.5-0.5B-Instruct', { endpoint, timeoutMs: 2000 });
  assert.equal(offline.kind, 'unchecked');
  assert.equal(isLocalModelPath('./models/base'), true);
  assert.equal(isLocalModelPath('Qwen/Qwen2.5-0.5B-Instruct'), false);
});
