/**
 * withRetries in isolation (classification, backoff, Retry-After, timeouts, cancellation,
 * final messages), plus the FIFO semaphore the client queues on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import {
  backoffMs,
  EndpointDownError,
  isConnectionFailure,
  retryAfterMs,
  toLlmError,
  withRetries,
  type RetryOptions,
} from '../../../server/llm/retry';
import { Semaphore } from '../../../server/llm/semaphore';
import { LlmError } from '../../../server/llm/types';

function apiError(
  status: number,
  headers: Record<string, string> = {},
  body: Record<string, unknown> = {},
): InstanceType<typeof OpenAI.APIError> {
  return OpenAI.APIError.generate(
    status,
    { error: { message: `scripted ${status}`, ...body } },
    undefined,
    new Headers(headers),
  );
}

/** Options with recorded, instant sleeps. */
function opts(overrides: Partial<RetryOptions> = {}): RetryOptions & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    maxRetries: 3,
    timeoutMs: 5_000,
    describe: 'm@host:1',
    random: () => 0.5,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    sleeps,
    ...overrides,
  };
}

/** An attempt function failing with the given errors in order, then returning 'ok'. */
function failing(...errors: unknown[]): { fn: (n: number) => Promise<string>; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    fn: (n) => {
      calls.push(n);
      const err = errors[n - 1];
      return err === undefined ? Promise.resolve('ok') : Promise.reject(err);
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail('expected a rejection'),
    (err: unknown) => err,
  );
}

test('retryable failures are retried with numbered attempts', async () => {
  const retryable = [
    apiError(408),
    apiError(409),
    apiError(429),
    apiError(500),
    apiError(503),
    new OpenAI.APIConnectionError({ message: 'Connection error.' }),
    new OpenAI.APIConnectionTimeoutError(),
    new TypeError('terminated'),
    new TypeError('fetch failed'),
    new SyntaxError('Unexpected end of JSON input'),
  ];
  for (const err of retryable) {
    const { fn, calls } = failing(err);
    const result = await withRetries(fn, opts());
    assert.deepEqual(result, { value: 'ok', attempts: 2 }, String(err));
    assert.deepEqual(calls, [1, 2]);
  }
});

test('client errors and unknown errors are not retried', async () => {
  for (const err of [
    apiError(400),
    apiError(401),
    apiError(403),
    apiError(404),
    apiError(422),
    new Error('bug'),
    new TypeError('x is not a function'),
  ]) {
    const { fn, calls } = failing(err);
    const failure = await rejection(withRetries(fn, opts()));
    assert.ok(failure instanceof LlmError, String(failure));
    assert.equal(failure.attempts, 1);
    assert.equal(failure.cause, err);
    assert.deepEqual(calls, [1]);
  }
});

test('exhausted retries: LlmError with maxRetries + 1 attempts and the last status', async () => {
  const { fn, calls } = failing(apiError(500), apiError(502), apiError(503));
  const o = opts({ maxRetries: 2 });
  const failure = await rejection(withRetries(fn, o));
  assert.ok(failure instanceof LlmError);
  assert.equal(failure.attempts, 3);
  assert.equal(failure.status, 503);
  assert.match(failure.message, /^m@host:1: HTTP 503 \(.*\) after 3 attempts$/);
  assert.deepEqual(calls, [1, 2, 3]);
  assert.equal(o.sleeps.length, 2);
});

test('backoff is exponential with full jitter, capped', () => {
  assert.equal(
    backoffMs(1, 500, 30_000, () => 0.5),
    250,
  );
  assert.equal(
    backoffMs(2, 500, 30_000, () => 0.5),
    500,
  );
  assert.equal(
    backoffMs(3, 500, 30_000, () => 0.5),
    1_000,
  );
  assert.equal(
    backoffMs(20, 500, 30_000, () => 0.999),
    29_970,
  );
  assert.equal(
    backoffMs(3, 500, 30_000, () => 0),
    0,
  );
});

test('withRetries sleeps the jittered backoff between attempts', async () => {
  const o = opts({ baseDelayMs: 100 });
  await withRetries(failing(apiError(500), apiError(500), apiError(500)).fn, o);
  assert.deepEqual(o.sleeps, [50, 100, 200]);
});

