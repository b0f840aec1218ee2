/**
 * The chat panel's host-side logic, without vscode (unit-tested): keeps the
 * per-run event logs, decides which run the panel shows, forwards live
 * events while the webview is listening (buffering otherwise: the log is
 * replayed on `ready`), and validates every webview message before acting.
 */
import type { AgentEvent } from '../../core/events';
import { HostMessage, isExternalLink, isParseError, PanelConfig, parseWebviewMessage, RunSummary, WebviewMessage } from '../../core/protocol';
import { RunEventLogs } from '../../core/runs/eventLog';

export interface PanelActions {
  /** Post to the webview; false when it is gone. */
  post(msg: HostMessage): boolean | PromiseLike<boolean>;
  config(): PanelConfig;
  /** Runs found on disk, newest first. */
  listRuns(): Promise<RunSummary[]>;
  /** A run rebuilt from its folder; undefined when there is none. */
  loadRun(runId: string): Promise<AgentEvent[] | undefined>;
  chat(text: string, runId: string | null): Promise<void> | void;
  stop(runId: string | null): Promise<void> | void;
  accept(changeId: string): Promise<void> | void;
  reject(changeId: string, reason?: string): Promise<void> | void;
  review(changeId: string): Promise<void> | void;
  openExternal(href: string): Promise<void> | void;
  fineTune(): Promise<void> | void;
  showRuns(): Promise<void> | void;
  setApiKey(): Promise<void> | void;
  /** Try it / Evaluate / Export on a trained model's folder (the command checks the folder). */
  modelAction(action: 'tryIt' | 'evaluate' | 'export', folder: string): Promise<void> | void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/** Pseudo run id for questions asked with no run open. */
export const CHAT_RUN = 'chat';

export class PanelController {
  readonly logs = new RunEventLogs();
  /** The run the panel shows. */
  viewRunId: string | null = null;
  /** True between the webview's `ready` and its disposal/hiding. */
  private listening = false;
  private readonly liveRuns = new Map<string, RunSummary>();
  private runsTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly actions: PanelActions) {}

  get isListening(): boolean {
    return this.listening;
  }

  /** Every AgentEvent on the host's bus comes here. */
  onEvent(e: AgentEvent): void {
    const runId = e.type === 'notice' ? (e.runId ?? this.viewRunId ?? CHAT_RUN) : e.runId;
    if (e.type === 'run_state' && !this.logs.has(runId)) {
      // A state the host sets on a run this window has not shown (a reload's interrupted or lost run):
      // its folder holds the whole story, so the panel loads it from there, not a log of this one line.
      this.trackRun(e);
      return;
    }
    this.logs.append(runId, e);
    this.trackRun(e);
    if (e.type === 'run_started' || this.viewRunId === null) this.viewRunId = runId;
    if (runId !== this.viewRunId) return; // another run: the run list shows its state
    if (this.listening) this.post({ type: 'event', event: e });
  }

  /** The webview went away (hidden without retained context, or disposed). */
  onHidden(): void {
    this.listening = false;
  }

  /** A raw message from the webview. Invalid ones are logged and dropped. */
  async onMessage(raw: unknown): Promise<void> {
    const msg = parseWebviewMessage(raw);
    if (isParseError(msg)) {
      this.actions.log('warn', `Chat panel: ignored an invalid message (${msg.error}).`);
      return;
    }
    try {
      await this.dispatch(msg);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.actions.log('error', `Chat panel: ${msg.type} failed: ${message}`);
      this.notice('error', message);
    }
  }

