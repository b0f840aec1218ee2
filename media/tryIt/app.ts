/**
 * The side-by-side Try-it view (bundled to dist/tryit.js): prompts (prefilled from the held-out
 * split), a system prompt, sampling settings and the backend, then one row per prompt with the
 * base and the trained model's answers streaming into two columns. Text only ever becomes text
 * nodes; every control is a labelled form element reachable with Tab; Ctrl+Enter runs.
 * The vLLM fieldset can start the server itself ("Start a vLLM server": the host asks, starts it in a
 * terminal and says when both names are served, filling the endpoint and the names) and stop it.
 */
import { h, clear } from '../dom';
import { TryItBoard, TryItColumn, TryItSide } from '../../src/core/export/tryItStream';
import type { TryItFromView, TryItToView, TryItViewInit } from '../../src/core/export/tryItView';
import type { VllmServerState } from '../../src/core/export/vllmServer';

type Field = HTMLInputElement | HTMLTextAreaElement;

const SIDE_TITLE: Record<TryItSide, string> = { base: 'Base', trained: 'Trained' };

export class TryItApp {
  private readonly board = new TryItBoard();
  private init: TryItViewInit | undefined;
  private readonly form: HTMLElement;
  private readonly prompts: HTMLElement;
  private readonly rows: HTMLElement;
  private readonly status: HTMLElement;
  private readonly log: HTMLElement;
  private readonly logDetails: HTMLElement;
  private readonly fields = new Map<string, Field>();
  private readonly runButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private backend: HTMLSelectElement | undefined;
  private readonly serveButton: HTMLButtonElement;
  private readonly serveStopButton: HTMLButtonElement;
  private readonly serverStatus: HTMLElement;
  private readonly serverCommands: HTMLElement;
  /** The rendered column elements, by "row:side": only changed text is written. */
  private readonly columns = new Map<string, { text: HTMLElement; meta: HTMLElement; shown: string }>();

