/**
 * The side-by-side Try-it view in an editor tab: the webview (src/ui/tryIt/tryItHtml.ts, media/tryIt/) and the
 * host's controller (core/export/tryItView.ts) wired to the two backends.
 *
 * transformers: each Run is a 'try-it' Evaluate/Merge/Push session (try_it.py proposed as a diff,
 * the command approved, run detached in the sandbox when there is one, everything kept in a run
 * folder). The view reads the run's log as it grows (logs/train.log: every byte try_it.py prints),
 * not the panel's half-second tail, so no piece of an answer is lost.
 * vLLM: the endpoint through the `openai` client; the transcript goes where try_it.py keeps its own.
 * "Start a vLLM server": core/export/vllmServer.ts with this window's python, approval dialog and
 * detached terminal; its records and a written chat template in the try-it folder's vllm-server/.
 */
import * as path from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { Host } from '../host';
import type { SessionManager } from '../session/sessionManager';
import { makeNonce } from '../../ui/chat/webviewHtml';
import { tryItHtml } from '../../ui/tryIt/tryItHtml';
import { ArtifactSession } from '../../core/session/artifactSession';
import { TRANSCRIPT_FILE } from '../../core/export/tryItPlan';
import { lastTranscriptSession } from '../../core/export/tryItStream';
import { followFile } from '../../core/exec/fileFollower';
import { TryItRunners, TryItViewController, TryItViewInit } from '../../core/export/tryItView';
export { tryItInit } from '../../ui/tryIt/tryItInit';
import { loadLlm } from '../lazy/loader';
import { resolvePython } from '../python/interpreter';
import { askToRun } from '../session/approvals';
import { launchWithTerminal } from '../session/sessionDeps';
import { modelFolderFiles } from '../../core/export/exportPlan';
import { resolveProgram } from '../../core/session/artifactPlan';
import { serveVllm, VllmServerState } from '../../core/export/vllmServer';
import type { FileStore } from '../../core/ports';

/** `vllm serve` for the model under try: asked like the product's other commands (mlIntern.autoApprove 'all'/'recipe' let it through). */
async function serveForView(host: Host, files: FileStore, init: TryItViewInit, onState: (s: VllmServerState) => void, signal: AbortSignal): Promise<void> {
  const python = await resolvePython(host);
  const token = await host.secrets.get('hf');
  const folder = files.resolve(`${path.posix.dirname(init.transcript)}/vllm-server`);
  await serveVllm(
    {
      modelDir: files.resolve(init.model),
      model: init.model,
      baseModel: init.baseModel,
      seen: await modelFolderFiles(init.model, (p) => files.readIfExists(p)),
      trainedName: init.vllm.trainedName,
      python: python.path,
      folder,
      resolveProgram,
      approve: async (r) => {
        const policy = host.settings().autoApprove;
        // The server runs on this machine, never in the sandbox: only 'all' and 'recipe' skip the dialog.
        if (policy === 'all' || policy === 'recipe') return { approved: true };
        return askToRun({ ...r, origin: 'recipe', tool: 'run' });
      },
      launch: (spec) => launchWithTerminal(spec),
      writeFile: async (p, text) => {
        await mkdir(path.dirname(p), { recursive: true });
        await writeFile(p, text);
      },
      // A gated base (Llama, Gemma) downloads with the user's token.
      ...(token ? { env: { HF_TOKEN: token } } : {}),
    },
    (s) => {
      if (s.state === 'ready' || s.state === 'failed' || s.state === 'stopped') host.logger.info(`Try it vLLM server: ${s.state}: ${s.message}`);
      onState(s);
    },
    signal,
  );
}

/** try_it.py through the session; the log followed from its first byte until the session ends. */
async function runScript(host: Host, sessions: SessionManager, request: Parameters<TryItRunners['script']>[0], onOutput: (text: string) => void, signal: AbortSignal): Promise<{ ok: boolean; message: string }> {
  const deps = await sessions.deps({ withLlm: false });
  const session = await ArtifactSession.create({ kind: 'try-it', ...request }, deps);
  const tracked = sessions.track(session);
  host.logger.info(`Run ${session.runId} started: try-it from the side-by-side view (${session.handle.folder})`);
  // The diff of try_it.py and the approval are in the ML Intern panel.
  void vscode.commands.executeCommand('mlIntern.chat.focus').then(undefined, () => undefined);
  let streamed = false;
  const follower = followFile(path.join(deps.files.resolve(session.handle.folder), 'logs', 'train.log'), (text) => {
    streamed ||= text.includes('"event"');
    onOutput(text);
  }, { from: 'start', pollMs: 150 });
  const onAbort = () => void session.stop();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const outcome = await session.execute();
    follower.drain();
    // A step that ran elsewhere (a Slurm job logs apart) streamed nothing here: its whole answers, from the transcript.
    if (!streamed && outcome.kind === 'succeeded') {
      const transcript = session.scriptFolder ? await deps.files.readIfExists(`${session.scriptFolder}/${TRANSCRIPT_FILE}`).catch(() => undefined) : undefined;
      if (transcript) onOutput(`${lastTranscriptSession(transcript)}\n`);
    }
    return { ok: outcome.kind === 'succeeded', message: outcome.summary.split('\n')[0] };
  } finally {
    follower.stop();
    signal.removeEventListener('abort', onAbort);
    tracked.dispose();
  }
}

export function openTryItPanel(host: Host, sessions: SessionManager, init: TryItViewInit): vscode.WebviewPanel {
  const files = host.requireWritableWorkspace('try the model');
  const dist = vscode.Uri.joinPath(host.context.extensionUri, 'dist');
  const panel = vscode.window.createWebviewPanel('mlIntern.tryIt', `Try ${init.model.split('/').pop() ?? init.model}`, vscode.ViewColumn.Active, {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [dist],
    retainContextWhenHidden: true,
  });
  panel.webview.html = tryItHtml({
    cspSource: panel.webview.cspSource,
    scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'tryit.js')).toString(),
    nonce: makeNonce((n) => randomBytes(n)),
    title: `Try ${init.model}`,
  });
  const runners: TryItRunners = {
    script: (request, onOutput, signal) => runScript(host, sessions, request, onOutput, signal),
    // The openai SDK comes with dist/llm.js, loaded on first use, not at activation.
    vllm: (options, emit) => loadLlm().streamTryItVllm(options, emit),
    appendTranscript: (text) => files.append(init.transcript, text),
    serve: (onState, signal) => serveForView(host, files, init, onState, signal),
  };
  let open = true;
  // The server's last word (stopped) comes after the tab closed: a disposed webview takes no message.
  const controller = new TryItViewController(init, runners, (m) => void (open && panel.webview.postMessage(m)));
  const sub = panel.webview.onDidReceiveMessage((m: unknown) => {
    controller.receive(m).catch((err) => host.logger.error(`Try it view: ${err instanceof Error ? err.stack : String(err)}`));
  });
  // Closing the tab stops what it started: nobody would see the answers.
  // The window closing or reloading (the extension deactivated) sends the server SIGINT; one that outlives it is replaced by the next Start.
  const onExit = { dispose: () => controller.dispose() };
  host.context.subscriptions.push(onExit);
  panel.onDidDispose(() => {
    const i = host.context.subscriptions.indexOf(onExit);
    if (i >= 0) host.context.subscriptions.splice(i, 1);
    open = false;
    sub.dispose();
    controller.dispose();
  });
  return panel;
}
