/**
 * The agent loop: system prompt + the user's goal, then think → call tools →
 * observe, until the agent calls `finish`, asks the user, hits a budget, is
 * stopped by a guard, fails, or is cancelled. Every message, call, result,
 * decision and usage goes to the run folder's transcript (redacted), so the
 * run can be reopened and continued from the folder alone.
 */
import * as path from 'node:path';
import { AgentDeps, ContinueInput, limitsFrom, NOOP_LOGGER, RunOutcome, StartOptions } from './agentTypes';
import { PlanItem, RunState } from '../events';
import { costOf } from '../llm/pricing';
import { ChatMessage, LlmError, LlmResponse } from '../llm/types';
import { Logger } from '../ports';
import { RunHandle } from '../runs/runStore';
import { BudgetLimits } from '../runs/types';
import { createCoreRegistry } from '../tools/coreTools';
import { ToolRegistry } from '../tools/registry';
import { errorMessage } from '../tools/text';
import { ToolContext, ToolControl } from '../tools/types';
import { diskFullMessage, isDiskFull } from '../util/diskErrors';
import { Redactor, redactor as defaultRedactor } from '../util/redact';
import { ApprovalGate } from '../policy/approval';
import { Budget, CostFunction } from '../policy/budget';
import { CompactionError, compactConversation, needsCompaction } from './compaction';
import { callSignature, DoomLoopGuard } from './doomLoop';
import { CUT_TEXT_NOTE, cutCallResult, OpenPlanNudge } from './replies';
import { budgetSummary, firstLine, heldBack } from './loopText';
import { firstUserMessage } from './briefing';
import { defaultSystemPrompt } from './systemPrompt';
import { executeToolCall } from './toolCall';
import { redactMessage } from './reasoning';
import { batchCalls } from './parallelCalls';
import { CommandRecord, resumeDetachedCommand } from '../tools/detachedCommand';
import { RunJournal } from './runJournal';
import { answerDanglingCalls, danglingCalls, detachedPorts } from './detachedResume';
import { freshMemory, readRunFolder, RunMemory, runStoreOf } from './reopenRun';
import { QueuedMessages } from './queuedMessages';

export type { AgentDeps, ContinueInput, RunOutcome, StartOptions } from './agentTypes';

export class AgentSession {
  private state: RunState;
  private question: string | undefined;
  private controller: AbortController | undefined;
  private active: Promise<RunOutcome> | undefined;
  private readonly guard = new DoomLoopGuard();
  private readonly nudge = new OpenPlanNudge();
  private lastAssistantText: string;
  private readonly gate: ApprovalGate;
  private readonly registry: ToolRegistry;
  private readonly logger: Logger;
  private readonly redactor: Redactor;
  private readonly costFn: CostFunction;
  /** The panel, the transcript and the conversation the model reads, kept in step. */
  private readonly journal: RunJournal;
  private readonly budget: Budget;
  private plan: PlanItem[];
  /** Detached commands by tool call id (transcript `process` entries): a reopened run waits for them. */
  private readonly commands: Map<string, CommandRecord>;
  /** Messages the user sent while the run was going, for the model's next step (see queueMessage). */
  private readonly queued: QueuedMessages;

