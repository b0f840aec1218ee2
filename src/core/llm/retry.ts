/**
 * The one retry and timeout policy for every LLM call. The SDKs' own retries
 * are off (maxRetries: 0) so that this is the only policy.
 *
 * - Retries 429, 5xx, connection failures, first-byte timeouts and streams cut
 *   before anything was shown, with exponential backoff and jitter, honouring
 *   `retry-after-ms` / `retry-after` (seconds or an HTTP date).
 * - Never retries once an event reached the caller (the UI already shows the
 *   partial answer): the failure is surfaced instead.
 * - Backoff sleeps go through the Clock port (tests use a ManualClock). The
 *   timeouts are real timers: they guard against hangs in wall-clock time.
 * - The caller's AbortSignal stops everything at once with kind 'cancelled'.
 */
import { Clock } from '../ports';
import { systemClock } from '../util/systemClock';
import { ErrorContext, errorHeaders, isTransient, llmError, providerLabel, StreamIncompleteError, toLlmError } from './errors';
import { LlmError, StreamEvent } from './types';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A server asking to wait longer than this is not retried: the error is surfaced. */
  maxRetryAfterMs: number;
}

export interface TimeoutPolicy {
  /** From sending the request to the first streamed chunk (0 = none). */
  firstByteTimeoutMs: number;
  /** Longest silence between two chunks once streaming (0 = none). */
  idleTimeoutMs: number;
  /** The whole call, retries included (0 = none). */
  overallTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 20_000, maxRetryAfterMs: 60_000 };
export const DEFAULT_TIMEOUTS: TimeoutPolicy = { firstByteTimeoutMs: 180_000, idleTimeoutMs: 180_000, overallTimeoutMs: 900_000 };

/** What a provider takes to tune the policy (tests shorten everything). */
export interface CallPolicyOptions {
  clock?: Clock;
  retry?: Partial<RetryPolicy>;
  timeouts?: Partial<TimeoutPolicy>;
  /** Jitter source in [0, 1); tests make it deterministic. */
  random?: () => number;
}

/** Parse `retry-after-ms` / `retry-after` into milliseconds; undefined when absent or unparsable. */
export function retryAfterMs(headers: Headers | undefined, now: number): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = headers.get('retry-after');
  if (ra === null || ra.trim() === '') return undefined;
  if (Number.isFinite(Number(ra))) return Math.max(0, Number(ra) * 1000);
  const date = Date.parse(ra);
  if (Number.isFinite(date)) return Math.max(0, date - now);
  return undefined;
}

/** Exponential backoff with jitter: attempt 1 → about base, 2 → 2×base, … capped at max. */
export function backoffMs(failedAttempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}

export interface AttemptContext {
  /** Aborted on the caller's cancel and on our timeouts: pass it to the SDK. */
  readonly signal: AbortSignal;
  /** 1-based. */
  readonly attempt: number;
  /** Call on every chunk received from the server: stops the first-byte timer, re-arms the idle timer. */
  chunk(): void;
  /** Forward an event to the caller. After the first one, a failure is no longer retried. */
  emit(event: StreamEvent): void;
}

export interface CallSetup extends CallPolicyOptions {
  ctx: ErrorContext;
  signal?: AbortSignal;
  onEvent?: (event: StreamEvent) => void;
  /** Called before each backoff sleep (for logs). */
  onRetry?: (info: { attempt: number; delayMs: number; error: LlmError }) => void;
}

type Stop = 'cancelled' | 'overall' | 'first_byte' | 'idle';

