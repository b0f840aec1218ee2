/**
 * What an agent run is made of, from scratch or read back from its folder after a window reload:
 * the conversation, the budget's counters, the plan, the state it stopped in, the detached commands
 * its tool calls started, and the messages the user sent that the model has not read yet.
 */
import { PlanItem, RunState } from '../events';
import { ChatMessage } from '../llm/types';
import { Budget } from '../policy/budget';
import { rebuildConversation } from '../runs/rebuild';
import { drivenElsewhere } from '../runs/runLocks';
import { RunHandle, RunStore } from '../runs/runStore';
import { CommandRecord } from '../tools/detachedCommand';
import { AgentDeps, limitsFrom } from './agentTypes';
import { commandsFrom } from './detachedResume';
import { QueuedMessages } from './queuedMessages';
import { defaultSystemPrompt } from './systemPrompt';

export interface RunMemory {
  messages: ChatMessage[];
  budget: Budget;
  plan: PlanItem[];
  state: RunState;
  question: string | undefined;
  lastAssistantText: string;
  /** Detached commands by tool call id (transcript `process` entries): a reopened run waits for them. */
  commands: Map<string, CommandRecord>;
  queued: QueuedMessages;
}

/** The runs of the deps, or a store over their files. */
export function runStoreOf(deps: AgentDeps): RunStore {
  return deps.runs ?? new RunStore(deps.files, { clock: deps.clock, logger: deps.logger, redactor: deps.redactor });
}

/** A new run's memory: nothing said yet, the whole budget ahead. */
export function freshMemory(budget: Budget): RunMemory {
  return { messages: [], budget, plan: [], state: 'starting', question: undefined, lastAssistantText: '', commands: new Map(), queued: new QueuedMessages() };
}

/**
 * Open a run folder and read its memory back from the transcript (whatever the transcript lost, the
 * run keeps its rules and goal). Refused while another live process drives the run — a terminal's
 * `ml-intern run`, another VS Code window — for every host alike: a second driver would answer the
 * same tool calls again.
 */
export async function readRunFolder(deps: AgentDeps, runId: string): Promise<{ handle: RunHandle; memory: RunMemory }> {
  const handle = await runStoreOf(deps).open(runId);
  const [{ entries }, spec, status] = await Promise.all([handle.readTranscript(), handle.spec(), handle.readStatus()]);
  const elsewhere = drivenElsewhere(status, runId);
  if (elsewhere) throw new Error(elsewhere);
  const rebuilt = rebuildConversation(entries, { systemPrompt: deps.systemPrompt ?? defaultSystemPrompt(undefined, deps.settings), goal: spec.goal });
  if (rebuilt.messages.some((m) => m.role === 'assistant' && m.reasoningDropped)) {
    deps.logger?.warn(`run ${runId}: some of the model's reasoning was not kept in the transcript (redacting it would have broken its signature); those answers go back without it`);
  }
  if (rebuilt.restored.length) deps.logger?.warn(`run ${runId}: ${handle.path('transcript.jsonl')} lacked ${rebuilt.restored.join(' and ')}; put back from the settings and spec.json`);
  const limits = rebuilt.limits ?? spec.limits ?? limitsFrom(deps.settings);
  // A run left 'running' was interrupted (reload, crash): it is stopped now.
  let state = rebuilt.state ?? status.state;
  if (state === 'running' || state === 'starting' || state === 'lost') state = 'stopped';
  return {
    handle,
    memory: {
      messages: rebuilt.messages,
      budget: new Budget(limits, rebuilt.steps, rebuilt.totals),
      plan: rebuilt.plan,
      state,
      question: rebuilt.question,
      lastAssistantText: rebuilt.lastAssistantText,
      commands: commandsFrom(entries),
      // A message sent just before the reload, not read by the model yet: it still will be.
      queued: QueuedMessages.fromTranscript(entries),
    },
  };
}
