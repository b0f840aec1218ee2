/**
 * The agent loop: system prompt + the user's goal, then think → call tools →
 * observe, until the agent calls `finish`, asks the user, hits a budget, is
 * stopped by a guard, fails, or is cancelled. Every message, call, result,
 * decision and usage goes to the run folder's transcript (redacted), so the
 * run can be reopened and continued from the folder alone.
 */
import * as path from 'node:path';
import { AgentDeps, ContinueInput, limitsFrom, NOOP_LOGGER, RunOutcome, StartOptions } from './agentTypes';
import { AgentEvent, PlanItem, RunState } from '../events';
import { costOf } from '../llm/pricing';
import { ChatMessage, LlmError, LlmResponse, ToolCall } from '../llm/types';
import { Logger } from '../ports';
import { RunHandle, RunStore } from '../runs/runStore';
import { rebuildConversation } from '../runs/rebuild';
import { BudgetLimits, TranscriptEntry } from '../runs/types';
import { createCoreRegistry } from '../tools/coreTools';
import { ToolRegistry } from '../tools/registry';
import { errorMessage } from '../tools/text';
import { ToolContext, ToolControl, ToolResult } from '../tools/types';
import { diskFullMessage, isDiskFull } from '../util/diskErrors';
import { Redactor, redactor as defaultRedactor } from '../util/redact';
import { ApprovalGate } from '../policy/approval';
import { Budget, CostFunction } from '../policy/budget';
import { CompactionError, compactConversation, needsCompaction } from './compaction';
import { callSignature, DoomLoopGuard } from './doomLoop';
import { capObservation } from './observation';
import { CUT_TEXT_NOTE, cutCallResult, OpenPlanNudge } from './replies';
import { budgetSummary, firstLine, heldBack, safeParse } from './loopText';
import { firstUserMessage } from './briefing';
import { defaultSystemPrompt } from './systemPrompt';
import { executeToolCall } from './toolCall';
import { redactMessage } from './reasoning';
import { batchCalls } from './parallelCalls';
import { attachDetached } from '../exec/detached';
import { defaultSlurmDeps } from '../run/slurmJobs';
import { CommandRecord, resumeDetachedCommand } from '../tools/detachedCommand';

export type { AgentDeps, ContinueInput, RunOutcome, StartOptions } from './agentTypes';

const SERIES: Record<string, { folder: string; pattern: RegExp }> = {
  change: { folder: 'scripts', pattern: /^(\d+)-/ },
  snippet: { folder: 'scripts', pattern: /^snippet-(\d+)\.py$/ },
  // logs/cmd-N.log (through the executor) or logs/cmd-N/ (a detached command's records).
  cmd: { folder: 'logs', pattern: /^cmd-(\d+)(?:\.log)?$/ },
  obs: { folder: 'observations', pattern: /^obs-(\d+)\.txt$/ },
};

export class AgentSession {
  private state: RunState;
  private question: string | undefined;
  private controller: AbortController | undefined;
  private active: Promise<RunOutcome> | undefined;
  private readonly guard = new DoomLoopGuard();
  private readonly nudge = new OpenPlanNudge();
  private readonly counters = new Map<string, number>();
  private pendingNote: string | undefined;
  private lastAssistantText: string;
  private readonly gate: ApprovalGate;
  private readonly registry: ToolRegistry;
  private readonly logger: Logger;
  private readonly redactor: Redactor;
  private readonly costFn: CostFunction;
  /** Detached commands by tool call id (transcript `process` entries): a reopened run waits for them. */
  private readonly commands = new Map<string, CommandRecord>();
  /** Messages the user sent while the run was going, for the model's next step (see queueMessage). */
  private queued: Array<{ id: number; text: string }> = [];
  private queuedIds = 0;

