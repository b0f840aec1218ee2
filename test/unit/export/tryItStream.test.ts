// The side-by-side view reads try_it.py's output as it comes: lines cut anywhere by the pipe, log
// lines between the events. Fed the real script's output (stub transformers), the board must end
// with both whole answers per prompt, whatever the chunking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { tryItScript } from '../../../src/core/export/tryItScript';
import { lastTranscriptRows, TryItBoard, TryItStreamParser } from '../../../src/core/export/tryItStream';

const STUBS = path.resolve('test/fixtures/stubs/tryit_fake');

function realOutput(): { stdout: string; transcript: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tryit-stream-'));
  try {
    const text = tryItScript({ baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', trained: '../outputs/run1', isAdapter: true, prompts: ['What is a normal resting heart rate?', 'Ünïcödé 心拍数?'], system: 'Be brief.', temperature: 0.7, topP: 0.9, maxNewTokens: 64, transcript: 'transcript.jsonl', seed: 0 });
    writeFileSync(path.join(dir, 'try_it.py'), text);
    const run = spawnSync('python3', ['try_it.py'], { cwd: dir, env: { ...process.env, PYTHONPATH: STUBS }, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    return { stdout: run.stdout, transcript: readFileSync(path.join(dir, 'transcript.jsonl'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function boardFrom(chunks: string[]): { board: TryItBoard; logs: string[]; deltas: number } {
  const parser = new TryItStreamParser();
  const board = new TryItBoard();
  const logs: string[] = [];
  let deltas = 0;
  for (const line of [...chunks.flatMap((c) => parser.push(c)), ...parser.end()]) {
    if (line.kind === 'log') logs.push(line.text);
    else {
      if (line.event.event === 'delta') deltas++;
      board.apply(line.event);
    }
  }
  return { board, logs, deltas };
}

test('the real try_it.py output, cut into 7-character chunks, fills both columns of every prompt', () => {
  const { stdout } = realOutput();
  const cut: string[] = [];
  for (let i = 0; i < stdout.length; i += 7) cut.push(stdout.slice(i, i + 7));
  const { board, logs, deltas } = boardFrom(cut);
  const whole = boardFrom([stdout]).board.state;
  assert.deepEqual(board.state, whole, 'chunking changes nothing');
  assert.equal(logs.length, 0);
  assert.ok(deltas > 10, 'the answers arrived in pieces');
  const s = board.state;
  assert.equal(s.base, 'Qwen/Qwen2.5-0.5B-Instruct');
  assert.equal(s.system, 'Be brief.');
  assert.equal(s.settings?.max_new_tokens, 64);
  assert.deepEqual(s.rows.map((r) => r.prompt), ['What is a normal resting heart rate?', 'Ünïcödé 心拍数?']);
  assert.equal(s.rows[0].base.text, 'I am not sure, please ask a doctor.');
  assert.equal(s.rows[0].trained.text, 'A resting rate of 60 to 100 beats per minute is normal.');
  assert.ok(s.rows.every((r) => r.base.done && r.trained.done && (r.trained.tokens ?? 0) > 0));
  assert.equal(s.ended, true);
});

test('mid-stream, a column holds the pieces so far and is not done; log lines and broken JSON stay log text', () => {
  const parser = new TryItStreamParser();
  const board = new TryItBoard();
  const lines = [
    ...parser.push('{"event": "start", "base": "b", "trained": "t", "system": "", "settings": {"temperature": 0.7, "top_p": 0.9, "max_new_tokens": 8, "seed": 0}, "prompts": ["hi"]}\n'),
    ...parser.push('Loading checkpoint shards: 100%|██████████| 2/2\n{"event": "side", "side": "base", "prompt": 0}\n{"event": "delta", "side": "base", "prompt": 0, "text": "Hel'),
    ...parser.push('lo"}\n{"event": "delta", "side": "base", "pro'),
    ...parser.push('mpt": 0, "text": " there"}\n{"event": "delta", "side": "sideways", "prompt": 0, "text": "x"}\n{not json\n'),
  ];
  for (const l of lines) if (l.kind === 'event') board.apply(l.event);
  assert.deepEqual(lines.filter((l) => l.kind === 'log').map((l) => (l as { text: string }).text), [
    'Loading checkpoint shards: 100%|██████████| 2/2',
    '{"event": "delta", "side": "sideways", "prompt": 0, "text": "x"}',
    '{not json',
  ]);
  const row = board.state.rows[0];
  assert.equal(row.base.text, 'Hello there');
  assert.equal(row.base.done, false);
  assert.equal(row.trained.started, false);
  assert.equal(board.state.ended, false);
  // A process killed mid-line: the rest is given at the end.
  assert.deepEqual(parser.push('Traceback (most recent call last):'), []);
  assert.deepEqual(parser.end(), [{ kind: 'log', text: 'Traceback (most recent call last):' }]);
});

test('an event naming prompt 10,000 is not one of ours: no board of 10,000 rows', () => {
  const parser = new TryItStreamParser();
  const [line] = parser.push('{"event": "delta", "side": "base", "prompt": 10000, "text": "x"}\n');
  assert.equal(line.kind, 'log');
});

test('the transcript of two sessions gives the last one, whole answers per prompt', () => {
  const { transcript } = realOutput();
  const twice = transcript + transcript.replace(/I am not sure/g, 'Second session');
  const rows = lastTranscriptRows(twice);
  assert.equal(rows.length, 2);
  assert.equal(rows[0].base.text, 'Second session, please ask a doctor.');
  assert.equal(rows[0].trained.text, 'A resting rate of 60 to 100 beats per minute is normal.');
});
