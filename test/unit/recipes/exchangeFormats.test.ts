// Conversations kept as one dict per exchange (Firefly/MOSS {human, assistant}, xtuner {system?, input,
// output}), as two parallel lists of turns (Chinese-Vicuna's input/output lists) and as OpenAssistant
// message trees: the inspection calls them trainable, and the generated train.py turns each row into
// exactly the user/assistant turns it holds, in order. Before, all were 'unknown' and the user had to
// convert the file first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { renderRecipe } from '../../../src/core/recipes';
import { DatasetInspection } from '../../../src/core/python/types';
import { recipeInspection } from '../../../src/core/session/envAdapters';
import { EXCHANGE_ASSISTANT_KEYS, EXCHANGE_USER_KEYS } from '../../../src/core/recipes/templates/mapping';
import { writeFiles } from './helpers';

const ROOT = resolve(__dirname, '../../..');
const DATA = join(ROOT, 'test/fixtures/datasets');

function mapped(file: string): { inspection: DatasetInspection; script: string; rows: Array<{ messages?: Array<{ role: string; content: string }>; error?: string }> } {
  const path = join(DATA, file);
  const inspection = JSON.parse(spawnSync('python3', [join(ROOT, 'python/inspect_data.py'), path], { encoding: 'utf8' }).stdout) as DatasetInspection;
  const recipe = renderRecipe({ method: 'sft', adapter: 'lora', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: `data/${basename(path)}` }, { inspection: recipeInspection(inspection) });
  const dir = writeFiles(recipe.files);
  const out = spawnSync('python3', [join(ROOT, 'test/fixtures/map_rows.py'), join(dir, 'train.py'), path], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return { inspection, script: readFileSync(join(dir, 'train.py'), 'utf8'), rows: out.stdout.trim().split('\n').map((l) => JSON.parse(l)) };
}

const turns = (row: { messages?: Array<{ role: string; content: string }> }) => (row.messages ?? []).map((m) => `${m.role}: ${m.content}`);

test('parallel lists of turns: zipped in order, a last question without an answer left out, trained as multi-turn', () => {
  const { inspection, script, rows } = mapped('parallel_turns.jsonl');
  assert.deepEqual([inspection.format, inspection.trainable], ['parallel_turns', true]);
  assert.deepEqual(turns(rows[0]), [
    'user: Plan a short morning run.',
    'assistant: Warm up 5 minutes, run 20 minutes at an easy pace, cool down 5 minutes.',
    'user: Make it easier: I am a beginner.',
    'assistant: Alternate 1 minute of jogging with 2 minutes of walking, 8 times.',
  ]);
  assert.deepEqual(turns(rows[2]), ['user: What is the capital of Japan?', 'assistant: Tokyo.', 'user: And its population, roughly?', 'assistant: About 14 million in the city proper.']);
  // A row whose cells are one text each is one exchange, not one turn per character.
  assert.deepEqual(turns(rows[3]), ['user: What colour is the sky on a clear day?', 'assistant: Blue.']);
  // Never the repr of a list as one turn's text (what str(row["input"]) would have trained on).
  assert.ok(rows.every((r) => !turns(r).some((t) => t.includes("['"))));
  assert.match(script, /are parallel lists of turns: input\[i\] -> user, output\[i\] -> assistant/);
  assert.match(script, /assistant_only_loss/, 'every assistant turn trains, not only the last');
});

test('one dict per exchange: each becomes a user and an assistant message; a system text in the first one comes first', () => {
  const firefly = mapped('turn_pairs.jsonl');
  assert.deepEqual([firefly.inspection.format, firefly.inspection.trainable], ['turn_pairs', true]);
  assert.deepEqual(turns(firefly.rows[0]), ['user: Hi', 'assistant: Hello!', 'user: How are you?', 'assistant: Fine.']);
  assert.match(firefly.script, /holds one dict per exchange; each becomes a user and an assistant message/);
  const xtuner = mapped('xtuner_conversation.jsonl');
  assert.deepEqual(turns(xtuner.rows[0]), [
    'system: You are a poet.',
    'user: Write a line about rain.',
    'assistant: Soft rain hums on the tin roof.',
    'user: Another about snow.',
    'assistant: Snow falls, the town forgets its noise.',
  ]);
});

test('an OpenAssistant message tree: the best-ranked path, deleted and review-failed replies left out, no unanswered last question', () => {
  const { inspection, script, rows } = mapped('oasst_tree.jsonl');
  assert.deepEqual([inspection.format, inspection.trainable], ['message_tree', true]);
  assert.deepEqual(turns(rows[0]), [
    'user: How do I keep basil alive indoors?',
    'assistant: Give it six hours of sun and water when the topsoil is dry.',
    'user: What if my window faces north?',
    'assistant: Add a small grow light for a few hours a day.',
  ]);
  assert.deepEqual(turns(rows[1]), ['user: Name a prime number above 10.', 'assistant: 11.']);
  assert.match(script, /holds a message tree; its best-ranked path becomes the conversation/);
});

test("the script's exchange keys are the inspection's (python/data_shapes.py)", () => {
  const shapes = readFileSync(join(ROOT, 'python/data_shapes.py'), 'utf8');
  const tuple = (name: string) => [...(new RegExp(`${name} = \\(([^)]*)\\)`).exec(shapes)?.[1] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]);
  assert.deepEqual(tuple('EXCHANGE_USER_KEYS'), EXCHANGE_USER_KEYS);
  assert.deepEqual(tuple('EXCHANGE_ASSISTANT_KEYS'), EXCHANGE_ASSISTANT_KEYS);
});
