/**
 * The `python` tool: code actions. The model writes Python that calls its tools as functions, in
 * one persistent interpreter per run (imports, variables and data frames survive between steps),
 * started inside the sandbox when mlIntern.sandbox is on. Each step is approved like `run_python`
 * (the code is shown; `autoApprove: "sandboxed"` lets it through only sandboxed with the network
 * off, and never a push or an install); each tool call inside goes through relay.ts, so a write is
 * still a reviewed diff and a command still asks.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { launchArgv, sandboxedAs, sandboxForCommand } from '../sandbox/command';
import { pythonHelpersDir } from '../tools/pythonRunner';
import { ToolRegistry } from '../tools/registry';
import { ToolContext, ToolDefinition, ToolResult } from '../tools/types';
import { redactor } from '../util/redact';
import { StreamRedactor } from '../util/streamRedact';
import { interpreterArgv, PythonInterpreter } from './interpreter';
import { ToolSpecForPython } from './protocol';
import { NOT_FROM_CODE, RelayedCall, relayToolCall } from './relay';
import { OutputKeeper, stepObservation } from './stepResult';

export interface PythonToolArgs {
  code: string;
  reason: string;
  timeout_s?: number;
  restart?: boolean;
}

export interface CodeActionOptions {
  /** python/code_actions.py's text (default: read from the helpers folder). */
  source?: string;
  /** Tool calls one step may make (a runaway loop is stopped, not a flood of dialogs). */
  maxCallsPerStep?: number;
  /** An interpreter nobody used for this long is stopped (its run is likely over). */
  idleMs?: number;
  /** Seconds a step may run when the model gives no timeout_s. */
  defaultTimeoutS?: number;
}

const DEFAULT_TIMEOUT_S = 600;
const DEFAULT_IDLE_MS = 30 * 60_000;
const DEFAULT_MAX_CALLS = 100;

export const PYTHON_TOOL_DESCRIPTION = [
  'Run Python in this run\'s persistent interpreter (like a notebook kernel: imports, variables and loaded data survive between calls). ' +
    'Your tools are Python functions in it, called with keyword arguments; each returns the tool\'s answer as text and raises ToolError when it fails or the user refuses ' +
    '(writes are still reviewed diffs, commands still need approval). `help(name)` shows a tool\'s parameters; `tools` maps every tool name to its function. ' +
    'Use it to do several tool calls in one step, loop over rows or files, and keep data in memory.',
  'Returns: what the code printed (head and tail; the whole output is saved in the run folder), the value of the last expression, and an exception with the last frames of its traceback. ' +
    'A step over timeout_s (default 600 s, tool calls waiting for approval not counted) stops the interpreter and loses its variables. restart=true starts a fresh interpreter first. ' +
    '`finish` and `ask_user` are not functions here: call them as tools.',
  'Example:\nreport = inspect_data(path="data/train.jsonl")\nprint(report[:500])\nfor n in ("Qwen/Qwen2.5-0.5B-Instruct", "Qwen/Qwen2.5-1.5B-Instruct"):\n    print(n, estimate_memory(model=n, method="sft", adapter="lora")[:200])',
].join('\n');

interface Held {
  interpreter: PythonInterpreter;
  /** The sandbox it was started in; a changed setting starts a new one. */
  sandbox: string;
  idle?: NodeJS.Timeout;
}

/** The interpreters of the runs and the `python` tool that drives them. */
export class CodeActions {
  private readonly held = new Map<string, Held>();
  /** Runs whose interpreter stopped (time limit, crash, kill): their next step is told. */
  private readonly stopped = new Set<string>();
  private source: string | undefined;

  constructor(
    /** The tools the code may call (the full registry, whatever the loop offers directly). */
    private readonly registry: ToolRegistry,
    private readonly options: CodeActionOptions = {},
  ) {}

  tool(): ToolDefinition<PythonToolArgs> {
    return {
      name: 'python',
      description: PYTHON_TOOL_DESCRIPTION,
      parameters: {
        type: 'object',
        properties: {
          code: { type: 'string', description: 'Python source for this step. The last line\'s value is shown when it is an expression.' },
          reason: { type: 'string', description: 'One line for the user: what this step does.' },
          timeout_s: { type: 'integer', description: 'Stop after this many seconds of running (default 600).' },
          restart: { type: 'boolean', description: 'Start a fresh interpreter before this step (earlier variables are dropped).' },
        },
        required: ['code', 'reason'],
      },
      approval: 'run',
      handler: (args, ctx) => this.step(args, ctx),
    };
  }

