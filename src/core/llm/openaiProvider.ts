/**
 * OpenAI Chat Completions (streaming) through the official SDK. Also serves
 * any OpenAI-compatible endpoint (Hugging Face router, vLLM, Ollama, LM Studio)
 * under the id 'openai-compatible'.
 */
import OpenAI from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { ResponseCreateParamsStreaming } from 'openai/resources/responses/responses';
import { ReasoningEffort } from '../settings';
import { StreamIncompleteError } from './errors';
import { buildResponsesBody, ResponsesAccumulator } from './openaiResponses';
import { contextWindowOf } from './pricing';
import { AttemptContext, CallPolicyOptions, runLlmCall } from './retry';
import { ChatMessage, LlmProvider, LlmRequest, LlmResponse, StopReason, StreamEvent, ToolCall, ToolSpec, Usage, ZERO_USAGE } from './types';

export interface OpenAiProviderOptions extends CallPolicyOptions {
  id?: 'openai' | 'openai-compatible';
  apiKey: string;
  model: string;
  /** Empty = https://api.openai.com/v1. */
  baseUrl?: string;
  /** 0 or absent = from the model table. */
  contextWindow?: number;
  fetch?: typeof fetch;
  /** On for an OpenAI reasoning model: requests go through the Responses API with this effort. */
  reasoningEffort?: ReasoningEffort;
}

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export class OpenAiProvider implements LlmProvider {
  readonly id: 'openai' | 'openai-compatible';
  readonly model: string;
  readonly contextWindow: number;
  private readonly client: OpenAI;
  private readonly baseUrl: string;

  constructor(private readonly options: OpenAiProviderOptions) {
    this.id = options.id ?? 'openai';
    this.model = options.model;
    this.contextWindow = contextWindowOf(options.model, options.contextWindow);
    this.baseUrl = options.baseUrl?.trim() || OPENAI_DEFAULT_BASE_URL;
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: this.baseUrl,
      maxRetries: 0,
      timeout: (options.timeouts?.overallTimeoutMs ?? 0) > 0 ? options.timeouts?.overallTimeoutMs : 15 * 60_000,
      fetch: options.fetch,
      logLevel: 'off',
    });
  }

  chat(request: LlmRequest, onEvent?: (event: StreamEvent) => void): Promise<LlmResponse> {
    const policy = {
      ...this.options,
      ctx: { provider: this.id, model: this.model, baseUrl: this.options.baseUrl?.trim() ?? '' },
      signal: request.signal,
      onEvent,
    };
    const effort = this.responsesEffort();
    if (effort) {
      const body = buildResponsesBody(this.model, request, effort);
      return runLlmCall(policy, (attempt) => this.attemptResponses(body, attempt));
    }
    const body = this.buildBody(request);
    return runLlmCall(policy, (attempt) => this.attempt(body, attempt));
  }

  /**
   * The effort when this call goes through the Responses API: OpenAI itself (compatible servers
   * rarely speak it), a reasoning model, and mlIntern.reasoningEffort on. Otherwise Chat Completions, as before.
   */
  private responsesEffort(): Exclude<ReasoningEffort, 'off'> | undefined {
    const effort = this.options.reasoningEffort ?? 'off';
    return this.id === 'openai' && effort !== 'off' && isReasoningModel(this.model) ? effort : undefined;
  }

  private async attemptResponses(body: ResponseCreateParamsStreaming, a: AttemptContext): Promise<LlmResponse> {
    const stream = await this.client.responses.create(body, { signal: a.signal });
    const acc = new ResponsesAccumulator(this.model, (e) => a.emit(e));
    for await (const event of stream) {
      a.chunk();
      acc.add(event);
    }
    return acc.finish();
  }

  /** The request body as sent (exposed for tests and logs). */
  buildBody(request: LlmRequest): ChatCompletionCreateParamsStreaming {
    const reasoning = isReasoningModel(this.model);
    const body: ChatCompletionCreateParamsStreaming = {
      model: this.model,
      messages: toOpenAiMessages(request.messages),
      stream: true,
      stream_options: { include_usage: true },
    };
    if (request.tools?.length) body.tools = toOpenAiTools(request.tools);
    if (request.maxTokens !== undefined) {
      // OpenAI's reasoning models refuse max_tokens; many compatible servers only know max_tokens.
      if (this.id === 'openai') body.max_completion_tokens = request.maxTokens;
      else body.max_tokens = request.maxTokens;
    }
    if (request.temperature !== undefined && !(this.id === 'openai' && reasoning)) body.temperature = request.temperature;
    return body;
  }

  private async attempt(body: ChatCompletionCreateParamsStreaming, a: AttemptContext): Promise<LlmResponse> {
    const stream = await this.client.chat.completions.create(body, { signal: a.signal });
    const acc = new ChunkAccumulator(this.model, (e) => a.emit(e));
    for await (const chunk of stream) {
      a.chunk();
      acc.add(chunk);
    }
    return acc.finish();
  }
}