/** Run one LLM call with the retry and timeout policy; `attempt` performs one HTTP request and its stream. */
export async function runLlmCall<T>(setup: CallSetup, attempt: (a: AttemptContext) => Promise<T>): Promise<T> {
  const clock = setup.clock ?? systemClock;
  const policy = { ...DEFAULT_RETRY, ...setup.retry };
  const timeouts = { ...DEFAULT_TIMEOUTS, ...setup.timeouts };
  const who = providerLabel(setup.ctx);
  if (setup.signal?.aborted) throw llmError('cancelled', 'Cancelled.');

  // The call-wide controller: caller's cancel + overall timeout. Aborts sleeps and the current attempt.
  const call = new AbortController();
  let callStop: Stop | undefined;
  const stopCall = (why: Stop) => {
    if (!callStop) callStop = why;
    call.abort(new Error(why));
  };
  // A function so that TypeScript does not narrow a value the timers change.
  const stoppedBy = (): Stop | undefined => callStop;
  const onUserAbort = () => stopCall('cancelled');
  setup.signal?.addEventListener('abort', onUserAbort, { once: true });
  const overallTimer = timeouts.overallTimeoutMs > 0 ? setTimeout(() => stopCall('overall'), timeouts.overallTimeoutMs) : undefined;

  try {
    for (let n = 1; ; n++) {
      const controller = new AbortController();
      let stop: Stop | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arm = (why: 'first_byte' | 'idle', ms: number) => {
        if (timer) clearTimeout(timer);
        timer = ms > 0 ? setTimeout(() => {
          if (!stop) stop = why;
          controller.abort(new Error(why));
        }, ms) : undefined;
      };
      const onCallAbort = () => controller.abort(call.signal.reason);
      call.signal.addEventListener('abort', onCallAbort, { once: true });
      let emitted = false;
      let received = false;
      arm('first_byte', timeouts.firstByteTimeoutMs);
      const ctx: AttemptContext = {
        signal: controller.signal,
        attempt: n,
        chunk: () => {
          received = true;
          arm('idle', timeouts.idleTimeoutMs);
        },
        emit: (event) => {
          emitted = true;
          setup.onEvent?.(event);
        },
      };
      let failure: LlmError;
      let raw: unknown;
      try {
        return await attempt(ctx);
      } catch (err) {
        raw = err;
        if (callStop === 'cancelled' || setup.signal?.aborted) throw llmError('cancelled', 'Cancelled.');
        if (callStop === 'overall') {
          throw llmError('timeout', `${cap(who)} did not finish within ${Math.round(timeouts.overallTimeoutMs / 1000)} s. Try again, or ask for a shorter step.`);
        }
        if (stop === 'first_byte') {
          failure = llmError('timeout', `${cap(who)} sent nothing for ${Math.round(timeouts.firstByteTimeoutMs / 1000)} s after the request. The service may be overloaded; try again, or check mlIntern.baseUrl.`);
        } else if (stop === 'idle') {
          failure = llmError('timeout', `${cap(who)} stopped sending in the middle of the answer (nothing for ${Math.round(timeouts.idleTimeoutMs / 1000)} s). Try again.`);
        } else {
          failure = toLlmError(err, setup.ctx);
          // A connection lost after the stream started is a cut stream, not a wrong address.
          if (received && failure.kind === 'network') failure = toLlmError(new StreamIncompleteError('connection lost mid-stream'), setup.ctx);
        }
      } finally {
        if (timer) clearTimeout(timer);
        call.signal.removeEventListener('abort', onCallAbort);
        // Release the connection of a failed or finished attempt.
        controller.abort(new Error('attempt over'));
      }

      const wait = retryAfterMs(errorHeaders(raw), clock.now());
      const retryable = !emitted && n < policy.maxAttempts && isTransient(raw, failure) && (wait === undefined || wait <= policy.maxRetryAfterMs);
      if (!retryable) {
        if (n > 1 && isTransient(raw, failure)) throw new LlmError(failure.kind, `${failure.message} (gave up after ${n} attempts)`, failure.status);
        throw failure;
      }
      const delayMs = wait ?? backoffMs(n, policy, setup.random);
      setup.onRetry?.({ attempt: n, delayMs, error: failure });
      try {
        await clock.sleep(delayMs, call.signal);
      } catch {
        if (stoppedBy() === 'overall') throw llmError('timeout', `${cap(who)} did not finish within ${Math.round(timeouts.overallTimeoutMs / 1000)} s. Try again later.`);
        throw llmError('cancelled', 'Cancelled.');
      }
    }
  } finally {
    if (overallTimer) clearTimeout(overallTimer);
    setup.signal?.removeEventListener('abort', onUserAbort);
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
