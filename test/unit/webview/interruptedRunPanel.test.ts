/**
 * After a reload the host ends a run the reload cut off (sessionManager.resumeRuns) before the panel
 * has loaded it: the panel must show that run from its folder — its messages and the ending — not a
 * log made of the one state line, and must not leave the old 'running' it read from disk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentEvent } from '../../../src/core/events';
import type { HostMessage } from '../../../src/core/protocol';
import { PanelController } from '../../../src/ui/chat/panelController';

const RUN = '20261207-101010-sft';
const ENDED = 'The window reloaded while train.py waited for your review, so the run stopped there: nothing was written.';

function controller(disk: () => AgentEvent[]) {
  const posted: HostMessage[] = [];
  const none = () => undefined;
  const c = new PanelController({
    post: (m) => (posted.push(m), true),
    config: () => ({ provider: 'none', model: '', trusted: true, recipeMode: true, hasWorkspace: true }),
    listRuns: async () => [{ runId: RUN, title: 'SFT', state: 'stopped' as const }],
    loadRun: async (id) => (id === RUN ? disk() : undefined),
    chat: none, stop: none, accept: none, reject: none, review: none, openExternal: none, fineTune: none, showRuns: none, setApiKey: none, modelAction: none, log: none,
  });
  return { c, posted };
}

const said: AgentEvent = { type: 'assistant_message', runId: RUN, text: 'I wrote a SFT script.' };

test('the ending of a run not shown yet: the panel loads the run from its folder when it opens', async () => {
  const { c, posted } = controller(() => [{ type: 'run_started', runId: RUN, title: 'SFT', folder: '' }, said, { type: 'run_state', runId: RUN, state: 'stopped', message: ENDED }]);
  c.onEvent({ type: 'run_state', runId: RUN, state: 'stopped', message: ENDED });
  await c.onMessage({ type: 'ready' });
  const state = posted.find((m) => m.type === 'state');
  assert.ok(state && state.type === 'state');
  assert.equal(state.runId, RUN);
  assert.deepEqual(state.events.map((e) => e.type), ['run_started', 'assistant_message', 'run_state']);
});

test('the ending of the run the panel shows from disk: it is appended live, so the header stops saying running', async () => {
  const { c, posted } = controller(() => [{ type: 'run_started', runId: RUN, title: 'SFT', folder: '' }, said, { type: 'run_state', runId: RUN, state: 'running' }]);
  await c.onMessage({ type: 'ready' });
  posted.length = 0;
  const ended: AgentEvent = { type: 'run_state', runId: RUN, state: 'stopped', message: ENDED };
  c.onEvent(ended);
  assert.deepEqual(posted, [{ type: 'event', event: ended }]);
  assert.deepEqual(c.logs.get(RUN).map((e) => e.type), ['run_started', 'assistant_message', 'run_state', 'run_state']);
});
