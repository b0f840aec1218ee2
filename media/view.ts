/**
 * The chat panel's DOM: header (run title, state, Stop, usage meter),
 * banners (untrusted / recipe mode), plan, run list, the timeline of cards
 * and the composer. Renders a {@link ChatModel} incrementally: an entry's
 * element is rebuilt only when its `rev` moved; run cards update in place so
 * their chart survives.
 */
import type { PanelConfig, RunSummary, WebviewMessage } from '../src/core/protocol';
import { ChatModel, Entry } from './model';
import { h, button, clear, formatTokens } from './dom';
import { CardContext, createProcessCard, ProcessCardParts, renderEntry, renderRejectForm, updateProcessCard } from './cards';
import { MarkdownRenderer, Purifier } from './markdown';
import { ChartFactory, ChartView, Scheduler } from './chartView';
import { TimelineFollower } from './follow';

export interface ViewOptions {
  post: (msg: WebviewMessage) => void;
  chartFactory: ChartFactory;
  /** Override the HTML purifier (tests); the default is DOMPurify on the document's window. */
  purify?: Purifier;
  scheduler?: Scheduler;
  chartIntervalMs?: number;
}

interface Rendered {
  rev: number;
  el: HTMLElement;
  proc?: ProcessCardParts;
  chart?: ChartView;
}

const STATE_LABEL: Record<string, string> = {
  starting: 'starting',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  stopped: 'stopped',
  waiting: 'waiting for you',
  budget: 'budget reached',
  lost: 'lost',
};

export class ChatView {
  readonly doc: Document;
  config: PanelConfig = { provider: 'none', model: '', trusted: true, recipeMode: true, hasWorkspace: true };
  runs: RunSummary[] = [];
  private readonly md: MarkdownRenderer;
  private readonly rendered = new Map<string, Rendered>();
  private headerRev = -1;
  private renderedRunId: string | null | undefined = undefined;
  /** Scrolls the timeline to new content unless the user scrolled up (./follow.ts). */
  readonly follower: TimelineFollower;
  private readonly els: {
    title: HTMLElement;
    state: HTMLElement;
    stop: HTMLElement;
    usage: HTMLElement;
    bannerUntrusted: HTMLElement;
    bannerRecipe: HTMLElement;
    recipeFull: HTMLElement;
    recipeShort: HTMLElement;
    plan: HTMLElement;
    runsList: HTMLElement;
    runsSection: HTMLElement;
    timeline: HTMLElement;
    empty: HTMLElement;
    input: HTMLTextAreaElement;
    send: HTMLElement;
  };

