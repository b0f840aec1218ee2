/**
 * A fake LLM server on 127.0.0.1 that speaks the real wire protocols, so tests
 * drive the real OpenAI and Anthropic SDKs over real HTTP:
 *
 * - OpenAI  `POST /v1/chat/completions` (stream: SSE `data: {...}` chunks, `data: [DONE]`;
 *   without `stream: true` a plain JSON completion)
 * - Anthropic `POST /v1/messages` (SSE with `event:` lines; thinking blocks with `thinking`)
 * - OpenAI Responses `POST /v1/responses` (SSE; reasoning items with `reasoning`; fakeLlmServerResponses.ts)
 * - `GET /v1/models` (the ids in `models`)
 *
 * Each request takes the next scripted turn. A turn is an answer
 * (`text`, `toolCalls`, `usage`) and/or a fault (`status`, `cutAfterChunks`, …):
 *
 * ```ts
 * const server = await startFakeLlmServer();
 * server.script([
 *   { status: 429, retryAfter: 1 },                                  // 1st request: rate limited
 *   { toolCalls: [{ name: 'read_file', arguments: '{"path":"a.py"}' }] }, // 2nd: a tool call
 *   { text: 'Done.', usage: { inputTokens: 100, cachedInputTokens: 900, outputTokens: 5 } },
 * ]);
 * const provider = new OpenAiProvider({ apiKey: 'sk-test', model: 'gpt-4.1', baseUrl: server.openaiBaseUrl });
 * …
 * server.requests.length; // how many LLM calls were made
 * server.requests[1].body; // what was sent (parsed JSON); .headers has the key
 * await server.close();
 * ```
 *
 * With no turn left, a request gets `whenEmpty` (option) or a 400 whose
 * message says the script ran out, so a test that makes too many calls fails
 * visibly.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { responsesEvents } from './fakeLlmServerResponses';

export interface FakeToolCall {
  /** Default: call_<n> (OpenAI) / toolu_<n> (Anthropic). */
  id?: string;
  name: string;
  /** Raw JSON text exactly as the model would stream it (may be malformed on purpose). */
  arguments: string;
}

/** In our own terms; converted to each wire format (OpenAI prompt_tokens = input + cached + cacheWrite). */
export interface FakeUsage {
  inputTokens?: number;
  outputTokens?: number;
  cachedInputTokens?: number;
  cacheWriteTokens?: number;
}

export interface FakeFault {
  /** Answer with this HTTP status and an error body in the provider's format instead of a stream. */
  status?: number;
  /** Message in the error body (e.g. "This model's maximum context length is 128000 tokens…"). */
  message?: string;
  /** OpenAI error `code` / Anthropic error `type` (e.g. 'insufficient_quota', 'overloaded_error'). */
  code?: string;
  /** `retry-after` header: seconds, or an HTTP date string. */
  retryAfter?: number | string;
  /** `retry-after-ms` header. */
  retryAfterMs?: number;
  /** Destroy the socket after this many SSE events (0 = right after the headers). */
  cutAfterChunks?: number;
  /** Send this many SSE events, then end the response cleanly (no finish_reason / message_stop / [DONE]). */
  endAfterChunks?: number;
  /** Send this many SSE events, then keep the connection open without sending more (until the client goes). */
  holdAfterChunks?: number;
  /** Wait this long before sending anything (headers included). */
  delayFirstByteMs?: number;
}

export interface FakeTurn extends FakeFault {
  text?: string;
  toolCalls?: FakeToolCall[];
  usage?: FakeUsage;
  /** Wire finish reason override ('length', 'max_tokens', …). */
  stopReason?: string;
  /** Model id reported back (default: the requested one). */
  model?: string;
  /** Characters per text / arguments delta (default 4), so every answer arrives in several chunks. */
  chunkSize?: number;
  /** OpenAI: leave out the final usage chunk (as some compatible servers do). */
  omitUsage?: boolean;
  /**
   * Anthropic: thinking blocks streamed before the text (thinking_delta pieces, then one
   * signature_delta), or redacted_thinking blocks (`redacted`: their opaque data).
   */
  thinking?: Array<{ thinking: string; signature: string } | { redacted: string }>;
  /** OpenAI Responses API: reasoning items streamed before the answer (see fakeLlmServerResponses.ts). */
  reasoning?: Array<{ id: string; summary?: string; encryptedContent: string }>;
}

export interface RecordedRequest {
  protocol: 'openai' | 'anthropic' | 'responses' | 'other';
  method: string;
  path: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Parsed JSON body (undefined when empty or not JSON). */
  body: Record<string, unknown> | undefined;
  /** The turn that answered it (undefined when the script had run out). */
  turn: FakeTurn | undefined;
}

export interface FakeLlmServerOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Answer used when the script is empty (default: a 400 saying so). */
  whenEmpty?: FakeTurn;
  /** Ids for GET /v1/models. */
  models?: string[];
  /** Called after each request is recorded (the CLI wrapper writes the log). */
  onRequest?: (request: RecordedRequest) => void;
}

