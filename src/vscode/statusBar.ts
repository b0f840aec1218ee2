/**
 * The status-bar item: the active run's state and progress (from run_state
 * and progress events); click → the chat panel. Also keeps the
 * `mlIntern.runActive` context key the view toolbar's Stop button uses.
 */
import * as vscode from 'vscode';
import type { AgentEvent, ProgressInfo, RunState } from '../core/events';
import { Host } from './host';

export interface ActiveRun {
  runId: string;
  title: string;
  state: RunState;
  progress?: ProgressInfo;
}

const LIVE = new Set<RunState>(['starting', 'running', 'waiting']);

/** Pure: fold one event into the tracked run (exported for tests). */
export function trackRun(current: ActiveRun | undefined, e: AgentEvent): ActiveRun | undefined {
  switch (e.type) {
    case 'run_started':
      return { runId: e.runId, title: e.title, state: 'starting' };
    case 'run_state':
      if (current && current.runId !== e.runId && LIVE.has(current.state)) return current;
      return { runId: e.runId, title: current?.runId === e.runId ? current.title : e.runId, state: e.state, progress: current?.runId === e.runId ? current.progress : undefined };
    case 'progress':
      if (!current || current.runId !== e.runId) return current;
      return { ...current, state: current.state === 'starting' ? 'running' : current.state, progress: e.progress };
    default:
      return current;
  }
}

export function statusText(run: ActiveRun | undefined): { text: string; tooltip: string } | undefined {
  if (!run) return undefined;
  const icon: Record<RunState, string> = {
    starting: '$(loading~spin)',
    running: '$(loading~spin)',
    waiting: '$(question)',
    succeeded: '$(check)',
    failed: '$(error)',
    stopped: '$(debug-stop)',
    budget: '$(warning)',
    lost: '$(warning)',
  };
  let detail: string = run.state;
  const p = run.progress;
  if (p && LIVE.has(run.state)) {
    detail = p.total ? `${Math.floor((p.current / p.total) * 100)}%` : `step ${p.current}`;
    if (p.etaSeconds !== undefined && p.etaSeconds > 0) detail += ` · ${Math.round(p.etaSeconds / 60)}m left`;
  }
  return {
    text: `${icon[run.state]} ML Intern: ${detail}`,
    tooltip: `${run.title} — ${run.state}${p?.loss !== undefined ? ` · loss ${p.loss.toFixed(4)}` : ''}\nClick to open the ML Intern chat.`,
  };
}

/** The run the status bar shows, folded from the window's events; one per window (services.ts). */
export class RunTracker {
  private run: ActiveRun | undefined;

  /** The run shown, live or ended. */
  get shown(): ActiveRun | undefined {
    return this.run;
  }

  /** The run shown while it is live (Stop Run falls back to it). */
  activeRun(): ActiveRun | undefined {
    return this.run && LIVE.has(this.run.state) ? this.run : undefined;
  }

  /** Folds one event in; true when the run shown changed. */
  fold(e: AgentEvent): boolean {
    const next = trackRun(this.run, e);
    if (next === this.run) return false;
    this.run = next;
    return true;
  }
}

export function registerStatusBar(host: Host, runs: RunTracker): void {
  const item = vscode.window.createStatusBarItem('mlIntern.run', vscode.StatusBarAlignment.Left, 50);
  item.name = 'ML Intern run';
  item.command = 'mlIntern.openChat';
  let wasLive = false;
  let last = '';
  const update = () => {
    const s = statusText(runs.shown);
    if (!s) {
      item.hide();
      return;
    }
    if (s.text !== last) {
      item.text = s.text;
      item.tooltip = s.tooltip;
      last = s.text;
    }
    item.show();
    const live = !!runs.activeRun();
    if (live !== wasLive) {
      wasLive = live;
      void vscode.commands.executeCommand('setContext', 'mlIntern.runActive', live);
    }
  };
  host.context.subscriptions.push(
    item,
    host.events.subscribe((e) => {
      if (runs.fold(e)) update();
    }),
  );
}
