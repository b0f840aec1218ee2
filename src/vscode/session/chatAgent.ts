/**
 * The chat panel's messages go to the agent loop when an LLM is configured;
 * without one, the panel explains recipe mode (defaultChat). One agent run per
 * conversation: a message while a run waits for an answer continues that run.
 * One ChatAgent per window, built at activation (services.ts).
 */
import * as vscode from 'vscode';
import { AgentDeps, AgentSession } from '../../core/agent/agentLoop';
import { createAgentRegistry } from '../../core/tools/domain';
import { environmentBriefing } from '../../core/agent/briefing';
import { registerCustomTools } from '../../core/tools/customTools';
import { withCodeActions } from '../../core/codeActions/actionMode';
import { loadMcp } from '../lazy/loader';
import { RunStore } from '../../core/runs/runStore';
import { drivenElsewhere } from '../../core/runs/runLocks';
import { endInterrupted, isAgentKind, nothingToFollow } from '../../core/run/afterRestart';
import { Host } from '../host';
import type { ChatContext, ChatHandlers } from '../chat/handlers';
import { defaultChat } from '../chat/defaultChat';
import { createHostProvider } from '../llm/createHostProvider';
import type { ReviewController } from '../review/reviewController';
import { showRunTerminal, VsCodeExecutor } from '../terminal';
import { attachDetached } from '../../core/exec/detached';
import { defaultSlurmDeps } from '../../core/run/slurmJobs';
import { attachCommand } from '../../core/tools/detachedCommand';
import type { ProcessTranscriptEntry } from '../../core/runs/types';
import { resolvePython } from '../python/interpreter';
import { askToRun } from './approvals';
import { launchWithTerminal } from './sessionDeps';
import type { SessionManager, Stoppable } from './sessionManager';
import { redactor } from '../../core/util/redact';

/** The button on an interrupted chat run's notice. */
const OPEN_CHAT = 'Open chat';

/** The window's services the chat agent uses (services.ts). */
export interface ChatAgentServices {
  /** The Reviewer the agent's writes go through. */
  readonly review: ReviewController;
  /** Where its runs are tracked, so that Stop Run reaches them. */
  readonly sessions: SessionManager;
}

async function agentDeps(host: Host, reviewer: ReviewController): Promise<{ deps: AgentDeps; dispose: () => Promise<void> } | undefined> {
  const llm = await createHostProvider(host);
  if (!llm) return undefined;
  const files = host.requireWritableWorkspace('run the agent');
  const settings = { ...host.settings(), pythonPath: (await resolvePython(host)).path };
  const tools = createAgentRegistry({ executionTarget: settings.executionTarget });
  const custom = await registerCustomTools(tools, { workspaceRoot: files.root, python: settings.pythonPath });
  for (const e of custom.errors) host.logger.warn(`Custom tool: ${e}`);
  const mcp = Object.keys(settings.mcpServers).length ? await loadMcp().registerMcpServers(tools, settings.mcpServers, { cwd: files.root, logger: host.logger, sandbox: { settings: settings.sandbox } }) : undefined;
  const token = await host.secrets.get('hf');
  // mlIntern.agent.actions: with code actions the loop offers `python` (and the steering tools); the code calls the rest.
  const actions = withCodeActions(tools, settings.agentActions);
  return {
    deps: {
      llm,
      files,
      reviewer,
      executor: new VsCodeExecutor({ logger: host.logger }),
      events: host.events,
      settings,
      tools: actions.tools,
      // The machine (versions, GPUs) in the first user message: the system prompt stays cacheable.
      briefing: environmentBriefing,
      runs: new RunStore(files, { logger: host.logger }),
      logger: host.logger,
      approveCommand: askToRun,
      env: token ? { HF_TOKEN: token } : undefined,
      // The agent's `run` commands (training) are detached and shown in a terminal that follows
      // their log: a window reload leaves them running and the reopened run waits for them.
      detached: {
        launch: launchWithTerminal,
        show: (run, name) => void showRunTerminal(run, name, { preserveFocus: true }),
      },
    },
    dispose: async () => {
      await actions.dispose();
      await mcp?.dispose();
    },
  };
}