test('Retry-After: seconds, HTTP date, retry-after-ms, capped, and preferred to backoff', async () => {
  assert.equal(retryAfterMs(apiError(429, { 'retry-after': '2' }), 30_000), 2_000);
  assert.equal(retryAfterMs(apiError(429, { 'retry-after': '0' }), 30_000), 0);
  assert.equal(
    retryAfterMs(apiError(429, { 'retry-after-ms': '120', 'retry-after': '9' }), 30_000),
    120,
  );
  assert.equal(retryAfterMs(apiError(429, { 'retry-after': '3600' }), 30_000), 30_000);
  const date = retryAfterMs(
    apiError(503, { 'retry-after': new Date(Date.now() + 10_000).toUTCString() }),
    30_000,
  );
  assert.ok(date !== undefined && date > 8_000 && date <= 10_000, String(date));
  assert.equal(
    retryAfterMs(apiError(503, { 'retry-after': new Date(0).toUTCString() }), 30_000),
    0,
  );
  assert.equal(retryAfterMs(apiError(429, { 'retry-after': 'soon' }), 30_000), undefined);
  assert.equal(retryAfterMs(apiError(429), 30_000), undefined);
  assert.equal(retryAfterMs(new Error('x'), 30_000), undefined);

  const o = opts({ maxDelayMs: 5_000 });
  await withRetries(
    failing(apiError(429, { 'retry-after': '1' }), apiError(429, { 'retry-after': '60' })).fn,
    o,
  );
  assert.deepEqual(o.sleeps, [1_000, 5_000]);
});

test('a timed-out attempt is aborted and retried even if it ignores its signal', async () => {
  const signals: AbortSignal[] = [];
  const result = await withRetries(
    (n, signal) => {
      signals.push(signal);
      return n === 1 ? new Promise<string>(() => {}) : Promise.resolve('late but fine');
    },
    opts({ timeoutMs: 30 }),
  );
  assert.deepEqual(result, { value: 'late but fine', attempts: 2 });
  assert.equal(signals[0].aborted, true);
  assert.equal(signals[1].aborted, false);
});

test('timeouts on every attempt give a timeout message', async () => {
  const failure = await rejection(
    withRetries(() => new Promise<string>(() => {}), opts({ timeoutMs: 20, maxRetries: 1 })),
  );
  assert.ok(failure instanceof LlmError);
  assert.equal(failure.attempts, 2);
  assert.match(
    failure.message,
    /^m@host:1: timed out \(no response within 20 ms\) after 2 attempts$/,
  );
});

test('the caller aborting mid-attempt rejects at once with AbortError and stops retrying', async () => {
  const controller = new AbortController();
  let calls = 0;
  let started!: () => void;
  const attemptStarted = new Promise<void>((resolve) => (started = resolve));
  const pending = rejection(
    withRetries(
      (_n, signal) => {
        calls++;
        started();
        // Like the SDK: reject when our signal fires.
        return new Promise<string>((_, reject) =>
          signal.addEventListener('abort', () => reject(new OpenAI.APIUserAbortError())),
        );
      },
      opts({ signal: controller.signal, timeoutMs: 60_000 }),
    ),
  );
  await attemptStarted;
  controller.abort();
  const err = await pending;
  assert.ok(err instanceof Error);
  assert.equal(err.name, 'AbortError');
  assert.equal(calls, 1);
});

test('the caller aborting during the backoff sleep rejects with AbortError', async () => {
  const controller = new AbortController();
  let calls = 0;
  const err = await rejection(
    withRetries(
      () => {
        calls++;
        return Promise.reject(apiError(500));
      },
      opts({
        signal: controller.signal,
        // The real sleep, aborted while waiting.
        sleep: undefined,
        baseDelayMs: 60_000,
        random: () => {
          queueMicrotask(() => controller.abort());
          return 1;
        },
      }),
    ),
  );
  assert.equal((err as Error).name, 'AbortError');
  assert.equal(calls, 1);
});

test('an already aborted signal makes no attempt', async () => {
  const { fn, calls } = failing();
  const err = await rejection(withRetries(fn, opts({ signal: AbortSignal.abort() })));
  assert.equal((err as Error).name, 'AbortError');
  assert.deepEqual(calls, []);
});

