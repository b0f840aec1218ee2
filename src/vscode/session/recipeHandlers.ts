/**
 * Evaluate / Merge Models / Push to Hub: the commands collect the inputs
 * (src/vscode/commands/recipeCommands.ts); these handlers turn them into an
 * ArtifactSession (recipe → reviewed files → approved commands run detached in
 * terminals → results in the chat panel), built from the same ports as the
 * fine-tune session, and tracked so "ML Intern: Stop Run" stops them.
 *
 * "Merge Models" merges a LoRA adapter into its base (peft merge_and_unload,
 * the eval recipe's merge_adapter.py); a mergekit merge of several models is
 * the session's 'merge' kind, reachable from the agent's write_recipe tool.
 */
import * as vscode from 'vscode';
import { ArtifactRequest, ArtifactSession } from '../../core/session/artifactSession';
import type { ChatHandlers, EvaluateRequest, MergeRequest, PushRequest } from '../chat/handlers';
import { Host } from '../host';
import type { SessionManager } from './sessionManager';

export function evaluateToArtifact(r: EvaluateRequest): ArtifactRequest {
  return { kind: 'eval', model: r.model, ...(r.baseModel ? { baseModel: r.baseModel } : {}), tasks: r.tasks, ...(r.limit ? { limit: r.limit } : {}) };
}

export function mergeToArtifact(r: MergeRequest): ArtifactRequest {
  return { kind: 'merge-adapter', baseModel: r.baseModel, adapter: r.adapter, output: r.output };
}

export function pushToArtifact(r: PushRequest): ArtifactRequest {
  return { kind: 'push', folder: r.folder, repo: r.repo, private: r.private };
}

/** Start the session in the background; resolves once its run folder exists (errors before that reach the command's notification). */
export async function startArtifact(host: Host, sessions: SessionManager, request: ArtifactRequest): Promise<ArtifactSession> {
  // No LLM: these recipes are deterministic and a failure ends with the diagnosis.
  const deps = await sessions.deps({ withLlm: false });
  const session = await ArtifactSession.create(request, deps);
  const tracked = sessions.track(session);
  host.logger.info(`Run ${session.runId} started: ${request.kind} (${session.handle.folder})`);
  void vscode.commands.executeCommand('mlIntern.chat.focus').then(undefined, () => undefined);
  void session.execute().then(
    (outcome) => {
      tracked.dispose();
      host.logger.info(`Run ${session.runId} ended: ${outcome.kind} — ${outcome.summary}`);
      const first = outcome.summary.split('\n')[0];
      if (outcome.kind === 'succeeded') void vscode.window.showInformationMessage(`ML Intern: ${first}`);
      else if (outcome.kind === 'failed') void vscode.window.showErrorMessage(`ML Intern: ${first}`);
    },
    (err) => {
      tracked.dispose();
      host.logger.error(`Run ${session.runId} crashed: ${err instanceof Error ? err.stack : String(err)}`);
    },
  );
  return session;
}

export function registerRecipeHandlers(host: Host, sessions: SessionManager, handlers: ChatHandlers): void {
  host.logger.debug('Evaluate / Merge / Push handlers: recipe sessions');
  handlers.evaluate = async (h, r) => void (await startArtifact(h, sessions, evaluateToArtifact(r)));
  handlers.merge = async (h, r) => void (await startArtifact(h, sessions, mergeToArtifact(r)));
  handlers.push = async (h, r) => void (await startArtifact(h, sessions, pushToArtifact(r)));
}