  private constructor(
    private readonly deps: AgentDeps,
    readonly run: RunHandle,
    private messages: ChatMessage[],
    private readonly budget: Budget,
    private plan: PlanItem[],
    state: RunState,
    question: string | undefined,
    lastAssistantText: string,
  ) {
    this.state = state;
    this.question = question;
    this.lastAssistantText = lastAssistantText;
    this.registry = deps.tools ?? createCoreRegistry();
    this.logger = deps.logger ?? NOOP_LOGGER;
    this.redactor = deps.redactor ?? defaultRedactor;
    this.costFn = deps.costOf ?? ((model, usage) => costOf(model, usage, deps.settings.prices).usd);
    this.gate = new ApprovalGate({
      policy: () => deps.settings.autoApprove,
      reviewer: deps.reviewer,
      approveCommand: deps.approveCommand,
      runId: run.id,
      record: (entry) => this.record(entry),
      emit: (event) => this.emit(event),
      nextChangeNumber: () => this.nextNumber('change'),
      saveVersion: (n, p, text, label) => run.writeFile(`scripts/${String(n).padStart(3, '0')}-${label}-${path.posix.basename(p)}`, text),
      write: (p, text) => deps.files.write(p, text),
      read: (p) => deps.files.readIfExists(p),
      workspaceCwd: (cwd) => deps.files.resolve(cwd || '.'),
    });
  }

  /** Create the run folder and the conversation (system prompt + goal). Call {@link start} or {@link continueRun} to drive it. */
  static async create(deps: AgentDeps, options: StartOptions): Promise<AgentSession> {
    const runs = deps.runs ?? new RunStore(deps.files, { clock: deps.clock, logger: deps.logger, redactor: deps.redactor });
    const limits = limitsFrom(deps.settings, options.limits);
    const handle = await runs.create({
      goal: options.goal,
      title: options.title,
      provider: deps.llm.id,
      model: deps.llm.model,
      limits,
      autoApprove: deps.settings.autoApprove,
      ...options.spec,
    });
    const session = new AgentSession(deps, handle, [], new Budget(limits), [], 'starting', undefined, '');
    const status = await handle.readStatus();
    session.emit({ type: 'run_started', runId: handle.id, title: status.title, folder: handle.folder });
    await session.record({ kind: 'limits', limits });
    await session.push({ role: 'system', content: deps.systemPrompt ?? defaultSystemPrompt(undefined, deps.settings) });
    await session.push({ role: 'user', content: firstUserMessage(options.goal, await deps.briefing?.(session.toolContext(new AbortController().signal))) });
    session.emit({ type: 'user_message', runId: handle.id, text: session.redactor.redact(options.goal) });
    return session;
  }

  /** Reopen a run from its folder (after a window reload): messages, budget counters and plan come from the transcript. */
  static async reopen(deps: AgentDeps, runId: string): Promise<AgentSession> {
    const runs = deps.runs ?? new RunStore(deps.files, { clock: deps.clock, logger: deps.logger, redactor: deps.redactor });
    const handle = await runs.open(runId);
    const [{ entries }, spec, status] = await Promise.all([handle.readTranscript(), handle.spec(), handle.readStatus()]);
    // Whatever the transcript lost (empty, garbled), the run goes on with its rules and its goal.
    const rebuilt = rebuildConversation(entries, { systemPrompt: deps.systemPrompt ?? defaultSystemPrompt(undefined, deps.settings), goal: spec.goal });
    if (rebuilt.messages.some((m) => m.role === 'assistant' && m.reasoningDropped)) {
      deps.logger?.warn(`run ${runId}: some of the model's reasoning was not kept in the transcript (redacting it would have broken its signature); those answers go back without it`);
    }
    if (rebuilt.restored.length) deps.logger?.warn(`run ${runId}: ${handle.path('transcript.jsonl')} lacked ${rebuilt.restored.join(' and ')}; put back from the settings and spec.json`);
    const limits = rebuilt.limits ?? spec.limits ?? limitsFrom(deps.settings);
    const budget = new Budget(limits, rebuilt.steps, rebuilt.totals);
    // A run left 'running' was interrupted (reload, crash): it is stopped now.
    let state = rebuilt.state ?? status.state;
    if (state === 'running' || state === 'starting' || state === 'lost') state = 'stopped';
    const session = new AgentSession(deps, handle, rebuilt.messages, budget, rebuilt.plan, state, rebuilt.question, rebuilt.lastAssistantText);
    const dequeued = new Set<number>();
    for (const e of entries) {
      if (e.kind === 'process') {
        const { kind: _kind, callId, ts: _ts, ...record } = e;
        session.commands.set(callId, record);
      } else if (e.kind === 'queued') {
        session.queued.push({ id: e.id, text: e.text });
        session.queuedIds = Math.max(session.queuedIds, e.id);
      } else if (e.kind === 'dequeued') dequeued.add(e.id);
    }
    // A message sent just before the reload, not read by the model yet: it still will be.
    session.queued = session.queued.filter((q) => !dequeued.has(q.id));
    return session;
  }

