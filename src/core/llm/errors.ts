/**
 * Turns whatever an SDK (or the network) threw into an {@link LlmError} whose
 * message says what happened and which setting or command fixes it. Messages
 * never carry the key or a stack trace, and pass through the redactor.
 */
import * as Anthropic from '@anthropic-ai/sdk';
import * as OpenAI from 'openai';
import { redactor } from '../util/redact';
import { LlmError, LlmErrorKind } from './types';

export interface ErrorContext {
  /** Provider id: 'openai' | 'anthropic' | 'openai-compatible' | 'vscode-lm' | … */
  provider: string;
  model: string;
  /** The base URL in use ('' = the SDK default). */
  baseUrl?: string;
}

/** Thrown by a provider when its stream ended without a finish marker. */
export class StreamIncompleteError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'StreamIncompleteError';
  }
}

/** Build an LlmError with a redacted message (the only way this layer creates one). */
export function llmError(kind: LlmErrorKind, message: string, status?: number): LlmError {
  return new LlmError(kind, redactor.redact(message), status);
}

const KEY_ENV: Record<string, string> = { openai: 'OPENAI_API_KEY', anthropic: 'ANTHROPIC_API_KEY', 'openai-compatible': 'OPENAI_API_KEY' };

/** "OpenAI", "Anthropic", "the endpoint at http://…". */
export function providerLabel(ctx: ErrorContext): string {
  if (ctx.provider === 'openai') return 'OpenAI';
  if (ctx.provider === 'anthropic') return 'Anthropic';
  if (ctx.provider === 'vscode-lm') return 'the VS Code language model';
  return ctx.baseUrl ? `the endpoint at ${safeUrl(ctx.baseUrl)}` : 'the OpenAI-compatible endpoint';
}

/** A URL without user:password. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

const CONTEXT_PATTERNS = [
  /maximum context length/i,
  /context[_ ]length[_ ]exceeded/i,
  /prompt is too long/i,
  /context window/i,
  /too many (input )?tokens/i,
  /input is too long/i,
  /reduce the length of the messages/i,
];

export function isContextLengthMessage(text: string): boolean {
  return CONTEXT_PATTERNS.some((re) => re.test(text));
}

type SdkApiError = InstanceType<typeof OpenAI.APIError> | InstanceType<typeof Anthropic.APIError>;

function isSdkApiError(err: unknown): err is SdkApiError {
  return err instanceof OpenAI.APIError || err instanceof Anthropic.APIError;
}

function isAbort(err: unknown): boolean {
  return (
    err instanceof OpenAI.APIUserAbortError ||
    err instanceof Anthropic.APIUserAbortError ||
    (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError')
  );
}

function isConnectionTimeout(err: unknown): boolean {
  return err instanceof OpenAI.APIConnectionTimeoutError || err instanceof Anthropic.APIConnectionTimeoutError;
}

function isConnectionError(err: unknown): boolean {
  return err instanceof OpenAI.APIConnectionError || err instanceof Anthropic.APIConnectionError;
}

/** The error body's own message, code and type (OpenAI: {message, code, type}; Anthropic: {type, error:{type, message}}). */
function apiDetails(err: SdkApiError): { message: string; code: string; type: string } {
  const body = (err.error ?? {}) as Record<string, unknown>;
  const inner = (typeof body.error === 'object' && body.error !== null ? body.error : body) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    message: str(inner.message) || str(body.message),
    code: str(inner.code) || str(body.code),
    type: str(inner.type) || str(body.type),
  };
}

