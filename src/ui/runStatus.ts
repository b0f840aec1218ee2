/**
 * What the status-bar item says about the active run, folded from the run's
 * events. Pure (no 'vscode' import) so the unit tests can check the words.
 */
import type { AgentEvent, ProgressInfo, RunState } from '../core/events';

export interface ActiveRun {
  runId: string;
  title: string;
  state: RunState;
  progress?: ProgressInfo;
  /** Changes of this run proposed and not yet decided: the run waits for the user's review. */
  reviews?: number;
}

export const LIVE = new Set<RunState>(['starting', 'running', 'waiting']);

/** Fold one event into the tracked run; the same object back when nothing the item shows changed. */
export function trackRun(current: ActiveRun | undefined, e: AgentEvent): ActiveRun | undefined {
  switch (e.type) {
    case 'run_started':
      return { runId: e.runId, title: e.title, state: 'starting' };
    case 'run_state': {
      if (current && current.runId !== e.runId && LIVE.has(current.state)) return current;
      const same = current?.runId === e.runId;
      return { runId: e.runId, title: same ? current.title : e.runId, state: e.state, progress: same ? current.progress : undefined, reviews: same ? current.reviews : undefined };
    }
    case 'progress':
      if (!current || current.runId !== e.runId) return current;
      return { ...current, state: current.state === 'starting' ? 'running' : current.state, progress: e.progress };
    case 'change_proposed':
    case 'change_decided': {
      if (!current || current.runId !== e.runId) return current;
      const reviews = Math.max(0, (current.reviews ?? 0) + (e.type === 'change_proposed' ? 1 : -1));
      return reviews === (current.reviews ?? 0) ? current : { ...current, reviews };
    }
    default:
      return current;
  }
}

const ICON: Record<RunState, string> = {
  starting: '$(loading~spin)',
  running: '$(loading~spin)',
  waiting: '$(question)',
  succeeded: '$(check)',
  failed: '$(error)',
  stopped: '$(debug-stop)',
  budget: '$(warning)',
  lost: '$(warning)',
};

export function statusText(run: ActiveRun | undefined): { text: string; tooltip: string } | undefined {
  if (!run) return undefined;
  const live = LIVE.has(run.state);
  const reviews = live ? run.reviews ?? 0 : 0;
  const p = run.progress;
  let icon = ICON[run.state];
  let detail: string = run.state;
  let state: string = run.state;
  if (reviews > 0) {
    // Held by a proposal (the recipe, a fix): the last attempt's '0%' would read as a stalled run.
    // How many is the review's own item ("1 change to review"), beside this one.
    icon = '$(diff)';
    detail = 'waiting for your review';
    state = `waiting for your review of ${reviews} change${reviews === 1 ? '' : 's'}`;
  } else if (run.state === 'waiting') {
    detail = 'waiting for you';
    state = detail;
  } else if (p && live) {
    detail = p.total ? `${Math.floor((p.current / p.total) * 100)}%` : `step ${p.current}`;
    if (p.etaSeconds !== undefined && p.etaSeconds > 0) detail += ` · ${Math.round(p.etaSeconds / 60)}m left`;
  }
  return {
    text: `${icon} ML Intern: ${detail}`,
    tooltip: `${run.title} — ${state}${p?.loss !== undefined ? ` · loss ${p.loss.toFixed(4)}` : ''}\nClick to open the ML Intern chat.`,
  };
}
