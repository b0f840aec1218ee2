/**
 * A change card counts what its diff shows (issue 25 polish): the same +N −M as the review's
 * CodeLens hunks (a file's trailing newline is no extra line), and a change accepted in part says
 * so with the lines written, live and after a reload, instead of the proposal's "+21 −6 Accepted".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentEvent } from '../../../src/core/events';
import type { ReviewDecision } from '../../../src/core/ports';
import type { TranscriptEntry } from '../../../src/core/runs/types';
import { ApprovalGate } from '../../../src/core/policy/approval';
import { applyHunks, countLines, userPatch } from '../../../src/core/review/hunks';
import { createReview } from '../../../src/core/review/reviewState';
import { MemoryFileStore } from '../../../src/core/testing/memoryPorts';
import { transcriptEvents } from '../../../src/ui/chat/runReplay';
import { makeView } from '../webview/helpers';

function gate(files: MemoryFileStore, decide: (proposed: string, original: string | null) => ReviewDecision) {
  const events: AgentEvent[] = [];
  const recorded: TranscriptEntry[] = [];
  const g = new ApprovalGate({
    policy: () => 'never',
    reviewer: { propose: async (c) => decide(c.proposed, c.original) },
    runId: 'r1',
    record: async (e) => void recorded.push(e),
    emit: (e) => void events.push(e),
    nextChangeNumber: async () => 1,
    saveVersion: async (n, p, _text, label) => `.ml-intern/runs/r1/scripts/${n}-${label}-${p}`,
    write: (p, text) => files.write(p, text),
    read: (p) => files.read(p).catch(() => undefined),
    workspaceCwd: (cwd) => cwd,
  });
  return { g, events, recorded };
}

const acceptAsProposed = (proposed: string): ReviewDecision => ({ kind: 'accepted', text: proposed, userPatch: '', auto: false });

test('a new file\'s card counts its lines as the diff\'s hunks do: no extra line for the final newline', async () => {
  const files = new MemoryFileStore();
  const text = 'import os\nprint(os.getcwd())\nprint("done")\n';
  const { g, events } = gate(files, acceptAsProposed);
  await g.proposeChange({ path: 'train.py', original: null, proposed: text, description: 'the recipe', origin: 'recipe' });
  const proposed = events.find((e) => e.type === 'change_proposed') as Extract<AgentEvent, { type: 'change_proposed' }>;
  assert.deepEqual({ added: proposed.added, removed: proposed.removed }, countLines(createReview(null, text).hunks));
  assert.deepEqual({ added: proposed.added, removed: proposed.removed }, { added: 3, removed: 0 });
  const decided = events.find((e) => e.type === 'change_decided') as Extract<AgentEvent, { type: 'change_decided' }>;
  assert.equal(decided.written, undefined, 'accepted as proposed: nothing more to say');
});

test('a change accepted in part: the card shows the lines written and says it was not taken whole, live and replayed', async () => {
  const original = 'LR = 2e-4\nEPOCHS = 1\nBATCH = 8\nMAX_LEN = 1024\n';
  const proposed = 'LR = 1e-4\nEPOCHS = 3\nBATCH = 8\nMAX_LEN = 512\n';
  const files = new MemoryFileStore();
  await files.write('recipe/train.py', original);
  // The user accepts the first hunk only (the CodeLens "Accept hunk"), rejects the other.
  const { g, events, recorded } = gate(files, (p, o) => {
    const review = createReview(o, p);
    assert.equal(review.hunks.length, 2);
    const text = applyHunks(review.original, review.hunks, [review.hunks[0].id]);
    return { kind: 'accepted', text, userPatch: userPatch(review.proposal, text), auto: false };
  });
  await g.proposeChange({ path: 'recipe/train.py', original, proposed, description: 'follow the instructions', origin: 'recipe' });
  assert.equal(await files.read('recipe/train.py'), 'LR = 1e-4\nEPOCHS = 3\nBATCH = 8\nMAX_LEN = 1024\n');
  const decided = events.find((e) => e.type === 'change_decided') as Extract<AgentEvent, { type: 'change_decided' }>;
  assert.deepEqual(decided.written, { added: 2, removed: 2 });

  const shown = (evts: AgentEvent[]) => {
    const { root, apply } = makeView();
    apply(...evts);
    const card = root.querySelector('[data-testid="change-card"]')!;
    return { title: card.querySelector('.card-title')!.textContent, decision: card.querySelector('[data-testid="change-decision"]')!.textContent };
  };
  const live = shown(events);
  assert.equal(live.title, 'recipe/train.py +2 −2');
  assert.equal(live.decision, 'Accepted with your changes (proposed +3 −3)');

  const replayed = shown(transcriptEvents('r1', recorded));
  assert.deepEqual(replayed, live, 'a reopened run shows the same card');
});
