/**
 * The status-bar item: the active run's state and progress (from run_state
 * and progress events); click → the chat panel. Also keeps the
 * `mlIntern.runActive` context key the view toolbar's Stop button uses.
 */
import * as vscode from 'vscode';
import type { AgentEvent } from '../core/events';
import { Host } from './host';
import { ActiveRun, LIVE, statusText, trackRun } from '../ui/runStatus';

export type { ActiveRun } from '../ui/runStatus';

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