  /** Create a run and drive it until it stops; resolves with how it ended. */
  static async startRun(deps: AgentDeps, options: StartOptions, signal?: AbortSignal): Promise<{ session: AgentSession; outcome: RunOutcome }> {
    const session = await AgentSession.create(deps, options);
    return { session, outcome: await session.start(signal) };
  }

  get id(): string {
    return this.run.id;
  }
  get folder(): string {
    return this.run.folder;
  }
  get currentState(): RunState {
    return this.state;
  }
  get pendingQuestion(): string | undefined {
    return this.question;
  }
  get conversation(): readonly ChatMessage[] {
    return this.messages;
  }
  get currentPlan(): readonly PlanItem[] {
    return this.plan;
  }
  get budgetState() {
    return this.budget.state();
  }
  get limits(): BudgetLimits {
    return { ...this.budget.limits };
  }
  get isRunning(): boolean {
    return this.active !== undefined;
  }

  /** Drive a freshly created run. */
  start(signal?: AbortSignal): Promise<RunOutcome> {
    return this.drive(signal);
  }

  /**
   * Go on after 'waiting' (pass the answer), 'budget' (pass raiseLimits), or
   * 'stopped' / 'failed' / 'succeeded' (optionally with a new instruction).
   */
  async continueRun(input: ContinueInput = {}, signal?: AbortSignal): Promise<RunOutcome> {
    if (this.active) throw new Error('This run is already running; stop it first or wait for it.');
    const opts = typeof input === 'string' ? { answer: input } : input;
    // (The state it stopped in, before the drive says 'running'.)
    const stoppedIn = this.state;
    // Inside the drive: a command still running since before a reload is waited for, and can be stopped.
    return this.drive(signal, async (sig) => {
      await this.repairDanglingCalls(sig);
      await this.prepareContinue(opts, stoppedIn);
    });
  }

  /**
   * After a window reload: when the run was waiting for a detached command (still running, or
   * ended while the window was away), wait for it, give the model its real result and go on.
   * Undefined when the run was not waiting for one (it stays stopped until the user continues it).
   */
  resumeAfterReload(signal?: AbortSignal): Promise<RunOutcome> | undefined {
    if (this.active || !this.deps.detached || this.danglingCalls().every((c) => !this.commands.has(c.id))) return undefined;
    return this.drive(signal, (sig) => this.repairDanglingCalls(sig));
  }

  /**
   * A message from the user while the run is going (typed in the panel mid-run): shown at once,
   * kept in the transcript, and given to the model at its next step — after the results of the
   * tool calls under way, so the conversation stays valid. A run about to finish or to ask goes
   * on instead, so the message is read.
   */
  async queueMessage(text: string): Promise<void> {
    const id = ++this.queuedIds;
    this.queued.push({ id, text });
    await this.record({ kind: 'queued', id, text });
    this.emit({ type: 'user_message', runId: this.id, text: this.redactor.redact(text) });
  }

  /** The queued messages into the conversation, in order; false when there were none. */
  private async takeQueued(): Promise<boolean> {
    if (this.queued.length === 0) return false;
    for (const q of this.queued.splice(0)) {
      await this.record({ kind: 'dequeued', id: q.id });
      await this.push({ role: 'user', content: q.text });
    }
    return true;
  }

  private async prepareContinue(opts: Exclude<ContinueInput, string>, stoppedIn: RunState): Promise<void> {
    await this.takeQueued();
    if (opts.raiseLimits) {
      const limits = this.budget.raise(opts.raiseLimits);
      await this.record({ kind: 'limits', limits });
    } else if (stoppedIn === 'budget' && this.budget.exceeded()) {
      this.budget.raise(true);
      await this.record({ kind: 'limits', limits: this.budget.limits });
    }
    const text = opts.answer ?? opts.message;
    if (text !== undefined && text.trim()) {
      const content = this.question && opts.answer !== undefined ? `Answer to "${firstLine(this.question, 300)}": ${text}` : text;
      await this.push({ role: 'user', content });
      this.emit({ type: 'user_message', runId: this.id, text: this.redactor.redact(text) });
    } else if (this.messages[this.messages.length - 1]?.role === 'assistant') {
      await this.push({ role: 'user', content: 'Continue.' });
    }
    this.question = undefined;
    this.guard.reset();
  }