  private constructor(
    private readonly deps: AgentDeps,
    readonly run: RunHandle,
    memory: RunMemory,
  ) {
    this.budget = memory.budget;
    this.plan = memory.plan;
    this.state = memory.state;
    this.question = memory.question;
    this.lastAssistantText = memory.lastAssistantText;
    this.commands = memory.commands;
    this.queued = memory.queued;
    this.registry = deps.tools ?? createCoreRegistry();
    this.logger = deps.logger ?? NOOP_LOGGER;
    this.redactor = deps.redactor ?? defaultRedactor;
    this.journal = new RunJournal({ run, events: deps.events, logger: this.logger, redactor: this.redactor }, memory.messages);
    this.costFn = deps.costOf ?? ((model, usage) => costOf(model, usage, deps.settings.prices).usd);
    this.gate = new ApprovalGate({
      policy: () => deps.settings.autoApprove,
      reviewer: deps.reviewer,
      approveCommand: deps.approveCommand,
      runId: run.id,
      record: (entry) => this.journal.record(entry),
      emit: (event) => this.journal.emit(event),
      nextChangeNumber: () => this.journal.nextNumber('change'),
      saveVersion: (n, p, text, label) => run.writeFile(`scripts/${String(n).padStart(3, '0')}-${label}-${path.posix.basename(p)}`, text),
      write: (p, text) => deps.files.write(p, text),
      read: (p) => deps.files.readIfExists(p),
      workspaceCwd: (cwd) => deps.files.resolve(cwd || '.'),
    });
  }

  /** Create the run folder and the conversation (system prompt + goal). Call {@link start} or {@link continueRun} to drive it. */
  static async create(deps: AgentDeps, options: StartOptions): Promise<AgentSession> {
    const limits = limitsFrom(deps.settings, options.limits);
    const handle = await runStoreOf(deps).create({
      goal: options.goal,
      title: options.title,
      provider: deps.llm.id,
      model: deps.llm.model,
      limits,
      autoApprove: deps.settings.autoApprove,
      ...options.spec,
    });
    const session = new AgentSession(deps, handle, freshMemory(new Budget(limits)));
    const status = await handle.readStatus();
    session.journal.emit({ type: 'run_started', runId: handle.id, title: status.title, folder: handle.folder });
    await session.journal.record({ kind: 'limits', limits });
    await session.journal.push({ role: 'system', content: deps.systemPrompt ?? defaultSystemPrompt(undefined, deps.settings) });
    await session.journal.push({ role: 'user', content: firstUserMessage(options.goal, await deps.briefing?.(session.toolContext(new AbortController().signal))) });
    session.journal.emit({ type: 'user_message', runId: handle.id, text: session.redactor.redact(options.goal) });
    return session;
  }

  /** Reopen a run from its folder (after a window reload): messages, budget counters and plan come from the transcript. */
  static async reopen(deps: AgentDeps, runId: string): Promise<AgentSession> {
    const { handle, memory } = await readRunFolder(deps, runId);
    return new AgentSession(deps, handle, memory);
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
    if (this.active || !this.deps.detached || danglingCalls(this.messages).every((c) => !this.commands.has(c.id))) return undefined;
    return this.drive(signal, (sig) => this.repairDanglingCalls(sig));
  }

  /**
   * A message from the user while the run is going (typed in the panel mid-run): shown at once,
   * kept in the transcript, and given to the model at its next step — after the results of the
   * tool calls under way, so the conversation stays valid. A run about to finish or to ask goes
   * on instead, so the message is read.
   */
  async queueMessage(text: string): Promise<void> {
    const { id } = this.queued.add(text);
    await this.journal.record({ kind: 'queued', id, text });
    this.journal.emit({ type: 'user_message', runId: this.id, text: this.redactor.redact(text) });
  }

  /** The queued messages into the conversation, in order; false when there were none. */
  private async takeQueued(): Promise<boolean> {
    if (this.queued.length === 0) return false;
    for (const q of this.queued.takeAll()) {
      await this.journal.record({ kind: 'dequeued', id: q.id });
      await this.journal.push({ role: 'user', content: q.text });
    }
    return true;
  }

