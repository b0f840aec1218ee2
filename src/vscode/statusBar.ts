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

let active: ActiveRun | undefined;

/** The run the status bar shows (Stop Run falls back to it). */
export function activeRun(): ActiveRun | undefined {
  return active && LIVE.has(active.state) ? active : undefined;
}

export function registerStatusBar(host: Host): void {
  const item = vscode.window.createStatusBarItem('mlIntern.run', vscode.StatusBarAlignment.Left, 50);
  item.name = 'ML Intern run';
  item.command = 'mlIntern.openChat';
  let wasLive = false;
  let last = '';
  const update = () => {
    const s = statusText(active);
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
    const live = !!activeRun();
    if (live !== wasLive) {
      wasLive = live;
      void vscode.commands.executeCommand('setContext', 'mlIntern.runActive', live);
    }
  };
  host.context.subscriptions.push(
    item,
    host.events.subscribe((e) => {
      const next = trackRun(active, e);
      if (next !== active) {
        active = next;
        update();
      }
    }),
  );
}
