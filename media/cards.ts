/**
 * One renderer per timeline entry kind. Each fills a container element from
 * the entry; text from the model, tools or datasets only ever becomes text
 * nodes (Markdown goes through ./markdown.ts).
 */
import { h, button, clip, display, formatDuration, formatNumber } from './dom';
import type { Entry, EntryOf } from './model';
import type { MarkdownRenderer } from './markdown';
import { renderSmoke } from './smokeCard';
import { renderSamples } from './samplesCard';
import { renderPreview } from './previewCard';

export interface CardContext {
  doc: Document;
  md: MarkdownRenderer;
  /** Runs and writes are disabled (untrusted workspace). */
  readOnly: boolean;
}

export function renderUser(ctx: CardContext, e: EntryOf<'user'>): HTMLElement {
  return h(ctx.doc, 'div', { class: 'msg user', testid: 'user-message' }, h(ctx.doc, 'div', { class: 'who', text: 'You' }), h(ctx.doc, 'div', { class: 'plain', text: e.text }));
}

export function renderAssistant(ctx: CardContext, e: EntryOf<'assistant'> | EntryOf<'ask'>): HTMLElement {
  const body = h(ctx.doc, 'div', { class: 'md' });
  body.appendChild(ctx.md.render(e.text));
  const ask = e.kind === 'ask';
  const el = h(
    ctx.doc,
    'div',
    { class: `msg assistant${ask ? ' ask' : ''}`, testid: ask ? 'ask-user' : 'assistant-message', attrs: { 'aria-busy': e.kind === 'assistant' && e.streaming ? 'true' : undefined } },
    h(ctx.doc, 'div', { class: 'who', text: ask ? 'ML Intern asks' : 'ML Intern' }),
    body,
    ask ? h(ctx.doc, 'div', { class: 'hint', text: 'Answer in the box below.' }) : null,
  );
  return el;
}

export function renderNotice(ctx: CardContext, e: EntryOf<'notice'>): HTMLElement {
  return h(ctx.doc, 'div', { class: `notice ${e.level}`, testid: 'notice', attrs: { role: e.level === 'error' ? 'alert' : 'status' } }, e.message);
}

// ---- tool calls -------------------------------------------------------------

export function renderTool(ctx: CardContext, e: EntryOf<'tool'>): HTMLElement {
  const { doc } = ctx;
  const icon = e.status === 'running' ? '…' : e.status === 'ok' ? '✓' : '✗';
  const inspection = e.status !== 'running' ? asInspection(e.data) : undefined;
  const details = h(doc, 'details', { class: `card tool ${e.status}`, testid: inspection ? 'dataset-card' : 'tool-card', attrs: { open: inspection ? true : undefined } });
  details.appendChild(
    h(
      doc,
      'summary',
      {},
      h(doc, 'span', { class: 'status-icon', text: icon, attrs: { 'aria-label': e.status } }),
      ' ',
      h(doc, 'span', { class: 'tool-name', text: e.name }),
      e.summary ? h(doc, 'span', { class: 'tool-summary', text: ` — ${clip(e.summary, 200)}` }) : null,
    ),
  );
  if (inspection) details.appendChild(renderInspection(doc, inspection));
  else {
    const code = codeOf(e.args);
    if (code !== undefined) {
      // A Python step (code action, run_python): the code as written, not as an escaped JSON string.
      details.appendChild(h(doc, 'pre', { class: 'tool-code', testid: 'tool-code', text: clip(code.text, 8000) }));
      if (Object.keys(code.rest).length) details.appendChild(h(doc, 'pre', { class: 'tool-args', text: clip(pretty(code.rest), 2000) }));
    } else if (e.args !== undefined) details.appendChild(h(doc, 'pre', { class: 'tool-args', text: clip(pretty(e.args), 2000) }));
    if (e.data !== undefined) details.appendChild(h(doc, 'pre', { class: 'tool-data', text: clip(pretty(e.data), 4000) }));
  }
  return details;
}

/** The `code` argument of a Python step, and the other arguments. */
function codeOf(args: unknown): { text: string; rest: Record<string, unknown> } | undefined {
  if (!args || typeof args !== 'object' || Array.isArray(args)) return undefined;
  const { code, ...rest } = args as Record<string, unknown>;
  return typeof code === 'string' ? { text: code, rest } : undefined;
}

function pretty(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v, null, 2) ?? '';
  } catch {
    return String(v);
  }
}