export class ChatAgent {
  /** The agent runs of this window's conversations, by run id. */
  private readonly sessions = new Map<string, AgentSession>();

  constructor(
    private readonly host: Host,
    private readonly services: ChatAgentServices,
  ) {}

  /** A message typed in the panel (the panel's chat handler). */
  async handle(text: string, ctx: ChatContext): Promise<void> {
    const { host } = ctx;
    const { sessions } = this;
    const trackSession = (s: Stoppable) => this.services.sessions.track(s);
    // A message while the agent works goes to that run (read at its next step), not to a new one.
    const working = ctx.runId ? sessions.get(ctx.runId) : undefined;
    if (working?.isRunning) {
      await working.queueMessage(text);
      return;
    }
    let built;
    try {
      built = await agentDeps(host, this.services.review);
    } catch (err) {
      const message = redactor.redact(err instanceof Error ? err.message : String(err));
      const runId = ctx.runId ?? 'chat';
      host.events.emit({ type: 'user_message', runId, text });
      host.events.emit({ type: 'notice', runId, level: 'error', message });
      return;
    }
    if (!built) return defaultChat(text, ctx);
    const { deps, dispose } = built;
    try {
      const existing = ctx.runId ? sessions.get(ctx.runId) : undefined;
      if (existing && !existing.isRunning) {
        await existing.continueRun(existing.currentState === 'waiting' ? text : { message: text });
        return;
      }
      if (ctx.runId && !existing && (await isAgentRun(deps, ctx.runId))) {
        const reopened = await AgentSession.reopen(deps, ctx.runId);
        sessions.set(reopened.id, reopened);
        const tracked = trackSession({ runId: reopened.id, stop: async () => reopened.cancel() });
        await reopened.continueRun(reopened.currentState === 'waiting' ? text : { message: text }).finally(() => tracked.dispose());
        return;
      }
      const session = await AgentSession.create(deps, { goal: text });
      sessions.set(session.id, session);
      const tracked = trackSession({ runId: session.id, stop: async () => session.cancel() });
      await session.start().finally(() => tracked.dispose());
    } catch (err) {
      host.logger.error(`Agent run failed: ${err instanceof Error ? err.stack : String(err)}`);
      void vscode.window.showErrorMessage(`ML Intern: ${redactor.redact(err instanceof Error ? err.message : String(err))}`);
    } finally {
      await dispose();
    }
  }

