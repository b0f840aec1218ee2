// A Python step's card shows its code as written (newlines, quotes), not as an escaped JSON string;
// other tools keep their JSON arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeView, RUN } from './helpers';

test('a python step shows its code verbatim beside its other arguments; other tools show JSON', () => {
  const { root, apply } = makeView();
  const code = 'rows = inspect_data(dataset="data/x.jsonl")\nprint("n:", len(rows))';
  apply(
    { type: 'tool_call', runId: RUN, callId: 'c1', name: 'python', args: { reason: 'look', code } },
    { type: 'tool_call', runId: RUN, callId: 'c2', name: 'read_file', args: { path: 'a.txt' } },
  );
  const shown = root.querySelector('[data-testid="tool-code"]')!;
  assert.equal(shown.textContent, code);
  const args = Array.from(root.querySelectorAll('.tool-args')).map((e) => e.textContent ?? '');
  assert.ok(args.some((a) => /"reason": "look"/.test(a) && !/"code"/.test(a)), args.join('\n'));
  assert.ok(args.some((a) => /"path": "a.txt"/.test(a)), args.join('\n'));
  assert.equal(root.querySelectorAll('[data-testid="tool-code"]').length, 1);
});
