/**
 * OpenAI's Responses API, for OpenAI reasoning models (o-series, GPT-5) when mlIntern.reasoningEffort
 * is on: `reasoning: { effort }`, and each answer's reasoning items come back with their
 * encrypted_content (`include: ['reasoning.encrypted_content']`, `store: false`: nothing is kept on
 * OpenAI's side) so the next request carries them and the model keeps its train of thought across
 * tool calls. Wire types from node_modules/openai/resources/responses/responses.d.ts.
 */
import type {
  FunctionTool,
  ResponseCreateParamsStreaming,
  ResponseInputItem,
  ResponseStreamEvent,
} from 'openai/resources/responses/responses';
import { StreamIncompleteError } from './errors';
import { ReasoningEffort } from '../settings';
import { ChatMessage, LlmRequest, LlmResponse, ReasoningBlock, StreamEvent, ToolCall, ToolSpec, Usage, ZERO_USAGE } from './types';

export type OpenAiReasoning = Extract<ReasoningBlock, { provider: 'openai' }>['item'];

export function buildResponsesBody(model: string, request: LlmRequest, effort: Exclude<ReasoningEffort, 'off'>): ResponseCreateParamsStreaming {
  const instructions = request.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
  const body: ResponseCreateParamsStreaming = {
    model,
    input: toResponsesInput(request.messages),
    stream: true,
    store: false,
    reasoning: { effort },
    include: ['reasoning.encrypted_content'],
  };
  if (instructions.trim()) body.instructions = instructions;
  if (request.tools?.length) body.tools = toResponsesTools(request.tools);
  if (request.maxTokens !== undefined) body.max_output_tokens = request.maxTokens;
  return body;
}

export function toResponsesTools(tools: ToolSpec[]): FunctionTool[] {
  return tools.map((t) => ({ type: 'function', name: t.name, description: t.description, parameters: t.parameters, strict: false }));
}

/** The conversation as Responses input items; an answer's reasoning items go back before its text and calls, unchanged. */
export function toResponsesInput(messages: ChatMessage[]): ResponseInputItem[] {
  const out: ResponseInputItem[] = [];
  for (const m of messages) {
    if (m.role === 'system') continue;
    if (m.role === 'user') out.push({ role: 'user', content: m.content });
    else if (m.role === 'tool') {
      out.push({ type: 'function_call_output', call_id: m.toolCallId, output: m.isError && !/^error/i.test(m.content) ? `Error: ${m.content}` : m.content });
    } else {
      for (const r of m.reasoning ?? []) if (r.provider === 'openai') out.push({ ...r.item });
      if (m.content.trim()) out.push({ role: 'assistant', content: m.content });
      for (const c of m.toolCalls ?? []) out.push({ type: 'function_call', call_id: c.id, name: c.name, arguments: c.arguments });
    }
  }
  return out;
}

/** Folds a Responses stream into a response: text deltas, function calls by output index, reasoning items as done. */
export class ResponsesAccumulator {
  private text = '';
  private readonly calls = new Map<number, ToolCall>();
  private readonly reasoning: OpenAiReasoning[] = [];
  private usage: Usage = { ...ZERO_USAGE };
  private finished: 'completed' | 'incomplete' | undefined;
  private incompleteReason: string | undefined;

  constructor(
    private model: string,
    private readonly emit: (e: StreamEvent) => void,
  ) {}

  add(event: ResponseStreamEvent): void {
    switch (event.type) {
      case 'response.output_text.delta':
        this.text += event.delta;
        this.emit({ type: 'text', delta: event.delta });
        break;
      case 'response.output_item.added':
        if (event.item.type === 'function_call') {
          const call = { id: event.item.call_id, name: event.item.name, arguments: event.item.arguments ?? '' };
          this.calls.set(event.output_index, call);
          this.emit({ type: 'tool_call_start', index: this.calls.size - 1, id: call.id, name: call.name });
        }
        break;
      case 'response.function_call_arguments.delta': {
        const call = this.calls.get(event.output_index);
        if (call) call.arguments += event.delta;
        break;
      }
      case 'response.output_item.done':
        // The reasoning item as the server finished it: kept whole (encrypted_content included), never shown.
        if (event.item.type === 'reasoning') {
          const { id, summary, encrypted_content } = event.item;
          this.reasoning.push({ type: 'reasoning', id, summary: summary.map((s) => ({ type: 'summary_text', text: s.text })), encrypted_content });
        }
        break;
      case 'response.completed':
      case 'response.incomplete': {
        this.finished = event.type === 'response.completed' ? 'completed' : 'incomplete';
        this.incompleteReason = event.response.incomplete_details?.reason ?? undefined;
        this.model = event.response.model || this.model;
        const u = event.response.usage;
        if (u) {
          const cached = u.input_tokens_details?.cached_tokens ?? 0;
          this.usage = { inputTokens: Math.max(0, u.input_tokens - cached), outputTokens: u.output_tokens, cachedInputTokens: cached, cacheWriteTokens: 0 };
        }
        break;
      }
      default:
        break;
    }
  }

  finish(): LlmResponse {
    if (!this.finished) throw new StreamIncompleteError('stream ended without response.completed');
    const toolCalls = [...this.calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => ({ ...c, arguments: c.arguments || '{}' }));
    this.emit({ type: 'usage', usage: this.usage });
    const stopReason =
      this.finished === 'incomplete' ? (this.incompleteReason === 'content_filter' ? 'refusal' : 'max_tokens') : toolCalls.length ? 'tool_calls' : 'end';
    const reasoning = this.reasoning.map((item): ReasoningBlock => ({ provider: 'openai', item }));
    return { text: this.text, toolCalls, usage: this.usage, stopReason, model: this.model, ...(reasoning.length ? { reasoning } : {}) };
  }
}
