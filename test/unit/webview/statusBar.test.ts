/**
 * The status-bar item's words (src/ui/runStatus.ts): a run held by a proposed change reads
 * "waiting for your review", not the last attempt's "0%" (issue 25 polish), and a run waiting for an answer
 * reads "waiting for you"; progress comes back once the change is decided.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentEvent } from '../../../src/core/events';
import { ActiveRun, statusText, trackRun } from '../../../src/ui/runStatus';

const RUN = 'r1';

function fold(events: AgentEvent[], start?: ActiveRun): ActiveRun | undefined {
  return events.reduce<ActiveRun | undefined>((run, e) => trackRun(run, e), start);
}

test('while the fix after a failed attempt waits for review the item says so instead of 0%', () => {
  let run = fold([
    { type: 'run_started', runId: RUN, title: 'Fine-tune Qwen', folder: '.ml-intern/runs/r1' },
    { type: 'run_state', runId: RUN, state: 'running' },
    { type: 'progress', runId: RUN, processId: 'p1', progress: { current: 0, total: 300 } },
  ]);
  assert.match(statusText(run)!.text, /ML Intern: 0%$/);
  run = fold([{ type: 'change_proposed', runId: RUN, changeId: `${RUN}-change-2`, path: 'recipe/train.py', description: 'halve the batch', origin: 'playbook', added: 1, removed: 1 }], run);
  const s = statusText(run)!;
  assert.equal(s.text, '$(diff) ML Intern: waiting for your review');
  assert.doesNotMatch(s.text, /%/);
  assert.match(s.tooltip, /Fine-tune Qwen — waiting for your review of 1 change/);
  run = fold([{ type: 'change_decided', runId: RUN, changeId: `${RUN}-change-2`, path: 'recipe/train.py', decision: 'accepted', auto: false }], run);
  assert.match(statusText(run)!.text, /ML Intern: 0%$/);
  run = fold([{ type: 'progress', runId: RUN, processId: 'p2', progress: { current: 150, total: 300 } }], run);
  assert.match(statusText(run)!.text, /ML Intern: 50%$/);
});

test('another run\'s change does not count, and an ended run shows its end, not a review', () => {
  let run = fold([
    { type: 'run_started', runId: RUN, title: 'Fine-tune', folder: 'f' },
    { type: 'change_proposed', runId: 'other', changeId: 'other-change-1', path: 'a.py', description: '', origin: 'agent', added: 1, removed: 0 },
  ]);
  assert.doesNotMatch(statusText(run)!.text, /review/);
  run = fold(
    [
      { type: 'change_proposed', runId: RUN, changeId: `${RUN}-change-1`, path: 'train.py', description: '', origin: 'recipe', added: 9, removed: 0 },
      { type: 'run_state', runId: RUN, state: 'stopped' },
    ],
    run,
  );
  assert.equal(statusText(run)!.text, '$(debug-stop) ML Intern: stopped');
});

test('a run waiting for an answer reads "waiting for you", not its last progress', () => {
  const run = fold([
    { type: 'run_started', runId: RUN, title: 'Agent', folder: 'f' },
    { type: 'progress', runId: RUN, processId: 'p1', progress: { current: 3, total: 10 } },
    { type: 'run_state', runId: RUN, state: 'waiting', message: 'Which GPU?' },
  ]);
  assert.equal(statusText(run)!.text, '$(question) ML Intern: waiting for you');
});