  private async dispatch(msg: WebviewMessage): Promise<void> {
    switch (msg.type) {
      case 'ready':
        await this.onReady();
        return;
      case 'send':
        if (msg.text.trim()) await this.actions.chat(msg.text, this.viewRunId === CHAT_RUN ? null : this.viewRunId);
        return;
      case 'stop':
        await this.actions.stop(this.viewRunId === CHAT_RUN ? null : this.viewRunId);
        return;
      case 'acceptChange':
        await this.actions.accept(msg.changeId);
        return;
      case 'rejectChange':
        await this.actions.reject(msg.changeId, msg.reason);
        return;
      case 'reviewChange':
        await this.actions.review(msg.changeId);
        return;
      case 'openRun':
        await this.openRun(msg.runId);
        return;
      case 'openLink':
        if (isExternalLink(msg.href)) await this.actions.openExternal(msg.href);
        else this.actions.log('warn', `Chat panel: refused to open a non-http(s) link.`);
        return;
      case 'fineTune':
        await this.actions.fineTune();
        return;
      case 'showRuns':
        await this.sendRuns();
        return;
      case 'setApiKey':
        await this.actions.setApiKey();
        return;
      case 'modelAction':
        await this.actions.modelAction(msg.action, msg.folder);
        return;
      case 'error':
        this.actions.log('warn', `Chat panel script: ${msg.message}`);
        return;
    }
  }

  /** The webview (re)loaded: send config, runs and the shown run's log. */
  async onReady(): Promise<void> {
    this.listening = true;
    this.post({ type: 'config', config: this.actions.config() });
    if (this.viewRunId === null || (this.viewRunId !== CHAT_RUN && !this.logs.has(this.viewRunId))) {
      // After a window reload: the newest run from disk.
      const runs = await this.actions.listRuns().catch(() => [] as RunSummary[]);
      const latest = this.viewRunId ?? runs[0]?.runId;
      if (latest) await this.load(latest);
    }
    this.sendState();
    await this.sendRuns();
  }

  /** Show a run: from memory when it ran in this window, else from its folder. */
  async openRun(runId: string): Promise<boolean> {
    if (!this.logs.has(runId) && !(await this.load(runId))) {
      this.notice('warning', `Run '${runId}' was not found in .ml-intern/runs.`);
      return false;
    }
    this.viewRunId = runId;
    this.sendState();
    return true;
  }

  /** Refresh the config (settings or trust changed). */
  sendConfig(): void {
    this.post({ type: 'config', config: this.actions.config() });
  }

  async sendRuns(): Promise<void> {
    if (!this.listening) return;
    const disk = await this.actions.listRuns().catch(() => [] as RunSummary[]);
    const byId = new Map(disk.map((r) => [r.runId, r]));
    // Live state wins over a status.json that may lag.
    for (const [id, r] of this.liveRuns) byId.set(id, { ...byId.get(id), ...r });
    const runs = [...byId.values()].sort((a, b) => (b.updatedAt ?? 0) - (a.updatedAt ?? 0) || b.runId.localeCompare(a.runId));
    this.post({ type: 'runs', runs });
  }

  dispose(): void {
    if (this.runsTimer) clearTimeout(this.runsTimer);
    this.listening = false;
  }

  private async load(runId: string): Promise<boolean> {
    const events = await this.actions.loadRun(runId).catch(() => undefined);
    if (!events) return false;
    this.logs.set(runId, events);
    this.viewRunId = runId;
    return true;
  }

  private sendState(): void {
    this.post({ type: 'state', runId: this.viewRunId, events: this.viewRunId ? this.logs.get(this.viewRunId) : [] });
  }

  private notice(level: 'info' | 'warning' | 'error', message: string): void {
    this.post({ type: 'event', event: { type: 'notice', level, message } });
  }

  private post(msg: HostMessage): void {
    if (!this.listening) return;
    try {
      const r = this.actions.post(msg);
      if (r && typeof r === 'object') r.then((ok) => (ok ? undefined : this.onHidden()), () => this.onHidden());
      else if (r === false) this.onHidden();
    } catch {
      this.onHidden();
    }
  }

  private trackRun(e: AgentEvent): void {
    if (e.type !== 'run_started' && e.type !== 'run_state') return;
    const prev = this.liveRuns.get(e.runId);
    this.liveRuns.set(e.runId, {
      runId: e.runId,
      title: e.type === 'run_started' ? e.title : (prev?.title ?? e.runId),
      state: e.type === 'run_state' ? e.state : (prev?.state ?? 'starting'),
      updatedAt: Date.now(),
    });
    // Coalesce bursts of state changes into one list update.
    if (this.runsTimer) return;
    this.runsTimer = setTimeout(() => {
      this.runsTimer = undefined;
      void this.sendRuns();
    }, 300);
    (this.runsTimer as { unref?: () => void }).unref?.();
  }
}
