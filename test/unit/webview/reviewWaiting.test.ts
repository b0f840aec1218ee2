/**
 * A live run held by a proposed change waits for the user: the header says "waiting for your review",
 * not "running" beside a red Stop (issue 25 polish). Once the change is decided the run is running again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeView, RUN } from './helpers';

test('while a change waits for review the header says so and Stop is not red; after the decision it is running again', () => {
  const { root, apply } = makeView();
  const badge = () => root.querySelector('[data-testid="run-state"]')!;
  const stop = () => root.querySelector('[data-testid="stop-button"]') as HTMLElement;
  apply({ type: 'run_started', runId: RUN, title: 'Fine-tune', folder: '.ml-intern/runs/r1' }, { type: 'run_state', runId: RUN, state: 'running' });
  assert.equal(badge().textContent, 'running');
  assert.ok(stop().classList.contains('danger'));

  apply({ type: 'change_proposed', runId: RUN, changeId: `${RUN}-change-1`, path: 'recipe/train.py', description: 'the recipe', origin: 'recipe', added: 40, removed: 0 });
  assert.equal(badge().textContent, 'waiting for your review (1 change)');
  assert.ok(badge().classList.contains('waiting'));
  assert.ok(!badge().classList.contains('running'));
  assert.equal(stop().hidden, false, 'the run can still be stopped');
  assert.ok(!stop().classList.contains('danger'));

  apply({ type: 'change_decided', runId: RUN, changeId: `${RUN}-change-1`, path: 'recipe/train.py', decision: 'accepted', auto: false });
  assert.equal(badge().textContent, 'running');
  assert.ok(stop().classList.contains('danger'));
});

test('an ended run with a change nobody decided reads as ended, not as waiting', () => {
  const { root, apply } = makeView();
  apply(
    { type: 'run_started', runId: RUN, title: 'Fine-tune', folder: '.ml-intern/runs/r1' },
    { type: 'change_proposed', runId: RUN, changeId: `${RUN}-change-1`, path: 'train.py', description: '', origin: 'recipe', added: 1, removed: 1 },
    { type: 'run_state', runId: RUN, state: 'stopped' },
  );
  assert.equal(root.querySelector('[data-testid="run-state"]')!.textContent, 'stopped');
});

test("a new file's card says Review (it opens as the proposal alone), a changed file's says Review diff", () => {
  const { root, apply } = makeView();
  apply(
    { type: 'run_started', runId: RUN, title: 'Fine-tune', folder: '.ml-intern/runs/r1' },
    { type: 'change_proposed', runId: RUN, changeId: `${RUN}-change-1`, path: 'sft/train.py', description: '', origin: 'recipe', added: 40, removed: 0, isNew: true },
    { type: 'change_proposed', runId: RUN, changeId: `${RUN}-change-2`, path: 'sft/requirements.txt', description: '', origin: 'recipe', added: 2, removed: 1 },
  );
  const buttons = [...root.querySelectorAll('[data-testid="change-review"]')].map((b) => [b.textContent, b.getAttribute('aria-label')]);
  assert.deepEqual(buttons, [
    ['Review', 'Review the new file sft/train.py'],
    ['Review diff', 'Review the diff of sft/requirements.txt'],
  ]);
});