/** The python helper's DatasetInspection, read defensively (the shape may grow). */
export interface InspectionView {
  format?: string;
  task?: string;
  rows?: number;
  trainable?: boolean;
  mapping: Array<[string, string]>;
  columns: Array<{ name: string; type?: string }>;
  problems: string[];
  samples: Array<Record<string, unknown>>;
}

export function asInspection(data: unknown): InspectionView | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const d = data as Record<string, unknown>;
  if (!('format' in d) && !('columns' in d)) return undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? undefined : display(v, 80));
  const mapping: Array<[string, string]> = [];
  if (d.mapping && typeof d.mapping === 'object' && !Array.isArray(d.mapping)) {
    for (const [k, v] of Object.entries(d.mapping as Record<string, unknown>)) if (v !== null && v !== undefined) mapping.push([k, display(v, 80)]);
  }
  const columns: Array<{ name: string; type?: string }> = [];
  if (Array.isArray(d.columns)) {
    for (const c of d.columns.slice(0, 100)) {
      if (typeof c === 'string') columns.push({ name: c });
      else if (c && typeof c === 'object') {
        const o = c as Record<string, unknown>;
        columns.push({ name: display(o.name ?? '?', 80), type: o.type === undefined ? (o.dtype === undefined ? undefined : display(o.dtype, 40)) : display(o.type, 40) });
      }
    }
  } else if (d.columns && typeof d.columns === 'object') {
    for (const [k, v] of Object.entries(d.columns as Record<string, unknown>).slice(0, 100)) columns.push({ name: k, type: display(v, 40) });
  }
  const problems: string[] = [];
  if (Array.isArray(d.problems)) {
    for (const p of d.problems.slice(0, 50)) {
      if (typeof p === 'string') problems.push(p);
      else if (p && typeof p === 'object') {
        const o = p as Record<string, unknown>;
        problems.push(display(o.message ?? o.text ?? p, 300));
      }
    }
  }
  const samples: Array<Record<string, unknown>> = [];
  if (Array.isArray(d.samples)) for (const s of d.samples.slice(0, 3)) if (s && typeof s === 'object' && !Array.isArray(s)) samples.push(s as Record<string, unknown>);
  return {
    format: str(d.format),
    task: str(d.task),
    rows: typeof d.rows === 'number' ? d.rows : undefined,
    trainable: typeof d.trainable === 'boolean' ? d.trainable : undefined,
    mapping,
    columns,
    problems,
    samples,
  };
}

export function renderInspection(doc: Document, ins: InspectionView): HTMLElement {
  const wrap = h(doc, 'div', { class: 'inspection' });
  const facts = h(doc, 'dl', { class: 'facts' });
  const fact = (k: string, v: string | undefined) => {
    if (v === undefined) return;
    facts.appendChild(h(doc, 'dt', { text: k }));
    facts.appendChild(h(doc, 'dd', { text: v }));
  };
  fact('Format', ins.format);
  fact('Task', ins.task);
  fact('Rows', ins.rows === undefined ? undefined : ins.rows.toLocaleString('en-US'));
  fact('Trainable', ins.trainable === undefined ? undefined : ins.trainable ? 'yes' : 'no');
  wrap.appendChild(facts);
  if (ins.mapping.length) {
    wrap.appendChild(table(doc, 'Column mapping', ['Role', 'Column'], ins.mapping, 'dataset-mapping'));
  }
  if (ins.columns.length) {
    wrap.appendChild(table(doc, 'Columns', ['Column', 'Type'], ins.columns.map((c) => [c.name, c.type ?? '']), 'dataset-columns'));
  }
  if (ins.problems.length) {
    wrap.appendChild(h(doc, 'div', { class: 'problems-title', text: 'Problems' }));
    const ul = h(doc, 'ul', { class: 'problems', testid: 'dataset-problems' });
    for (const p of ins.problems) ul.appendChild(h(doc, 'li', { text: p }));
    wrap.appendChild(ul);
  }
  if (ins.samples.length) {
    const cols = [...new Set(ins.samples.flatMap((s) => Object.keys(s)))].slice(0, 6);
    wrap.appendChild(table(doc, 'Samples', cols, ins.samples.map((s) => cols.map((c) => display(s[c], 200))), 'dataset-samples'));
  }
  return wrap;
}

function table(doc: Document, caption: string, head: string[], rows: string[][], testid: string): HTMLElement {
  const t = h(doc, 'table', { class: 'grid', testid });
  t.appendChild(h(doc, 'caption', { text: caption }));
  const thead = h(doc, 'thead');
  thead.appendChild(h(doc, 'tr', {}, ...head.map((c) => h(doc, 'th', { text: c, attrs: { scope: 'col' } }))));
  t.appendChild(thead);
  const tbody = h(doc, 'tbody');
  for (const r of rows) tbody.appendChild(h(doc, 'tr', {}, ...r.map((c) => h(doc, 'td', { text: c }))));
  t.appendChild(tbody);
  return h(doc, 'div', { class: 'table-wrap' }, t);
}

