/**
 * The chat panel's messages go to the agent loop when an LLM is configured;
 * without one, the panel explains recipe mode (defaultChat). One agent run per
 * conversation: a message while a run waits for an answer continues that run.
 */
import * as vscode from 'vscode';
import { AgentDeps, AgentSession } from '../../core/agent/agentLoop';
import { createAgentRegistry } from '../../core/tools/domain';
import { registerCustomTools } from '../../core/tools/customTools';
import { loadMcp } from '../lazy/loader';
import { RunStore } from '../../core/runs/runStore';
import { Host } from '../host';
import { ChatContext, setChatHandler } from '../chat/handlers';
import { defaultChat } from '../chat/defaultChat';
import { createHostProvider } from '../llm/createHostProvider';
import { getReviewController } from '../review/register';
import { VsCodeExecutor } from '../terminal';
import { resolvePython } from '../python/interpreter';
import { askToRun } from './approvals';
import { trackSession } from './sessionManager';
import { redactor } from '../../core/util/redact';

const sessions = new Map<string, AgentSession>();

async function agentDeps(host: Host): Promise<{ deps: AgentDeps; dispose: () => Promise<void> } | undefined> {
  const llm = await createHostProvider(host);
  if (!llm) return undefined;
  const files = host.requireWritableWorkspace('run the agent');
  const reviewer = getReviewController();
  if (!reviewer) throw new Error('The review view is not ready yet.');
  const settings = { ...host.settings(), pythonPath: (await resolvePython(host)).path };
  const tools = createAgentRegistry();
  const custom = await registerCustomTools(tools, { workspaceRoot: files.root, python: settings.pythonPath });
  for (const e of custom.errors) host.logger.warn(`Custom tool: ${e}`);
  const mcp = Object.keys(settings.mcpServers).length ? await loadMcp().registerMcpServers(tools, settings.mcpServers, { cwd: files.root, logger: host.logger }) : undefined;
  const token = await host.secrets.get('hf');
  return {
    deps: {
      llm,
      files,
      reviewer,
      executor: new VsCodeExecutor({ logger: host.logger }),
      events: host.events,
      settings,
      tools,
      runs: new RunStore(files, { logger: host.logger }),
      logger: host.logger,
      approveCommand: askToRun,
      env: token ? { HF_TOKEN: token } : undefined,
    },
    dispose: async () => {
      await mcp?.dispose();
    },
  };
}

async function handleChat(text: string, ctx: ChatContext): Promise<void> {
  const { host } = ctx;
  let built;
  try {
    built = await agentDeps(host);
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

async function isAgentRun(deps: AgentDeps, runId: string): Promise<boolean> {
  try {
    const spec = await (deps.runs ?? new RunStore(deps.files)).open(runId).then((h) => h.spec());
    return spec.kind !== 'fine-tune';
  } catch {
    return false;
  }
}

export function registerChatAgent(_host: Host): void {
  setChatHandler(handleChat);
}