/** The system error code (ECONNREFUSED, ENOTFOUND…) somewhere in the cause chain. */
export function systemErrorCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let i = 0; i < 6 && typeof cur === 'object' && cur !== null; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$|^UND_ERR/.test(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Status of an API error, also for errors sent inside a stream (no HTTP status, only a type). */
function effectiveStatus(err: SdkApiError): number | undefined {
  if (typeof err.status === 'number') return err.status;
  const { type } = apiDetails(err);
  if (type === 'overloaded_error') return 529;
  if (type === 'api_error' || type === 'server_error') return 500;
  if (type === 'rate_limit_error') return 429;
  if (type === 'authentication_error') return 401;
  if (type === 'permission_error') return 403;
  if (type === 'not_found_error') return 404;
  if (type === 'invalid_request_error') return 400;
  return undefined;
}

/** Map anything thrown during an LLM call to an actionable LlmError. */
export function toLlmError(err: unknown, ctx: ErrorContext): LlmError {
  if (err instanceof LlmError) return err;
  const who = providerLabel(ctx);
  const compat = ctx.provider === 'openai-compatible';
  const modelHint = `Check mlIntern.model or run 'ML Intern: Select Model'.`;
  if (isAbort(err)) return llmError('cancelled', 'Cancelled.');
  if (err instanceof StreamIncompleteError) {
    return llmError(
      'stream_cut',
      `The connection to ${who} dropped before the answer was complete (${err.message}). Try again; if it keeps happening, check your network or proxy${compat ? ' and mlIntern.baseUrl' : ''}.`,
    );
  }
  if (isConnectionTimeout(err)) {
    return llmError('timeout', `${capital(who)} did not answer in time. Try again; if it keeps happening, check your network or proxy and mlIntern.baseUrl.`);
  }
  if (isConnectionError(err)) return networkError(err, ctx);
  if (isSdkApiError(err)) {
    const status = effectiveStatus(err);
    const details = apiDetails(err);
    const apiMsg = details.message ? `: ${truncate(details.message, 300)}` : '';
    if (status === 401) {
      const env = KEY_ENV[ctx.provider];
      const subject = compat ? `The key for ${who}` : `The ${who} key`;
      const which = compat ? "choose 'OpenAI-compatible endpoint' and enter a valid key" : 'enter a valid key';
      return llmError(
        'auth',
        `${subject} was rejected (401). Run 'ML Intern: Set API Key' and ${which}${env ? ` (or set ${env} for the CLI)` : ''}.`,
        401,
      );
    }
    if (status === 403) {
      return llmError(
        'auth',
        `${capital(who)} refused access to model '${ctx.model}' (403): the key may lack permission for it. Run 'ML Intern: Set API Key' to use another key, or pick another model with 'ML Intern: Select Model'.`,
        403,
      );
    }
    if (status === 404) {
      return llmError(
        'not_found',
        `${capital(who)} does not know model '${ctx.model}' (404). ${modelHint}${compat ? ' Also check mlIntern.baseUrl (it usually ends in /v1).' : ''}`,
        404,
      );
    }
    if (status === 413 || ((status === 400 || status === undefined) && isContextLengthMessage(details.message || err.message))) {
      return llmError(
        'context_length',
        `The conversation is too long for model '${ctx.model}'${apiMsg}. Start a new chat, or set mlIntern.contextWindow lower so ML Intern compacts the history earlier.`,
        status,
      );
    }
    if (status === 429) {
      if (details.code === 'insufficient_quota' || details.type === 'insufficient_quota') {
        return llmError(
          'rate_limit',
          `The ${who} account has no quota left (429 insufficient_quota). Add credit to the account, or switch provider with 'ML Intern: Select Model'.`,
          429,
        );
      }
      return llmError(
        'rate_limit',
        `${capital(who)} rate-limited the request (429). Wait a minute and try again, or pick another model with 'ML Intern: Select Model'.`,
        429,
      );
    }
    if (status !== undefined && status >= 500) {
      return llmError(
        'server',
        `${capital(who)} returned a server error (${status})${apiMsg}. The service may be busy or down: try again later, or pick another model with 'ML Intern: Select Model'.`,
        status,
      );
    }
    if (status === 408) return llmError('timeout', `${capital(who)} timed out (408). Try again.`, 408);
    if (status !== undefined && status >= 400) {
      return llmError(
        'bad_request',
        `${capital(who)} rejected the request (${status})${apiMsg}. If this keeps happening with model '${ctx.model}', pick another with 'ML Intern: Select Model'.`,
        status,
      );
    }
    return llmError('server', `${capital(who)} reported an error${apiMsg}. Try again.`);
  }
  if (isMidStreamNetworkFailure(err)) return networkError(err, ctx);
  const text = err instanceof Error ? err.message : String(err);
  return llmError('bad_request', `The call to ${who} failed: ${truncate(firstLine(text), 300)}.`);
}

function networkError(err: unknown, ctx: ErrorContext): LlmError {
  const code = systemErrorCode(err);
  const where = ctx.baseUrl ? safeUrl(ctx.baseUrl) : `the default ${providerLabel(ctx)} endpoint`;
  const setting = ctx.baseUrl ? `Check mlIntern.baseUrl (now '${safeUrl(ctx.baseUrl)}')` : 'Check your network or proxy, and mlIntern.baseUrl if you use a custom endpoint';
  const why = code === 'ECONNREFUSED' ? 'connection refused: is the server running?' : code === 'ENOTFOUND' ? 'host not found' : code ?? 'connection failed';
  return llmError('network', `Could not connect to ${where} (${why}). ${setting}${ctx.baseUrl ? ' and that the server is running and reachable' : ''}.`);
}

/** undici's "terminated"/"other side closed" and socket resets when a body read fails. */
function isMidStreamNetworkFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return /terminated|other side closed|socket hang up|ECONNRESET|fetch failed/i.test(err.message) || systemErrorCode(err) !== undefined;
}

/** True for failures that may succeed when tried again (before any output was shown). */
export function isTransient(err: unknown, mapped: LlmError): boolean {
  if (mapped.kind === 'rate_limit') return !/insufficient_quota/.test(mapped.message);
  return mapped.kind === 'server' || mapped.kind === 'network' || mapped.kind === 'timeout' || mapped.kind === 'stream_cut';
}

/** Response headers of an SDK API error, when it has any. */
export function errorHeaders(err: unknown): Headers | undefined {
  if (isSdkApiError(err) && err.headers instanceof Headers) return err.headers;
  return undefined;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}