/** o1/o3/o4/gpt-5 families take no temperature. */
function isReasoningModel(model: string): boolean {
  return /^(?:openai\/)?(?:o\d|gpt-5)/i.test(model);
}

interface PartialCall {
  id: string;
  name: string;
  arguments: string;
}

/** Folds streamed chunks into a response; tool-call fragments are keyed by their index. */
export class ChunkAccumulator {
  private text = '';
  private readonly calls: PartialCall[] = [];
  /** Wire index → position in `calls` (a server may reuse index 0 for several calls). */
  private readonly slot = new Map<number, number>();
  private finishReason: string | undefined;
  private usage: Usage | undefined;
  private model: string;

  constructor(requestedModel: string, private readonly emit: (e: StreamEvent) => void) {
    this.model = requestedModel;
  }

  add(chunk: ChatCompletionChunk): void {
    if (chunk.model) this.model = chunk.model;
    if (chunk.usage) {
      const cached = chunk.usage.prompt_tokens_details?.cached_tokens ?? 0;
      this.usage = {
        inputTokens: Math.max(0, (chunk.usage.prompt_tokens ?? 0) - cached),
        outputTokens: chunk.usage.completion_tokens ?? 0,
        cachedInputTokens: cached,
        cacheWriteTokens: 0,
      };
    }
    for (const choice of chunk.choices ?? []) {
      if (choice.index !== undefined && choice.index !== 0) continue;
      const delta = choice.delta ?? {};
      if (delta.content) {
        this.text += delta.content;
        this.emit({ type: 'text', delta: delta.content });
      }
      if (delta.refusal) {
        this.text += delta.refusal;
        this.emit({ type: 'text', delta: delta.refusal });
      }
      for (const tc of delta.tool_calls ?? []) this.addToolDelta(tc);
      if (choice.finish_reason) this.finishReason = choice.finish_reason;
    }
  }

  private addToolDelta(tc: NonNullable<ChatCompletionChunk.Choice.Delta['tool_calls']>[number]): void {
    const wireIndex = tc.index ?? 0;
    const known = this.slot.get(wireIndex);
    const existing = known === undefined ? undefined : this.calls[known];
    let pos: number;
    if (known === undefined || existing === undefined || (tc.id && existing.id && tc.id !== existing.id)) {
      pos = this.calls.length;
      this.slot.set(wireIndex, pos);
      const call = { id: tc.id || `call_${pos}`, name: tc.function?.name ?? '', arguments: '' };
      this.calls.push(call);
      this.emit({ type: 'tool_call_start', index: pos, id: call.id, name: call.name });
    } else {
      pos = known;
      if (tc.function?.name && !existing.name) existing.name = tc.function.name;
    }
    const args = tc.function?.arguments;
    if (args) {
      this.calls[pos].arguments += args;
      this.emit({ type: 'tool_call_delta', index: pos, argumentsDelta: args });
    }
  }

  finish(): LlmResponse {
    if (!this.finishReason) {
      const where = this.calls.length ? `in the middle of a call to '${this.calls[this.calls.length - 1].name}'` : 'in the middle of the text';
      throw new StreamIncompleteError(`stream ended ${where}, without a finish_reason`);
    }
    const usage = this.usage ?? { ...ZERO_USAGE };
    this.emit({ type: 'usage', usage });
    const toolCalls: ToolCall[] = this.calls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments }));
    return { text: this.text, toolCalls, usage, stopReason: mapFinish(this.finishReason, toolCalls.length > 0), model: this.model };
  }
}

function mapFinish(reason: string, hasCalls: boolean): StopReason {
  if (reason === 'length') return 'max_tokens';
  if (reason === 'content_filter') return 'refusal';
  // Some compatible servers say 'stop' although they returned tool calls.
  if (reason === 'tool_calls' || reason === 'function_call' || hasCalls) return 'tool_calls';
  if (reason === 'stop') return 'end';
  return 'other';
}

export function toOpenAiTools(tools: ToolSpec[]): ChatCompletionTool[] {
  return tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } }));
}

export function toOpenAiMessages(messages: ChatMessage[]): ChatCompletionMessageParam[] {
  return messages.map((m): ChatCompletionMessageParam => {
    switch (m.role) {
      case 'system':
        return { role: 'system', content: m.content };
      case 'user':
        return { role: 'user', content: m.content };
      case 'assistant':
        if (m.toolCalls?.length) {
          return {
            role: 'assistant',
            content: m.content || null,
            tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
          };
        }
        return { role: 'assistant', content: m.content };
      case 'tool':
        // The wire format has no error flag: say it in the content so the model notices.
        return { role: 'tool', tool_call_id: m.toolCallId, content: m.isError && !/^error/i.test(m.content) ? `Error: ${m.content}` : m.content };
    }
  });
}