test('final messages: 401/403 point at MCPO_LLM_API_KEY, 404 model_not_found names the model', () => {
  for (const status of [401, 403]) {
    const err = toLlmError(apiError(status), 'm@h', 1);
    assert.equal(err.status, status);
    assert.match(
      err.message,
      new RegExp(
        `^m@h: HTTP ${status} after 1 attempt: the API key is missing or wrong .*MCPO_LLM_API_KEY`,
      ),
    );
  }
  const notFound = toLlmError(
    apiError(404, {}, { message: 'The model `qwen-7b` does not exist', code: 'model_not_found' }),
    'm@h',
    1,
  );
  assert.match(notFound.message, /does not serve model "qwen-7b".*\/v1\/models/);
  assert.match(
    toLlmError(new TypeError('terminated'), 'm@h', 3).message,
    /^m@h: response cut off mid-body .* after 3 attempts$/,
  );
  assert.match(
    toLlmError(new SyntaxError('Unexpected end'), 'm@h', 2).message,
    /^m@h: garbled response body/,
  );
  assert.match(
    toLlmError(
      new OpenAI.APIConnectionError({
        message: 'Connection error.',
        cause: new Error('connect ECONNREFUSED'),
      }),
      'm@h',
      5,
    ).message,
    /^m@h: connection failed \(connect ECONNREFUSED\) after 5 attempts$/,
  );
  // As nodeHttpFetch rejects (as fetch does), under the SDK's wrapper: no ".:", no "fetch".
  const refused = new OpenAI.APIConnectionError({
    message: 'Connection error.',
    cause: new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') }),
  });
  assert.equal(
    toLlmError(refused, 'm@h', 1).message,
    'm@h: connection failed (connect ECONNREFUSED 127.0.0.1:1) after 1 attempt',
  );
});

// --- Semaphore -------------------------------------------------------------------------

test('semaphore: grants up to the limit, then queues FIFO', async () => {
  const sem = new Semaphore(2);
  const r1 = await sem.acquire();
  const r2 = await sem.acquire();
  assert.equal(sem.inUse, 2);
  const order: number[] = [];
  const p3 = sem.acquire().then((r) => (order.push(3), r));
  const p4 = sem.acquire().then((r) => (order.push(4), r));
  assert.equal(sem.waiting, 2);
  r1();
  r1(); // double release is a no-op
  const r3 = await p3;
  assert.equal(sem.inUse, 2);
  assert.equal(sem.waiting, 1);
  r2();
  const r4 = await p4;
  assert.deepEqual(order, [3, 4]);
  r3();
  r4();
  assert.equal(sem.inUse, 0);
  assert.equal(sem.waiting, 0);
});

test('semaphore: an aborted waiter rejects with AbortError and leaves the queue', async () => {
  const sem = new Semaphore(1);
  const release = await sem.acquire();
  const controller = new AbortController();
  const aborted = rejection(sem.acquire(controller.signal));
  const next = sem.acquire();
  assert.equal(sem.waiting, 2);
  controller.abort();
  assert.equal(((await aborted) as Error).name, 'AbortError');
  assert.equal(sem.waiting, 1);
  release();
  (await next)();
  assert.equal(sem.inUse, 0);
  await assert.rejects(sem.acquire(AbortSignal.abort()), { name: 'AbortError' });
  assert.throws(() => new Semaphore(0), RangeError);
});

test('isConnectionFailure: refused, reset and no response are; an HTTP status (even 5xx) and a bad body are not', () => {
  const refused = new OpenAI.APIConnectionError({
    message: 'Connection error.',
    cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
  });
  const dns = Object.assign(new Error('getaddrinfo ENOTFOUND gpu-box'), { code: 'ENOTFOUND' });
  assert.equal(isConnectionFailure(refused), true);
  assert.equal(isConnectionFailure(toLlmError(refused, 'm@h:1', 5)), true);
  assert.equal(isConnectionFailure(dns), true);
  assert.equal(isConnectionFailure(new TypeError('terminated')), true);
  assert.equal(isConnectionFailure(toLlmError(apiError(503), 'm@h:1', 5)), false);
  assert.equal(isConnectionFailure(toLlmError(apiError(429), 'm@h:1', 5)), false);
  assert.equal(isConnectionFailure(new SyntaxError('Unexpected token')), false);
});

test('a caller aborting with EndpointDownError gets it back with the attempts made, even mid-backoff', async () => {
  const controller = new AbortController();
  const { fn } = failing(apiError(503), apiError(503), apiError(503));
  const done = withRetries(fn, {
    ...opts(),
    signal: controller.signal,
    sleep: (_ms, signal) =>
      new Promise((_, reject) => {
        // The endpoint is taken as down during the first backoff.
        signal?.addEventListener('abort', () => reject(signal.reason));
        controller.abort(new EndpointDownError('not sent: m@h:1 is not answering'));
      }),
  });
  const err = await done.then(
    () => assert.fail('it answered'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof EndpointDownError);
  assert.equal(err.attempts, 1);
  assert.equal(err.message, 'not sent: m@h:1 is not answering');
});