  /**
   * After activation: an agent run that was waiting for a command it started (a training, now
   * detached) when the window went away is reopened and goes on — it waits for the command, gives
   * the model the real result and continues. The language model may not be there yet right after a
   * reload (VS Code's models register after activation): it is asked again for a while. Without
   * one, the run stays as it was and goes on when the user continues it.
   */
  async resumeAgentRuns(retry = { tries: 24, delayMs: 5000 }): Promise<void> {
    const { host, sessions } = this;
    const trackSession = (s: Stoppable) => this.services.sessions.track(s);
    const files = host.fileStore();
    if (!files || !host.isTrusted()) return;
    const store = new RunStore(files, { logger: host.logger });
    const waiting: string[] = [];
    const pending: Array<{ folder: string; record: ProcessTranscriptEntry }> = [];
    for (const summary of await store.list()) {
      if (summary.status.state !== 'running' || sessions.has(summary.id)) continue;
      // Driven by another live process (a terminal's ml-intern run, another window): not this window's to resume.
      const elsewhere = drivenElsewhere(summary.status, summary.id);
      if (elsewhere) {
        host.logger.info(elsewhere);
        continue;
      }
      const commands = await pendingCommands(store, summary.id);
      if (commands.length) waiting.push(summary.id);
      else if (await isChatRun(store, summary.id)) {
        // Nothing of it outlived the old host (a review, an approval, a model call in flight): ended as interrupted; a message continues it.
        const after = await nothingToFollow(files, summary, undefined);
        if (after.kind === 'interrupted') {
          await endInterrupted(await store.open(summary.id), after.message, host.events);
          // Said where it is seen with the panel closed too, as an interrupted fine-tune is.
          void vscode.window.showWarningMessage(`ML Intern: ${after.message}`, OPEN_CHAT).then((picked) => picked === OPEN_CHAT && vscode.commands.executeCommand('mlIntern.chat.focus'));
        }
        host.logger.info(`Agent run ${summary.id}: ${after.message}`);
      }
      pending.push(...commands.map((record) => ({ folder: summary.folder, record })));
    }
    if (waiting.length === 0) return;
    let built: Awaited<ReturnType<typeof agentDeps>>;
    for (let attempt = 1; ; attempt++) {
      try {
        built = await agentDeps(host, this.services.review);
        break;
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        if (attempt >= retry.tries) {
          host.logger.warn(`Cannot resume agent runs: ${why}`);
          // The user can still watch and stop (Ctrl+C) what is running.
          for (const { folder, record } of pending) {
            const found = await attachCommand(record, { runDir: files.resolve(folder), records: files.resolve(record.dir), attach: attachDetached, slurm: defaultSlurmDeps });
            if (found && 'detached' in found) showRunTerminal(found, `${record.name} (re-attached)`, { preserveFocus: true });
          }
          void vscode.window.showWarningMessage(
            `ML Intern: an agent run was waiting for a command it started before the reload, and cannot go on yet: ${redactor.redact(why)} Its command keeps running; send a message in its chat to continue the run once the model is available.`,
          );
          return;
        }
        await new Promise((r) => setTimeout(r, retry.delayMs));
      }
    }
    if (!built) return; // no language model configured: the run goes on when the user continues it
    const deps = built.deps;
    const resumedRuns: Promise<unknown>[] = [];
    try {
      for (const id of waiting) {
        if (sessions.has(id)) continue; // the user continued it meanwhile
        const session = await AgentSession.reopen(deps, id);
        const resumed = session.resumeAfterReload();
        if (!resumed) continue;
        host.logger.info(`Agent run ${id}: waiting again for the command it started before the reload.`);
        sessions.set(session.id, session);
        const tracked = trackSession({ runId: session.id, stop: async () => session.cancel() });
        resumedRuns.push(resumed.finally(() => tracked.dispose()));
      }
    } finally {
      // The tools (MCP servers) live as long as the runs that use them.
      void Promise.allSettled(resumedRuns).then(() => built.dispose());
    }
  }
}

async function isAgentRun(deps: AgentDeps, runId: string): Promise<boolean> {
  try {
    const spec = await (deps.runs ?? new RunStore(deps.files)).open(runId).then((h) => h.spec());
    return spec.kind !== 'fine-tune';
  } catch {
    return false;
  }
}

/** An agent (chat) run: its spec names no recipe kind (fine-tune, eval…), which the session manager resumes. */
async function isChatRun(store: RunStore, runId: string): Promise<boolean> {
  try {
    return isAgentKind((await (await store.open(runId)).spec()).kind);
  } catch {
    return false;
  }
}

/** The detached commands of an agent run that have no result yet (cheap: no LLM, no tools). */
async function pendingCommands(store: RunStore, runId: string): Promise<ProcessTranscriptEntry[]> {
  try {
    const handle = await store.open(runId);
    if ((await handle.spec()).kind === 'fine-tune') return [];
    const { entries } = await handle.readTranscript();
    const answered = new Set(entries.flatMap((e) => (e.kind === 'tool_result' ? [e.callId] : [])));
    return entries.filter((e): e is ProcessTranscriptEntry & { ts?: string } => e.kind === 'process' && !answered.has(e.callId));
  } catch {
    return [];
  }
}

/** The panel's messages go to the window's chat agent; agent runs a reload cut off go on. */
export function registerChatAgent(host: Host, agent: ChatAgent, handlers: ChatHandlers): void {
  handlers.chat = (text, ctx) => agent.handle(text, ctx);
  void agent.resumeAgentRuns().catch((err) => host.logger.error(`Resuming agent runs failed: ${err instanceof Error ? err.message : String(err)}`));
}
