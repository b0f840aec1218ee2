/**
 * Anthropic Messages API (streaming) through the official SDK.
 *
 * Prompt caching: the system prompt, the tool list and the last message each
 * carry an ephemeral cache_control breakpoint, so every agent step re-reads
 * the unchanged prefix from the cache instead of paying for it again.
 */
import Anthropic from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  MessageCreateParamsStreaming,
  MessageParam,
  RawMessageStreamEvent,
  TextBlockParam,
  Tool,
} from '@anthropic-ai/sdk/resources/messages';
import { StreamIncompleteError } from './errors';
import { contextWindowOf, maxOutputOf } from './pricing';
import { AttemptContext, CallPolicyOptions, runLlmCall } from './retry';
import { ReasoningEffort } from '../settings';
import { ChatMessage, LlmProvider, LlmRequest, LlmResponse, ReasoningBlock, StopReason, StreamEvent, ToolCall, ToolSpec, Usage } from './types';

export interface AnthropicProviderOptions extends CallPolicyOptions {
  apiKey: string;
  model: string;
  /** Empty = https://api.anthropic.com. A trailing /v1 is dropped (the SDK adds it). */
  baseUrl?: string;
  contextWindow?: number;
  fetch?: typeof fetch;
  /** Extended thinking for the models that have it; 'off' or absent: requests as before. */
  reasoningEffort?: ReasoningEffort;
}

/** Thinking tokens per effort (the API's minimum budget is 1,024, and the budget counts toward max_tokens). */
const THINKING_BUDGET: Record<Exclude<ReasoningEffort, 'off'>, number> = { low: 2_048, medium: 8_192, high: 24_576 };
const MIN_THINKING_BUDGET = 1_024;

/** Claude 3.7 and the 4.x/5.x families think; 3.5 and 3 Haiku do not. */
export function anthropicThinks(model: string): boolean {
  return /claude-(?:3-7-|(?:sonnet|opus|haiku)-[4-9]|[4-9]-)/i.test(model);
}

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
const EPHEMERAL = { type: 'ephemeral' } as const;

export class AnthropicProvider implements LlmProvider {
  readonly id = 'anthropic';
  readonly model: string;
  readonly contextWindow: number;
  private readonly client: Anthropic;

  constructor(private readonly options: AnthropicProviderOptions) {
    this.model = options.model;
    this.contextWindow = contextWindowOf(options.model, options.contextWindow);
    const base = (options.baseUrl?.trim() || ANTHROPIC_DEFAULT_BASE_URL).replace(/\/+$/, '').replace(/\/v1$/, '');
    this.client = new Anthropic({
      apiKey: options.apiKey,
      authToken: null,
      baseURL: base,
      maxRetries: 0,
      timeout: (options.timeouts?.overallTimeoutMs ?? 0) > 0 ? options.timeouts?.overallTimeoutMs : 15 * 60_000,
      fetch: options.fetch,
      logLevel: 'off',
      openTelemetry: false,
    });
  }

  chat(request: LlmRequest, onEvent?: (event: StreamEvent) => void): Promise<LlmResponse> {
    const body = this.buildBody(request);
    return runLlmCall(
      {
        ...this.options,
        ctx: { provider: 'anthropic', model: this.model, baseUrl: this.options.baseUrl?.trim() ?? '' },
        signal: request.signal,
        onEvent,
      },
      (attempt) => this.attempt(body, attempt),
    );
  }

  /** The request body as sent (exposed for tests and logs). */
  buildBody(request: LlmRequest): MessageCreateParamsStreaming {
    const { system, messages } = toAnthropicMessages(request.messages);
    const body: MessageCreateParamsStreaming = {
      model: this.model,
      max_tokens: request.maxTokens ?? maxOutputOf(this.model),
      messages,
      stream: true,
    };
    if (system.length) body.system = system;
    if (request.tools?.length) body.tools = toAnthropicTools(request.tools);
    const thinking = this.thinkingBudget(body.max_tokens, request.messages);
    if (thinking) body.thinking = { type: 'enabled', budget_tokens: thinking };
    // request.temperature is not sent: current Claude models and this SDK's Messages API take none.
    return body;
  }

