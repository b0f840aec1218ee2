/**
 * Rebuild what the agent knew from a transcript alone, so a run can be
 * reopened and continued after a window reload or a dropped SSH link.
 */
import { PlanItem, RunState, UsageTotals } from '../events';
import { ChatMessage } from '../llm/types';
import { BudgetLimits, TranscriptEntry, ZERO_TOTALS } from './types';

export interface RebuiltConversation {
  messages: ChatMessage[];
  /** LLM steps taken (summarisation calls excluded). */
  steps: number;
  totals: UsageTotals;
  plan: PlanItem[];
  /** The most recent limits recorded (raised limits included), if any. */
  limits?: BudgetLimits;
  state?: RunState;
  /** The question pending when the run was left 'waiting'. */
  question?: string;
  lastAssistantText: string;
  /** What the transcript lacked and was put back from `guardrails` ("the system prompt", "the goal"). */
  restored: string[];
}

/** What a resumed conversation must start with whatever the transcript kept: the agent's rules and its goal. */
export interface Guardrails {
  systemPrompt: string;
  goal: string;
}

/**
 * The conversation as the transcript recorded it. With `guardrails`, a conversation that lost its
 * system prompt (an empty, truncated or garbled transcript) gets it back as its first message, and
 * one with no user message the goal, so a resumed run never goes on without its rules.
 */
export function rebuildConversation(entries: TranscriptEntry[], guardrails?: Guardrails): RebuiltConversation {
  let messages: ChatMessage[] = [];
  let steps = 0;
  const totals: UsageTotals = { ...ZERO_TOTALS };
  let plan: PlanItem[] = [];
  let limits: BudgetLimits | undefined;
  let state: RunState | undefined;
  let question: string | undefined;
  let lastAssistantText = '';
  for (const e of entries) {
    switch (e.kind) {
      case 'message':
        messages.push(e.message);
        if (e.message.role === 'assistant' && e.message.content.trim()) lastAssistantText = e.message.content;
        break;
      case 'compaction':
        messages = [...e.messages];
        break;
      case 'usage':
        if (e.step) steps++;
        totals.inputTokens += e.usage.inputTokens + e.usage.cacheWriteTokens;
        totals.outputTokens += e.usage.outputTokens;
        totals.cachedInputTokens += e.usage.cachedInputTokens;
        totals.costUsd += e.costUsd;
        totals.llmCalls++;
        break;
      case 'plan':
        plan = e.items;
        break;
      case 'limits':
        limits = e.limits;
        break;
      case 'state':
        state = e.state;
        question = e.state === 'waiting' ? e.question : undefined;
        break;
      default:
        break;
    }
  }
  const restored: string[] = [];
  if (guardrails && messages[0]?.role !== 'system') {
    messages = [{ role: 'system', content: guardrails.systemPrompt }, ...messages];
    restored.push('the system prompt');
  }
  if (guardrails && !messages.some((m) => m.role === 'user')) {
    messages.splice(1, 0, { role: 'user', content: guardrails.goal });
    restored.push('the goal');
  }
  return { messages, steps, totals, plan, limits, state, question, lastAssistantText, restored };
}
