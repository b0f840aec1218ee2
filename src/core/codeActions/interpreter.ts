/**
 * One persistent Python interpreter (python/code_actions.py) and its steps: it starts once
 * (inside the sandbox when the plan says so), keeps its namespace between steps, and is killed
 * on a time limit or when it does not answer an interrupt. The time limit counts only the
 * interpreter's own time: a tool call waiting for the user's approval does not use it up.
 */
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { BOOTSTRAP, FromPython, parseFromPython, StepError, ToolSpecForPython, ToPython } from './protocol';

export interface InterpreterStart {
  /** The argv that starts the interpreter (already wrapped by the sandbox when there is one). */
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** python/code_actions.py's text, sent as the first line. */
  source: string;
  tools: ToolSpecForPython[];
  maxCalls: number;
  /** How long the start may take (a container pulls, a sandbox mounts). */
  startTimeoutMs?: number;
}

export interface StepHooks {
  onOutput(text: string): void;
  /** A tool call from the code; its answer goes back to the interpreter. */
  onCall(name: string, args: Record<string, unknown>): Promise<{ ok: boolean; output: string }>;
}

export type StepOutcome =
  | { kind: 'done'; ok: boolean; value: string | null; error: StepError | null }
  | { kind: 'timeout'; seconds: number }
  | { kind: 'interrupted'; killed: boolean; error: StepError | null }
  | { kind: 'crashed'; code: number | null; signal: string | null };

/** How long an interrupted step has to stop before the interpreter is killed. */
const INTERRUPT_GRACE_MS = 3_000;
const STDERR_KEPT = 4_000;

export class PythonInterpreter {
  private child: ChildProcessWithoutNullStreams | undefined;
  private buffered = '';
  private listener: ((message: FromPython) => void) | undefined;
  private stderrSink: ((text: string) => void) | undefined;
  private exitWaiters: Array<(exit: { code: number | null; signal: string | null }) => void> = [];
  private exited: { code: number | null; signal: string | null } | undefined;
  /** The end of stderr, for a start that fails (a missing interpreter, a sandbox that cannot mount). */
  private stderrTail = '';

  get alive(): boolean {
    return this.child !== undefined && this.exited === undefined;
  }