  constructor(
    readonly root: HTMLElement,
    readonly model: ChatModel,
    private readonly opts: ViewOptions,
  ) {
    this.doc = root.ownerDocument;
    this.md = new MarkdownRenderer(this.doc, opts.purify);
    const d = this.doc;
    const title = h(d, 'h1', { class: 'run-title', testid: 'run-title', text: 'ML Intern' });
    const state = h(d, 'span', { class: 'badge', testid: 'run-state', attrs: { role: 'status' } });
    const stop = button(d, 'Stop', 'stop', { class: 'danger', testid: 'stop-button', aria: 'Stop the run' });
    const runsBtn = button(d, 'Runs', 'toggleRuns', { testid: 'runs-button', aria: 'Show the list of runs', attrs: { 'aria-expanded': 'false', 'aria-controls': 'runs-section' } });
    const fine = button(d, 'Fine-tune…', 'fineTune', { testid: 'fine-tune-button', aria: 'Start the Fine-tune wizard' });
    const usage = h(d, 'div', { class: 'usage', testid: 'usage-meter', attrs: { 'aria-label': 'Tokens and cost' } });
    const bannerUntrusted = h(
      d,
      'div',
      { class: 'banner warning', testid: 'untrusted-banner', attrs: { role: 'note' } },
      h(d, 'strong', { text: 'Restricted mode. ' }),
      'This workspace is not trusted, so ML Intern will not run commands or write files here. You can still ask questions. Trust the folder with "Workspaces: Manage Workspace Trust" to enable runs.',
    );
    // The whole explanation while nothing is shown; one line once a run fills the timeline, so the
    // banner above it does not eat a narrow panel's height and hide the cards (issue 25 polish).
    const recipeFull = h(
      d,
      'span',
      { testid: 'recipe-mode-full' },
      h(d, 'strong', { text: 'Recipe mode. ' }),
      'No language model is configured: the recipe engine writes the training script and the playbook fixes known failures. Start with ',
      button(d, 'Fine-tune…', 'fineTune', { class: 'link', testid: 'recipe-fine-tune' }),
      ' or ',
      button(d, 'set an API key', 'setApiKey', { class: 'link', testid: 'recipe-set-key' }),
      ' to chat with an LLM.',
    );
    const recipeShort = h(
      d,
      'span',
      { testid: 'recipe-mode-short' },
      h(d, 'strong', { text: 'Recipe mode' }),
      ' (no language model) · ',
      button(d, 'Set an API key', 'setApiKey', { class: 'link', testid: 'recipe-set-key-short' }),
    );
    recipeShort.hidden = true;
    const bannerRecipe = h(d, 'div', { class: 'banner info', testid: 'recipe-mode-banner', attrs: { role: 'note' } }, recipeFull, recipeShort);
    const plan = h(d, 'section', { class: 'plan', testid: 'plan', attrs: { 'aria-label': 'Plan' } });
    const runsList = h(d, 'ul', { class: 'runs-list', testid: 'runs-list' });
    const runsSection = h(d, 'section', { class: 'runs', attrs: { id: 'runs-section', 'aria-label': 'Runs' } }, h(d, 'h2', { text: 'Runs' }), runsList);
    runsSection.hidden = true;
    const empty = h(
      d,
      'div',
      { class: 'empty', testid: 'empty-state' },
      h(d, 'p', { text: 'ML Intern fine-tunes LLMs in this workspace: it inspects your data and GPU, writes the training script for you to review, runs it and fixes what fails.' }),
      button(d, 'Fine-tune a model…', 'fineTune', { class: 'primary', testid: 'empty-fine-tune' }),
    );
    const timeline = h(d, 'main', { class: 'timeline', testid: 'timeline', attrs: { role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions text', 'aria-label': 'Conversation' } });
    const input = h(d, 'textarea', {
      class: 'input',
      testid: 'chat-input',
      attrs: { rows: 2, 'aria-label': 'Message ML Intern', placeholder: 'Ask ML Intern… (Enter to send, Shift+Enter for a new line)', maxlength: 20000 },
    }) as HTMLTextAreaElement;
    const send = button(d, 'Send', 'send', { class: 'primary', testid: 'send-button', aria: 'Send the message' });
    const newBelow = button(d, '↓ New below', 'newBelow', { class: 'primary new-below', testid: 'new-below', aria: 'Scroll to the new messages' });
    root.classList.add('app');
    root.append(
      h(d, 'header', { class: 'header' }, h(d, 'div', { class: 'title-row' }, title, state), h(d, 'div', { class: 'toolbar' }, stop, runsBtn, fine), usage),
      bannerUntrusted,
      bannerRecipe,
      plan,
      runsSection,
      empty,
      timeline,
      newBelow,
      h(d, 'footer', { class: 'composer' }, input, send),
    );
    this.els = { title, state, stop, usage, bannerUntrusted, bannerRecipe, recipeFull, recipeShort, plan, runsList, runsSection, timeline, empty, input, send };
    this.follower = new TimelineFollower(timeline, newBelow);
    // Charts follow the panel's width: one made wide and then narrowed was clipped (issue 25 polish).
    const Observer = (d.defaultView as unknown as { ResizeObserver?: typeof ResizeObserver } | null)?.ResizeObserver;
    if (Observer) new Observer(() => this.resizeCharts()).observe(timeline);
    root.addEventListener('click', (ev) => this.onClick(ev));
    input.addEventListener('keydown', (ev) => this.onKey(ev as KeyboardEvent));
    this.renderConfig();
    this.renderRuns();
    this.render();
  }

  get input(): HTMLTextAreaElement {
    return this.els.input;
  }

  setConfig(config: PanelConfig): void {
    this.config = config;
    this.renderConfig();
    // Accept buttons depend on trust.
    for (const [id, r] of this.rendered) if (this.model.get(id)?.kind === 'change') r.rev = -1;
    this.render();
  }

  setRuns(runs: RunSummary[]): void {
    this.runs = runs;
    this.renderRuns();
  }

  /** Bring the DOM in line with the model. */
  render(): void {
    const m = this.model;
    const restart = this.renderedRunId !== m.runId;
    if (restart) {
      // Another run: start from a clean timeline.
      this.clearTimeline();
      this.renderedRunId = m.runId;
    }
    if (m.headerRev !== this.headerRev) {
      this.headerRev = m.headerRev;
      this.renderHeader();
    }
    const ctx: CardContext = { doc: this.doc, md: this.md, readOnly: !this.config.trusted };
    const seen = new Set<string>();
    const added: HTMLElement[] = [];
    let prev: Element | null = null;
    for (const e of m.entries) {
      seen.add(e.id);
      let r = this.rendered.get(e.id);
      if (!r) {
        r = this.create(ctx, e);
        this.rendered.set(e.id, r);
        this.els.timeline.insertBefore(r.el, prev ? prev.nextSibling : this.els.timeline.firstChild);
        added.push(r.el);
      } else if (r.rev !== e.rev) {
        this.update(ctx, e, r);
      }
      prev = r.el;
    }
    for (const [id, r] of this.rendered) {
      if (!seen.has(id)) {
        r.chart?.destroy();
        r.el.remove();
        this.rendered.delete(id);
      }
    }
    this.els.empty.hidden = m.entries.length > 0;
    this.els.recipeFull.hidden = m.entries.length > 0;
    this.els.recipeShort.hidden = m.entries.length === 0;
    this.follower.afterRender(added, restart);
  }

  private resizeCharts(): void {
    for (const r of this.rendered.values()) r.chart?.resize(r.chart.container.clientWidth);
  }

  private clearTimeline(): void {
    for (const r of this.rendered.values()) r.chart?.destroy();
    this.rendered.clear();
    clear(this.els.timeline);
    this.headerRev = -1;
  }

  private create(ctx: CardContext, e: Entry): Rendered {
    if (e.kind === 'process') {
      const proc = createProcessCard(this.doc, e);
      const chart = new ChartView(proc.chart, e.chart, this.opts.chartFactory, this.opts.chartIntervalMs ?? 500, this.opts.scheduler);
      const r: Rendered = { rev: e.rev, el: wrapEntry(this.doc, e, proc.root), proc, chart };
      updateProcessCard(proc, e);
      chart.update();
      return r;
    }
    const card = renderEntry(ctx, e) ?? h(this.doc, 'div');
    return { rev: e.rev, el: wrapEntry(this.doc, e, card) };
  }

  private update(ctx: CardContext, e: Entry, r: Rendered): void {
    r.rev = e.rev;
    if (e.kind === 'process' && r.proc) {
      updateProcessCard(r.proc, e);
      r.chart?.update();
      return;
    }
    // Keep an open reject form (and its typed reason) across re-renders of a pending change.
    const form = e.kind === 'change' && !e.decision ? r.el.querySelector('.reject-form') : null;
    clear(r.el);
    const card = renderEntry(ctx, e);
    if (card) r.el.appendChild(card);
    if (form) card?.appendChild(form);
  }

  private renderHeader(): void {
    const m = this.model;
    this.els.title.textContent = m.title || 'ML Intern';
    this.els.title.setAttribute('title', m.folder || '');
    // A live run held by a proposed change is waiting for the user, not running (issue 25 polish):
    // the badge says so and Stop is a plain button, not a red alarm.
    const pending = m.active && m.state !== 'waiting' ? m.pendingChanges : 0;
    const label = pending ? `waiting for your review (${pending} change${pending === 1 ? '' : 's'})` : m.state ? STATE_LABEL[m.state] ?? m.state : '';
    this.els.state.textContent = label;
    this.els.state.className = `badge ${pending ? 'waiting' : m.state ?? ''}`;
    this.els.state.hidden = !m.state;
    this.els.stop.hidden = !m.active;
    this.els.stop.className = pending ? '' : 'danger';
    this.renderPlan(m.plan);
    this.renderUsage(m);
  }

  private renderPlan(items: ChatModel['plan']): void {
    const el = this.els.plan;
    clear(el);
    el.hidden = items.length === 0;
    if (!items.length) return;
    const done = items.filter((i) => i.status === 'done').length;
    const details = h(this.doc, 'details', { attrs: { open: true } }, h(this.doc, 'summary', { text: `Plan (${done}/${items.length})` }));
    const ol = h(this.doc, 'ol', { class: 'plan-items' });
    const icon: Record<string, string> = { pending: '○', in_progress: '◐', done: '●', skipped: '⊘' };
    for (const i of items) {
      ol.appendChild(
        h(
          this.doc,
          'li',
          { class: `plan-item ${i.status}`, testid: 'plan-item', data: { status: i.status } },
          h(this.doc, 'span', { class: 'plan-icon', text: icon[i.status] ?? '○', attrs: { 'aria-hidden': 'true' } }),
          h(this.doc, 'span', { class: 'sr-only', text: `${i.status.replace('_', ' ')}: ` }),
          i.text,
        ),
      );
    }
    details.appendChild(ol);
    el.appendChild(details);
  }

  private renderUsage(m: ChatModel): void {
    const el = this.els.usage;
    clear(el);
    el.hidden = !m.usage;
    if (!m.usage) return;
    const { totals, budget } = m.usage;
    const tokens = totals.inputTokens + totals.outputTokens;
    el.appendChild(
      meter(this.doc, 'Tokens', `${formatTokens(tokens)}${budget.maxTokens ? ` / ${formatTokens(budget.maxTokens)}` : ''}${totals.cachedInputTokens ? ` (${formatTokens(totals.cachedInputTokens)} cached)` : ''}`, budget.maxTokens ? tokens / budget.maxTokens : undefined, 'usage-tokens'),
    );
    el.appendChild(
      meter(this.doc, 'Cost', `$${totals.costUsd.toFixed(totals.costUsd < 1 ? 3 : 2)}${budget.maxCostUsd ? ` / $${budget.maxCostUsd.toFixed(2)}` : ''}`, budget.maxCostUsd ? totals.costUsd / budget.maxCostUsd : undefined, 'usage-cost'),
    );
    // Fine-tune sessions take no agent steps (and have no step limit): no Steps meter for them.
    if (budget.steps > 0 || budget.maxSteps > 0) {
      el.appendChild(meter(this.doc, 'Steps', `${budget.steps}${budget.maxSteps ? ` / ${budget.maxSteps}` : ''}`, budget.maxSteps ? budget.steps / budget.maxSteps : undefined, 'usage-steps'));
    }
  }

  private renderConfig(): void {
    const c = this.config;
    this.els.bannerUntrusted.hidden = c.trusted;
    this.els.bannerRecipe.hidden = !c.recipeMode;
    this.els.input.placeholder = c.recipeMode
      ? 'Ask a question, or use Fine-tune… (recipe mode: no LLM configured)'
      : 'Ask ML Intern… (Enter to send, Shift+Enter for a new line)';
  }

  private renderRuns(): void {
    const ul = this.els.runsList;
    clear(ul);
    if (!this.runs.length) {
      ul.appendChild(h(this.doc, 'li', { class: 'muted', text: 'No runs yet in this workspace.' }));
      return;
    }
    for (const r of this.runs) {
      ul.appendChild(
        h(
          this.doc,
          'li',
          {},
          button(this.doc, r.title || r.runId, 'openRun', {
            class: `run-link${r.runId === this.model.runId ? ' current' : ''}`,
            testid: 'run-list-item',
            data: { 'run-id': r.runId },
            aria: `Open run ${r.title || r.runId} (${r.state})`,
          }),
          h(this.doc, 'span', { class: `badge ${r.state}`, text: r.state }),
        ),
      );
    }
  }

  private onKey(ev: KeyboardEvent): void {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      this.send();
    }
  }

  private send(): void {
    const text = this.els.input.value.trim();
    if (!text) return;
    this.opts.post({ type: 'send', text: text.slice(0, 20_000) });
    this.els.input.value = '';
    this.follower.follow();
  }

  private onClick(ev: Event): void {
    const target = ev.target as Element | null;
    if (!target || typeof target.closest !== 'function') return;
    const link = target.closest('a[href]');
    if (link) {
      ev.preventDefault();
      const href = link.getAttribute('href') ?? '';
      if (href) this.opts.post({ type: 'openLink', href });
      return;
    }
    const btn = target.closest('[data-action]') as HTMLElement | null;
    if (!btn || (btn as HTMLButtonElement).disabled) return;
    const action = btn.getAttribute('data-action');
    const changeId = btn.getAttribute('data-change-id') ?? '';
    switch (action) {
      case 'send':
        this.send();
        return;
      case 'newBelow':
        this.follower.jumpToNew();
        return;
      case 'stop':
        this.opts.post({ type: 'stop' });
        return;
      case 'fineTune':
        this.opts.post({ type: 'fineTune' });
        return;
      case 'setApiKey':
        this.opts.post({ type: 'setApiKey' });
        return;
      case 'toggleRuns': {
        const open = this.els.runsSection.hidden;
        this.els.runsSection.hidden = !open;
        btn.setAttribute('aria-expanded', String(open));
        if (open) this.opts.post({ type: 'showRuns' });
        return;
      }
      case 'openRun': {
        const runId = btn.getAttribute('data-run-id');
        if (runId) this.opts.post({ type: 'openRun', runId });
        return;
      }
      case 'reviewChange':
        this.opts.post({ type: 'reviewChange', changeId });
        return;
      case 'acceptChange':
        this.opts.post({ type: 'acceptChange', changeId });
        return;
      case 'modelAction': {
        const folder = btn.getAttribute('data-folder');
        const action = btn.getAttribute('data-model-action');
        if (folder && (action === 'tryIt' || action === 'evaluate' || action === 'export')) this.opts.post({ type: 'modelAction', action, folder });
        return;
      }
      case 'rejectOpen': {
        const card = btn.closest('.card');
        if (!card || card.querySelector('.reject-form')) {
          (card?.querySelector('.reject-form input') as HTMLElement | null)?.focus();
          return;
        }
        const form = renderRejectForm(this.doc, changeId, card.getAttribute('data-origin'));
        card.appendChild(form);
        (form.querySelector('input') as HTMLElement | null)?.focus();
        return;
      }
      case 'rejectConfirm': {
        const form = btn.closest('.reject-form');
        const reason = ((form?.querySelector('input') as HTMLInputElement | null)?.value ?? '').trim();
        this.opts.post(reason ? { type: 'rejectChange', changeId, reason: reason.slice(0, 2000) } : { type: 'rejectChange', changeId });
        form?.remove();
        return;
      }
      case 'rejectCancel':
        btn.closest('.reject-form')?.remove();
        return;
    }
  }
}

function wrapEntry(doc: Document, e: Entry, card: HTMLElement): HTMLElement {
  return h(doc, 'div', { class: `entry ${e.kind}`, data: { 'entry-id': e.id, kind: e.kind } }, card);
}

function meter(doc: Document, label: string, value: string, fraction: number | undefined, testid: string): HTMLElement {
  const pct = fraction === undefined ? undefined : Math.max(0, Math.min(1, fraction)) * 100;
  const fill = h(doc, 'div', { class: `fill${pct !== undefined && pct >= 90 ? ' high' : ''}` });
  if (pct !== undefined) fill.style.width = `${pct.toFixed(1)}%`;
  return h(
    doc,
    'div',
    { class: 'meter', testid },
    h(doc, 'span', { class: 'meter-label', text: `${label} ` }),
    h(doc, 'span', { class: 'meter-value', text: value }),
    pct === undefined
      ? null
      : h(doc, 'div', { class: 'meter-bar', attrs: { role: 'meter', 'aria-label': label, 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(pct) } }, fill),
  );
}

