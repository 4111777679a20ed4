/**
 * Retries for LLM requests, done here rather than inside the openai client so every retry
 * is visible (attempt counts end up in records), Retry-After is honoured our way (capped),
 * and each attempt gets a hard timeout that also covers a body that stalls after its
 * headers arrived (the SDK's own timeout stops at the headers).
 */
import OpenAI from 'openai';
import { LlmError } from './types';
import { abortError } from './semaphore';

export { abortError };

export interface RetryOptions {
  /** Retries after the first attempt; total attempts are at most maxRetries + 1. */
  maxRetries: number;
  /** Per-attempt timeout; a timed-out attempt is aborted and retried. */
  timeoutMs: number;
  /** The caller's cancellation: rejects at once with an AbortError, never retried. */
  signal?: AbortSignal;
  /** First backoff ceiling; doubles each retry (full jitter picks in [0, ceiling]). */
  baseDelayMs?: number;
  /** Cap for backoff and for server-requested Retry-After delays. */
  maxDelayMs?: number;
  /** Names the target in error messages, e.g. "qwen2.5-7b@gpu-box:8000". */
  describe: string;
  /** Injectable for tests; must reject when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injectable jitter source in [0, 1); defaults to Math.random. */
  random?: () => number;
}

export interface RetryResult<T> {
  value: T;
  attempts: number;
}

const DEFAULT_BASE_DELAY_MS = 500;
const DEFAULT_MAX_DELAY_MS = 30_000;

/** Thrown by an attempt for a response that is well-formed HTTP but unusable (e.g. no choices): worth another try. */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
}

/** The per-attempt timer fired; distinct from the caller's abort, which is never retried. */
class AttemptTimeoutError extends Error {
  override readonly name = 'AttemptTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`no response within ${timeoutMs} ms`);
  }
}

export async function withRetries<T>(
  attempt: (attemptNumber: number, signal: AbortSignal) => Promise<T>,
  options: RetryOptions,
): Promise<RetryResult<T>> {
  const baseDelayMs = options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  const callerSignal = options.signal;
  const maxAttempts = Math.max(0, Math.floor(options.maxRetries)) + 1;

  for (let attemptNumber = 1; ; attemptNumber++) {
    if (callerSignal?.aborted) throw stopped(callerSignal, attemptNumber - 1);
    let failure: unknown;
    try {
      const value = await runAttempt(attempt, attemptNumber, options.timeoutMs, callerSignal);
      return { value, attempts: attemptNumber };
    } catch (err) {
      // Whatever the attempt threw while being cancelled, the caller asked for an abort.
      if (callerSignal?.aborted) throw stopped(callerSignal, attemptNumber);
      failure = err;
    }
    if (!isRetryable(failure) || attemptNumber >= maxAttempts) {
      throw toLlmError(failure, options.describe, attemptNumber);
    }
    const delay =
      retryAfterMs(failure, maxDelayMs) ??
      backoffMs(attemptNumber, baseDelayMs, maxDelayMs, random);
    // A caller abort during the backoff rejects out of sleep(); normalise it to an AbortError.
    try {
      await sleep(delay, callerSignal);
    } catch (err) {
      if (callerSignal?.aborted) throw stopped(callerSignal, attemptNumber);
      throw err;
    }
  }
}

/**
 * The endpoint stopped answering altogether (several questions in a row could not connect):
 * its remaining requests are not sent. As the reason a caller aborts with, it makes withRetries
 * stop at once and throw it with the attempts already made, which the question's record keeps.
 */
export class EndpointDownError extends LlmError {
  constructor(message: string, attempts = 0) {
    super(message, attempts);
    this.name = 'EndpointDownError';
  }
}

/** What withRetries throws when the caller aborted: an AbortError, or the endpoint-down reason. */
function stopped(signal: AbortSignal, attempts: number): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof EndpointDownError) return new EndpointDownError(reason.message, attempts);
  return abortError(signal);
}

/**
 * One attempt under its own AbortController, aborted by the timeout or the caller. Settles as
 * soon as either fires, even if the attempt ignores its signal.
 *
 * This runs for every request, on the thread that sends them, so it does the least it can: one
 * promise, one listener (the caller's), one timer, and the timeout's error is made only when the
 * timer fires (an Error captures a stack trace: about 10 us each). The earlier shape (an
 * "aborted" promise raced against the attempt, a second listener, an error made up front) cost
 * several times as much per attempt.
 */
function runAttempt<T>(
  attempt: (attemptNumber: number, signal: AbortSignal) => Promise<T>,
  attemptNumber: number,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const controller = new AbortController();
    const settled = (): void => {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    };
    // Aborts the attempt and settles with the real reason. The attempt's own rejection that
    // follows (the SDK reports our abort as APIUserAbortError) changes nothing: a promise
    // settles once.
    const stop = (reason: unknown): void => {
      settled();
      controller.abort(reason);
      reject(reason);
    };
    const timer = setTimeout(() => stop(new AttemptTimeoutError(timeoutMs)), timeoutMs);
    const onCallerAbort = (): void => stop(abortError(callerSignal));
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    let pending: Promise<T>;
    try {
      pending = attempt(attemptNumber, controller.signal);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (value) => {
        settled();
        resolve(value);
      },
      (err: unknown) => {
        settled();
        reject(err);
      },
    );
  });
}

/** undici: a body cut off mid-stream ('terminated') or a failed connection ('fetch failed'). */
const CUT_CONNECTION = /terminated|fetch failed|other side closed|socket/i;

