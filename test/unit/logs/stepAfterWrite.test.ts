// Which step a train log without a "step" key gets. HF/trl print logs with tqdm.write, which clears
// the bar (a blank \r redraw), prints the dict and redraws the bar with the current step; the bar
// drawn before the dict may lag on fast runs (real example: test/fixtures/real-gpu). Both byte and
// string paths, every chunking, give the same answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogPipeline } from '../../../src/core/logs/pipeline';

const bar = (n: number, total = 90) => ` ${String(Math.floor((100 * n) / total)).padStart(2)}%|█         | ${n}/${total} [00:01<00:10,  9.00it/s]`;
const clear = ' '.repeat(40);

function steps(text: string): Array<[string, number]> {
  const results: Array<Array<[string, number]>> = [];
  for (const bytes of [false, true]) {
    for (const size of [text.length, 7, 1]) {
      const out: Array<[string, number]> = [];
      const p = new LogPipeline({ onMetric: (pt, kind) => out.push([kind, pt.step]) });
      for (let i = 0; i < text.length; i += size) {
        const chunk = text.slice(i, i + size);
        if (bytes) p.pushBytes(Buffer.from(chunk));
        else p.push(chunk);
      }
      p.end();
      results.push(out);
    }
  }
  for (const r of results) assert.deepEqual(r, results[0]);
  return results[0];
}

test('tqdm.write: the bar redrawn right after the dict gives its step (the one before lags)', () => {
  const log = `\r${bar(5)}\r${bar(9)}\r${clear}\r{'loss': '1.5', 'epoch': '0.11'}\n\r${bar(10)}\r${bar(12)}`;
  assert.deepEqual(steps(log), [['train', 10]]);
});

test('a dict printed over the bar without clearing it (print()) takes the bar before it', () => {
  const log = `\r${bar(8)}\r${bar(9)}{'loss': 1.5, 'epoch': 0.1}\n\r${bar(10)}\r${bar(11)}`;
  assert.deepEqual(steps(log), [['train', 9]]);
});

test('another line before the redraw, an evaluation bar, or the end of the log: the bar before it', () => {
  const warning = `\r${bar(9)}\r${clear}\r{'loss': 1.5}\nUserWarning: something\n\r${bar(10)}`;
  assert.deepEqual(steps(warning), [['train', 9]]);
  const evalBar = `\r${bar(9)}\r${clear}\r{'loss': 1.5}\n\r${bar(1, 4)}\r${bar(10)}`;
  assert.deepEqual(steps(evalBar), [['train', 9]]);
  const ended = `\r${bar(9)}\r${clear}\r{'loss': 1.5}\n`;
  assert.deepEqual(steps(ended), [['train', 9]]);
});

test('a log with its own step key keeps it; eval logs are not held', () => {
  const log = `\r${bar(9)}\r${clear}\r{'loss': 1.5, 'step': 7}\n\r${clear}\r{'eval_loss': 1.2}\n\r${bar(10)}`;
  assert.deepEqual(steps(log), [['train', 7], ['eval', 9]]);
});

test('a redraw of another bar (another label) does not hide the training bar before it, whatever the chunking', () => {
  // Found by the chunking property (seed 1523753981): the training bar was parsed only when a chunk ended after it.
  const training = ' 42%|████▏     | 42/100 [00:10<00:14,  4.1it/s]\r';
  assert.deepEqual(steps(`${training}!${training}{'loss': 1.2345, 'epoch': 0.1}\n`), [['train', 42]]);
  assert.deepEqual(steps(`${training}Map: ${training.slice(1)}{'loss': 1.2345}\n`), [['train', 42]]);
});

test("without a progress bar (disable_tqdm) the n-th train log is at n × the script's LOGGING_STEPS", () => {
  const log = "{'loss': '2.1', 'epoch': '0.1'}\n{'loss': '1.9', 'epoch': '0.2'}\n{'eval_loss': '1.95', 'epoch': '0.2'}\n{'loss': '1.7', 'epoch': '0.3'}\n";
  const stepsWith = (loggingSteps?: number) => {
    const out: Array<[string, number]> = [];
    const p = new LogPipeline({ loggingSteps, onMetric: (pt, kind) => out.push([kind, pt.step]) });
    p.pushBytes(Buffer.from(log));
    p.end();
    return out;
  };
  assert.deepEqual(stepsWith(10), [['train', 10], ['train', 20], ['eval', 20], ['train', 30]]);
  assert.deepEqual(stepsWith(), [['train', 1], ['train', 2], ['eval', 2], ['train', 3]]);
});
