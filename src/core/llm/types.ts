/**
 * One streaming interface for every LLM provider (OpenAI, OpenAI-compatible,
 * Anthropic, VS Code's language models). The agent loop only sees these types.
 */

export type JsonSchema = { type: string; [key: string]: unknown };

export interface ToolSpec {
  name: string;
  /** Written for the model: what the tool does, when to use it, what it returns. */
  description: string;
  parameters: JsonSchema;
}

export interface ToolCall {
  id: string;
  name: string;
  /** Raw JSON text as the model produced it. */
  arguments: string;
}

/**
 * A model's reasoning from one answer, kept so the next request can send it back unchanged (the
 * model keeps its train of thought across tool calls). Opaque to the agent: never shown as the
 * answer's text. Anthropic: a thinking block (its signature proves the text unaltered) or a
 * redacted_thinking block. OpenAI Responses API: a reasoning item with its encrypted_content.
 */
export type ReasoningBlock =
  | { provider: 'anthropic'; block: { type: 'thinking'; thinking: string; signature: string } | { type: 'redacted_thinking'; data: string } }
  | { provider: 'openai'; item: { type: 'reasoning'; id: string; summary: Array<{ type: 'summary_text'; text: string }>; encrypted_content?: string | null } };

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | {
      role: 'assistant';
      content: string;
      toolCalls?: ToolCall[];
      reasoning?: ReasoningBlock[];
      /** True in a transcript whose copy of this answer's reasoning was left out: redacting it would have broken its signature. */
      reasoningDropped?: boolean;
    }
  | { role: 'tool'; toolCallId: string; name: string; content: string; isError?: boolean };

export interface Usage {
  /** Input tokens billed at the normal rate (excludes cached and cache-write tokens). */
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from the provider's prompt cache. */
  cachedInputTokens: number;
  /** Input tokens written to the cache (Anthropic bills them at a premium). */
  cacheWriteTokens: number;
}

export const ZERO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0 };

export interface LlmRequest {
  messages: ChatMessage[];
  tools?: ToolSpec[];
  maxTokens?: number;
  temperature?: number;
  signal?: AbortSignal;
}

export type StreamEvent =
  | { type: 'text'; delta: string }
  | { type: 'tool_call_start'; index: number; id: string; name: string }
  | { type: 'tool_call_delta'; index: number; argumentsDelta: string }
  | { type: 'usage'; usage: Usage };

export type StopReason = 'end' | 'tool_calls' | 'max_tokens' | 'refusal' | 'other';

export interface LlmResponse {
  text: string;
  toolCalls: ToolCall[];
  usage: Usage;
  stopReason: StopReason;
  /** Model id the provider reported (may differ from the requested one). */
  model: string;
  /** The answer's reasoning, in order, to send back with it; absent when the model gave none. */
  reasoning?: ReasoningBlock[];
}

export interface LlmProvider {
  /** 'openai' | 'anthropic' | 'openai-compatible' | 'vscode-lm' | 'fake' */
  readonly id: string;
  readonly model: string;
  /** Context window in tokens, for compaction decisions. */
  readonly contextWindow: number;
  /**
   * Stream one completion. Resolves with the whole response once the stream ends;
   * rejects with an {@link LlmError} for anything the user must act on.
   */
  chat(request: LlmRequest, onEvent?: (event: StreamEvent) => void): Promise<LlmResponse>;
}

export type LlmErrorKind =
  | 'auth' // 401/403: bad or missing key
  | 'rate_limit' // 429 after retries
  | 'server' // 5xx after retries
  | 'timeout'
  | 'network' // connection refused, DNS, wrong base URL
  | 'stream_cut' // the stream ended before the answer was complete
  | 'context_length' // prompt too long for the model
  | 'not_found' // unknown model or wrong endpoint path
  | 'bad_request'
  | 'cancelled'
  | 'no_provider'
  | 'budget'; // the run's mlIntern.maxCostUsd / mlIntern.maxTokens is spent: the call was not made

/** An error the user can act on: `message` says what happened and which setting or command fixes it. */
export class LlmError extends Error {
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'LlmError';
  }
}
