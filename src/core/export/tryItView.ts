/**
 * The side-by-side Try-it view's message flow, host side, free of 'vscode' so it is tested as is:
 * the view posts `run` (prompts, system prompt, sampling, backend) or `stop`; the controller checks
 * the message, starts the backend and forwards what comes out as Try-it events (the columns
 * stream) and log lines (what the process said that is not an event), then the end state.
 *
 * transformers: try_it.py through the runner (the host proposes it as a diff, asks before running
 * it, runs it in the sandbox when there is one; try_it.py keeps the transcript). vLLM: the
 * endpoint through the `openai` client (nothing runs here), the transcript kept by the controller.
 * `serve` starts that endpoint (vllmServer.ts: approved, detached, polled until ready) and fills
 * the view's vLLM fields; `serve-stop`, or the tab closed (`dispose`), stops it.
 */
import { keptInTranscript, TryItEvent, TryItStreamParser } from './tryItStream';
import type { TryItRequest } from './tryItPlan';
import type { VllmTryItOptions } from './tryItVllm';
import type { VllmServerState } from './vllmServer';

export interface TryItSampling {
  temperature: number;
  topP: number;
  maxNewTokens: number;
  seed: number;
}

export interface VllmTarget {
  endpoint: string;
  baseName: string;
  trainedName: string;
}

/** What the view opens with. */
export interface TryItViewInit extends TryItSampling {
  model: string;
  baseModel: string;
  prompts: string[];
  system: string;
  vllm: VllmTarget;
  /** Workspace-relative transcript file (shown to the user). */
  transcript: string;
}

export type TryItRunMessage = { type: 'run'; backend: 'transformers' | 'vllm'; prompts: string[]; system: string } & TryItSampling & Partial<VllmTarget>;
export type TryItFromView = { type: 'ready' } | { type: 'stop' } | { type: 'serve' } | { type: 'serve-stop' } | TryItRunMessage;

export type TryItState = 'idle' | 'waiting' | 'running' | 'done' | 'failed' | 'stopped';
export type TryItToView =
  | { type: 'init'; init: TryItViewInit }
  | { type: 'events'; events: TryItEvent[] }
  | { type: 'log'; lines: string[] }
  | { type: 'status'; state: TryItState; message?: string }
  | { type: 'server'; server: VllmServerState };

export const TRY_IT_LIMITS = { prompts: 20, promptChars: 8_000, systemChars: 8_000, maxNewTokens: 8_192, nameChars: 200, endpointChars: 500 };

const num = (v: unknown, lo: number, hi: number): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi ? v : undefined);
const str = (v: unknown, max: number): string | undefined => (typeof v === 'string' && v.length <= max ? v : undefined);

/** A message from the view, checked; a string says what was wrong (the view is not trusted more than any webview). */
export function parseTryItMessage(raw: unknown): TryItFromView | string {
  if (!raw || typeof raw !== 'object') return 'not a message';
  const m = raw as Record<string, unknown>;
  if (m.type === 'ready' || m.type === 'stop' || m.type === 'serve' || m.type === 'serve-stop') return { type: m.type };
  if (m.type !== 'run') return `unknown message type ${String(m.type).slice(0, 40)}`;
  if (m.backend !== 'transformers' && m.backend !== 'vllm') return 'backend must be transformers or vllm';
  if (!Array.isArray(m.prompts) || m.prompts.length > TRY_IT_LIMITS.prompts) return `prompts: up to ${TRY_IT_LIMITS.prompts}`;
  const prompts = m.prompts.map((p) => str(p, TRY_IT_LIMITS.promptChars)?.trim());
  if (prompts.some((p) => p === undefined)) return `each prompt is text of at most ${TRY_IT_LIMITS.promptChars} characters`;
  const kept = (prompts as string[]).filter(Boolean);
  if (!kept.length) return 'Type at least one prompt.';
  const system = str(m.system ?? '', TRY_IT_LIMITS.systemChars);
  if (system === undefined) return `the system prompt is text of at most ${TRY_IT_LIMITS.systemChars} characters`;
  const temperature = num(m.temperature, 0, 2);
  const topP = num(m.topP, 0.01, 1);
  const maxNewTokens = num(m.maxNewTokens, 1, TRY_IT_LIMITS.maxNewTokens);
  const seed = num(m.seed, 0, 2 ** 31 - 1);
  if (temperature === undefined) return 'Temperature is a number from 0 to 2.';
  if (topP === undefined) return 'Top-p is a number above 0, at most 1.';
  if (maxNewTokens === undefined || !Number.isInteger(maxNewTokens)) return `Max new tokens is a whole number from 1 to ${TRY_IT_LIMITS.maxNewTokens}.`;
  if (seed === undefined || !Number.isInteger(seed)) return 'The seed is a whole number ≥ 0.';
  const run: TryItRunMessage = { type: 'run', backend: m.backend, prompts: kept, system: system.trim(), temperature, topP, maxNewTokens, seed };
  if (m.backend === 'vllm') {
    const endpoint = str(m.endpoint, TRY_IT_LIMITS.endpointChars)?.trim();
    const baseName = str(m.baseName, TRY_IT_LIMITS.nameChars)?.trim();
    const trainedName = str(m.trainedName, TRY_IT_LIMITS.nameChars)?.trim();
    if (!endpoint) return 'Give the vLLM endpoint (e.g. http://127.0.0.1:8000/v1).';
    if (!baseName || !trainedName) return 'Give the names the server serves the base and the trained model as.';
    Object.assign(run, { endpoint, baseName, trainedName });
  }
  return run;
}