// ---- proposed changes ------------------------------------------------------

export function renderChange(ctx: CardContext, e: EntryOf<'change'>): HTMLElement {
  const { doc } = ctx;
  const card = h(doc, 'div', { class: `card change${e.decision ? ` ${e.decision}` : ''}`, testid: 'change-card', data: { 'change-id': e.changeId, ...(e.origin ? { origin: e.origin } : {}) } });
  card.appendChild(
    h(
      doc,
      'div',
      { class: 'card-title' },
      h(doc, 'span', { class: 'path', text: e.path }),
      ' ',
      h(doc, 'span', { class: 'added', text: `+${e.written?.added ?? e.added}` }),
      ' ',
      h(doc, 'span', { class: 'removed', text: `−${e.written?.removed ?? e.removed}` }),
    ),
  );
  if (e.description) card.appendChild(h(doc, 'div', { class: 'desc', text: e.description }));
  if (e.origin) card.appendChild(h(doc, 'div', { class: 'origin', text: `from ${e.origin}` }));
  if (e.decision) {
    // Part of the proposal written (or the user's edits): the title counts what was written, the label says so.
    const accepted = e.written ? `Accepted with your changes (proposed +${e.added} −${e.removed})` : `Accepted${e.auto ? ' automatically' : ''}`;
    const label = e.decision === 'accepted' ? accepted : `Rejected${e.reason ? `: ${e.reason}` : ''}`;
    card.appendChild(h(doc, 'div', { class: 'decision', testid: 'change-decision', text: label, attrs: { role: 'status' } }));
    return card;
  }
  const data = { 'change-id': e.changeId };
  const actions = h(
    doc,
    'div',
    { class: 'actions' },
    // A new file opens as the proposal alone in a plain editor (issue 25 polish): there is no diff to review.
    e.isNew
      ? button(doc, 'Review', 'reviewChange', { testid: 'change-review', data, aria: `Review the new file ${e.path}` })
      : button(doc, 'Review diff', 'reviewChange', { testid: 'change-review', data, aria: `Review the diff of ${e.path}` }),
    button(doc, 'Accept', 'acceptChange', { class: 'primary', testid: 'change-accept', data, aria: `Accept the change to ${e.path}`, attrs: { disabled: ctx.readOnly } }),
    button(doc, 'Reject…', 'rejectOpen', { testid: 'change-reject', data, aria: `Reject the change to ${e.path}` }),
  );
  card.appendChild(actions);
  return card;
}

/** Who reads a rejection's reason: only an agent's proposal is revised from it; recipe and playbook runs keep it in the run's record. */
export function rejectReasonLabel(origin: string | null | undefined): string {
  return origin === 'agent' ? 'Reason (optional, the agent reads it and tries again)' : "Reason (optional, kept in the run's record)";
}

