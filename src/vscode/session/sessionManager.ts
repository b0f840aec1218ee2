/**
 * The runs this window drives: start, stop, and pick up again after a window
 * reload or a Remote-SSH reconnect (training runs are detached processes; the
 * run folder says where they are). One manager per window, built at activation
 * (services.ts); the chat agent and the Evaluate/Merge/Push sessions track their runs in it
 * so that Stop Run reaches them.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LockBusyError } from '../../core/runs/ownerLock';
import { FineTuneSession } from '../../core/session/fineTuneSession';
import { FineTuneRequest } from '../../core/session/types';
import { RunHandle, RunStore } from '../../core/runs/runStore';
import { ArtifactRequest, ArtifactSession } from '../../core/session/artifactSession';
import { startArtifact } from './recipeHandlers';
import { againLabel, endInterrupted, fineTuneAfterRestart, nothingToFollow } from '../../core/run/afterRestart';
import { RunSummary } from '../../core/runs/types';
import { startFineTune } from './startFineTune';
import { Host } from '../host';
import type { ChatHandlers } from '../chat/handlers';
import type { RunTracker } from '../statusBar';
import { buildSessionDeps, SessionServices } from './sessionDeps';
import { showRunTerminal } from '../terminal';

export interface Stoppable {
  runId: string;
  stop(): Promise<void>;
}

export interface SessionManagerServices extends SessionServices {
  /** The run the status bar shows: Stop Run without a run id stops it. */
  readonly runs: RunTracker;
}

/** An interrupted run's notice button (afterRestart.againLabel) and what it starts: the saved request, through the command's own start. */
interface Again {
  label: string;
  start: () => Promise<unknown>;
}

/** The request a fine-tune run folder recorded (spec.json), when it has the fields a run needs. */
function fineTuneRequestOf(v: unknown): FineTuneRequest | undefined {
  const r = v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  return r && typeof r.method === 'string' && typeof r.baseModel === 'string' && typeof r.dataset === 'string' ? (r as unknown as FineTuneRequest) : undefined;
}

export class SessionManager {
  private readonly active = new Map<string, Stoppable>();

  constructor(
    private readonly host: Host,
    private readonly services: SessionManagerServices,
  ) {}

  /** The ports of a fine-tune or artifact session, from the window's services. */
  deps(options: { withLlm?: boolean } = {}) {
    return buildSessionDeps(this.host, this.services, options);
  }

  track(s: Stoppable): { dispose(): void } {
    this.active.set(s.runId, s);
    return { dispose: () => void this.active.delete(s.runId) };
  }

  async stop(runId?: string): Promise<boolean> {
    const host = this.host;
    const id = runId ?? this.services.runs.activeRun()?.runId ?? [...this.active.keys()].pop();
    const s = id ? this.active.get(id) : undefined;
    if (!s) return id ? stopWaitingRun(host, id) : false;
    host.logger.info(`Stopping run ${s.runId}`);
    await s.stop();
    return true;
  }

  /** Start the deterministic fine-tune session in the background; returns once the run folder exists. */
  async runFineTune(request: FineTuneRequest): Promise<FineTuneSession> {
    const host = this.host;
    const deps = await this.deps();
    if (request.dataset && !request.columnMapping) {
      host.logger.info(`No column mapping given for ${request.dataset}; the recipe maps the columns from the dataset's format.`);
    }
    const session = await FineTuneSession.create(request, deps);
    const tracked = this.track(session);
    host.logger.info(`Run ${session.runId} started: ${request.method} ${request.baseModel} on ${request.dataset}`);
    void session.execute().then(
      (outcome) => {
        tracked.dispose();
        // The session may have pip-installed missing requirements: the next run checks the machine again.
        this.services.environment.forget();
        host.logger.info(`Run ${session.runId} ended: ${outcome.kind} — ${outcome.summary}`);
      },
      (err) => {
        tracked.dispose();
        host.logger.error(`Run ${session.runId} crashed: ${err instanceof Error ? err.stack : String(err)}`);
      },
    );
    return session;
  }

  /**
   * After activation: find the runs left 'running' and re-attach to their training process or step;
   * a run that was only waiting in the old extension host (a review, an approval) ends as interrupted.
   */
  async resumeRuns(): Promise<void> {
    const host = this.host;
    const files = host.fileStore();
    if (!files || !host.isTrusted()) return;
    const runs = await new RunStore(files, { logger: host.logger }).list();
    for (const summary of runs) {
      if (summary.status.state !== 'running' || this.active.has(summary.id)) continue;
      const status = summary.status;
      const handle = await new RunStore(files).open(summary.id);
      const spec = await handle.spec();
      if (spec.kind === 'eval' || spec.kind === 'merge' || spec.kind === 'push' || spec.kind === 'try-it' || spec.kind === 'export') {
        await this.resumeArtifactRun(handle, summary, spec.kind);
        continue;
      }
      if (spec.kind !== 'fine-tune') continue;
      const after = await fineTuneAfterRestart(files, summary);
      if (after.kind === 'elsewhere') {
        host.logger.info(after.message);
        continue;
      }
      if (after.kind === 'interrupted') {
        const request = fineTuneRequestOf(spec.request);
        await this.interrupted(handle, after.message, request && { label: againLabel('fine-tune')!, start: () => startFineTune(host, this, request) });
        continue;
      }
      const found = after.found;
      if (found.kind === 'lost') {
        await handle.updateStatus({ state: 'lost', lastMessage: found.message });
        host.events.emit({ type: 'run_state', runId: summary.id, state: 'lost', message: found.message });
        continue;
      }
      const deps = await this.deps();
      // Another window or an `ml-intern fine-tune --attach` follows it already: a second follower would repair it twice.
      const session = await FineTuneSession.reopen(handle, deps).catch((err: unknown) => {
        if (!(err instanceof LockBusyError)) throw err;
        host.logger.info(err.message);
        return undefined;
      });
      if (!session) continue;
      const tracked = this.track(session);
      if (found.kind === 'live') {
        host.logger.info(`Re-attached to run ${summary.id} (pid ${found.run.pid}).`);
        showRunTerminal(found.run, `${path.basename(found.scriptPath)} (re-attached)`, { preserveFocus: true });
      } else {
        host.logger.info(`Run ${summary.id} ended while the window was away (exit ${found.code}).`);
        void vscode.window.showInformationMessage(`ML Intern: the run "${status.title}" ended while the window was closed (exit code ${found.code}).`);
      }
      const { run, recorded } = found;
      void session.resume(run, found.scriptPath, recorded).finally(() => tracked.dispose());
    }
  }