  /** Stop every interpreter (the host's session is over). */
  async dispose(): Promise<void> {
    const all = [...this.held.values()];
    this.held.clear();
    await Promise.all(all.map(async (h) => {
      if (h.idle) clearTimeout(h.idle);
      await h.interpreter.stop();
    }));
  }

  /** Stop one run's interpreter. */
  async release(runId: string): Promise<void> {
    const h = this.held.get(runId);
    this.held.delete(runId);
    if (h?.idle) clearTimeout(h.idle);
    await h?.interpreter.stop();
  }

  private async step(args: PythonToolArgs, ctx: ToolContext): Promise<ToolResult> {
    if (!args.code.trim() && !args.restart) return { ok: false, output: 'code is empty: give the Python to run.' };
    const n = await ctx.nextNumber('code');
    const codeRel = await ctx.saveRunFile(`scripts/code-${n}.py`, args.code);
    const sandbox = sandboxForCommand(ctx);
    if (!sandbox.ok) return { ok: false, output: `${sandbox.message} (the code is saved as ${codeRel})`, data: { sandboxError: true } };
    const shownArgv = [ctx.python, codeRel];
    const decision = await ctx.approveCommand({ argv: shownArgv, reason: args.reason, origin: 'agent', tool: 'python', detail: args.code, ...sandboxedAs(sandbox.plan) });
    if (!decision.approved) {
      return { ok: false, output: `The user did not approve this code step${decision.reason ? `: ${decision.reason}` : ''}. Nothing was run (saved as ${codeRel}).`, data: { approved: false } };
    }
    const label = sandbox.plan?.label ?? '';
    const started = await this.interpreterFor(ctx, label, args.restart === true, (argv) => launchArgv({ argv, sandbox: sandbox.plan }, ctx.files.resolve('.'), ctx.env));
    if ('message' in started) return { ok: false, output: `${started.message}\n(the code is saved as ${codeRel})` };
    if (!args.code.trim()) return { ok: true, output: `${started.note ?? 'A fresh interpreter is ready.'}` };
    return this.runStep(args, ctx, { n, codeRel, shownArgv, label, interpreter: started.interpreter, note: started.note });
  }

  private async runStep(
    args: PythonToolArgs,
    ctx: ToolContext,
    s: { n: number; codeRel: string; shownArgv: string[]; label: string; interpreter: PythonInterpreter; note?: string },
  ): Promise<ToolResult> {
    const logRel = `${ctx.runFolder}/logs/code-${s.n}.log`;
    await ctx.files.write(logRel, '');
    const processId = `${ctx.runId}-code-${s.n}`;
    ctx.emit({ type: 'process_started', runId: ctx.runId, processId, name: `python code-${s.n}`, argv: s.shownArgv, python: ctx.python, ...(s.label ? { sandbox: s.label } : {}) });
    const keeper = new OutputKeeper();
    // The log on disk and the card are redacted as they stream: a printed token never lands anywhere.
    const logRedaction = new StreamRedactor(redactor);
    const shownRedaction = new StreamRedactor(redactor);
    let writes: Promise<void> = Promise.resolve();
    const onOutput = (text: string) => {
      keeper.push(text);
      const safe = logRedaction.push(text);
      if (safe) writes = writes.then(() => ctx.files.append(logRel, safe)).catch((err) => ctx.logger.warn(`log ${logRel}: ${String(err)}`));
      const shown = shownRedaction.push(text);
      if (shown) ctx.emit({ type: 'process_output', runId: ctx.runId, processId, text: shown });
    };
    const calls: RelayedCall[] = [];
    const onCall = async (name: string, callArgs: Record<string, unknown>) => {
      const relayed = await relayToolCall(name, callArgs, { registry: this.registry, ctx, callId: `${processId}-${calls.length + 1}` });
      calls.push(relayed.call);
      return relayed;
    };
    const begun = Date.now();
    const timeoutSeconds = args.timeout_s && args.timeout_s > 0 ? args.timeout_s : (this.options.defaultTimeoutS ?? DEFAULT_TIMEOUT_S);
    const outcome = await s.interpreter.runStep(args.code, { onOutput, onCall }, { timeoutSeconds, signal: ctx.signal, step: s.n });
    const rest = logRedaction.end();
    if (rest) writes = writes.then(() => ctx.files.append(logRel, rest));
    const shownRest = shownRedaction.end();
    if (shownRest) ctx.emit({ type: 'process_output', runId: ctx.runId, processId, text: shownRest });
    await writes;
    if (s.interpreter.alive) this.touch(ctx.runId);
    else {
      // The next step says that it starts from nothing.
      await this.release(ctx.runId);
      this.stopped.add(ctx.runId);
    }
    const seen = stepObservation({ outcome, seconds: (Date.now() - begun) / 1000, calls, output: keeper.shown(logRel), codeRel: s.codeRel, logRel, sandbox: s.label || undefined, note: s.note });
    ctx.emit({ type: 'process_exited', runId: ctx.runId, processId, code: seen.ok ? 0 : 1 });
    return {
      ok: seen.ok,
      output: redactor.redact(seen.text),
      data: { code: s.codeRel, log: logRel, processId, outcome: outcome.kind, toolCalls: calls.map((c) => c.name), ...(s.label ? { sandbox: s.label } : {}) },
    };
  }

