// The run card says when a process runs inside the sandbox ("sandboxed: bubblewrap, network off"),
// and says nothing of the kind for an unconfined one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeView, RUN } from './helpers';

function badge(sandbox?: string): HTMLElement {
  const { root, apply } = makeView();
  apply({ type: 'process_started', runId: RUN, processId: 'p1', name: 'python code-1', argv: ['python3'], ...(sandbox ? { sandbox } : {}) });
  return root.querySelector('[data-testid="run-card-sandbox"]') as HTMLElement;
}

test('a sandboxed process card shows where it runs; an unconfined one shows no badge', () => {
  const on = badge('bubblewrap, network off');
  assert.equal(on.hidden, false);
  assert.equal(on.textContent, 'sandboxed: bubblewrap, network off');
  const off = badge();
  assert.equal(off.hidden, true);
  assert.equal(off.textContent, '');
});