/** Transient failures only: retrying a bad request, bad key or unknown model just wastes time. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof AttemptTimeoutError || err instanceof RetryableError) return true;
  // Before the generic APIError branch: both have status undefined.
  if (err instanceof OpenAI.APIUserAbortError) return false;
  if (err instanceof OpenAI.APIConnectionError) return true; // includes APIConnectionTimeoutError
  if (err instanceof OpenAI.APIError) return isRetryableStatus(err.status);
  if (err instanceof TypeError) return CUT_CONNECTION.test(err.message);
  // The SDK JSON.parses a 200 body unguarded, so a garbled body is a bare SyntaxError.
  if (err instanceof SyntaxError) return true;
  const code = errorCode(err);
  return (
    code !== undefined &&
    ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET'].includes(code)
  );
}

const CONNECTION_CODES = [
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
];

/**
 * The server did not answer at all: refused, reset, DNS, no response in time (the cause of a
 * final LlmError, or an attempt's own error). An HTTP status, even 5xx, means a server answered.
 */
export function isConnectionFailure(err: unknown): boolean {
  const failure = err instanceof LlmError && err.cause !== undefined ? err.cause : err;
  if (failure instanceof AttemptTimeoutError) return true;
  if (failure instanceof OpenAI.APIUserAbortError) return false;
  if (failure instanceof OpenAI.APIConnectionError) return true;
  if (failure instanceof OpenAI.APIError) return false;
  if (failure instanceof TypeError) return CUT_CONNECTION.test(failure.message);
  const code = errorCode(failure);
  return code !== undefined && CONNECTION_CODES.includes(code);
}

function isRetryableStatus(status: number | undefined): boolean {
  if (status === undefined) return false;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Server-requested delay from `retry-after-ms` or `Retry-After` (seconds or HTTP date), capped. */
export function retryAfterMs(err: unknown, maxDelayMs: number): number | undefined {
  if (!(err instanceof OpenAI.APIError) || !(err.headers instanceof Headers)) return undefined;
  const headers = err.headers;
  let ms: number | undefined;
  const millis = headers.get('retry-after-ms');
  if (millis !== null && millis.trim() !== '' && Number.isFinite(Number(millis)))
    ms = Number(millis);
  const after = headers.get('retry-after');
  if (ms === undefined && after !== null && after.trim() !== '') {
    const seconds = Number(after);
    if (Number.isFinite(seconds)) {
      ms = seconds * 1000;
    } else {
      const date = Date.parse(after);
      if (!Number.isNaN(date)) ms = date - Date.now();
    }
  }
  if (ms === undefined) return undefined;
  return Math.min(Math.max(0, ms), maxDelayMs);
}

/** Full jitter: uniform in [0, min(cap, base * 2^(n-1))], which spreads retries of a burst. */
export function backoffMs(
  attemptNumber: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attemptNumber - 1));
  return Math.floor(random() * ceiling);
}

/** setTimeout that rejects with an AbortError when the signal fires. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The final error: names the target, what went wrong, the attempts, and a hint when we have one. */
export function toLlmError(err: unknown, describe: string, attempts: number): LlmError {
  const status =
    err instanceof OpenAI.APIError && typeof err.status === 'number' ? err.status : undefined;
  const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
  let message: string;
  if (status === 401 || status === 403) {
    message =
      `${describe}: HTTP ${status} after ${tries}: the API key is missing or wrong ` +
      `(set MCPO_LLM_API_KEY or configure the key for this endpoint): ${errorMessage(err)}`;
  } else if (status === 404 && err instanceof OpenAI.APIError && err.code === 'model_not_found') {
    const model = /model [`'"]([^`'"]+)[`'"]/.exec(err.message)?.[1];
    message =
      `${describe}: HTTP 404 after ${tries}: the server does not serve model ${model === undefined ? '(unknown)' : `"${model}"`}; ` +
      `check the model name against GET /v1/models`;
  } else {
    message = `${describe}: ${failureKind(err)} after ${tries}`;
  }
  const error = new LlmError(message, attempts, status);
  error.name = 'LlmError';
  error.cause = err;
  return error;
}

function failureKind(err: unknown): string {
  if (err instanceof AttemptTimeoutError) return `timed out (${err.message})`;
  if (err instanceof OpenAI.APIConnectionTimeoutError) return 'timed out (connection timeout)';
  if (err instanceof OpenAI.APIConnectionError) {
    // The innermost cause ("connect ECONNREFUSED 127.0.0.1:8000"), not the SDK's "Connection error.".
    return `connection failed (${rootCause(err)})`;
  }
  if (err instanceof OpenAI.APIError && typeof err.status === 'number')
    return `HTTP ${err.status} (${errorMessage(err)})`;
  if (err instanceof TypeError && /terminated/i.test(err.message))
    return 'response cut off mid-body (connection terminated)';
  if (err instanceof SyntaxError) return `garbled response body (${err.message})`;
  if (err instanceof RetryableError) return `unusable response (${err.message})`;
  return `failed (${errorMessage(err)})`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A Node system error code on the error or its causes (depth-limited: cause chains can cycle). */
function errorCode(err: unknown, depth = 0): string | undefined {
  if (typeof err !== 'object' || err === null || depth > 4) return undefined;
  const own = (err as { code?: unknown }).code;
  if (typeof own === 'string') return own;
  return errorCode((err as { cause?: unknown }).cause, depth + 1);
}

/** The innermost cause message, e.g. "connect ECONNREFUSED 127.0.0.1:9" rather than "Connection error.". */
export function rootCause(err: unknown): string {
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    message = current.message || message;
    current = current.cause;
  }
  // nodeHttpFetch rejects as fetch does ("fetch failed: …"); requests go over node:http, so the
  // word would only mislead.
  return message.replace(/^fetch failed(: )?/, '') || message;
}