  /**
   * A run the reload cut off while it waited in the old host: ended in its folder (the panel and the
   * status bar follow), said once, and — for a fine-tune — offered again with the same request.
   */
  private async interrupted(handle: RunHandle, message: string, again?: Again): Promise<void> {
    const host = this.host;
    await endInterrupted(handle, message, host.events);
    host.logger.info(`Run ${handle.id}: interrupted. ${message}`);
    void vscode.window.showWarningMessage(`ML Intern: ${message}`, ...(again ? [again.label] : [])).then(async (picked) => {
      if (!again || picked !== again.label) return;
      await again.start().catch((err: unknown) => {
        const why = err instanceof Error ? err.message : String(err);
        host.logger.error(`${again.label} failed: ${why}`);
        void vscode.window.showErrorMessage(`ML Intern: ${again.label} failed: ${why}`);
      });
    });
  }

  /** "Evaluate again" and the like: the run's saved request started as the command would (not for Try It, which needs its panel). */
  private artifactAgain(kind: string, request: unknown): Again | undefined {
    const label = againLabel(kind);
    if (!label || !request || typeof request !== 'object') return undefined;
    return { label, start: () => startArtifact(this.host, this, request as ArtifactRequest) };
  }

  /** An Evaluate / Merge / Push run left 'running': follow its step, then the steps after it; with no step to pick up, it was interrupted. */
  private async resumeArtifactRun(handle: RunHandle, summary: RunSummary, kind: string): Promise<void> {
    const host = this.host;
    // Another window drives it (its review or its step is there): a second driver would run its steps twice.
    const session = await ArtifactSession.reopen(handle, await this.deps({ withLlm: false })).catch((err: unknown) => {
      if (!(err instanceof LockBusyError)) throw err;
      host.logger.info(err.message);
      return undefined;
    });
    if (!session) return;
    const tracked = this.track(session);
    host.logger.info(`Run ${handle.id}: picking up its steps after the reload.`);
    void session
      .resume()
      .then(async (outcome) => {
        if (outcome) return host.logger.info(`Run ${handle.id} ended: ${outcome.kind}`);
        const files = host.fileStore();
        const after = files ? await nothingToFollow(files, summary, kind) : undefined;
        if (after?.kind === 'interrupted') await this.interrupted(handle, after.message, this.artifactAgain(kind, (await handle.spec().catch(() => undefined))?.request));
        else host.logger.info(`Run ${handle.id}: no step to pick up.${after ? ` ${after.message}` : ''}`);
      })
      .catch((err: unknown) => host.logger.error(`Run ${handle.id}: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => tracked.dispose());
  }
}

/**
 * A run waiting for the user's answer has no process and no session in this window, yet the status
 * bar shows it: Stop ends it (recorded in its folder, so the panel and a reload agree) instead of
 * saying "no run is active". Typing in its chat can still continue an agent run later. So does a
 * fine-tune the reload cut off before its training started (Stop pressed before resumeRuns ended it).
 */
async function stopWaitingRun(host: Host, runId: string): Promise<boolean> {
  const files = host.fileStore();
  if (!files || !host.isTrusted()) return false;
  const store = new RunStore(files, { logger: host.logger });
  const handle = await store.open(runId).catch(() => undefined);
  if (!handle) return false;
  const status = await handle.readStatus();
  if (status.state === 'running' && !status.scriptPath && (await handle.spec().catch(() => undefined))?.kind === 'fine-tune') {
    const after = await nothingToFollow(files, { id: runId, folder: handle.folder, status }, 'fine-tune');
    if (after.kind !== 'interrupted') return false;
    await endInterrupted(handle, after.message, host.events);
    host.logger.info(`Run ${runId}: stopped; the reload had cut it off before its training.`);
    return true;
  }
  if (status.state !== 'waiting') return false;
  const message = 'Stopped while it waited for your answer.';
  await handle.updateStatus({ state: 'stopped', lastMessage: message, question: undefined });
  await handle.appendTranscript({ kind: 'state', state: 'stopped', message });
  host.events.emit({ type: 'run_state', runId, state: 'stopped', message });
  host.logger.info(`Run ${runId}: stopped while waiting for an answer.`);
  return true;
}

/** Stop Run goes to the window's session manager; the runs a reload left running are picked up. */
export function registerSessions(host: Host, sessions: SessionManager, handlers: ChatHandlers): void {
  handlers.stop = (_host, runId) => sessions.stop(runId);
  void sessions.resumeRuns().catch((err) => host.logger.error(`Resuming runs failed: ${err instanceof Error ? err.message : String(err)}`));
}