  /**
   * The thinking budget for this request, or undefined (off, a model without thinking, no room under
   * max_tokens). Also off when the turn under way is an assistant tool call sent without its thinking
   * block (a block dropped on resume): with thinking on, the API refuses such a turn.
   */
  private thinkingBudget(maxTokens: number, messages: ChatMessage[]): number | undefined {
    const effort = this.options.reasoningEffort ?? 'off';
    if (effort === 'off' || !anthropicThinks(this.model)) return undefined;
    const budget = Math.min(THINKING_BUDGET[effort], maxTokens - MIN_THINKING_BUDGET);
    if (budget < MIN_THINKING_BUDGET) return undefined;
    const lastAssistant = [...messages].reverse().find((m) => m.role === 'assistant' || m.role === 'user');
    if (lastAssistant?.role === 'assistant' && lastAssistant.toolCalls?.length && !lastAssistant.reasoning?.some((r) => r.provider === 'anthropic')) return undefined;
    return budget;
  }

  private async attempt(body: MessageCreateParamsStreaming, a: AttemptContext): Promise<LlmResponse> {
    const stream = await this.client.messages.create(body, { signal: a.signal });
    const acc = new EventAccumulator(this.model, (e) => a.emit(e));
    for await (const event of stream) {
      a.chunk();
      acc.add(event);
    }
    return acc.finish();
  }
}

interface Block {
  kind: 'text' | 'tool' | 'thinking' | 'other';
  /** Position among the tool calls (tool blocks) or the reasoning blocks (thinking blocks). */
  toolIndex: number;
}

/** Folds Messages stream events into a response. */
export class EventAccumulator {
  private text = '';
  private readonly calls: ToolCall[] = [];
  /** Thinking and redacted_thinking blocks, exactly as streamed: they go back unchanged. */
  private readonly thinking: Array<Extract<ReasoningBlock, { provider: 'anthropic' }>['block']> = [];
  private readonly blocks = new Map<number, Block>();
  private usage: Usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0 };
  private stopReason: string | null = null;
  private stopped = false;
  private model: string;

  constructor(requestedModel: string, private readonly emit: (e: StreamEvent) => void) {
    this.model = requestedModel;
  }

  add(event: RawMessageStreamEvent): void {
    switch (event.type) {
      case 'message_start': {
        const u = event.message.usage;
        this.model = event.message.model || this.model;
        this.usage = {
          inputTokens: u.input_tokens ?? 0,
          outputTokens: u.output_tokens ?? 0,
          cachedInputTokens: u.cache_read_input_tokens ?? 0,
          cacheWriteTokens: u.cache_creation_input_tokens ?? 0,
        };
        break;
      }
      case 'content_block_start': {
        const b = event.content_block;
        if (b.type === 'text') {
          this.blocks.set(event.index, { kind: 'text', toolIndex: -1 });
          if (b.text) this.addText(b.text);
        } else if (b.type === 'tool_use') {
          const toolIndex = this.calls.length;
          this.blocks.set(event.index, { kind: 'tool', toolIndex });
          // Streaming sends input {} here and the JSON in deltas; a non-empty input is complete already.
          const initial = b.input && typeof b.input === 'object' && Object.keys(b.input).length ? JSON.stringify(b.input) : '';
          this.calls.push({ id: b.id, name: b.name, arguments: initial });
          this.emit({ type: 'tool_call_start', index: toolIndex, id: b.id, name: b.name });
          if (initial) this.emit({ type: 'tool_call_delta', index: toolIndex, argumentsDelta: initial });
        } else if (b.type === 'thinking') {
          this.blocks.set(event.index, { kind: 'thinking', toolIndex: this.thinking.length });
          this.thinking.push({ type: 'thinking', thinking: b.thinking ?? '', signature: b.signature ?? '' });
        } else if (b.type === 'redacted_thinking') {
          this.blocks.set(event.index, { kind: 'other', toolIndex: -1 });
          this.thinking.push({ type: 'redacted_thinking', data: b.data });
        } else {
          this.blocks.set(event.index, { kind: 'other', toolIndex: -1 });
        }
        break;
      }
      case 'content_block_delta': {
        const block = this.blocks.get(event.index);
        const d = event.delta;
        const thought = block?.kind === 'thinking' ? this.thinking[block.toolIndex] : undefined;
        // Thinking is the model's own, never the answer's text.
        if (thought?.type === 'thinking' && d.type === 'thinking_delta') thought.thinking += d.thinking;
        else if (thought?.type === 'thinking' && d.type === 'signature_delta') thought.signature += d.signature;
        else if (d.type === 'text_delta' && block?.kind !== 'tool' && block?.kind !== 'thinking') this.addText(d.text);
        else if (d.type === 'input_json_delta' && block?.kind === 'tool' && d.partial_json) {
          this.calls[block.toolIndex].arguments += d.partial_json;
          this.emit({ type: 'tool_call_delta', index: block.toolIndex, argumentsDelta: d.partial_json });
        }
        break;
      }
      case 'message_delta': {
        if (event.delta.stop_reason) this.stopReason = event.delta.stop_reason;
        const u = event.usage;
        // message_delta usage is cumulative; input fields appear only on some models.
        this.usage = {
          inputTokens: u.input_tokens ?? this.usage.inputTokens,
          outputTokens: u.output_tokens ?? this.usage.outputTokens,
          cachedInputTokens: u.cache_read_input_tokens ?? this.usage.cachedInputTokens,
          cacheWriteTokens: u.cache_creation_input_tokens ?? this.usage.cacheWriteTokens,
        };
        break;
      }
      case 'message_stop':
        this.stopped = true;
        break;
      default:
        break;
    }
  }

  private addText(t: string): void {
    this.text += t;
    this.emit({ type: 'text', delta: t });
  }

  finish(): LlmResponse {
    if (!this.stopped) {
      const last = this.calls[this.calls.length - 1];
      const where = last && this.stopReason === null ? `in the middle of a call to '${last.name}'` : 'in the middle of the answer';
      throw new StreamIncompleteError(`stream ended ${where}, without message_stop`);
    }
    for (const c of this.calls) if (c.arguments === '') c.arguments = '{}';
    this.emit({ type: 'usage', usage: this.usage });
    const reasoning = this.thinking.map((block): ReasoningBlock => ({ provider: 'anthropic', block }));
    return {
      text: this.text,
      toolCalls: this.calls,
      usage: this.usage,
      stopReason: mapStop(this.stopReason, this.calls.length > 0),
      model: this.model,
      ...(reasoning.length ? { reasoning } : {}),
    };
  }
}

