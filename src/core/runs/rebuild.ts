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
}

export function rebuildConversation(entries: TranscriptEntry[]): RebuiltConversation {
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
  return { messages, steps, totals, plan, limits, state, question, lastAssistantText };
}
