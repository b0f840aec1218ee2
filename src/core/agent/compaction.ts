/**
 * Context compaction. When the conversation nears the context window, keep
 * the system prompt, the first user message and the recent turns (an
 * assistant tool call is never separated from its results) and replace the
 * middle with a summary the LLM writes in one extra call.
 */
import { ChatMessage, LlmProvider, ToolSpec, Usage, ZERO_USAGE } from '../llm/types';

export const COMPACT_AT = 0.8;
/** Share of the window the kept recent turns may take. */
const KEEP_RECENT = 0.3;
const SUMMARY_INPUT_CHARS_PER_MESSAGE = 3_000;

export const SUMMARY_PROMPT = [
  'You compress the middle of an ML engineering agent session so the agent can go on without it.',
  'Write a compact summary (at most 400 words) of the conversation below for the agent itself:',
  '- what was inspected and learned (data format, environment, versions),',
  '- files written or edited (workspace paths) and whether the user accepted, edited or rejected them,',
  '- commands run with their outcomes (exit codes, key errors, metrics), and fixes tried,',
  "- the user's answers and decisions, and what remains to do.",
  'Facts only; keep paths, numbers and error messages exact.',
].join('\n');

export class CompactionError extends Error {}

export function estimateTokens(messages: ChatMessage[], tools: ToolSpec[] = []): number {
  let chars = 0;
  for (const m of messages) {
    chars += m.content.length + 16;
    if (m.role === 'assistant' && m.toolCalls) for (const c of m.toolCalls) chars += c.name.length + c.arguments.length + 16;
  }
  for (const t of tools) chars += JSON.stringify(t).length;
  return Math.ceil(chars / 4);
}

export function needsCompaction(messages: ChatMessage[], tools: ToolSpec[], window: number, threshold = COMPACT_AT): boolean {
  return window > 0 && estimateTokens(messages, tools) > threshold * window;
}

/** Index after the system prompt and the first user message. */
function headEnd(messages: ChatMessage[]): number {
  const firstUser = messages.findIndex((m) => m.role === 'user');
  return firstUser < 0 ? (messages[0]?.role === 'system' ? 1 : 0) : firstUser + 1;
}

/** Where the kept recent turns begin: as many as fit KEEP_RECENT of the window, never starting on a tool result. */
function tailStart(messages: ChatMessage[], head: number, budget: number): number {
  let cut = messages.length;
  let used = 0;
  for (let i = messages.length - 1; i >= head; i--) {
    used += estimateTokens([messages[i]]);
    if (used > budget) break;
    if (messages[i].role !== 'tool') cut = i;
  }
  return cut;
}

function render(m: ChatMessage): string {
  const cap = (s: string) => (s.length > SUMMARY_INPUT_CHARS_PER_MESSAGE ? `${s.slice(0, SUMMARY_INPUT_CHARS_PER_MESSAGE / 2)}\n[...]\n${s.slice(-SUMMARY_INPUT_CHARS_PER_MESSAGE / 2)}` : s);
  if (m.role === 'assistant') {
    const calls = (m.toolCalls ?? []).map((c) => `  -> ${c.name}(${cap(c.arguments)})`).join('\n');
    return `[assistant] ${cap(m.content)}${calls ? `\n${calls}` : ''}`;
  }
  if (m.role === 'tool') return `[result of ${m.name}${m.isError ? ', error' : ''}] ${cap(m.content)}`;
  return `[${m.role}] ${cap(m.content)}`;
}

export interface CompactionResult {
  messages: ChatMessage[];
  summary: string;
  removedMessages: number;
  usage: Usage;
  model: string;
}

export async function compactConversation(
  messages: ChatMessage[],
  llm: LlmProvider,
  options: {
    window: number;
    tools?: ToolSpec[];
    signal?: AbortSignal;
    threshold?: number;
    /** After the provider said the prompt is too long: keep less than usual, whatever the window says. */
    forced?: boolean;
  },
): Promise<CompactionResult> {
  const { window } = options;
  const head = headEnd(messages);
  const keep = KEEP_RECENT * (options.forced ? Math.min(window, estimateTokens(messages)) : window);
  const cut = tailStart(messages, head, keep);
  const middle = messages.slice(head, cut);
  if (middle.length === 0) {
    throw new CompactionError(
      `The conversation (about ${estimateTokens(messages, options.tools)} tokens) does not fit the model's context window (${window} tokens) and there is nothing left to summarise. Use a model with a larger context window (mlIntern.contextWindow / mlIntern.model) or start a new run with a narrower goal.`,
    );
  }
  let input = middle.map(render).join('\n\n');
  const maxInput = Math.max(4_000, Math.floor(window * 4 * 0.5));
  if (input.length > maxInput) input = `${input.slice(0, maxInput / 2)}\n[... middle of the session omitted ...]\n${input.slice(-maxInput / 2)}`;
  const response = await llm.chat({
    messages: [
      { role: 'system', content: SUMMARY_PROMPT },
      { role: 'user', content: input },
    ],
    maxTokens: 1_500,
    signal: options.signal,
  });
  const summary = response.text.trim() || '(the summariser returned nothing)';
  const out: ChatMessage[] = [
    ...messages.slice(0, head),
    { role: 'user', content: `[Summary of the earlier part of this session (${middle.length} messages compacted)]\n${summary}` },
    ...messages.slice(cut),
  ];
  if (estimateTokens(out, options.tools) > (options.threshold ?? COMPACT_AT) * window) {
    throw new CompactionError(
      `Even after compaction the conversation needs about ${estimateTokens(out, options.tools)} tokens, more than ${Math.round((options.threshold ?? COMPACT_AT) * 100)} % of the context window (${window}). Use a model with a larger context window (mlIntern.contextWindow / mlIntern.model) or start a new run.`,
    );
  }
  return { messages: out, summary, removedMessages: middle.length, usage: response.usage ?? ZERO_USAGE, model: response.model };
}
