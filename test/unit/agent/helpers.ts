/** Test doubles for the agent loop: a scripted LlmProvider, a replaying Executor, deps on a temp workspace. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AgentDeps } from '../../../src/core/agent/agentLoop';
import { LlmError, LlmProvider, LlmRequest, LlmResponse, StreamEvent, Usage } from '../../../src/core/llm/types';
import { Executor, ProcessExit, ProcessSpec, RunningProcess } from '../../../src/core/ports';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';

export interface ScriptedTurn {
  text?: string;
  calls?: Array<{ name: string; args: Record<string, unknown> | string; id?: string }>;
  usage?: Partial<Usage>;
  error?: LlmError;
  /** Stream the text, then wait until the request is aborted. */
  hang?: boolean;
  stopReason?: LlmResponse['stopReason'];
}

export class ScriptedLlm implements LlmProvider {
  readonly id = 'fake';
  readonly requests: LlmRequest[] = [];
  private n = 0;
  constructor(
    private readonly turns: Array<ScriptedTurn | ((req: LlmRequest) => ScriptedTurn)>,
    readonly model = 'fake-model',
    readonly contextWindow = 100_000,
  ) {}
  push(...t: ScriptedTurn[]): void {
    this.turns.push(...t);
  }
  get remaining(): number {
    return this.turns.length;
  }
  async chat(request: LlmRequest, onEvent?: (e: StreamEvent) => void): Promise<LlmResponse> {
    this.requests.push({ ...request, messages: request.messages.map((m) => ({ ...m })) });
    const next = this.turns.shift();
    if (!next) throw new LlmError('bad_request', 'ScriptedLlm: script exhausted');
    const turn = typeof next === 'function' ? next(request) : next;
    if (turn.error) throw turn.error;
    const text = turn.text ?? '';
    for (let i = 0; i < text.length; i += 5) onEvent?.({ type: 'text', delta: text.slice(i, i + 5) });
    if (turn.hang) {
      await new Promise<void>((_, reject) => {
        if (request.signal?.aborted) reject(new LlmError('cancelled', 'cancelled'));
        request.signal?.addEventListener('abort', () => reject(new LlmError('cancelled', 'cancelled')), { once: true });
      });
    }
    const toolCalls = (turn.calls ?? []).map((c, i) => ({
      id: c.id ?? `c${this.n}_${i}`,
      name: c.name,
      arguments: typeof c.args === 'string' ? c.args : JSON.stringify(c.args),
    }));
    this.n++;
    return {
      text,
      toolCalls,
      usage: { inputTokens: 100, outputTokens: 20, cachedInputTokens: 0, cacheWriteTokens: 0, ...turn.usage },
      stopReason: turn.stopReason ?? (toolCalls.length ? 'tool_calls' : 'end'),
      model: this.model,
    };
  }
}

export interface FakeRun {
  output: string | string[];
  code: number;
}

/** An Executor that replays scripted output and exit codes, in order. */
export class FakeExecutor implements Executor {
  readonly started: ProcessSpec[] = [];
  constructor(private readonly runs: Array<FakeRun | ((spec: ProcessSpec) => FakeRun)> = []) {}
  push(...r: FakeRun[]): void {
    this.runs.push(...r);
  }
  async start(spec: ProcessSpec): Promise<RunningProcess> {
    this.started.push(spec);
    const next = this.runs.shift() ?? { output: '', code: 0 };
    const run = typeof next === 'function' ? next(spec) : next;
    const listeners = new Set<(c: string) => void>();
    let resolve!: (e: ProcessExit) => void;
    const exit = new Promise<ProcessExit>((r) => (resolve = r));
    setImmediate(() => {
      for (const chunk of Array.isArray(run.output) ? run.output : [run.output]) for (const l of listeners) l(chunk);
      resolve({ code: run.code });
    });
    return {
      pid: 4242,
      exit,
      onData: (l) => {
        listeners.add(l);
        return () => void listeners.delete(l);
      },
      write: () => undefined,
      stop: async () => exit,
    };
  }
}

export function tempWorkspace(prefix = 'mli-agent-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export interface TestDeps extends AgentDeps {
  llm: ScriptedLlm | LlmProvider;
  files: NodeFileStore;
  reviewer: ScriptedReviewer;
  events: RecordingEventSink;
}

export function makeDeps(llm: LlmProvider, overrides: Partial<Omit<AgentDeps, 'settings'>> & { settings?: Partial<Settings>; root?: string } = {}): TestDeps {
  const { settings, root, ...rest } = overrides;
  return {
    llm,
    files: new NodeFileStore(root ?? tempWorkspace()),
    reviewer: new ScriptedReviewer(),
    executor: new FakeExecutor(),
    events: new RecordingEventSink(),
    settings: { ...DEFAULT_SETTINGS, ...settings },
    systemPrompt: 'You are a test agent.',
    costOf: () => 0,
    approveCommand: async () => ({ approved: true }),
    ...rest,
  } as TestDeps;
}