export interface TryItRunners {
  /** try_it.py with these settings, reviewed and approved; `onOutput` gets its output as it comes. */
  script(request: TryItRequest, onOutput: (text: string) => void, signal: AbortSignal): Promise<{ ok: boolean; message: string }>;
  vllm(o: VllmTryItOptions, emit: (e: TryItEvent) => void): Promise<void>;
  /** Append lines to the transcript (the vLLM path; try_it.py writes its own). */
  appendTranscript(text: string): Promise<void>;
  /** Start a vLLM server for the model under try and keep it until `signal` aborts; resolves when it has ended. */
  serve?(onState: (s: VllmServerState) => void, signal: AbortSignal): Promise<void>;
}

export class TryItViewController {
  private current: AbortController | undefined;
  private server: AbortController | undefined;
  /** The server's life (tests and the host wait on it). */
  serving: Promise<void> = Promise.resolve();

  constructor(
    private readonly init: TryItViewInit,
    private readonly runners: TryItRunners,
    private readonly post: (m: TryItToView) => void,
  ) {}

  get running(): boolean {
    return this.current !== undefined;
  }

  async receive(raw: unknown): Promise<void> {
    const m = parseTryItMessage(raw);
    if (typeof m === 'string') return this.post({ type: 'status', state: 'failed', message: m });
    if (m.type === 'ready') return this.post({ type: 'init', init: this.init });
    if (m.type === 'stop') {
      this.current?.abort();
      return;
    }
    if (m.type === 'serve') return this.startServer();
    if (m.type === 'serve-stop') {
      this.server?.abort();
      return;
    }
    if (this.current) return this.post({ type: 'status', state: 'running', message: 'Already running: stop it first.' });
    const abort = new AbortController();
    this.current = abort;
    try {
      await (m.backend === 'vllm' ? this.runVllm(m, abort.signal) : this.runScript(m, abort.signal));
    } finally {
      this.current = undefined;
    }
  }

  /** The tab closed: stop the run and the server (nobody would see either). */
  dispose(): void {
    this.current?.abort();
    this.server?.abort();
  }

  private startServer(): void {
    const serve = this.runners.serve;
    if (!serve) return this.post({ type: 'server', server: { state: 'failed', message: 'This window cannot start a vLLM server.' } });
    if (this.server) return this.post({ type: 'server', server: { state: 'starting', message: 'A vLLM server is already started from this view: stop it first.' } });
    const abort = new AbortController();
    this.server = abort;
    const post = (s: VllmServerState) => this.post({ type: 'server', server: s });
    this.serving = serve(post, abort.signal)
      .catch((err) => post({ state: 'failed', message: `The vLLM server could not start: ${err instanceof Error ? err.message : String(err)}` }))
      .finally(() => {
        if (this.server === abort) this.server = undefined;
      });
  }

  private async runScript(m: TryItRunMessage, signal: AbortSignal): Promise<void> {
    this.post({ type: 'status', state: 'waiting', message: 'Review try_it.py and approve the command (in the ML Intern panel).' });
    const parser = new TryItStreamParser();
    let started = false;
    const forward = (lines: ReturnType<TryItStreamParser['push']>) => {
      const events = lines.flatMap((l) => (l.kind === 'event' ? [l.event] : []));
      const logs = lines.flatMap((l) => (l.kind === 'log' ? [l.text] : []));
      if (events.length && !started) {
        started = true;
        this.post({ type: 'status', state: 'running', message: `${m.prompts.length} prompt(s), base then trained.` });
      }
      if (events.length) this.post({ type: 'events', events });
      if (logs.length) this.post({ type: 'log', lines: logs });
    };
    const request: TryItRequest = { model: this.init.model, baseModel: this.init.baseModel, prompts: m.prompts, system: m.system, temperature: m.temperature, topP: m.topP, maxNewTokens: m.maxNewTokens, seed: m.seed, stream: true };
    try {
      const result = await this.runners.script(request, (text) => forward(parser.push(text)), signal);
      forward(parser.end());
      this.post({ type: 'status', state: signal.aborted ? 'stopped' : result.ok ? 'done' : 'failed', message: result.message });
    } catch (err) {
      forward(parser.end());
      this.post({ type: 'status', state: signal.aborted ? 'stopped' : 'failed', message: err instanceof Error ? err.message : String(err) });
    }
  }

  private async runVllm(m: TryItRunMessage, signal: AbortSignal): Promise<void> {
    this.post({ type: 'status', state: 'running', message: `${m.endpoint}: ${m.baseName} | ${m.trainedName}` });
    // Pieces are posted at most every 50 ms: one message per token would flood the webview.
    let pending: TryItEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      if (pending.length) this.post({ type: 'events', events: pending });
      pending = [];
    };
    let transcript: Promise<void> = Promise.resolve();
    const emit = (e: TryItEvent) => {
      pending.push(e);
      if (e.event === 'delta') timer ??= setTimeout(flush, 50);
      else flush();
      if (keptInTranscript(e)) transcript = transcript.then(() => this.runners.appendTranscript(`${JSON.stringify(e)}\n`));
    };
    try {
      await this.runners.vllm({ endpoint: m.endpoint!, baseModel: m.baseName!, trainedModel: m.trainedName!, prompts: m.prompts, system: m.system, temperature: m.temperature, topP: m.topP, maxNewTokens: m.maxNewTokens, seed: m.seed, signal }, emit);
      if (timer) clearTimeout(timer);
      flush();
      await transcript;
      this.post({ type: 'status', state: 'done', message: `Both models answered; the answers are in ${this.init.transcript}.` });
    } catch (err) {
      if (timer) clearTimeout(timer);
      flush();
      await transcript.catch(() => undefined);
      this.post({ type: 'status', state: signal.aborted ? 'stopped' : 'failed', message: signal.aborted ? 'Stopped.' : err instanceof Error ? err.message : String(err) });
    }
  }
}
