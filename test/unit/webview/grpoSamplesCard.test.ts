/**
 * The GRPO samples card: the newest logging step's completions with each reward's score and the
 * total, updated in place as steps come (one card, not one per step); model text stays text; a long
 * completion shows its start with the rest behind an expand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GrpoSample } from '../../../src/core/events';
import { PREVIEW_CHARS } from '../../../media/samplesCard';
import { makeView, RUN } from './helpers';

const $$ = (root: Element, testid: string) => [...root.querySelectorAll(`[data-testid="${testid}"]`)] as HTMLElement[];

const sample = (completion: string, exact: number | null, format: number): GrpoSample => ({
  prompt: 'Janet has 3 apples and buys 2 more. How many?', completion, rewards: { exact_answer_reward: exact, format_reward: format }, total: (exact ?? 0) + 0.2 * format,
});

test('the newest step replaces the card\'s samples: scores per reward and the total, one card', () => {
  const { root, apply } = makeView();
  apply({ type: 'run_started', runId: RUN, title: 'grpo', folder: '.ml-intern/runs/r1' });
  apply({ type: 'grpo_samples', runId: RUN, processId: 'attempt-1', step: 5, samples: [sample('The answer is 6874.', 0, 1)] });
  apply({ type: 'grpo_samples', runId: RUN, processId: 'attempt-1', step: 10, samples: [sample('#### 5', 1, 1), sample('no idea', null, 0)] });
  const cards = $$(root, 'grpo-samples-card');
  assert.equal(cards.length, 1, 'one card, updated in place');
  assert.equal($$(cards[0], 'grpo-samples-step')[0].textContent, 'Sampled completions at step 10');
  const rows = $$(cards[0], 'grpo-sample');
  assert.equal(rows.length, 2);
  assert.equal($$(rows[0], 'grpo-sample-total')[0].textContent, '#1 total 1.2');
  assert.deepEqual($$(rows[0], 'grpo-sample-reward').map((r) => r.textContent), ['exact_answer_reward 1', 'format_reward 1']);
  assert.deepEqual($$(rows[1], 'grpo-sample-reward').map((r) => r.textContent), ['exact_answer_reward –', 'format_reward 0'], 'a None score shows as a dash');
  assert.equal($$(rows[0], 'grpo-sample-completion')[0].textContent, '#### 5');
});

test('a hostile completion stays text; a long one shows its start and expands to all of it', () => {
  const { root, apply } = makeView();
  const hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
  const long = `${'step '.repeat(200)}#### 5`;
  apply({ type: 'grpo_samples', runId: RUN, processId: 'attempt-1', step: 1, samples: [sample(hostile, 0, 0), sample(long, 1, 1)] });
  const card = $$(root, 'grpo-samples-card')[0];
  assert.equal(card.querySelector('img'), null);
  assert.equal(card.querySelector('script'), null);
  assert.equal($$(card, 'grpo-sample-completion')[0].textContent, hostile);
  const more = $$(card, 'grpo-sample-completion')[1];
  assert.equal(more.tagName.toLowerCase(), 'details', 'long text behind an expand');
  const summary = more.querySelector('summary')!.textContent ?? '';
  assert.ok(summary.startsWith(long.slice(0, PREVIEW_CHARS)) && summary.includes(`show all ${long.length.toLocaleString('en-US')} characters`), summary);
  assert.equal(more.querySelector('pre')!.textContent, long, 'the whole completion when expanded');
});
