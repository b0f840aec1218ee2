import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promptsFromRows, tryItScript } from '../../../src/core/export/tryItScript';

const STUBS = path.resolve('test/fixtures/stubs/tryit_fake');

function script(over: Partial<Parameters<typeof tryItScript>[0]> = {}): string {
  return tryItScript({ baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', trained: '../outputs/run1', isAdapter: true, prompts: ['What is a normal resting heart rate?', 'Quote "this" \\ and """that"""'], system: 'You are a careful medical assistant.', temperature: 0.7, topP: 0.9, maxNewTokens: 64, transcript: 'transcript.jsonl', seed: 0, ...over });
}

test('try_it.py parses as Python with hostile prompts, and imports nothing heavy at module level', () => {
  const text = script({ prompts: ['"""; import os; os.system("x")', '\u2028line', 'a\\nb'], baseModel: 'x"); evil(' });
  const dir = mkdtempSync(path.join(tmpdir(), 'tryit-'));
  try {
    writeFileSync(path.join(dir, 'try_it.py'), text);
    const out = execFileSync('python3', ['-c', 'import ast,sys; t=ast.parse(open(sys.argv[1]).read()); print(sorted(n.names[0].name for n in t.body if isinstance(n, ast.Import)))', path.join(dir, 'try_it.py')]).toString();
    assert.equal(out.trim(), "['json', 'sys', 'time']");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('try_it.py streams both columns with the training template and keeps the transcript (real Python, stub transformers/peft/torch)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tryit-'));
  try {
    writeFileSync(path.join(dir, 'try_it.py'), script());
    const run = spawnSync('python3', ['try_it.py'], { cwd: dir, env: { ...process.env, PYTHONPATH: STUBS }, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const events = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; side?: string; prompt?: number; text?: string });
    const deltas = (side: string, prompt: number) => events.filter((e) => e.event === 'delta' && e.side === side && e.prompt === prompt).map((e) => e.text).join('');
    // The adapter switched off gives the base's answer; on, the trained one; streamed in pieces, then whole.
    assert.equal(deltas('base', 0), 'I am not sure, please ask a doctor.');
    assert.equal(deltas('trained', 0), 'A resting rate of 60 to 100 beats per minute is normal.');
    assert.ok(events.filter((e) => e.event === 'delta').length > 10, 'answers arrive as many pieces');
    const answers = events.filter((e) => e.event === 'answer');
    assert.deepEqual(answers.map((a) => `${a.prompt}:${a.side}`), ['0:base', '0:trained', '1:base', '1:trained']);
    const transcript = readFileSync(path.join(dir, 'transcript.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; system?: string; text?: string });
    assert.equal(transcript[0].event, 'start');
    assert.equal(transcript[0].system, 'You are a careful medical assistant.');
    assert.ok(transcript.some((e) => e.event === 'prompt' && e.text === 'Quote "this" \\ and """that"""'));
    assert.ok(!transcript.some((e) => e.event === 'delta'), 'the transcript keeps whole answers, not pieces');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('prompts are prefilled from held-out rows of the usual shapes (messages, ShareGPT, prompt/instruction/question)', () => {
  const rows = [
    { messages: [{ role: 'system', content: 's' }, { role: 'user', content: ' Q1 ' }, { role: 'assistant', content: 'A' }] },
    { conversations: [{ from: 'human', value: 'Q2' }, { from: 'gpt', value: 'A' }] },
    { prompt: 'Q3', chosen: 'x', rejected: 'y' },
    { instruction: 'Q4', output: 'o' },
    { text: 'no prompt here' },
    { question: 'Q5' },
  ];
  assert.deepEqual(promptsFromRows(rows, 4), ['Q1', 'Q2', 'Q3', 'Q4']);
  assert.deepEqual(promptsFromRows(rows, 10), ['Q1', 'Q2', 'Q3', 'Q4', 'Q5']);
});
