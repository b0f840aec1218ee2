// What `ml-intern fine-tune` and `ml-intern run` print of a run's messages: a session's whole
// messages once, the agent's streamed text once (not again when it arrives whole), and never a
// terminal control sequence from a message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printer } from '../../../src/cli/interaction';

function capture() {
  let out = '';
  const p = printer({ cwd: '.', env: {}, out: (t: string) => void (out += t), err: () => undefined });
  return { p, out: () => out };
}

test('a session message is printed whole, once; the end summary is known to be said', () => {
  const { p, out } = capture();
  p({ type: 'assistant_message', runId: 'r', text: 'I wrote a script.\n\nNotes from the recipe:\n- one' });
  p({ type: 'tool_call', runId: 'r', callId: 'c', name: 'x', args: {} });
  assert.equal(out(), '\nI wrote a script.\n\nNotes from the recipe:\n- one\n\n→ x {}\n');
  assert.equal(p.said('I wrote a script.\n\nNotes from the recipe:\n- one'), true);
  assert.equal(p.said('something else'), false);
});

test('the agent\'s streamed text is not printed a second time when the whole message follows', () => {
  const { p, out } = capture();
  p({ type: 'assistant_delta', runId: 'r', text: 'Checking ' });
  p({ type: 'assistant_delta', runId: 'r', text: 'the data.' });
  p({ type: 'assistant_message', runId: 'r', text: 'Checking the data.' });
  p({ type: 'tool_call', runId: 'r', callId: 'c', name: 'inspect_data', args: {} });
  assert.equal(out(), 'Checking the data.\n→ inspect_data {}\n');
});

test('escape sequences and control characters in a message never reach the terminal', () => {
  const { p, out } = capture();
  p({ type: 'assistant_message', runId: 'r', text: 'ok \x1b]0;pwned\x07\x1b[2J\x1b[31mred\x1b[0m\rdone\tend' });
  assert.equal(out(), '\nok reddone\tend\n\n');
  assert.doesNotMatch(out(), /\x1b|\r|\x07/);
});
