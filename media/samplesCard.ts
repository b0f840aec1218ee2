/**
 * GRPO's sampled completions at the latest logging step: each completion with its score per reward
 * function and the weighted total, so a user sees what the rewards reward (a right answer scored 0
 * means a reward that reads the wrong thing). Text comes from the model and the data: it only ever
 * becomes text nodes; a long completion shows its start, the rest behind an expand (<details>).
 */
import type { GrpoSample } from '../src/core/events';
import { formatNumber, h } from './dom';

/** Characters of a completion shown before "show all". */
export const PREVIEW_CHARS = 280;

function clippedText(doc: Document, text: string, testid: string): HTMLElement {
  if (text.length <= PREVIEW_CHARS) return h(doc, 'pre', { class: 'sample-text', testid, text });
  return h(
    doc,
    'details',
    { class: 'sample-more', testid },
    h(doc, 'summary', { text: `${text.slice(0, PREVIEW_CHARS)}… (show all ${text.length.toLocaleString('en-US')} characters)` }),
    h(doc, 'pre', { class: 'sample-text', text }),
  );
}

const score = (v: number | null): string => (v === null ? '–' : formatNumber(v, 3));

function sampleRow(doc: Document, s: GrpoSample, i: number): HTMLElement {
  const rewards = Object.entries(s.rewards);
  return h(
    doc,
    'li',
    { class: 'sample', testid: 'grpo-sample' },
    h(doc, 'div', { class: 'sample-head' },
      h(doc, 'span', { class: 'sample-total', testid: 'grpo-sample-total', text: `#${i + 1} total ${score(s.total)}` }),
      ...rewards.map(([name, v]) => h(doc, 'span', { class: 'sample-reward', testid: 'grpo-sample-reward', text: `${name} ${score(v)}` })),
    ),
    s.prompt ? h(doc, 'div', { class: 'sample-prompt', text: `Prompt: ${s.prompt.length > 160 ? `${s.prompt.slice(0, 160)}…` : s.prompt}` }) : null,
    clippedText(doc, s.completion, 'grpo-sample-completion'),
  );
}

export function renderSamples(doc: Document, step: number, samples: GrpoSample[]): HTMLElement {
  return h(
    doc,
    'div',
    { class: 'card samples', testid: 'grpo-samples-card' },
    h(doc, 'div', { class: 'card-title', testid: 'grpo-samples-step', text: `Sampled completions at step ${step}` }),
    h(doc, 'ol', { class: 'sample-list' }, ...samples.map((s, i) => sampleRow(doc, s, i))),
  );
}
