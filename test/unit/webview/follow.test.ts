/**
 * The chat panel scrolls to what arrives (a recovery card, a question) unless the user scrolled up,
 * then says "New below" and takes them there. happy-dom has no layout, so the timeline's geometry
 * is given here (every entry 100 px tall, a 300 px high panel); the real layout is checked by the
 * E2E flow run-and-recover.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentEvent } from '../../../src/core/events';
import { atEnd, followTo } from '../../../media/follow';
import { makeView, RUN } from './helpers';

const ENTRY = 100;
const PANEL = 300;

/** Lays out the timeline: entries stacked, 100 px each unless `tall` gives their kind another height; scrollTop clamped as a browser does. */
function withLayout(v: ReturnType<typeof makeView>, tall: Record<string, number> = {}) {
  const box = v.root.querySelector('[data-testid="timeline"]') as HTMLElement;
  const heights = () => Array.from(box.children).map((c) => tall[c.getAttribute('data-kind') ?? ''] ?? ENTRY);
  let top = 0;
  const content = () => heights().reduce((a, b) => a + b, 0);
  Object.defineProperty(box, 'clientHeight', { get: () => PANEL });
  Object.defineProperty(box, 'scrollHeight', { get: () => Math.max(PANEL, content()) });
  Object.defineProperty(box, 'scrollTop', { get: () => top, set: (x: number) => (top = Math.max(0, Math.min(Math.max(0, content() - PANEL), x))) });
  box.getBoundingClientRect = () => ({ top: 0, height: PANEL }) as DOMRect;
  const proto = Object.getPrototypeOf(box) as HTMLElement;
  const original = proto.getBoundingClientRect;
  proto.getBoundingClientRect = function (this: HTMLElement) {
    const i = Array.from(box.children).indexOf(this);
    if (i < 0) return original.call(this);
    return { top: heights().slice(0, i).reduce((a, b) => a + b, 0) - top, height: heights()[i] } as DOMRect;
  };
  const newBelow = v.root.querySelector('[data-testid="new-below"]') as HTMLElement;
  const userScrollsTo = (y: number) => {
    box.scrollTop = y;
    box.dispatchEvent(new v.window.Event('scroll') as unknown as Event);
  };
  return {
    box,
    newBelow,
    userScrollsTo,
    get top() {
      return top;
    },
    restore: () => (proto.getBoundingClientRect = original),
  };
}

const say = (n: number): AgentEvent[] => Array.from({ length: n }, (_, i) => ({ type: 'assistant_message', runId: RUN, text: `message ${i + 1}` }) as AgentEvent);

test('while the user has not scrolled up, new cards are scrolled into view (the last one at the bottom)', () => {
  const v = makeView();
  const l = withLayout(v);
  try {
    v.apply({ type: 'run_started', runId: RUN, title: 'Fine-tune', folder: '.ml-intern/runs/r1' } as AgentEvent, ...say(3));
    v.apply(...say(3));
    v.apply({ type: 'diagnosis', runId: RUN, attempt: 1, category: 'cuda_oom', summary: 'CUDA out of memory at micro-batch 4', fix: 'Halve the micro-batch' });
    const entries = l.box.children.length;
    assert.equal(l.top, entries * ENTRY - PANEL, 'the recovery card is at the bottom of the panel, in view');
    assert.ok(l.newBelow.hidden);
  } finally {
    l.restore();
  }
});

test('a question taller than the panel is shown from its top; what comes after it waits behind "New below"', () => {
  const v = makeView();
  const l = withLayout(v, { ask: 700 });
  try {
    v.apply(...say(4));
    assert.equal(l.top, 100);
    v.apply({ type: 'ask_user', runId: RUN, question: 'The run failed twice with the same error. Lower MAX_LENGTH to 512?' });
    assert.equal(l.top, 400 - 8, 'the question (400 px down, 700 px tall) is shown from its top, not its end');
    v.apply(...say(1));
    assert.equal(l.top, 392, 'the question is not scrolled away while it is read');
    assert.equal(l.newBelow.hidden, false);
    l.newBelow.click();
    assert.equal(l.top, 1200 - PANEL, 'to the message after the question');
  } finally {
    l.restore();
  }
});

