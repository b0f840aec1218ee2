// The row mapping each generated train.py applies, run (stdlib Python, no torch/trl) on every row of
// every real dataset in ../shared/data/datasets and of the repository's dataset fixtures that the
// inspection calls trainable. A real GPU run showed the need: LLaMA-Factory's preference rows keep
// chosen/rejected as one {"from": "gpt", "value": ...} object, and the script trained on the
// Python repr of that object as the answer text, with no error anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { renderRecipe, TrainingMethod } from '../../../src/core/recipes';
import { DatasetInspection } from '../../../src/core/python/types';
import { recipeInspection } from '../../../src/core/session/envAdapters';
import { writeFiles } from './helpers';
import { sharedAbsentReason, sharedDataDir } from '../../support/sharedData';

const ROOT = resolve(__dirname, '../../..');
const SHARED = sharedDataDir('datasets');
const FIXTURES = join(ROOT, 'test/fixtures/datasets');
const MAP_ROWS = join(ROOT, 'test/fixtures/map_rows.py');
const ROLES = new Set(['system', 'user', 'assistant', 'tool']);

interface Message { role: string; content: unknown }
type Row = Record<string, unknown>;

function inspect(path: string): DatasetInspection {
  const r = spawnSync('python3', [join(ROOT, 'python/inspect_data.py'), path], { encoding: 'utf8' });
  return JSON.parse(r.stdout);
}

function mapRows(script: string, data: string): Row[] {
  const r = spawnSync('python3', [MAP_ROWS, script, data], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/** What trl needs from a conversation: known roles, text content, and never a message's repr as text. */
function checkMessages(where: string, value: unknown, opts: { nonEmpty?: boolean; lastRole?: string; firstRole?: string } = {}): Message[] {
  assert.ok(Array.isArray(value), `${where}: a list of messages (got ${JSON.stringify(value)?.slice(0, 80)})`);
  const messages = value as Message[];
  if (opts.nonEmpty !== false) assert.ok(messages.length > 0, `${where}: no messages`);
  for (const [i, m] of messages.entries()) {
    assert.ok(ROLES.has(m.role), `${where}[${i}]: role ${JSON.stringify(m.role)}`);
    assert.equal(typeof m.content, 'string', `${where}[${i}]: content is ${typeof m.content}`);
    assert.doesNotMatch(m.content as string, /^\s*[[{]\s*['"](from|value|role|content)['"]\s*:/, `${where}[${i}]: a message's repr became its text`);
  }
  if (opts.lastRole && messages.length) assert.equal(messages[messages.length - 1].role, opts.lastRole, `${where}: ends with ${opts.lastRole}`);
  if (opts.firstRole && messages.length) assert.equal(messages[0].role, opts.firstRole, `${where}: starts with ${opts.firstRole}`);
  return messages;
}

function checkRow(method: TrainingMethod, where: string, row: Row, reported: string[]): void {
  assert.equal(row.error, undefined, `${where}: the mapping raised ${row.error}`);
  if (method === 'sft') {
    if ('messages' in row) {
      const m = checkMessages(`${where}.messages`, row.messages);
      // A question without an answer maps as it is; the inspection has told the user to drop it.
      const toldToDrop = reported.some((p) => p.includes('without an assistant turn'));
      assert.ok(toldToDrop || m.some((x) => x.role === 'assistant'), `${where}: no assistant turn to learn from`);
    } else if ('prompt' in row) {
      checkMessages(`${where}.prompt`, row.prompt, { lastRole: 'user' });
      checkMessages(`${where}.completion`, row.completion, { firstRole: 'assistant' });
    } else {
      assert.equal(typeof row.text, 'string', `${where}: messages, prompt/completion or text`);
    }
    return;
  }
  checkMessages(`${where}.prompt`, row.prompt, { lastRole: 'user' });
  if (method === 'kto') {
    checkMessages(`${where}.completion`, row.completion, { firstRole: 'assistant' });
    assert.equal(typeof row.label, 'boolean', `${where}.label is a boolean`);
    return;
  }
  const chosen = checkMessages(`${where}.chosen`, row.chosen, { firstRole: 'assistant' });
  const rejected = checkMessages(`${where}.rejected`, row.rejected, { firstRole: 'assistant' });
  assert.notDeepEqual(chosen, rejected, `${where}: chosen and rejected are the same`);
}

const files = [
  ...(SHARED ? readdirSync(SHARED).filter((f) => f.endsWith('.jsonl')).map((f) => join(SHARED, f)) : []),
  ...readdirSync(FIXTURES).filter((f) => /\.(jsonl|json|csv)$/.test(f)).map((f) => join(FIXTURES, f)),
];

let trainable = 0;
for (const path of files) {
  const inspection = inspect(path);
  if (!inspection?.trainable) continue;
  trainable++;
  const method = inspection.task as TrainingMethod;
  test(`${path.slice(ROOT.length - 4)} (${inspection.format}, ${method}): every row maps to what trl expects`, () => {
    // The dataset path keeps the file's extension: the recipe picks the loader (json, csv) from it.
    const recipe = renderRecipe(
      { method, adapter: 'lora', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: `data/${basename(path)}` },
      { inspection: recipeInspection(inspection) },
    );
    const dir = writeFiles(recipe.files);
    const rows = mapRows(join(dir, 'train.py'), path);
    assert.ok(rows.length > 0, 'rows were mapped');
    rows.forEach((row, i) => checkRow(method, `row ${i + 1}`, row, inspection.problems));
  });
}

if (!SHARED) test('every row of the real datasets maps to what trl expects', { skip: sharedAbsentReason('datasets') }, () => {});

test('the real datasets cover every training method', { skip: SHARED ? false : sharedAbsentReason('datasets') }, () => {
  const tasks = new Set(files.map((f) => inspect(f)).filter((i) => i?.trainable).map((i) => i.task));
  assert.deepEqual([...tasks].sort(), ['dpo', 'kto', 'sft']);
  assert.ok(trainable >= 20, `${trainable} trainable files`);
});
