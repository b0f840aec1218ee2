/**
 * The webview application without the VS Code globals: message handling,
 * render scheduling and the getState/setState fast path. ./main.ts wires it
 * to acquireVsCodeApi(); tests drive it directly.
 */
import type { AgentEvent } from '../src/core/events';
import { DEFAULT_LIMITS, RunEventLogs } from '../src/core/runs/eventLog';
import { HostMessage, isHostMessage, PanelConfig, RunSummary, WebviewMessage } from '../src/core/protocol';
import { ChatModel } from './model';
import { ChatView, ViewOptions } from './view';

/** What the webview keeps in vscode.setState (a fast path; the host replays the truth on `ready`). */
export interface SavedState {
  v: 1;
  runId: string | null;
  events: AgentEvent[];
  config?: PanelConfig;
  runs?: RunSummary[];
  draft?: string;
}

export interface AppHost {
  post(msg: WebviewMessage): void;
  getState(): unknown;
  setState(s: SavedState): void;
  /** requestAnimationFrame or a stand-in. */
  frame(fn: () => void): void;
}

/** Events kept for the fast path; beyond this the host's replay does the job. */
export const MAX_SAVED_EVENTS = 3000;

/** The one run the panel shows, as the key of its event log. */
const SHOWN = 'shown';

function newLog(): RunEventLogs {
  return new RunEventLogs({ ...DEFAULT_LIMITS, runs: 1 });
}

export class ChatApp {
  readonly model = new ChatModel();
  readonly view: ChatView;
  /**
   * The events of the run shown, for the saved state: bounded as the host's log is (one progress,
   * a tail of output, a few thousand metric points), so a run followed for days does not grow the
   * panel's memory without end.
   */
  private log = newLog();
  private renderQueued = false;
  private saveQueued = false;

  constructor(root: HTMLElement, private readonly host: AppHost, viewOptions: Omit<ViewOptions, 'post'>) {
    this.view = new ChatView(root, this.model, { ...viewOptions, post: (m) => host.post(m) });
    this.restore(host.getState());
    this.view.input.addEventListener('input', () => this.queueSave());
  }

  /** Tell the host we are listening; it answers with config, runs and a replay. */
  start(): void {
    this.host.post({ type: 'ready' });
  }

  onMessage(data: unknown): void {
    if (!isHostMessage(data)) return;
    const msg = data as HostMessage;
    switch (msg.type) {
      case 'event':
        this.applyEvent(msg.event);
        break;
      case 'state':
        this.model.reset(msg.runId);
        this.log = newLog();
        for (const e of msg.events) this.applyEvent(e, false);
        this.flush();
        break;
      case 'runs':
        this.view.setRuns(msg.runs);
        break;
      case 'config':
        this.view.setConfig(msg.config);
        break;
      case 'focusInput':
        this.view.input.focus();
        return;
    }
    this.queueSave();
  }

  private applyEvent(e: AgentEvent, render = true): void {
    if (!e || typeof e !== 'object' || typeof e.type !== 'string') return;
    if (e.type === 'run_started' && this.model.runId !== null && e.runId !== this.model.runId) {
      this.model.reset(e.runId);
      this.log = newLog();
    }
    try {
      this.model.apply(e);
    } catch (err) {
      this.host.post({ type: 'error', message: `apply ${e.type}: ${String(err).slice(0, 500)}` });
      return;
    }
    // (The log drops the deltas a final message replaces, old output, superseded progress.)
    this.log.append(SHOWN, e);
    if (render) this.queueRender();
  }

  /** Render now (tests, replays). */
  flush(): void {
    this.renderQueued = false;
    this.view.render();
  }

  private queueRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    this.host.frame(() => {
      if (this.renderQueued) this.flush();
    });
  }

  private queueSave(): void {
    if (this.saveQueued) return;
    this.saveQueued = true;
    this.host.frame(() => {
      this.saveQueued = false;
      this.save();
    });
  }

  save(): void {
    const shown = this.log.get(SHOWN);
    const events = shown.length > MAX_SAVED_EVENTS ? [] : shown;
    this.host.setState({ v: 1, runId: this.model.runId, events, config: this.view.config, runs: this.view.runs, draft: this.view.input.value });
  }

  private restore(raw: unknown): void {
    if (!raw || typeof raw !== 'object') return;
    const s = raw as Partial<SavedState>;
    if (s.v !== 1) return;
    if (s.config) this.view.setConfig(s.config);
    if (Array.isArray(s.runs)) this.view.setRuns(s.runs);
    if (typeof s.draft === 'string') this.view.input.value = s.draft;
    this.model.reset(typeof s.runId === 'string' ? s.runId : null);
    if (Array.isArray(s.events)) for (const e of s.events) this.applyEvent(e, false);
    this.flush();
  }
}