/** The inline "why?" form shown under a change card after "Reject…". */
export function renderRejectForm(doc: Document, changeId: string, origin?: string | null): HTMLElement {
  const id = `reason-${changeId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const data = { 'change-id': changeId };
  return h(
    doc,
    'div',
    { class: 'reject-form', testid: 'change-reject-form' },
    h(doc, 'label', { text: rejectReasonLabel(origin), attrs: { for: id } }),
    h(doc, 'input', { testid: 'change-reject-reason', attrs: { id, type: 'text', maxlength: 2000, placeholder: 'e.g. keep the batch size at 8' } }),
    h(
      doc,
      'div',
      { class: 'actions' },
      button(doc, 'Reject', 'rejectConfirm', { class: 'danger', testid: 'change-reject-confirm', data, aria: 'Confirm rejection' }),
      button(doc, 'Cancel', 'rejectCancel', { testid: 'change-reject-cancel', data }),
    ),
  );
}

// ---- runs (processes) -------------------------------------------------------

export interface ProcessCardParts {
  root: HTMLElement;
  status: HTMLElement;
  bar: HTMLElement;
  fill: HTMLElement;
  stats: HTMLElement;
  figures: HTMLElement;
  gpu: HTMLElement;
  chart: HTMLElement;
  output: HTMLElement;
  sandbox: HTMLElement;
}

export function createProcessCard(doc: Document, e: EntryOf<'process'>): ProcessCardParts {
  const status = h(doc, 'span', { class: 'badge', testid: 'run-card-status' });
  // Shown only when the process runs confined: "sandboxed: bubblewrap, network off".
  const sandbox = h(doc, 'span', { class: 'badge sandboxed', testid: 'run-card-sandbox', attrs: { hidden: true } });
  const fill = h(doc, 'div', { class: 'fill' });
  const bar = h(doc, 'div', { class: 'progress', testid: 'run-progress', attrs: { role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-label': 'Training progress' } }, fill);
  const stats = h(doc, 'div', { class: 'stats', testid: 'run-stats' });
  const figures = h(doc, 'div', { class: 'figures', testid: 'run-figures' });
  const gpu = h(doc, 'div', { class: 'gpu', testid: 'run-gpu' });
  const chart = h(doc, 'div', { class: 'chart', testid: 'loss-chart', attrs: { 'aria-label': 'Loss and learning rate chart' } });
  const output = h(doc, 'pre', { class: 'output', testid: 'run-output', attrs: { tabindex: 0 } });
  const root = h(
    doc,
    'div',
    { class: 'card run', testid: 'run-card', data: { 'process-id': e.processId } },
    h(doc, 'div', { class: 'card-title' }, h(doc, 'span', { class: 'name', text: e.name }), ' ', status, ' ', sandbox),
    bar,
    stats,
    figures,
    gpu,
    chart,
    h(doc, 'details', { class: 'output-wrap' }, h(doc, 'summary', { text: 'Output' }), output),
  );
  return { root, status, bar, fill, stats, figures, gpu, chart, output, sandbox };
}

export function updateProcessCard(parts: ProcessCardParts, e: EntryOf<'process'>): void {
  const running = e.exitCode === undefined;
  parts.sandbox.hidden = !e.sandbox;
  parts.sandbox.textContent = e.sandbox ? `sandboxed: ${e.sandbox}` : '';
  parts.sandbox.title = e.sandbox ? 'Runs inside the sandbox (mlIntern.sandbox): the workspace writable, the rest read-only, the home\'s secrets hidden' : '';
  parts.status.textContent = running ? 'running' : e.exitCode === 0 ? 'finished' : `exited ${e.exitCode}`;
  parts.status.className = `badge ${running ? 'running' : e.exitCode === 0 ? 'succeeded' : 'failed'}`;
  const p = e.progress;
  let pct: number | undefined;
  if (p && p.total && p.total > 0) pct = Math.max(0, Math.min(100, (p.current / p.total) * 100));
  if (!running && e.exitCode === 0) pct = 100;
  if (pct === undefined) {
    parts.bar.removeAttribute('aria-valuenow');
    parts.bar.classList.add('indeterminate');
    parts.fill.style.width = running ? '30%' : '0%';
  } else {
    parts.bar.classList.remove('indeterminate');
    parts.bar.setAttribute('aria-valuenow', String(Math.round(pct)));
    parts.fill.style.width = `${pct.toFixed(1)}%`;
  }
  const bits: string[] = [];
  if (p) {
    if (p.phase) bits.push(p.phase);
    bits.push(p.total ? `step ${p.current} / ${p.total}` : `step ${p.current}`);
    if (pct !== undefined) bits.push(`${Math.floor(pct)}%`);
    if (running && p.etaSeconds !== undefined) bits.push(`ETA ${formatDuration(p.etaSeconds)}`);
    if (p.loss !== undefined) bits.push(`loss ${formatNumber(p.loss)}`);
  }
  parts.stats.textContent = bits.join(' · ');
  parts.figures.textContent = e.figures.text();
  parts.figures.hidden = parts.figures.textContent === '';
  parts.gpu.textContent = e.gpuMemoryMiB !== undefined ? `GPU memory ${(e.gpuMemoryMiB / 1024).toFixed(1)} GiB` : '';
  parts.gpu.hidden = e.gpuMemoryMiB === undefined;
  parts.chart.hidden = e.chart.length === 0;
  parts.output.textContent = e.output.map((l) => clip(l, 400)).join('\n');
}

// ---- recovery, evaluation ----------------------------------------------------

const OUTCOME: Record<string, string> = { pending: 'retrying…', fixed: 'fixed ✓', failed: 'failed again', stopped: 'stopped' };

export function renderRecovery(ctx: CardContext, e: EntryOf<'recovery'>): HTMLElement {
  const { doc } = ctx;
  const ol = h(doc, 'ol', { class: 'timeline-steps' });
  for (const a of e.attempts) {
    ol.appendChild(
      h(
        doc,
        'li',
        { class: `attempt ${a.outcome}`, testid: 'recovery-attempt' },
        h(doc, 'div', { class: 'attempt-title', text: `Attempt ${a.attempt} · ${a.category}` }),
        h(doc, 'div', { class: 'step diagnosis' }, h(doc, 'strong', { text: 'Diagnosis: ' }), a.summary),
        h(doc, 'div', { class: 'step fix' }, h(doc, 'strong', { text: 'Fix: ' }), a.fix),
        h(doc, 'div', { class: 'step outcome', testid: 'recovery-outcome' }, h(doc, 'strong', { text: 'Outcome: ' }), OUTCOME[a.outcome] ?? a.outcome),
      ),
    );
  }
  return h(doc, 'div', { class: 'card recovery', testid: 'recovery-timeline' }, h(doc, 'div', { class: 'card-title', text: 'Recovery' }), ol);
}

export function renderEval(ctx: CardContext, e: EntryOf<'eval'>): HTMLElement {
  const { doc } = ctx;
  const t = h(doc, 'table', { class: 'grid', testid: 'eval-table' });
  t.appendChild(h(doc, 'caption', { text: 'Evaluation: base vs trained' }));
  t.appendChild(h(doc, 'thead', {}, h(doc, 'tr', {}, ...['Task', 'Base', 'Trained', 'Δ'].map((c) => h(doc, 'th', { text: c, attrs: { scope: 'col' } })))));
  const tbody = h(doc, 'tbody');
  for (const r of e.rows) {
    const delta = typeof r.base === 'number' && typeof r.trained === 'number' ? r.trained - r.base : undefined;
    tbody.appendChild(
      h(
        doc,
        'tr',
        {},
        h(doc, 'td', { text: r.task }),
        h(doc, 'td', { text: formatNumber(r.base) }),
        h(doc, 'td', { text: formatNumber(r.trained) }),
        h(doc, 'td', { class: delta === undefined ? '' : delta >= 0 ? 'up' : 'down', text: delta === undefined ? '–' : `${delta >= 0 ? '+' : ''}${formatNumber(delta)}` }),
      ),
    );
  }
  t.appendChild(tbody);
  // Numbers say how much; the answers say how: Try it on the evaluated folder, beside its base.
  const tryIt = e.model
    ? h(doc, 'div', { class: 'actions' }, button(doc, 'Try it', 'modelAction', { testid: 'eval-tryIt', data: { folder: e.model, 'model-action': 'tryIt' }, aria: `Talk to ${e.model} beside its base model`, attrs: { disabled: ctx.readOnly } }))
    : undefined;
  return h(doc, 'div', { class: 'card eval' }, h(doc, 'div', { class: 'table-wrap' }, t), tryIt);
}

/** The trained model and the next steps, each the extension's own command on this folder. */
export function renderModel(ctx: CardContext, e: EntryOf<'model'>): HTMLElement {
  const { doc } = ctx;
  const data = { folder: e.folder };
  const act = (label: string, action: 'tryIt' | 'evaluate' | 'export', aria: string) =>
    button(doc, label, 'modelAction', { testid: `model-${action}`, data: { ...data, 'model-action': action }, aria, attrs: { disabled: ctx.readOnly } });
  return h(
    doc,
    'div',
    { class: 'card model', testid: 'model-card' },
    h(doc, 'div', { class: 'card-title' }, 'Trained model ', h(doc, 'code', { text: e.folder })),
    h(
      doc,
      'div',
      { class: 'actions' },
      act('Try it', 'tryIt', `Talk to ${e.folder} beside its base model`),
      act('Evaluate…', 'evaluate', `Evaluate ${e.folder} against its base model`),
      act('Export…', 'export', `Export ${e.folder} (merged, GGUF, Ollama, vLLM)`),
    ),
  );
}

export function renderEntry(ctx: CardContext, e: Entry): HTMLElement | undefined {
  switch (e.kind) {
    case 'user':
      return renderUser(ctx, e);
    case 'assistant':
    case 'ask':
      return renderAssistant(ctx, e);
    case 'tool':
      return renderTool(ctx, e);
    case 'change':
      return renderChange(ctx, e);
    case 'recovery':
      return renderRecovery(ctx, e);
    case 'eval':
      return renderEval(ctx, e);
    case 'model':
      return renderModel(ctx, e);
    case 'smoke':
      return renderSmoke(ctx.doc, e.report);
    case 'preview':
      return renderPreview(ctx.doc, e.report);
    case 'samples':
      return renderSamples(ctx.doc, e.step, e.samples);
    case 'notice':
      return renderNotice(ctx, e);
    case 'process':
      return undefined; // built and updated in place by the view (the chart must survive updates)
  }
}