function mapStop(reason: string | null, hasCalls: boolean): StopReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return hasCalls ? 'tool_calls' : 'end';
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'max_tokens';
    case 'refusal':
      return 'refusal';
    default:
      return 'other';
  }
}

export function toAnthropicTools(tools: ToolSpec[]): Tool[] {
  const out: Tool[] = tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters as Tool['input_schema'] }));
  // One breakpoint after the last tool caches the whole tool list.
  out[out.length - 1] = { ...out[out.length - 1], cache_control: EPHEMERAL };
  return out;
}

/** Split off the system prompt; tool results become user tool_result blocks; same-role neighbours merge. */
export function toAnthropicMessages(messages: ChatMessage[]): { system: TextBlockParam[]; messages: MessageParam[] } {
  const systemText = messages.filter((m) => m.role === 'system').map((m) => m.content).filter((t) => t.trim() !== '');
  const system: TextBlockParam[] = systemText.length ? [{ type: 'text', text: systemText.join('\n\n'), cache_control: EPHEMERAL }] : [];
  const out: Array<{ role: 'user' | 'assistant'; content: ContentBlockParam[] }> = [];
  const push = (role: 'user' | 'assistant', blocks: ContentBlockParam[]) => {
    if (!blocks.length) return;
    const last = out[out.length - 1];
    if (last && last.role === role) {
      // Tool results must come first in a user turn; a following user text goes after them.
      last.content.push(...blocks);
    } else out.push({ role, content: [...blocks] });
  };
  for (const m of messages) {
    if (m.role === 'system') continue;
    if (m.role === 'user') push('user', m.content ? [{ type: 'text', text: m.content }] : []);
    else if (m.role === 'tool') {
      push('user', [{ type: 'tool_result', tool_use_id: m.toolCallId, content: m.content || '(no output)', ...(m.isError ? { is_error: true } : {}) }]);
    } else {
      // The answer's thinking goes back first and unchanged (its signature covers the text).
      const blocks: ContentBlockParam[] = (m.reasoning ?? []).flatMap((r) => (r.provider === 'anthropic' ? [{ ...r.block }] : []));
      if (m.content.trim()) blocks.push({ type: 'text', text: m.content });
      for (const c of m.toolCalls ?? []) blocks.push({ type: 'tool_use', id: c.id, name: c.name, input: parseInput(c.arguments) });
      push('assistant', blocks);
    }
  }
  // Cache everything up to the newest message: the next step reads it back at the cached rate.
  const last = out[out.length - 1];
  if (last) {
    // Thinking blocks take no cache_control: the breakpoint goes on the last block that can hold it.
    let i = last.content.length - 1;
    while (i > 0 && /thinking$/.test(last.content[i].type)) i--;
    last.content[i] = { ...last.content[i], cache_control: EPHEMERAL } as ContentBlockParam;
  }
  return { system, messages: out };
}

/** tool_use.input must be an object; malformed arguments (already reported to the model) become {}. */
function parseInput(args: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(args || '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
