// The training output as the panel and the CLI get it: the panel a short live tail, the CLI all of
// it — unless a half-second brings more than it could read (a long log caught up after --attach),
// which is cut to its end with a line naming the whole log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessOutput } from '../../../src/core/run/processOutput';

function forwarder(full: boolean) {
  const sent: string[] = [];
  const out = new ProcessOutput({ full, logFile: '/ws/.ml-intern/runs/r1/logs/train.log', emit: (t) => sent.push(t) });
  return { out, sent };
}

/** A startup burst as transformers/peft print it: warnings, then the trainable parameters line. */
function startup(lines: number): string {
  let s = '';
  for (let i = 0; i < lines; i++) s += `/usr/lib/python3/dist-packages/transformers/modeling_utils.py:${i}: UserWarning: something deprecated (${i})\n`;
  return `${s}trainable params: 4,399,104 || all params: 498,431,872 || trainable%: 0.8826\n`;
}

test('the CLI gets every line of a startup burst; the panel its last 4,000 characters', () => {
  const text = startup(80); // ~8 KB in one read
  const cli = forwarder(true);
  cli.out.bytes(Buffer.from(text));
  cli.out.flush();
  assert.equal(cli.sent.join(''), text);
  const panel = forwarder(false);
  panel.out.bytes(Buffer.from(text));
  panel.out.flush();
  assert.equal(panel.sent.join(''), text.slice(-4000));
  assert.match(panel.sent.join(''), /trainable params/);
});

test('UTF-8 split across reads comes out whole', () => {
  const cli = forwarder(true);
  const bar = Buffer.from(' 45%|████▌     | 450/1000 [01:02<01:16,  7.21it/s]\r', 'utf8');
  cli.out.bytes(bar.subarray(0, 7)); // inside "█"
  cli.out.bytes(bar.subarray(7));
  cli.out.flush();
  assert.equal(cli.sent.join(''), bar.toString('utf8'));
});

test('a burst too big to read (a long log caught up) is cut to its end, saying where the whole log is', () => {
  const cli = forwarder(true);
  cli.out.bytes(Buffer.from('Following the run…\n'));
  const big = Buffer.from(startup(20_000)); // ~2 MB
  for (let i = 0; i < big.length; i += 256 * 1024) cli.out.bytes(big.subarray(i, i + 256 * 1024));
  cli.out.flush();
  const all = cli.sent.join('');
  assert.ok(all.startsWith('Following the run…\n'), 'what came before the burst is shown whole');
  assert.match(all, /\[ML Intern: \d+\.\d MiB of output not shown here; the whole log is \/ws\/\.ml-intern\/runs\/r1\/logs\/train\.log\]/);
  assert.ok(all.endsWith('trainable%: 0.8826\n'), 'and the end of the burst');
  assert.ok(all.length < 10_000);
  // The next half-second is whole again.
  cli.out.bytes(Buffer.from("{'loss': 0.5}\n"));
  cli.out.flush();
  assert.equal(cli.sent.at(-1), "{'loss': 0.5}\n");
});
