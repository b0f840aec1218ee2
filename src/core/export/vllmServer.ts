/**
 * "Start a vLLM server" from the Try-it view, host side and free of 'vscode': the `vllm serve` line
 * (vllmServe.ts) approved like every command the product runs, started detached (its own process
 * group, its log in a folder, shown in a terminal the extension owns), then GET <endpoint>/models
 * polled until the base and the trained names are both served. The view hears each step; a server
 * that exits first is explained from its log's tail. Stopping (the Stop button, the tab closed)
 * stops the process group.
 */
import { createServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { attachDetached, DetachedRun, DetachedSpec } from '../exec/detached';
import type { ExportFiles } from './exportPlan';
import { explainVllmExit, planVllmServe, VllmServeError } from './vllmServe';
import { shellLine } from '../recipes/templates/escape';

export type VllmServerState =
  | { state: 'unavailable'; message: string; commands?: string[] }
  | { state: 'waiting' | 'starting' | 'declined' | 'failed' | 'stopped'; message: string }
  | { state: 'ready'; message: string; endpoint: string; baseName: string; trainedName: string };

export interface VllmServerDeps {
  /** The model folder, absolute, and how the user knows it. */
  modelDir: string;
  model: string;
  baseModel: string;
  seen: ExportFiles;
  trainedName: string;
  /** mlIntern.pythonPath's interpreter: `vllm` is taken from its bin/ and its bin/ leads PATH. */
  python: string;
  /** Absolute folder for the server's records (logs/) and a written chat template. */
  folder: string;
  resolveProgram(argv0: string, python: string): string;
  approve(request: { argv: string[]; cwd: string; reason: string; detail: string }): Promise<{ approved: boolean; reason?: string }>;
  launch(spec: DetachedSpec): Promise<DetachedRun>;
  writeFile(absPath: string, text: string): Promise<void>;
  env?: Record<string, string>;
  port?: number;
  fetch?: typeof fetch;
  pollMs?: number;
}

/** A port nobody listens on now (the kernel's pick), for the server to take. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** The served model ids, or undefined while the server does not answer yet. */
async function servedModels(endpoint: string, doFetch: typeof fetch, signal: AbortSignal): Promise<string[] | undefined> {
  try {
    const res = await doFetch(`${endpoint}/models`, { signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]) });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { data?: { id?: unknown }[] };
    return (body.data ?? []).flatMap((m) => (typeof m.id === 'string' ? [m.id] : []));
  } catch {
    return undefined;
  }
}

async function tail(file: string, bytes = 16_000): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.slice(-bytes);
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** The server's whole life: resolves when it has ended (declined, failed, stopped) or could not be planned. */
export async function serveVllm(d: VllmServerDeps, onState: (s: VllmServerState) => void, signal: AbortSignal): Promise<void> {
  const port = d.port ?? (await freePort());
  const program = d.resolveProgram('vllm', d.python);
  let plan;
  try {
    plan = planVllmServe({ modelDir: d.modelDir, model: d.model, seen: d.seen, trainedName: d.trainedName, baseModel: d.baseModel, port, program, templateFile: path.join(d.folder, 'chat_template.jinja') });
  } catch (err) {
    if (err instanceof VllmServeError) return onState({ state: 'failed', message: err.message });
    throw err;
  }
  if (plan.kind === 'full') return onState({ state: 'unavailable', message: plan.message, commands: plan.commands.map(shellLine) });
  onState({ state: 'waiting', message: 'Approve the vllm serve command (the dialog shows it).' });
  const decision = await d.approve({
    argv: plan.argv,
    cwd: d.folder,
    reason: `Start a vLLM server for Try it: ${plan.baseName} as itself and ${d.model} as ${plan.trainedName}, at ${plan.endpoint}`,
    detail: plan.notes.join('\n'),
  });
  if (!decision.approved) return onState({ state: 'declined', message: `The vLLM server was not started (${decision.reason ?? 'declined'}): nothing ran.` });
  if (signal.aborted) return onState({ state: 'stopped', message: 'Stopped before it started.' });
  if (plan.writeTemplate) await d.writeFile(plan.writeTemplate.path, plan.writeTemplate.content);
  // A server this view started before a window reload still runs in its folder, holding the GPU: a new Start replaces it.
  const left = await attachDetached(d.folder).catch(() => undefined);
  if (left && 'pid' in left) {
    onState({ state: 'starting', message: `Stopping the vLLM server left running from before (pid ${left.pid}) …` });
    await left.stop('replaced by a new Start from the Try it view');
    left.dispose();
  }
  const binDir = /[\\/]/.test(d.python) ? path.dirname(d.python) : undefined;
  const env = { ...(d.env ?? {}), ...(binDir ? { PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}` } : {}) };
  let run: DetachedRun;
  try {
    run = await d.launch({ argv: plan.argv, cwd: d.folder, env, runDir: d.folder, name: `ML Intern: vLLM ${plan.trainedName}`, python: d.python });
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    // A program that is not there fails here (the launcher's "could not start 'vllm'"), before any log.
    return onState({ state: 'failed', message: explainVllmExit(text, null, d.python) });
  }
  // SIGINT goes out within the abort itself: a window closing does not wait for the loop below to notice.
  signal.addEventListener('abort', () => void run.stop('stopped from the Try it view').catch(() => undefined), { once: true });
  onState({ state: 'starting', message: `vLLM is starting at ${plan.endpoint} (loading ${plan.baseName}; the first start downloads it). Its output is in the terminal "vLLM ${plan.trainedName}".` });
  const ended: { code: number | null; done: boolean } = { code: null, done: false };
  void run.exit.then((e) => Object.assign(ended, { code: e.code, done: true }));
  const stopped = () => run.stop('stopped from the Try it view').then(() => onState({ state: 'stopped', message: 'The vLLM server was stopped.' }));
  const doFetch = d.fetch ?? fetch;
  const want = [plan.baseName, plan.trainedName];
  try {
    for (;;) {
      if (signal.aborted) return await stopped();
      if (ended.done) return onState({ state: 'failed', message: explainVllmExit(await tail(run.logFile), ended.code, d.python) });
      const served = await servedModels(plan.endpoint, doFetch, signal);
      if (served && want.every((n) => served.includes(n))) break;
      await Promise.race([sleep(d.pollMs ?? 1_000, signal), run.exit]);
    }
    onState({ state: 'ready', message: `vLLM is ready at ${plan.endpoint}: ${plan.baseName} and ${plan.trainedName} are served. Run both.`, endpoint: plan.endpoint, baseName: plan.baseName, trainedName: plan.trainedName });
    await Promise.race([run.exit, new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))]);
    if (signal.aborted && !ended.done) return await stopped();
    onState({ state: 'failed', message: `The vLLM server exited: ${explainVllmExit(await tail(run.logFile), ended.code, d.python)}` });
  } finally {
    run.dispose();
  }
}