export interface FakeLlmServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** `${url}/v1`: the OpenAI SDK's baseURL. */
  readonly openaiBaseUrl: string;
  /** `${url}`: the Anthropic SDK's baseURL (it adds /v1 itself). */
  readonly anthropicBaseUrl: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Replace the queue of turns. */
  script(turns: FakeTurn[]): void;
  /** Append turns to the queue. */
  push(...turns: FakeTurn[]): void;
  /** Turns not yet used. */
  remaining(): number;
  /** Requests whose client went away before the answer was complete. */
  readonly aborted: number;
  close(): Promise<void>;
}

export async function startFakeLlmServer(options: FakeLlmServerOptions = {}): Promise<FakeLlmServer> {
  let queue: FakeTurn[] = [];
  const requests: RecordedRequest[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let aborted = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> | undefined;
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
      } catch {
        body = undefined;
      }
      const path = (req.url ?? '/').split('?')[0];
      const protocol = path.endsWith('/chat/completions') ? 'openai' : path.endsWith('/messages') ? 'anthropic' : path.endsWith('/responses') ? 'responses' : 'other';
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : (v ?? '');

      if (req.method === 'GET' && path.endsWith('/models')) {
        requests.push({ protocol, method: req.method, path, headers, body, turn: undefined });
        const data = (options.models ?? []).map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake', type: 'model', display_name: id }));
        return json(res, 200, { object: 'list', data });
      }
      if (req.method !== 'POST' || protocol === 'other') {
        requests.push({ protocol, method: req.method ?? '', path, headers, body, turn: undefined });
        options.onRequest?.(requests[requests.length - 1]);
        return json(res, 404, { error: { message: `fake LLM server: no route ${req.method} ${path}`, type: 'not_found_error' } });
      }
      const turn = queue.shift() ?? options.whenEmpty;
      const record: RecordedRequest = { protocol, method: req.method, path, headers, body, turn };
      requests.push(record);
      options.onRequest?.(record);
      res.on('close', () => {
        if (!res.writableFinished) aborted++;
      });

      const answer = () => {
        if (!turn) {
          return errorResponse(res, protocol, {
            status: 400,
            message: `fake LLM server: no scripted turn left for request #${requests.length}`,
          });
        }
        if (turn.status && turn.status >= 400) return errorResponse(res, protocol, turn);
        const model = turn.model ?? (typeof body?.model === 'string' ? body.model : 'fake-model');
        if (protocol === 'openai' && body?.stream !== true) return json(res, 200, openaiCompletion(turn, model));
        const events = protocol === 'openai' ? openaiEvents(turn, model) : protocol === 'responses' ? responsesEvents(turn, model, usageOf(turn)) : anthropicEvents(turn, model);
        streamEvents(res, events, turn);
      };
      if (turn?.delayFirstByteMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          if (!res.destroyed) answer();
        }, turn.delayFirstByteMs);
        timers.add(t);
      } else answer();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;

  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: url,
    port,
    requests,
    script(turns) {
      queue = [...turns];
    },
    push(...turns) {
      queue.push(...turns);
    },
    remaining: () => queue.length,
    get aborted() {
      return aborted;
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------- responses

function json(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function errorResponse(res: http.ServerResponse, protocol: RecordedRequest['protocol'], f: FakeFault): void {
  const status = f.status ?? 500;
  const headers: Record<string, string> = {};
  if (f.retryAfter !== undefined) headers['retry-after'] = String(f.retryAfter);
  if (f.retryAfterMs !== undefined) headers['retry-after-ms'] = String(f.retryAfterMs);
  const message = f.message ?? defaultErrorMessage(status);
  if (protocol === 'anthropic') {
    json(res, status, { type: 'error', error: { type: f.code ?? anthropicErrorType(status), message } }, headers);
  } else {
    json(res, status, { error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', param: null, code: f.code ?? null } }, headers);
  }
}

function defaultErrorMessage(status: number): string {
  if (status === 401) return 'Incorrect API key provided.';
  if (status === 404) return 'The model does not exist or you do not have access to it.';
  if (status === 429) return 'Rate limit reached. Please try again later.';
  if (status >= 500) return 'The server had an error while processing your request.';
  return `fake error ${status}`;
}

function anthropicErrorType(status: number): string {
  const types: Record<number, string> = {
    400: 'invalid_request_error',
    401: 'authentication_error',
    403: 'permission_error',
    404: 'not_found_error',
    413: 'request_too_large',
    429: 'rate_limit_error',
    529: 'overloaded_error',
  };
  return types[status] ?? 'api_error';
}

interface SseEvent {
  event?: string;
  data: string;
}

function streamEvents(res: http.ServerResponse, events: SseEvent[], f: FakeFault): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
  const limit = f.cutAfterChunks ?? f.endAfterChunks ?? f.holdAfterChunks;
  const toSend = limit === undefined ? events : events.slice(0, limit);
  const payload = toSend.map((e) => `${e.event ? `event: ${e.event}\n` : ''}data: ${e.data}\n\n`).join('');
  const after = () => {
    if (f.cutAfterChunks !== undefined) res.socket?.destroy();
    else if (f.holdAfterChunks === undefined) res.end();
    // hold: leave the response open; close() or the client ends it.
  };
  if (payload) res.write(payload, after);
  else after();
}

function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function usageOf(turn: FakeTurn): Required<FakeUsage> {
  return {
    inputTokens: turn.usage?.inputTokens ?? 10,
    outputTokens: turn.usage?.outputTokens ?? 5,
    cachedInputTokens: turn.usage?.cachedInputTokens ?? 0,
    cacheWriteTokens: turn.usage?.cacheWriteTokens ?? 0,
  };
}

// ---------------------------------------------------------------- OpenAI

function openaiEvents(turn: FakeTurn, model: string): SseEvent[] {
  const size = turn.chunkSize ?? 4;
  const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1_700_000_000, model, system_fingerprint: 'fp_fake' };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    ({ data: JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] }) });
  const out: SseEvent[] = [chunk({ role: 'assistant', content: '' })];
  for (const p of pieces(turn.text ?? '', size)) out.push(chunk({ content: p }));
  (turn.toolCalls ?? []).forEach((c, i) => {
    out.push(chunk({ tool_calls: [{ index: i, id: c.id ?? `call_${i}`, type: 'function', function: { name: c.name, arguments: '' } }] }));
    for (const p of pieces(c.arguments, size)) out.push(chunk({ tool_calls: [{ index: i, function: { arguments: p } }] }));
  });
  out.push(chunk({}, turn.stopReason ?? (turn.toolCalls?.length ? 'tool_calls' : 'stop')));
  if (!turn.omitUsage) {
    const u = usageOf(turn);
    const prompt = u.inputTokens + u.cachedInputTokens + u.cacheWriteTokens;
    out.push({
      data: JSON.stringify({
        ...base,
        choices: [],
        usage: {
          prompt_tokens: prompt,
          completion_tokens: u.outputTokens,
          total_tokens: prompt + u.outputTokens,
          prompt_tokens_details: { cached_tokens: u.cachedInputTokens, audio_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
        },
      }),
    });
  }
  out.push({ data: '[DONE]' });
  return out;
}