  /** The run's interpreter, started (again) when there is none, it died, the sandbox changed, or a restart was asked. */
  private async interpreterFor(
    ctx: ToolContext,
    sandbox: string,
    restart: boolean,
    wrap: (argv: string[]) => string[],
  ): Promise<{ interpreter: PythonInterpreter; note?: string } | { message: string }> {
    const current = this.held.get(ctx.runId);
    if (current && current.interpreter.alive && current.sandbox === sandbox && !restart) {
      this.touch(ctx.runId);
      return { interpreter: current.interpreter };
    }
    let note: string | undefined = this.stopped.delete(ctx.runId) && !restart
      ? 'The previous interpreter had stopped: this step runs in a fresh one; earlier imports and variables are gone.'
      : undefined;
    if (current) {
      note = restart
        ? 'Restarted: a fresh interpreter; earlier imports and variables are gone.'
        : current.interpreter.alive
          ? `The sandbox changed (now ${sandbox || 'off'}): a fresh interpreter; earlier imports and variables are gone.`
          : 'The previous interpreter had stopped: this step runs in a fresh one; earlier imports and variables are gone.';
      await this.release(ctx.runId);
    }
    const interpreter = new PythonInterpreter();
    const started = await interpreter.start({
      argv: wrap(interpreterArgv(ctx.python)),
      cwd: ctx.files.resolve('.'),
      env: { ...process.env, ...ctx.env, PYTHONIOENCODING: 'utf-8', PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
      source: this.bridgeSource(),
      tools: this.toolSpecs(),
      maxCalls: this.options.maxCallsPerStep ?? DEFAULT_MAX_CALLS,
    });
    if (!started.ok) return { message: `${started.message}\nCheck mlIntern.pythonPath${sandbox ? ' and the sandbox (mlIntern.sandbox)' : ''}.` };
    const held: Held = { interpreter, sandbox };
    this.held.set(ctx.runId, held);
    this.touch(ctx.runId);
    return { interpreter, note };
  }

  private touch(runId: string): void {
    const held = this.held.get(runId);
    if (!held) return;
    if (held.idle) clearTimeout(held.idle);
    held.idle = setTimeout(() => void this.release(runId), this.options.idleMs ?? DEFAULT_IDLE_MS);
    // An idle interpreter must not keep the CLI's process alive.
    held.idle.unref();
  }

  private toolSpecs(): ToolSpecForPython[] {
    return this.registry
      .list()
      .filter((t) => !NOT_FROM_CODE.has(t.name))
      .map((t) => ({ name: t.name, description: t.description, parameters: t.parameters }));
  }

  private bridgeSource(): string {
    this.source ??= this.options.source ?? readFileSync(path.join(pythonHelpersDir(), 'code_actions.py'), 'utf8');
    return this.source;
  }
}