test("a run's card taller than the panel does not hold the view: the recovery card after it is scrolled to", () => {
  const v = makeView();
  const l = withLayout(v, { process: 500 });
  try {
    v.apply(...say(2));
    v.apply({ type: 'process_started', runId: RUN, processId: 'train', name: 'python train.py', argv: ['python', 'train.py'] } as AgentEvent);
    assert.equal(l.top, 200 - 8, 'the run card from its top');
    v.apply({ type: 'diagnosis', runId: RUN, attempt: 1, category: 'cuda_oom', summary: 'CUDA out of memory at micro-batch 4', fix: 'Halve the micro-batch' });
    assert.equal(l.top, 800 - PANEL, 'the recovery card is in view');
    assert.ok(l.newBelow.hidden);
  } finally {
    l.restore();
  }
});

test('after the user scrolls up, nothing moves; "New below" appears and takes them to the first new card', () => {
  const v = makeView();
  const l = withLayout(v);
  try {
    v.apply(...say(8)); // 800 px of content, at the end: 500
    assert.equal(l.top, 500);
    l.userScrollsTo(100);
    v.apply({ type: 'diagnosis', runId: RUN, attempt: 1, category: 'cuda_oom', summary: 'CUDA out of memory', fix: 'Halve the micro-batch' }, ...say(2));
    assert.equal(l.top, 100, 'the text being read did not move');
    assert.equal(l.newBelow.hidden, false, '"New below" is shown');
    l.newBelow.click();
    assert.equal(l.top, 800 - 8, 'the first new card (the diagnosis, 800 px down) is at the top of the panel');
    assert.ok(l.newBelow.hidden);
    // Following again: the next message scrolls into view.
    v.apply(...say(1));
    assert.equal(l.top, 1200 - PANEL);
  } finally {
    l.restore();
  }
});

test('scrolling back to the end follows again; sending a message follows too', () => {
  const v = makeView();
  const l = withLayout(v);
  try {
    v.apply(...say(6));
    l.userScrollsTo(0);
    v.apply(...say(1));
    assert.equal(l.top, 0);
    assert.equal(l.newBelow.hidden, false);
    l.userScrollsTo(400);
    assert.ok(l.newBelow.hidden, 'at the end: nothing is new below');
    v.apply(...say(1));
    assert.equal(l.top, 800 - PANEL);


    l.userScrollsTo(0);
    const input = v.root.querySelector('[data-testid="chat-input"]') as HTMLTextAreaElement;
    input.value = 'why did it fail?';
    (v.root.querySelector('[data-testid="send-button"]') as HTMLElement).click();
    v.apply({ type: 'user_message', runId: RUN, text: 'why did it fail?' } as AgentEvent);
    assert.equal(l.top, 900 - PANEL, 'the sent message is in view');
  } finally {
    l.restore();
  }
});

test('followTo: the end, but never past the top of the first new entry', () => {
  assert.equal(followTo({ scrollTop: 0, clientHeight: 300, scrollHeight: 1000 }), 700);
  assert.equal(followTo({ scrollTop: 0, clientHeight: 300, scrollHeight: 1000 }, 900), 700, 'a short new entry: the end');
  assert.equal(followTo({ scrollTop: 0, clientHeight: 300, scrollHeight: 1000 }, 400), 392, 'a tall one: its top');
  assert.equal(followTo({ scrollTop: 0, clientHeight: 300, scrollHeight: 200 }), 0);
  assert.equal(atEnd({ scrollTop: 690, clientHeight: 300, scrollHeight: 1000 }), true);
  assert.equal(atEnd({ scrollTop: 600, clientHeight: 300, scrollHeight: 1000 }), false);
});