function openaiCompletion(turn: FakeTurn, model: string): unknown {
  const u = usageOf(turn);
  const prompt = u.inputTokens + u.cachedInputTokens + u.cacheWriteTokens;
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: turn.text ?? null,
          tool_calls: turn.toolCalls?.map((c, i) => ({ id: c.id ?? `call_${i}`, type: 'function', function: { name: c.name, arguments: c.arguments } })),
        },
        finish_reason: turn.stopReason ?? (turn.toolCalls?.length ? 'tool_calls' : 'stop'),
      },
    ],
    usage: { prompt_tokens: prompt, completion_tokens: u.outputTokens, total_tokens: prompt + u.outputTokens, prompt_tokens_details: { cached_tokens: u.cachedInputTokens } },
  };
}

// ---------------------------------------------------------------- Anthropic

function anthropicEvents(turn: FakeTurn, model: string): SseEvent[] {
  const size = turn.chunkSize ?? 4;
  const u = usageOf(turn);
  const ev = (type: string, payload: Record<string, unknown>): SseEvent => ({ event: type, data: JSON.stringify({ type, ...payload }) });
  const out: SseEvent[] = [
    ev('message_start', {
      message: {
        id: 'msg_fake',
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: u.inputTokens,
          cache_read_input_tokens: u.cachedInputTokens,
          cache_creation_input_tokens: u.cacheWriteTokens,
          output_tokens: 1,
        },
      },
    }),
  ];
  let index = 0;
  for (const t of turn.thinking ?? []) {
    if ('redacted' in t) {
      out.push(ev('content_block_start', { index, content_block: { type: 'redacted_thinking', data: t.redacted } }));
    } else {
      out.push(ev('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } }));
      for (const p of pieces(t.thinking, size)) out.push(ev('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: p } }));
      out.push(ev('content_block_delta', { index, delta: { type: 'signature_delta', signature: t.signature } }));
    }
    out.push(ev('content_block_stop', { index }));
    index++;
  }
  if (turn.text) {
    out.push(ev('content_block_start', { index, content_block: { type: 'text', text: '' } }));
    out.push({ event: 'ping', data: JSON.stringify({ type: 'ping' }) });
    for (const p of pieces(turn.text, size)) out.push(ev('content_block_delta', { index, delta: { type: 'text_delta', text: p } }));
    out.push(ev('content_block_stop', { index }));
    index++;
  }
  (turn.toolCalls ?? []).forEach((c, i) => {
    out.push(ev('content_block_start', { index, content_block: { type: 'tool_use', id: c.id ?? `toolu_${i}`, name: c.name, input: {} } }));
    for (const p of pieces(c.arguments, size)) out.push(ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: p } }));
    out.push(ev('content_block_stop', { index }));
    index++;
  });
  out.push(
    ev('message_delta', {
      delta: { stop_reason: turn.stopReason ?? (turn.toolCalls?.length ? 'tool_use' : 'end_turn'), stop_sequence: null },
      usage: { output_tokens: u.outputTokens },
    }),
  );
  out.push(ev('message_stop', {}));
  return out;
}