  constructor(private readonly doc: Document, private readonly root: HTMLElement, private readonly post: (m: TryItFromView) => void) {
    this.prompts = h(doc, 'div', { class: 'prompts', testid: 'tryit-prompts' });
    this.runButton = h(doc, 'button', { text: 'Run both', testid: 'tryit-run', attrs: { type: 'button', title: 'Ctrl+Enter' } }) as HTMLButtonElement;
    this.stopButton = h(doc, 'button', { text: 'Stop', testid: 'tryit-stop', attrs: { type: 'button', disabled: true } }) as HTMLButtonElement;
    this.form = h(doc, 'form', { class: 'settings', attrs: { 'aria-label': 'Try it settings' } });
    this.status = h(doc, 'p', { class: 'status', testid: 'tryit-status', attrs: { role: 'status', 'aria-live': 'polite' } });
    this.rows = h(doc, 'div', { class: 'rows', testid: 'tryit-rows' });
    this.log = h(doc, 'pre', { class: 'log', testid: 'tryit-log' });
    this.logDetails = h(doc, 'details', { class: 'log-wrap' }, h(doc, 'summary', { text: 'Process output' }), this.log);
    this.logDetails.hidden = true;
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.run();
    });
    this.form.addEventListener('keydown', (ev) => {
      const k = ev as KeyboardEvent;
      if (k.key === 'Enter' && (k.ctrlKey || k.metaKey)) {
        k.preventDefault();
        this.run();
      }
    });
    this.runButton.addEventListener('click', () => this.run());
    this.stopButton.addEventListener('click', () => this.post({ type: 'stop' }));
    this.serveButton = h(doc, 'button', { text: 'Start a vLLM server', testid: 'tryit-serve', attrs: { type: 'button', title: 'Serve the base and the adapter from one vLLM server on this machine (asks first)' } }) as HTMLButtonElement;
    this.serveStopButton = h(doc, 'button', { text: 'Stop the server', testid: 'tryit-serve-stop', attrs: { type: 'button', disabled: true } }) as HTMLButtonElement;
    this.serverStatus = h(doc, 'p', { class: 'status server', testid: 'tryit-server-status', attrs: { role: 'status', 'aria-live': 'polite' } });
    this.serverCommands = h(doc, 'pre', { class: 'log', testid: 'tryit-server-commands' });
    this.serverCommands.hidden = true;
    this.serveButton.addEventListener('click', () => {
      this.serveButton.disabled = true;
      this.post({ type: 'serve' });
    });
    this.serveStopButton.addEventListener('click', () => this.post({ type: 'serve-stop' }));
  }

  start(): void {
    this.post({ type: 'ready' });
  }

  onMessage(m: TryItToView): void {
    switch (m.type) {
      case 'init':
        this.init = m.init;
        this.renderForm(m.init);
        return;
      case 'events':
        for (const e of m.events) {
          // A new run's start replaces the rows.
          if (e.event === 'start') {
            this.resetRows();
            // The answers appear below the settings: bring them into view once, not at every piece.
            queueMicrotask(() => this.rows.scrollIntoView?.({ block: 'start', behavior: 'smooth' }));
          }
          this.board.apply(e);
        }
        this.renderRows();
        return;
      case 'log':
        this.logDetails.hidden = false;
        this.log.textContent = `${this.log.textContent ?? ''}${m.lines.join('\n')}\n`.slice(-20_000);
        return;
      case 'server':
        this.onServer(m.server);
        return;
      case 'status': {
        this.status.textContent = m.message ?? m.state;
        this.status.setAttribute('data-state', m.state);
        const busy = m.state === 'waiting' || m.state === 'running';
        this.runButton.disabled = busy;
        this.stopButton.disabled = !busy;
        return;
      }
    }
  }

  private onServer(s: VllmServerState): void {
    this.serverStatus.textContent = s.message;
    this.serverStatus.setAttribute('data-state', s.state === 'declined' || s.state === 'unavailable' ? 'failed' : s.state);
    this.serverCommands.hidden = !(s.state === 'unavailable' && s.commands?.length);
    this.serverCommands.textContent = s.state === 'unavailable' ? (s.commands ?? []).join('\n') : '';
    const live = s.state === 'waiting' || s.state === 'starting' || s.state === 'ready';
    this.serveButton.disabled = live;
    this.serveStopButton.disabled = !(s.state === 'starting' || s.state === 'ready');
    if (s.state === 'ready') {
      const set = (name: string, value: string) => {
        const f = this.fields.get(name);
        if (f) f.value = value;
      };
      set('endpoint', s.endpoint);
      set('baseName', s.baseName);
      set('trainedName', s.trainedName);
    }
  }

  private field(name: string, label: string, input: Field): HTMLElement {
    input.id = `tryit-${name}`;
    input.setAttribute('data-testid', `tryit-${name}`);
    this.fields.set(name, input);
    return h(this.doc, 'label', { class: `field ${name}`, attrs: { for: input.id } }, label, input);
  }

  private numberField(name: string, label: string, value: number, min: number, max: number, step: number): HTMLElement {
    const input = h(this.doc, 'input', { attrs: { type: 'number', min, max, step } }) as HTMLInputElement;
    input.value = String(value);
    return this.field(name, label, input);
  }

  private addPrompt(text: string): void {
    const i = this.prompts.children.length + 1;
    const area = h(this.doc, 'textarea', { class: 'prompt', testid: `tryit-prompt-${i}`, attrs: { rows: 2, 'aria-label': `Prompt ${i}` } }) as HTMLTextAreaElement;
    area.value = text;
    this.prompts.appendChild(area);
  }

  private renderForm(init: TryItViewInit): void {
    const d = this.doc;
    clear(this.root);
    clear(this.form);
    clear(this.prompts);
    this.fields.clear();
    for (const p of init.prompts.length ? init.prompts : ['']) this.addPrompt(p);
    const add = h(d, 'button', { text: 'Add a prompt', testid: 'tryit-add-prompt', attrs: { type: 'button' } });
    add.addEventListener('click', () => {
      this.addPrompt('');
      (this.prompts.lastElementChild as HTMLElement | null)?.focus();
    });
    const system = h(d, 'textarea', { attrs: { rows: 2 } }) as HTMLTextAreaElement;
    system.value = init.system;
    const backend = h(d, 'select', { testid: 'tryit-backend' }, h(d, 'option', { text: 'transformers (try_it.py, after approval)', attrs: { value: 'transformers' } }), h(d, 'option', { text: 'vLLM server (OpenAI API)', attrs: { value: 'vllm' } })) as HTMLSelectElement;
    backend.id = 'tryit-backend';
    const text = (name: string, label: string, value: string) => {
      const input = h(d, 'input', { attrs: { type: 'text' } }) as HTMLInputElement;
      input.value = value;
      return this.field(name, label, input);
    };
    const vllm = h(d, 'fieldset', { class: 'vllm' }, h(d, 'legend', { text: 'vLLM server' }), text('endpoint', 'Endpoint', init.vllm.endpoint), text('baseName', 'Base served as', init.vllm.baseName), text('trainedName', 'Trained served as', init.vllm.trainedName),
      h(d, 'div', { class: 'buttons' }, this.serveButton, this.serveStopButton), this.serverStatus, this.serverCommands);
    vllm.hidden = true;
    backend.addEventListener('change', () => (vllm.hidden = backend.value !== 'vllm'));
    this.form.append(
      h(d, 'fieldset', {}, h(d, 'legend', { text: 'Prompts (from the held-out split; edit or add)' }), this.prompts, add),
      this.field('system', 'System prompt (both models)', system),
      h(d, 'div', { class: 'sampling' },
        this.numberField('temperature', 'Temperature', init.temperature, 0, 2, 0.05),
        this.numberField('topP', 'Top-p', init.topP, 0.01, 1, 0.01),
        this.numberField('maxNewTokens', 'Max new tokens', init.maxNewTokens, 1, 8192, 1),
        this.numberField('seed', 'Seed', init.seed, 0, 2 ** 31 - 1, 1)),
      h(d, 'label', { class: 'field backend', attrs: { for: backend.id } }, 'Run with', backend),
      vllm,
      h(d, 'div', { class: 'buttons' }, this.runButton, this.stopButton),
    );
    this.backend = backend;
    this.root.append(
      h(d, 'h1', { text: `Try ${init.model}` }),
      h(d, 'p', { class: 'sub', text: `Beside its base ${init.baseModel}, both prompted through the chat template it was trained with. Transcript: ${init.transcript}` }),
      this.form,
      this.status,
      this.rows,
      this.logDetails,
    );
  }

  private run(): void {
    if (!this.init || this.runButton.disabled) return;
    const value = (n: string) => this.fields.get(n)?.value ?? '';
    const prompts = [...this.prompts.querySelectorAll('textarea')].map((t) => (t as HTMLTextAreaElement).value);
    const backend = this.backend?.value === 'vllm' ? 'vllm' : 'transformers';
    this.post({
      type: 'run',
      backend,
      prompts,
      system: value('system'),
      temperature: Number(value('temperature')),
      topP: Number(value('topP')),
      maxNewTokens: Number(value('maxNewTokens')),
      seed: Number(value('seed')),
      ...(backend === 'vllm' ? { endpoint: value('endpoint'), baseName: value('baseName'), trainedName: value('trainedName') } : {}),
    });
  }

  private resetRows(): void {
    clear(this.rows);
    this.columns.clear();
    this.log.textContent = '';
    this.logDetails.hidden = true;
  }

  private renderRows(): void {
    const d = this.doc;
    const s = this.board.state;
    s.rows.forEach((row, i) => {
      let section = this.rows.querySelector(`[data-row="${i}"]`);
      if (!section) {
        const cols = (['base', 'trained'] as TryItSide[]).map((side) => {
          const text = h(d, 'div', { class: 'answer', testid: `tryit-${side}-${i}` });
          const meta = h(d, 'div', { class: 'meta' });
          this.columns.set(`${i}:${side}`, { text, meta, shown: '' });
          // try_it.py names the trained folder from its own folder (../outputs/x): the workspace path reads better.
          const title = side === 'base' ? s.base : s.trained.startsWith('.') && this.init ? this.init.model : s.trained;
          return h(d, 'section', { class: `col ${side}`, attrs: { 'aria-label': `${SIDE_TITLE[side]} answer to prompt ${i + 1}`, tabindex: 0 } }, h(d, 'h3', { text: `${SIDE_TITLE[side]} · ${title}` }), text, meta);
        });
        section = h(d, 'article', { class: 'row', data: { row: String(i) } }, h(d, 'h2', { class: 'prompt-text', testid: `tryit-prompt-text-${i}` }), h(d, 'div', { class: 'cols' }, ...cols));
        this.rows.appendChild(section);
      }
      const heading = section.querySelector('.prompt-text')!;
      if (heading.textContent !== `${i + 1}. ${row.prompt}`) heading.textContent = `${i + 1}. ${row.prompt}`;
      for (const side of ['base', 'trained'] as TryItSide[]) this.renderColumn(i, side, row[side]);
    });
  }

  private renderColumn(i: number, side: TryItSide, c: TryItColumn): void {
    const el = this.columns.get(`${i}:${side}`);
    if (!el) return;
    if (el.shown !== c.text) {
      el.text.textContent = c.text;
      el.shown = c.text;
    }
    el.text.setAttribute('data-state', c.done ? 'done' : c.started ? 'streaming' : 'waiting');
    el.meta.textContent = c.done ? `${c.tokens ?? 0} tokens, ${c.seconds ?? 0} s` : c.started ? 'answering…' : 'waiting';
  }
}
