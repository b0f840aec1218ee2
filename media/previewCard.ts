/**
 * The token preview's card in the chat: for the first rows, each token as the model sees it, the
 * trained ones highlighted and the masked ones dimmed (labels != -100, as trl builds them), special
 * tokens outlined; the template checks with their fixes and the length statistics with a small
 * histogram. Token text from the dataset only ever becomes text nodes; colours come from the theme.
 */
import type { PreflightReport, PreflightSequence } from '../src/core/preflight/types';
import { h } from './dom';

/** Rows shown on the card (the full report is in the run folder's preview.json and the preview webview). */
const ROWS_SHOWN = 3;

function sequence(doc: Document, s: PreflightSequence): HTMLElement {
  const tokens = h(doc, 'div', { class: 'tokens' });
  for (const t of s.tokens) {
    tokens.appendChild(h(doc, 'span', { class: `tok ${t.trained ? 'trained' : 'masked'}${t.special ? ' special' : ''}`, text: t.text, attrs: { title: t.trained ? 'trained' : 'masked (no loss)' } }));
  }
  const cut = s.length_before_truncation > s.count ? `, cut from ${s.length_before_truncation}` : '';
  return h(doc, 'div', { class: 'sequence', testid: 'preview-sequence' }, h(doc, 'div', { class: 'hint', text: `${s.name}: ${s.count} tokens, ${s.trained} trained${cut}` }), tokens);
}

export function renderPreview(doc: Document, r: PreflightReport): HTMLElement {
  const card = h(doc, 'div', { class: 'card preview', testid: 'preview-card' });
  card.appendChild(h(doc, 'div', { class: 'card-title', text: `Training tokens: ${r.model} on ${r.dataset} (${r.method.toUpperCase()}, trl ${r.trl.version})` }));
  card.appendChild(h(doc, 'div', { class: 'hint', text: r.rule.text }));
  for (const row of r.rows.slice(0, ROWS_SHOWN)) {
    card.appendChild(h(doc, 'div', { class: 'preview-row', testid: 'preview-row' }, h(doc, 'div', { class: 'hint', text: `Row ${row.index}${row.dropped ? ' — dropped by trl' : ''}` }), ...row.sequences.map((s) => sequence(doc, s))));
  }
  const checks = h(doc, 'ul', { class: 'preview-checks', testid: 'preview-checks' });
  for (const c of r.checks) {
    checks.appendChild(h(doc, 'li', { class: `check ${c.status}`, testid: `preview-check-${c.status}` }, `${c.status === 'pass' ? '✓' : c.status === 'fail' ? '✗' : c.status === 'warn' ? '!' : '–'} ${c.title}: ${c.detail}${c.fix ? ` Fix: ${c.fix}` : ''}`));
  }
  card.appendChild(checks);
  const l = r.lengths;
  const limit = l.max_length ?? r.max_length;
  card.appendChild(h(doc, 'div', { class: 'hint', testid: 'preview-lengths', text: `Lengths of ${l.rows} rows${l.sampled ? ' (sampled)' : ''}: mean ${Math.round(l.mean)}, 95 % ≤ ${l.p95}, 99 % ≤ ${l.p99}, longest ${l.longest}${limit ? `; MAX_LENGTH ${limit}: ${l.truncated} truncated, ${l.dropped} dropped` : ''}` }));
  const most = Math.max(1, ...l.histogram.map((b) => b.count));
  const bars = h(doc, 'div', { class: 'histogram', attrs: { role: 'img', 'aria-label': `Length histogram: ${l.histogram.map((b) => `${b.from}-${b.to}: ${b.count}`).join(', ')}` } });
  for (const b of l.histogram) {
    const bar = h(doc, 'div', { class: `bar${limit && b.from >= limit ? ' over' : ''}`, attrs: { title: `${b.from}–${b.to} tokens: ${b.count} rows` } });
    // A percentage height from a number computed here, never from the data's text.
    bar.style.height = `${Math.round((b.count / most) * 100)}%`;
    bars.appendChild(bar);
  }
  card.appendChild(bars);
  return card;
}
