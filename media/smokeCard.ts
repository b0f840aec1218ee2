/**
 * The smoke run's card: what a few real steps measured (step time, tokens/s, peak GPU memory, the
 * loss), the full run's ETA, and the batch plan fitted to the measured memory. Every value becomes a
 * text node; colours come from the theme (chat.css).
 */
import type { SmokeReport } from '../src/core/session/smokeRun';
import { h, formatDuration, formatNumber } from './dom';

function row(doc: Document, label: string, value: string, testid?: string): HTMLElement {
  return h(doc, 'tr', testid ? { testid } : {}, h(doc, 'th', { text: label, attrs: { scope: 'row' } }), h(doc, 'td', { text: value }));
}

export function renderSmoke(doc: Document, r: SmokeReport): HTMLElement {
  const m = r.measurement;
  const t = h(doc, 'table', { class: 'grid', testid: 'smoke-table' });
  t.appendChild(h(doc, 'caption', { text: `Smoke run: ${m.steps} steps` }));
  const body = h(doc, 'tbody');
  body.appendChild(row(doc, 'Step time', Number.isFinite(m.stepSeconds) ? `${formatNumber(m.stepSeconds, 3)} s` : '–', 'smoke-step-time'));
  if (m.tokensPerSecond !== undefined) body.appendChild(row(doc, 'Tokens/s', `${Math.round(m.tokensPerSecond).toLocaleString('en-US')}${m.tokensPerSecondFrom === 'batch plan' ? ' (at most: full-length rows)' : ''}`));
  if (m.peakMemoryGiB !== undefined) body.appendChild(row(doc, 'Peak GPU memory', `${m.peakMemoryGiB.toFixed(1)} of ${(m.gpuMemoryGiB ?? 0).toFixed(1)} GiB`, 'smoke-peak'));
  body.appendChild(row(doc, 'Loss', m.losses.length ? `${m.losses.map((l) => formatNumber(l, 3)).join(' → ')}${m.lossFinite && m.lossMoving ? '' : ' ⚠'}` : 'not logged'));
  if (r.etaSeconds !== undefined) body.appendChild(row(doc, 'Full run', `${r.fullRunSteps} steps, about ${formatDuration(r.etaSeconds)}`, 'smoke-eta'));
  const f = r.fitted;
  if (f) {
    const changes = Object.entries(f.changes);
    const eta = r.fullRunSteps !== undefined && changes.length ? ` (about ${formatDuration(r.fullRunSteps * f.stepSeconds)})` : '';
    body.appendChild(row(doc, 'Fitted plan', changes.length ? `${changes.map(([k, v]) => `${k} = ${String(v)}`).join(', ')}${eta}` : 'keep the current batch settings', 'smoke-plan'));
  }
  t.appendChild(body);
  const notes = [...(f?.notes ?? []), ...r.warnings];
  return h(
    doc,
    'div',
    { class: 'card smoke', testid: 'smoke-card' },
    h(doc, 'div', { class: 'table-wrap' }, t),
    notes.length ? h(doc, 'ul', { class: 'smoke-notes' }, ...notes.map((n) => h(doc, 'li', { text: n }))) : null,
  );
}