  /** Stop the run: the current LLM stream or process is cancelled; the folder stays consistent ('stopped'). */
  cancel(reason = 'stopped by the user'): void {
    this.controller?.abort(new Error(reason));
  }

  private drive(signal?: AbortSignal, prelude?: (signal: AbortSignal) => Promise<void>): Promise<RunOutcome> {
    if (this.active) return Promise.reject(new Error('This run is already running.'));
    const controller = new AbortController();
    this.controller = controller;
    const onAbort = () => controller.abort(signal?.reason);
    if (signal?.aborted) controller.abort(signal.reason);
    else signal?.addEventListener('abort', onAbort, { once: true });
    this.active = this.loop(controller.signal, prelude)
      .catch((err: unknown) => this.endAfterError(err))
      .finally(() => {
        signal?.removeEventListener('abort', onAbort);
        this.active = undefined;
        this.controller = undefined;
      });
    return this.active;
  }

  private async loop(signal: AbortSignal, prelude?: (signal: AbortSignal) => Promise<void>): Promise<RunOutcome> {
    await this.setState('running');
    await prelude?.(signal);
    for (;;) {
      if (signal.aborted) return this.end('stopped', 'Stopped by the user.');
      await this.takeQueued();
      const over = this.budget.exceeded();
      if (over) return this.end('budget', budgetSummary(over, this.budget, this.plan, this.lastAssistantText));
      const tools = this.registry.specs();
      const window = this.deps.settings.contextWindow || this.deps.llm.contextWindow;
      if (needsCompaction(this.messages, tools, window)) {
        const failed = await this.compact(window, signal);
        if (failed) return failed;
      }
      let response: LlmResponse;
      try {
        response = await this.callLlm(signal);
      } catch (err) {
        if (signal.aborted || (err instanceof LlmError && err.kind === 'cancelled')) return this.end('stopped', 'Stopped by the user.');
        if (err instanceof LlmError && err.kind === 'context_length') {
          const failed = await this.compact(window, signal, true);
          if (failed) return failed;
          try {
            response = await this.callLlm(signal);
          } catch (again) {
            if (signal.aborted) return this.end('stopped', 'Stopped by the user.');
            return this.end('failed', `The prompt is still too long for the model after compaction: ${errorMessage(again)}`);
          }
        } else {
          // The call's usage could not be recorded on a full disk: endAfterError says what to do.
          if (isDiskFull(err)) throw err;
          return this.end('failed', errorMessage(err));
        }
      }
      const outcome = await this.afterResponse(response, signal);
      if (outcome) return outcome;
    }
  }

  private async callLlm(signal: AbortSignal): Promise<LlmResponse> {
    const response = await this.deps.llm.chat({ messages: this.messages, tools: this.registry.specs(), signal }, (event) => {
      if (event.type === 'text' && event.delta) this.emit({ type: 'assistant_delta', runId: this.id, text: event.delta });
    });
    await this.account(response, true);
    return response;
  }

  private async account(response: Pick<LlmResponse, 'usage' | 'model'>, step: boolean): Promise<void> {
    const cost = this.costFn(response.model || this.deps.llm.model, response.usage);
    this.budget.add(response.usage, cost, step);
    await this.record({ kind: 'usage', usage: response.usage, costUsd: cost, model: response.model || this.deps.llm.model, step });
    this.emit({ type: 'usage', runId: this.id, totals: { ...this.budget.totals }, budget: this.budget.state() });
    this.pendingNote = this.budget.nearNote() ?? this.pendingNote;
    await this.run.updateStatus({ steps: this.budget.steps, usage: { ...this.budget.totals }, costUsd: this.budget.totals.costUsd });
  }