  /** Start it and wait until it says it is ready; a failure is the reason, in words. */
  async start(options: InterpreterStart): Promise<{ ok: true; python: string } | { ok: false; message: string }> {
    const [program, ...args] = options.argv;
    // Its own process group: a kill reaches the sandbox, the interpreter and what it started.
    const child = spawn(program, [...args], { cwd: options.cwd, env: options.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdin.on('error', () => undefined);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.read(chunk));
    child.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_KEPT);
      this.stderrSink?.(chunk);
    });
    const spawnError = new Promise<string>((resolve) => child.on('error', (err) => resolve(err.message)));
    child.on('exit', (code, signal) => {
      this.exited = { code, signal };
      for (const waiter of this.exitWaiters.splice(0)) waiter(this.exited);
    });
    this.writeLine(JSON.stringify(options.source));
    const ready = await Promise.race([
      this.next((m) => m.type === 'ready'),
      this.waitExit().then((e) => `it exited (${describeExit(e)}) before it was ready`),
      spawnError.then((m) => `it could not start: ${m}`),
      delay(options.startTimeoutMs ?? 60_000).then(() => 'it was not ready after the start time limit'),
    ]);
    if (typeof ready === 'string') {
      this.kill();
      const tail = this.stderrTail.trim().split('\n').slice(-8).join('\n');
      return { ok: false, message: `The Python interpreter for code actions did not start: ${ready}.${tail ? `\n${tail}` : ''}` };
    }
    this.send({ type: 'init', tools: options.tools, maxCalls: options.maxCalls });
    await Promise.race([this.next((m) => m.type === 'initialized'), this.waitExit()]);
    return { ok: true, python: ready.type === 'ready' ? ready.python : '' };
  }

  /** Run one step; its output and tool calls go through the hooks. */
  async runStep(code: string, hooks: StepHooks, limits: { timeoutSeconds: number; signal: AbortSignal; step: number }): Promise<StepOutcome> {
    if (!this.alive) return { kind: 'crashed', code: this.exited?.code ?? null, signal: this.exited?.signal ?? null };
    const step = limits.step;
    this.stderrSink = hooks.onOutput;
    let timedOut = false;
    let interrupted = false;
    let remainingMs = limits.timeoutSeconds * 1000;
    let timer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;
    let since = 0;
    const resume = () => {
      since = Date.now();
      timer = setTimeout(() => {
        timedOut = true;
        this.kill();
      }, Math.max(remainingMs, 0));
    };
    const pause = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      remainingMs -= Date.now() - since;
    };
    const onAbort = () => {
      interrupted = true;
      this.send({ type: 'interrupt' });
      graceTimer = setTimeout(() => this.kill(), INTERRUPT_GRACE_MS);
    };
    const done = new Promise<Extract<FromPython, { type: 'done' }>>((resolve) => {
      this.listener = (message) => {
        if (message.type === 'output') hooks.onOutput(message.text);
        else if (message.type === 'done') resolve(message);
        else if (message.type === 'call') {
          pause();
          void hooks
            .onCall(message.name, message.args)
            .catch((err: unknown) => ({ ok: false, output: err instanceof Error ? err.message : String(err) }))
            .then((answer) => {
              if (!this.alive) return;
              this.send({ type: 'result', id: message.id, ok: answer.ok, output: answer.output });
              resume();
            });
        }
      };
    });
    if (limits.signal.aborted) return { kind: 'interrupted', killed: false, error: null };
    limits.signal.addEventListener('abort', onAbort, { once: true });
    this.send({ type: 'exec', step, code });
    resume();
    try {
      const ended = await Promise.race([done, this.waitExit()]);
      if ('type' in ended) {
        if (interrupted) return { kind: 'interrupted', killed: false, error: ended.error };
        return { kind: 'done', ok: ended.ok, value: ended.value, error: ended.error };
      }
      if (timedOut) return { kind: 'timeout', seconds: limits.timeoutSeconds };
      // The interpreter did not stop within the grace time (or died meanwhile): its state is gone.
      if (interrupted) return { kind: 'interrupted', killed: true, error: null };
      return { kind: 'crashed', code: ended.code, signal: ended.signal };
    } finally {
      if (timer) clearTimeout(timer);
      if (graceTimer) clearTimeout(graceTimer);
      limits.signal.removeEventListener('abort', onAbort);
      this.listener = undefined;
      this.stderrSink = undefined;
    }
  }

  /** Kill the whole process group (the sandbox, the interpreter and anything it started). */
  kill(): void {
    const child = this.child;
    if (!child || this.exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }

  /** Kill it and wait until it is gone. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.kill();
    await this.waitExit();
  }

  private waitExit(): Promise<{ code: number | null; signal: string | null }> {
    if (this.exited) return Promise.resolve(this.exited);
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  private next(match: (m: FromPython) => boolean): Promise<FromPython> {
    return new Promise((resolve) => {
      this.listener = (message) => {
        if (!match(message)) return;
        this.listener = undefined;
        resolve(message);
      };
    });
  }

  private send(message: ToPython): void {
    this.writeLine(JSON.stringify(message));
  }

  private writeLine(line: string): void {
    if (!this.child || this.exited) return;
    this.child.stdin.write(`${line}\n`);
  }

  private read(chunk: string): void {
    this.buffered += chunk;
    let newline = this.buffered.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      const message = parseFromPython(line);
      if (message) this.listener?.(message);
      newline = this.buffered.indexOf('\n');
    }
  }
}

export function describeExit(exit: { code: number | null; signal: string | null }): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** The argv that starts the bridge (before any sandbox wraps it). */
export function interpreterArgv(python: string): string[] {
  return [python, '-u', '-c', BOOTSTRAP];
}