  private async prepareContinue(opts: Exclude<ContinueInput, string>, stoppedIn: RunState): Promise<void> {
    await this.takeQueued();
    if (opts.raiseLimits) {
      const limits = this.budget.raise(opts.raiseLimits);
      await this.journal.record({ kind: 'limits', limits });
    } else if (stoppedIn === 'budget' && this.budget.exceeded()) {
      this.budget.raise(true);
      await this.journal.record({ kind: 'limits', limits: this.budget.limits });
    }
    const text = opts.answer ?? opts.message;
    if (text !== undefined && text.trim()) {
      const content = this.question && opts.answer !== undefined ? `Answer to "${firstLine(this.question, 300)}": ${text}` : text;
      await this.journal.push({ role: 'user', content });
      this.journal.emit({ type: 'user_message', runId: this.id, text: this.redactor.redact(text) });
    } else if (this.messages[this.messages.length - 1]?.role === 'assistant') {
      await this.journal.push({ role: 'user', content: 'Continue.' });
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
      if (event.type === 'text' && event.delta) this.journal.emit({ type: 'assistant_delta', runId: this.id, text: event.delta });
    });
    await this.account(response, true);
    return response;
  }

  private async account(response: Pick<LlmResponse, 'usage' | 'model'>, step: boolean): Promise<void> {
    const cost = this.costFn(response.model || this.deps.llm.model, response.usage);
    this.budget.add(response.usage, cost, step);
    await this.journal.record({ kind: 'usage', usage: response.usage, costUsd: cost, model: response.model || this.deps.llm.model, step });
    this.journal.emit({ type: 'usage', runId: this.id, totals: { ...this.budget.totals }, budget: this.budget.state() });
    this.journal.noteOnNextResult(this.budget.nearNote());
    await this.run.updateStatus({ steps: this.budget.steps, usage: { ...this.budget.totals }, costUsd: this.budget.totals.costUsd });
  }

  /** Record the answer, run its tool calls, and decide whether the run goes on (undefined) or ends. */
  private async afterResponse(response: LlmResponse, signal: AbortSignal): Promise<RunOutcome | undefined> {
    const calls = response.toolCalls.map((c, i) => ({ ...c, id: c.id || `call_${this.budget.steps}_${i}` }));
    await this.journal.push({ role: 'assistant', content: response.text, ...(calls.length ? { toolCalls: calls } : {}), ...(response.reasoning?.length ? { reasoning: response.reasoning } : {}) });
    if (response.text.trim()) {
      this.lastAssistantText = response.text;
      this.journal.emit({ type: 'assistant_message', runId: this.id, text: this.redactor.redact(response.text) });
    }
    if (calls.length === 0) {
      // Text without a tool call: the agent is talking to the user, so the run waits for a reply
      // (unless the user already wrote meanwhile, the answer was cut, or plan items are open: the model is told first).
      const note = this.queued.length ? undefined : response.stopReason === 'max_tokens' ? CUT_TEXT_NOTE : this.nudge.reminder(this.plan);
      if (note) await this.journal.push({ role: 'user', content: note });
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
          await this.journal.recordCall(call);
          await this.journal.recordResult(call, { ok: false, output: why });
        }
        continue;
      }
      for (const call of batch) {
        await this.journal.recordCall(call);
        this.journal.showCall(call);
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
        const content = await this.journal.recordResult(call, executed.result);
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
      await this.journal.record({ kind: 'guard', level: 'stop', reason: guardStop });
      const question = `I seem to be going in circles: ${guardStop}, even after a warning. How should I proceed? (e.g. a hint, a different approach, or stop here)`;
      return this.end('waiting', question, question);
    }
    if (guardWarn) {
      await this.journal.record({ kind: 'guard', level: 'warn', reason: guardWarn });
      await this.journal.push({
        role: 'user',
        content: `[loop guard] You are repeating yourself: ${guardWarn}. Repeating it will not give a different result. Stop, re-read the last error, and try a different approach (read the relevant file or log, change the script, or ask the user).`,
      });
    }
    return undefined;
  }

  private toolContext(signal: AbortSignal, callId?: string): ToolContext {
    const deps = this.deps;
    return {
      ...(deps.detached && callId ? { detached: detachedPorts(deps.detached, this.run, (record) => this.rememberCommand(callId, record)) } : {}),
      runId: this.id,
      runFolder: this.folder,
      files: deps.files,
      executor: deps.executor,
      settings: deps.settings,
      signal,
      logger: this.logger,
      env: deps.env ?? {},
      python: deps.settings.pythonPath.trim() || 'python3',
      emit: (event) => this.journal.emit(event),
      proposeChange: (change) => this.gate.proposeChange({ ...change, runId: this.id }, signal),
      approveCommand: (request) => this.gate.approveCommand(request, signal),
      saveRunFile: (relative, text) => this.run.writeFile(relative, text),
      nextNumber: (series) => this.journal.nextNumber(series),
      setPlan: (items) => {
        this.plan = items;
        this.journal.emit({ type: 'plan', runId: this.id, items });
        void this.journal.record({ kind: 'plan', items });
      },
    };
  }

  /** Where the detached command a tool call started is: kept in the transcript, so a reopened run waits for it. */
  private async rememberCommand(callId: string, record: CommandRecord): Promise<void> {
    this.commands.set(callId, record);
    await this.journal.record({ kind: 'process', callId, ...record });
  }

  /** Replace the middle of the conversation by a summary; returns an outcome when it cannot. */
  private async compact(window: number, signal: AbortSignal, forced = false): Promise<RunOutcome | undefined> {
    try {
      const result = await compactConversation(this.messages, this.deps.llm, { window, tools: this.registry.specs(), signal, forced });
      const redacted = result.messages.map((m) => redactMessage(m, this.redactor));
      this.journal.replaceMessages(redacted.map((r) => r.memory));
      await this.account(result, false);
      await this.journal.record({ kind: 'compaction', summary: result.summary, messages: redacted.map((r) => r.disk), removedMessages: result.removedMessages });
      this.journal.emit({ type: 'notice', runId: this.id, level: 'info', message: `Compacted the conversation: ${result.removedMessages} earlier messages replaced by a summary.` });
      return undefined;
    } catch (err) {
      if (signal.aborted) return this.end('stopped', 'Stopped by the user.');
      if (err instanceof CompactionError) return this.end('failed', err.message);
      return this.end('failed', `Could not compact the conversation: ${errorMessage(err)}`);
    }
  }

  /**
   * After a reload mid-step, an assistant tool call may lack results: answer them so the
   * conversation is valid; a detached command one of them started gives its real result.
   */
  private repairDanglingCalls(signal: AbortSignal): Promise<void> {
    const resume = this.deps.detached ? (call: { id: string }, command: CommandRecord) => resumeDetachedCommand(this.toolContext(signal, call.id), command) : undefined;
    return answerDanglingCalls(this.journal, this.commands, resume);
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
      this.journal.emit({ type: 'run_state', runId: this.id, state: 'failed', message: clean });
      return { state: 'failed', message: clean };
    }
  }

  private async end(state: RunState, message: string, question?: string): Promise<RunOutcome> {
    const clean = this.redactor.redact(message);
    this.question = state === 'waiting' ? question : undefined;
    await this.setState(state, clean, this.question);
    if (state === 'waiting' && this.question) this.journal.emit({ type: 'ask_user', runId: this.id, question: this.redactor.redact(this.question) });
    return { state, message: clean, ...(this.question ? { question: this.redactor.redact(this.question) } : {}) };
  }

  private async setState(state: RunState, message?: string, question?: string): Promise<void> {
    this.state = state;
    await this.journal.record({ kind: 'state', state, ...(message ? { message } : {}), ...(question ? { question } : {}) });
    await this.run.updateStatus({
      state,
      steps: this.budget.steps,
      usage: { ...this.budget.totals },
      costUsd: this.budget.totals.costUsd,
      lastMessage: message ?? '',
      question,
      pid: state === 'running' ? process.pid : undefined,
    });
    this.journal.emit({ type: 'run_state', runId: this.id, state, ...(message ? { message } : {}) });
  }

  /** The conversation as the model reads it (the journal keeps it in step with the transcript). */
  private get messages(): ChatMessage[] {
    return this.journal.messages;
  }
}