  /** Record the answer, run its tool calls, and decide whether the run goes on (undefined) or ends. */
  private async afterResponse(response: LlmResponse, signal: AbortSignal): Promise<RunOutcome | undefined> {
    const calls = response.toolCalls.map((c, i) => ({ ...c, id: c.id || `call_${this.budget.steps}_${i}` }));
    await this.push({ role: 'assistant', content: response.text, ...(calls.length ? { toolCalls: calls } : {}), ...(response.reasoning?.length ? { reasoning: response.reasoning } : {}) });
    if (response.text.trim()) {
      this.lastAssistantText = response.text;
      this.emit({ type: 'assistant_message', runId: this.id, text: this.redactor.redact(response.text) });
    }
    if (calls.length === 0) {
      // Text without a tool call: the agent is talking to the user, so the run waits for a reply
      // (unless the user already wrote meanwhile, the answer was cut, or plan items are open: the model is told first).
      const note = this.queued.length ? undefined : response.stopReason === 'max_tokens' ? CUT_TEXT_NOTE : this.nudge.reminder(this.plan);
      if (note) await this.push({ role: 'user', content: note });
      if (note || this.queued.length) return undefined;
      const question = response.text.trim() || 'The agent stopped without calling a tool. How should it go on?';
      return this.end('waiting', question, question);
    }
    let control: ToolControl | undefined;
    let guardStop: string | undefined;
    let guardWarn: string | undefined;
    // Consecutive read-only calls run together; their results still go back in the model's order.
    for (const batch of batchCalls(calls, this.registry)) {
      if (signal.aborted || control) {
        const why = signal.aborted ? 'Not run: the run was stopped by the user.' : `Not run: the run ended with ${control?.kind}.`;
        for (const call of batch) {
          await this.record({ kind: 'tool_call', callId: call.id, name: call.name, args: safeParse(call.arguments) });
          await this.recordResult(call, { ok: false, output: why });
        }
        continue;
      }
      for (const call of batch) {
        await this.record({ kind: 'tool_call', callId: call.id, name: call.name, args: safeParse(call.arguments) });
        this.emit({ type: 'tool_call', runId: this.id, callId: call.id, name: call.name, args: this.redactor.redactDeep(safeParse(call.arguments)) });
        this.nudge.progressed();
      }
      const results = await Promise.all(
        batch.map((call) => {
          const cut = cutCallResult(call, response.stopReason);
          return cut ? { args: call.arguments as unknown, result: cut } : executeToolCall(call, this.registry, this.toolContext(signal, call.id));
        }),
      );
      for (const [j, call] of batch.entries()) {
        const executed = results[j];
        if (executed.result.control && this.queued.length) executed.result = heldBack(executed.result.control);
        const content = await this.recordResult(call, executed.result);
        if (executed.result.control) control = executed.result.control;
        const verdict = this.guard.record(callSignature(call.name, executed.args, content.replace(/\n\n\[note\] [\s\S]*$/, ''), executed.result.data), call.name);
        if (verdict.level === 'warn') guardWarn = verdict.reason;
        if (verdict.level === 'stop') guardStop = verdict.reason;
      }
    }
    if (signal.aborted) return this.end('stopped', 'Stopped by the user.');
    // The user wrote while these calls ran: the model reads it before the run finishes or asks.
    if (control && this.queued.length) return undefined;
    if (control?.kind === 'finish') {
      const artefacts = control.artefacts;
      const summary = control.summary + (artefacts.length ? `\n\nArtefacts:\n${artefacts.map((a) => `- ${a}`).join('\n')}` : '');
      const outcome = await this.end('succeeded', summary);
      return { ...outcome, artefacts };
    }
    if (control?.kind === 'ask_user') return this.end('waiting', control.question, control.question);
    if (guardStop) {
      await this.record({ kind: 'guard', level: 'stop', reason: guardStop });
      const question = `I seem to be going in circles: ${guardStop}, even after a warning. How should I proceed? (e.g. a hint, a different approach, or stop here)`;
      return this.end('waiting', question, question);
    }
    if (guardWarn) {
      await this.record({ kind: 'guard', level: 'warn', reason: guardWarn });
      await this.push({
        role: 'user',
        content: `[loop guard] You are repeating yourself: ${guardWarn}. Repeating it will not give a different result. Stop, re-read the last error, and try a different approach (read the relevant file or log, change the script, or ask the user).`,
      });
    }
    return undefined;
  }

