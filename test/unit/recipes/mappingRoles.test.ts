// The roles other frameworks' formats carry beside the answer reach the rows train.py gives trl:
// a system column beside a ShareGPT conversation or a preference pair, LLaMA-Factory/ms-swift
// "history" pairs, OpenAI's {"input": {"messages": [...]}} prompt, and index-based preference pairs
// (PKU-SafeRLHF's better_response_id, SHP's labels) ordered by the index, never by column position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { basename, join, resolve } from 'node:path';
import { renderRecipe, TrainingMethod } from '../../../src/core/recipes';
import { DatasetInspection } from '../../../src/core/python/types';
import { recipeInspection } from '../../../src/core/session/envAdapters';
import { writeFiles } from './helpers';

const ROOT = resolve(__dirname, '../../..');
const FIXTURES = join(ROOT, 'test/fixtures/datasets');

interface Message { role: string; content: string }
interface MappedRow { messages?: Message[]; prompt?: Message[]; completion?: Message[]; chosen?: Message[]; rejected?: Message[]; error?: string }

function mappedRows(file: string): MappedRow[] {
  const path = join(FIXTURES, file);
  const r = spawnSync('python3', [join(ROOT, 'python/inspect_data.py'), path], { encoding: 'utf8' });
  const inspection = JSON.parse(r.stdout) as DatasetInspection;
  assert.ok(inspection.trainable, `${file} is trainable`);
  const recipe = renderRecipe(
    { method: inspection.task as TrainingMethod, adapter: 'lora', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: `data/${basename(path)}` },
    { inspection: recipeInspection(inspection) },
  );
  const dir = writeFiles(recipe.files);
  const out = spawnSync('python3', [join(ROOT, 'test/fixtures/map_rows.py'), join(dir, 'train.py'), path], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return out.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as MappedRow);
}

const text = (messages: Message[] | undefined): string[] => (messages ?? []).map((m) => `${m.role}: ${m.content}`);
/** A single-turn SFT row is trained as prompt/completion (loss on the answer only); the conversation is both. */
const conversation = (row: MappedRow): string[] => text(row.messages ?? [...(row.prompt ?? []), ...(row.completion ?? [])]);

test('index-based pairs: the answer the index names is the chosen one (PKU-SafeRLHF better_response_id)', () => {
  const rows = mappedRows('pku_saferlhf_pairs.jsonl');
  assert.match(rows[0].chosen?.[0].content ?? '', /original containers/);
  assert.match(rows[1].chosen?.[0].content ?? '', /Breathe slowly/, 'better_response_id 1 picks response_1');
  assert.match(rows[1].rejected?.[0].content ?? '', /skip the exam/);
});

test('index-based pairs: SHP labels = 1 means human_ref_A is preferred', () => {
  const rows = mappedRows('shp_pairs.jsonl');
  assert.match(rows[0].chosen?.[0].content ?? '', /Rayleigh/);
  assert.match(rows[1].chosen?.[0].content ?? '', /retrogradation/);
  assert.deepEqual(text(rows[0].prompt), ['user: Why is the sky blue?']);
});

test('a system column becomes the system turn beside a ShareGPT conversation and a preference pair', () => {
  const sft = mappedRows('sharegpt_system_tools.jsonl');
  assert.deepEqual(conversation(sft[1]), ['system: You are brief.', 'user: Say hello.', 'assistant: Hello!']);
  const dpo = mappedRows('orca_dpo_system.jsonl');
  assert.deepEqual(text(dpo[0].prompt), ['system: You are an AI assistant. Think step by step.', 'user: Is 91 a prime number?']);
  assert.deepEqual(text(dpo[1].prompt), ['user: Name the largest planet of the solar system.'], 'an empty system adds no turn');
});

test('history pairs come before the question, after the system prompt', () => {
  assert.deepEqual(conversation(mappedRows('swift_query_history.jsonl')[0]), [
    'system: You are a math tutor.',
    'user: What is 10% of 80?',
    'assistant: 10% of 80 is 8.',
    'user: And 15% of 80?',
    'assistant: 15% of 80 is 12.',
  ]);
  const alpaca = mappedRows('llamafactory_alpaca_history.jsonl');
  assert.deepEqual(conversation(alpaca[0]).slice(0, 3), ['system: You are a nurse.', 'user: What is a normal body temperature?', 'assistant: About 98.6 degrees Fahrenheit.']);
});

test("OpenAI's preference rows: the prompt is input.messages, not the input object's repr", () => {
  const rows = mappedRows('openai_dpo.jsonl');
  assert.deepEqual(text(rows[1].prompt), ['system: Answer in French.', 'user: Say thank you.']);
  assert.deepEqual(text(rows[1].chosen), ['assistant: Merci.']);
});

test('a transcript prompt ending with the "Assistant:" cue (Dahoas rm-static) ends with the user turn, not an empty answer', () => {
  const rows = mappedRows('rm_static_prompt_response.jsonl');
  assert.deepEqual(text(rows[0].prompt), ['user: How do I descale a kettle?']);
  assert.deepEqual(text(rows[0].rejected), ['assistant:  Buy a new one.']);
});

test("LLaMA-Factory's Alpaca-style preference and KTO rows: the input follows the instruction in the prompt", () => {
  const dpo = mappedRows('llamafactory_alpaca_preference.jsonl');
  assert.deepEqual(text(dpo[0].prompt), ['user: Summarize the text.\n\nThe council approved the new bike lanes after a long debate.']);
  assert.deepEqual(text(dpo[1].prompt), ['user: Give a synonym for happy.'], 'an empty input adds nothing');
  const kto = mappedRows('llamafactory_kto_tag.jsonl');
  assert.deepEqual(text(kto[0].prompt), ['user: Translate to German.\n\nGood morning']);
});