  /** Add a tool result to the conversation and the transcript; returns the (capped, redacted) content the model sees. */
  private async recordResult(call: ToolCall, result: ToolResult): Promise<string> {
    let text = this.redactor.redact(result.output || (result.ok ? 'Done.' : 'Failed.'));
    const capped = await capObservation(text, async (full) => this.run.writeFile(`observations/obs-${await this.nextNumber('obs')}.txt`, full));
    text = capped.text;
    if (this.pendingNote) {
      text += `\n\n[note] ${this.pendingNote}`;
      this.pendingNote = undefined;
    }
    await this.record({
      kind: 'tool_result',
      callId: call.id,
      name: call.name,
      ok: result.ok,
      output: text,
      ...(result.data !== undefined ? { data: result.data } : {}),
      ...(capped.savedAs ? { fullOutput: capped.savedAs } : {}),
    });
    await this.push({ role: 'tool', toolCallId: call.id, name: call.name, content: text, ...(result.ok ? {} : { isError: true }) });
    this.emit({
      type: 'tool_result',
      runId: this.id,
      callId: call.id,
      name: call.name,
      ok: result.ok,
      summary: this.redactor.redact(firstLine(result.output)),
      ...(result.data !== undefined ? { data: this.redactor.redactDeep(result.data) } : {}),
    });
    return text;
  }

  private toolContext(signal: AbortSignal, callId?: string): ToolContext {
    const deps = this.deps;
    const detached = deps.detached;
    return {
      ...(detached && callId
        ? {
            detached: {
              launch: detached.launch,
              attach: detached.attach ?? attachDetached,
              show: detached.show,
              fullOutput: detached.fullOutput,
              slurm: detached.slurm ?? defaultSlurmDeps,
              metrics: this.run,
              remember: async (record: CommandRecord) => {
                this.commands.set(callId, record);
                await this.record({ kind: 'process', callId, ...record });
              },
            },
          }
        : {}),
      runId: this.id,
      runFolder: this.folder,
      files: deps.files,
      executor: deps.executor,
      settings: deps.settings,
      signal,
      logger: this.logger,
      env: deps.env ?? {},
      python: deps.settings.pythonPath.trim() || 'python3',
      emit: (event) => this.emit(event),
      proposeChange: (change) => this.gate.proposeChange({ ...change, runId: this.id }, signal),
      approveCommand: (request) => this.gate.approveCommand(request, signal),
      saveRunFile: (relative, text) => this.run.writeFile(relative, text),
      nextNumber: (series) => this.nextNumber(series),
      setPlan: (items) => {
        this.plan = items;
        this.emit({ type: 'plan', runId: this.id, items });
        void this.record({ kind: 'plan', items });
      },
    };
  }

  /** Replace the middle of the conversation by a summary; returns an outcome when it cannot. */
  private async compact(window: number, signal: AbortSignal, forced = false): Promise<RunOutcome | undefined> {
    try {
      const result = await compactConversation(this.messages, this.deps.llm, { window, tools: this.registry.specs(), signal, forced });
      const redacted = result.messages.map((m) => redactMessage(m, this.redactor));
      this.messages = redacted.map((r) => r.memory);
      await this.account(result, false);
      await this.record({ kind: 'compaction', summary: result.summary, messages: redacted.map((r) => r.disk), removedMessages: result.removedMessages });
      this.emit({ type: 'notice', runId: this.id, level: 'info', message: `Compacted the conversation: ${result.removedMessages} earlier messages replaced by a summary.` });
      return undefined;
    } catch (err) {
      if (signal.aborted) return this.end('stopped', 'Stopped by the user.');
      if (err instanceof CompactionError) return this.end('failed', err.message);
      return this.end('failed', `Could not compact the conversation: ${errorMessage(err)}`);
    }
  }

  /** The tool calls of the last assistant message that have no result (a reload mid-step). */
  private danglingCalls(): ToolCall[] {
    const answered = new Set(this.messages.filter((m) => m.role === 'tool').map((m) => (m as { toolCallId: string }).toolCallId));
    const last = [...this.messages].reverse().find((m) => m.role === 'assistant');
    if (!last || last.role !== 'assistant' || !last.toolCalls) return [];
    return last.toolCalls.filter((call) => !answered.has(call.id));
  }

  /**
   * After a reload mid-step, an assistant tool call may lack results: answer them so the
   * conversation is valid. A detached command started by one of them is waited for (or read, when
   * it ended while the window was away): the model gets its real exit code and output.
   */
  private async repairDanglingCalls(signal: AbortSignal): Promise<void> {
    for (const call of this.danglingCalls()) {
      const command = this.commands.get(call.id);
      const resumed = command && this.deps.detached ? await resumeDetachedCommand(this.toolContext(signal, call.id), command) : undefined;
      if (resumed) {
        this.emit({ type: 'tool_call', runId: this.id, callId: call.id, name: call.name, args: this.redactor.redactDeep(safeParse(call.arguments)) });
        await this.recordResult(call, resumed);
        continue;
      }
      if (!command) await this.record({ kind: 'tool_call', callId: call.id, name: call.name, args: safeParse(call.arguments) });
      await this.recordResult(call, {
        ok: false,
        output: 'Interrupted before this call completed (the run was stopped or the window reloaded). Check its effect before repeating it.',
      });
    }
  }

  /** An unexpected error (e.g. the run folder cannot be written): end 'failed' with a message that says what to do, even when recording that fails too. */
  private async endAfterError(err: unknown): Promise<RunOutcome> {
    const message =
      diskFullMessage(err, { what: `the run folder ${this.folder}`, resume: 'Then continue the run: it picks up from its transcript, which is kept as it was.' }) ??
      `Internal error: ${errorMessage(err)}`;
    try {
      return await this.end('failed', message);
    } catch (again) {
      // The folder keeps its last complete status; reopening it later shows the run as stopped.
      this.logger.error(`run ${this.id}: could not record the failure: ${errorMessage(again)}`);
      this.state = 'failed';
      this.question = undefined;
      const clean = this.redactor.redact(message);
      this.emit({ type: 'run_state', runId: this.id, state: 'failed', message: clean });
      return { state: 'failed', message: clean };
    }
  }

  private async end(state: RunState, message: string, question?: string): Promise<RunOutcome> {
    const clean = this.redactor.redact(message);
    this.question = state === 'waiting' ? question : undefined;
    await this.setState(state, clean, this.question);
    if (state === 'waiting' && this.question) this.emit({ type: 'ask_user', runId: this.id, question: this.redactor.redact(this.question) });
    return { state, message: clean, ...(this.question ? { question: this.redactor.redact(this.question) } : {}) };
  }

  private async setState(state: RunState, message?: string, question?: string): Promise<void> {
    this.state = state;
    await this.record({ kind: 'state', state, ...(message ? { message } : {}), ...(question ? { question } : {}) });
    await this.run.updateStatus({
      state,
      steps: this.budget.steps,
      usage: { ...this.budget.totals },
      costUsd: this.budget.totals.costUsd,
      lastMessage: message ?? '',
      question,
      pid: state === 'running' ? process.pid : undefined,
    });
    this.emit({ type: 'run_state', runId: this.id, state, ...(message ? { message } : {}) });
  }

  /** Add a message to the conversation (redacted) and to the transcript. */
  private async push(message: ChatMessage): Promise<void> {
    const { memory, disk } = redactMessage(message, this.redactor);
    this.messages.push(memory);
    await this.record({ kind: 'message', message: disk });
  }

  private record(entry: TranscriptEntry): Promise<void> {
    return this.run.appendTranscript(entry).catch((err: unknown) => this.logger.error(`run ${this.id}: transcript write failed: ${errorMessage(err)}`));
  }

  private emit(event: AgentEvent): void {
    try {
      this.deps.events.emit(event);
    } catch (err) {
      this.logger.warn(`event listener failed: ${errorMessage(err)}`);
    }
  }

  private async nextNumber(series: string): Promise<number> {
    const s = SERIES[series] ?? { folder: 'scripts', pattern: new RegExp(`^${series.replace(/[^a-z0-9_-]/gi, '')}-(\\d+)`) };
    const fromDisk = await this.run.nextNumber(s.folder, s.pattern);
    const next = Math.max(fromDisk, (this.counters.get(series) ?? 0) + 1);
    this.counters.set(series, next);
    return next;
  }
}
