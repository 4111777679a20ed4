/**
 * The OpenAI-compatible LlmClient against the scripted test server: what goes on the wire,
 * how every fault a real inference server produces is recovered (or reported), cancellation,
 * the concurrency limit and the response cache.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createOpenAiClient, type OpenAiClientOptions } from '../../../server/llm/openaiClient';
import { RESPONSE_LOG, ResponseCache } from '../../../server/llm/responseCache';
import { Semaphore } from '../../../server/llm/semaphore';
import {
  LlmError,
  type EndpointConfig,
  type LlmClient,
  type LlmRequest,
} from '../../../server/llm/types';
import {
  promptText,
  startOpenAiTestServer,
  type Fault,
  type OpenAiTestServer,
  type TestServerOptions,
} from '../../support/openaiTestServer';

const MODEL = 'test-model';
const REQUEST: LlmRequest = {
  prompt: 'Which one? A or B',
  sampling: { temperature: 0, top_p: 1, max_tokens: 8 },
};

async function serve(t: TestContext, options?: TestServerOptions): Promise<OpenAiTestServer> {
  const server = await startOpenAiTestServer(options);
  t.after(() => server.close());
  return server;
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpo-llm-cache-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

function endpointFor(
  server: OpenAiTestServer,
  overrides: Partial<EndpointConfig> = {},
): EndpointConfig {
  return {
    baseUrl: server.baseUrl,
    model: MODEL,
    mode: 'chat',
    concurrency: 4,
    timeoutMs: 5_000,
    maxRetries: 2,
    ...overrides,
  };
}

/** Records backoff delays instead of waiting them, so retries cost no wall time. */
function clientFor(
  server: OpenAiTestServer,
  overrides: Partial<EndpointConfig> = {},
  options: OpenAiClientOptions = {},
): { client: LlmClient; sleeps: number[] } {
  const sleeps: number[] = [];
  const client = createOpenAiClient(endpointFor(server, overrides), {
    retry: {
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    },
    ...options,
  });
  return { client, sleeps };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail('expected a rejection'),
    (err: unknown) => err,
  );
}

test('chat mode sends exactly the expected body and returns text, usage and finish reason', async (t) => {
  const server = await serve(t, { answer: (req) => `echo ${promptText(req)}` });
  const { client } = clientFor(
    server,
    { extraBody: { repetition_penalty: 1.1, top_k: 20 } },
    { apiKey: 'sk-test' },
  );
  const res = await client.complete({
    prompt: 'pick one',
    sampling: { temperature: 0.7, top_p: 0.9, max_tokens: 16, seed: 42 },
    structured: { choice: ['A', 'B'] },
  });
  assert.equal(server.requests.length, 1);
  const sent = server.requests[0];
  assert.equal(sent.method, 'POST');
  assert.equal(sent.path, '/v1/chat/completions');
  assert.equal(sent.headers['authorization'], 'Bearer sk-test');
  assert.deepEqual(sent.body, {
    model: MODEL,
    messages: [{ role: 'user', content: 'pick one' }],
    temperature: 0.7,
    top_p: 0.9,
    max_tokens: 16,
    seed: 42,
    structured_outputs: { choice: ['A', 'B'] },
    repetition_penalty: 1.1,
    top_k: 20,
  });
  assert.equal(res.text, 'echo pick one');
  assert.deepEqual(res.usage, { prompt_tokens: 2, completion_tokens: 3 });
  assert.equal(res.finishReason, 'stop');
  assert.equal(res.cached, false);
  assert.equal(res.attempts, 1);
  assert.ok(res.latencyMs >= 0);
});

test('completions mode sends the prompt to /v1/completions with regex structured outputs', async (t) => {
  const server = await serve(t, { answer: () => 'alpha beta' });
  const { client } = clientFor(server, { mode: 'completions' });
  const res = await client.complete({
    prompt: 'say two words',
    sampling: { temperature: 1, top_p: 0.5, max_tokens: 4 },
    structured: { regex: '[a-z ]+' },
  });
  const sent = server.requests[0];
  assert.equal(sent.path, '/v1/completions');
  assert.equal(sent.headers['authorization'], 'Bearer not-needed');
  assert.deepEqual(sent.body, {
    model: MODEL,
    prompt: 'say two words',
    temperature: 1,
    top_p: 0.5,
    max_tokens: 4,
    structured_outputs: { regex: '[a-z ]+' },
  });
  assert.deepEqual(
    { text: res.text, usage: res.usage, finishReason: res.finishReason },
    { text: 'alpha beta', usage: { prompt_tokens: 3, completion_tokens: 2 }, finishReason: 'stop' },
  );
});

test('extraBody cannot override the fields the engine controls', async (t) => {
  const server = await serve(t);
  const { client } = clientFor(server, {
    extraBody: { model: 'other', max_tokens: 999, stream: false },
  });
  await client.complete(REQUEST);
  assert.equal(server.requests[0].body['model'], MODEL);
  assert.equal(server.requests[0].body['max_tokens'], 8);
  assert.equal('seed' in server.requests[0].body, false);
  assert.equal('structured_outputs' in server.requests[0].body, false);
});

const RECOVERABLE: { name: string; fault: Fault; timeoutMs?: number }[] = [
  { name: '429 with Retry-After: 0', fault: { kind: 'status', status: 429, retryAfterSeconds: 0 } },
  { name: '500', fault: { kind: 'status', status: 500 } },
  { name: 'connection reset', fault: { kind: 'reset' } },
  { name: 'truncated body (non-streaming)', fault: { kind: 'truncatedStream' } },
  { name: 'invalid JSON body', fault: { kind: 'invalidJson' } },
  { name: 'hang past the timeout', fault: { kind: 'hang' }, timeoutMs: 150 },
];

for (const { name, fault, timeoutMs } of RECOVERABLE) {
  test(`recovers from ${name} within its retries and the run continues`, async (t) => {
    const server = await serve(t);
    const { client } = clientFor(server, timeoutMs === undefined ? {} : { timeoutMs });
    server.script(fault);
    const first = await client.complete(REQUEST);
    assert.equal(first.text, '1');
    assert.equal(first.attempts, 2);
    assert.equal(server.requests.length, 2);
    const next = await client.complete({ ...REQUEST, prompt: 'next question' });
    assert.equal(next.attempts, 1);
    assert.equal(server.requests.length, 3);
  });
}

test('Retry-After decides the delay: 0 means retry at once, a long one is capped at maxDelayMs', async (t) => {
  const server = await serve(t);
  const sleeps: number[] = [];
  const client = createOpenAiClient(endpointFor(server), {
    retry: {
      maxDelayMs: 1_000,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    },
  });
  server.script(
    { kind: 'status', status: 429, retryAfterSeconds: 0 },
    { kind: 'status', status: 429, retryAfterSeconds: 7 },
  );
  const res = await client.complete(REQUEST);
  assert.equal(res.attempts, 3);
  assert.deepEqual(sleeps, [0, 1_000]);
});

test('an unknown model fails at once with one attempt and says how to fix it', async (t) => {
  const server = await serve(t, { models: ['served-a', 'served-b'] });
  const { client } = clientFor(server, { model: 'nope', maxRetries: 4 });
  const err = await rejection(client.complete(REQUEST));
  assert.ok(err instanceof LlmError, String(err));
  assert.equal(err.attempts, 1);
  assert.equal(err.status, 404);
  assert.match(err.message, /nope@127\.0\.0\.1:\d+/);
  assert.match(err.message, /does not serve model "nope"/);
  assert.match(err.message, /\/v1\/models/);
  assert.equal(server.requests.length, 1);
});

test('exhausted retries reject with LlmError naming the endpoint, the status and maxRetries + 1 attempts', async (t) => {
  const server = await serve(t);
  const { client, sleeps } = clientFor(server, { maxRetries: 2 });
  server.script(
    { kind: 'status', status: 500 },
    { kind: 'status', status: 500 },
    { kind: 'status', status: 500 },
  );
  const err = await rejection(client.complete(REQUEST));
  assert.ok(err instanceof LlmError, String(err));
  assert.equal(err.attempts, 3);
  assert.equal(err.status, 500);
  assert.match(err.message, /^test-model@127\.0\.0\.1:\d+: HTTP 500 .* after 3 attempts$/);
  assert.equal(server.requests.length, 3);
  assert.equal(sleeps.length, 2);
});

test('aborting mid-request rejects quickly with an AbortError and is not retried', async (t) => {
  const server = await serve(t);
  const { client } = clientFor(server, { timeoutMs: 30_000, maxRetries: 3 });
  server.script({ kind: 'hang' });
  const controller = new AbortController();
  const pending = rejection(client.complete(REQUEST, controller.signal));
  await server.waitForRequests(1);
  controller.abort();
  const err = await pending;
  assert.ok(err instanceof Error);
  // An AbortError, not the 30 s timeout's error and not a retry: the abort ended the request.
  assert.equal(err.name, 'AbortError');
  assert.equal(server.requests.length, 1);
});

test('aborting while queued for a slot leaves the queue without sending anything', async (t) => {
  const server = await serve(t);
  const semaphore = new Semaphore(1);
  const { client } = clientFor(server, { timeoutMs: 30_000 }, { semaphore });
  server.script({ kind: 'hang' });
  const holder = new AbortController();
  const holding = rejection(client.complete(REQUEST, holder.signal));
  await server.waitForRequests(1);
  const queued = new AbortController();
  const waiting = rejection(client.complete({ ...REQUEST, prompt: 'queued' }, queued.signal));
  assert.equal(semaphore.waiting, 1);
  queued.abort();
  assert.equal(((await waiting) as Error).name, 'AbortError');
  assert.equal(semaphore.waiting, 0);
  holder.abort();
  await holding;
  assert.equal(semaphore.inUse, 0);
  assert.equal(server.requests.length, 1);
});

test('concurrency: 20 requests with concurrency 3 keep exactly 3 in flight', async (t) => {
  const server = await serve(t, { latencyMs: 50 });
  const { client } = clientFor(server, { concurrency: 3 });
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => client.complete({ ...REQUEST, prompt: `q${i}` })),
  );
  assert.equal(results.length, 20);
  assert.equal(server.requests.length, 20);
  assert.equal(server.maxInFlight, 3);
});

test('a shared semaphore limits two clients of one endpoint together', async (t) => {
  const server = await serve(t, { latencyMs: 30 });
  const semaphore = new Semaphore(2);
  const a = clientFor(server, {}, { semaphore }).client;
  const b = clientFor(server, { mode: 'completions' }, { semaphore }).client;
  await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      (i % 2 === 0 ? a : b).complete({ ...REQUEST, prompt: `q${i}` }),
    ),
  );
  assert.equal(server.maxInFlight, 2);
});

/** Generation requests the server received (a cached client also reads /v1/models once). */
function generations(server: OpenAiTestServer): number {
  return server.requests.filter((r) => r.method === 'POST').length;
}

test('cache: an identical second call makes no request; any key field change is a miss', async (t) => {
  const server = await serve(t);
  const cache = new ResponseCache(await tempDir(t));
  const { client } = clientFor(server, {}, { cache });
  const first = await client.complete(REQUEST);
  assert.equal(first.cached, false);
  const second = await client.complete(REQUEST);
  assert.equal(generations(server), 1);
  assert.deepEqual(
    {
      text: second.text,
      usage: second.usage,
      finishReason: second.finishReason,
      cached: second.cached,
      attempts: second.attempts,
    },
    {
      text: first.text,
      usage: first.usage,
      finishReason: first.finishReason,
      cached: true,
      attempts: 0,
    },
  );
  await client.complete({ ...REQUEST, sampling: { ...REQUEST.sampling, seed: 1 } });
  await client.complete({ ...REQUEST, structured: { choice: ['A'] } });
  await clientFor(server, { mode: 'completions' }, { cache }).client.complete(REQUEST);
  await clientFor(server, { extraBody: { top_k: 5 } }, { cache }).client.complete(REQUEST);
  assert.equal(generations(server), 5);
});

test('cache: the API key is not part of the key', async (t) => {
  const server = await serve(t);
  const cache = new ResponseCache(await tempDir(t));
  await clientFor(server, {}, { cache, apiKey: 'a' }).client.complete(REQUEST);
  const again = await clientFor(server, {}, { cache, apiKey: 'b' }).client.complete(REQUEST);
  assert.equal(again.cached, true);
  assert.equal(generations(server), 1);
});

test('cache: a hit takes no concurrency slot', async (t) => {
  const server = await serve(t);
  const cache = new ResponseCache(await tempDir(t));
  const semaphore = new Semaphore(1);
  const { client } = clientFor(server, { timeoutMs: 30_000 }, { cache, semaphore });
  await client.complete(REQUEST);
  server.script({ kind: 'hang' });
  const holder = new AbortController();
  const holding = rejection(client.complete({ ...REQUEST, prompt: 'slow one' }, holder.signal));
  await server.waitForRequests(3); // models list, first answer, the hung one
  assert.equal(semaphore.inUse, 1);
  const hit = await client.complete(REQUEST);
  assert.equal(hit.cached, true);
  holder.abort();
  await holding;
});

test('cache: a damaged cache entry is a miss and is replaced', async (t) => {
  const server = await serve(t);
  const dir = await tempDir(t);
  await clientFor(server, {}, { cache: new ResponseCache(dir) }).client.complete(REQUEST);
  const log = path.join(dir, RESPONSE_LOG);
  const line = await fs.readFile(log, 'utf8');
  await fs.writeFile(log, line.slice(0, line.indexOf('"text"') + 12)); // cut mid-entry
  const { client } = clientFor(server, {}, { cache: new ResponseCache(dir) });
  const again = await client.complete(REQUEST);
  assert.equal(again.cached, false);
  assert.equal(generations(server), 2);
  const fresh = clientFor(server, {}, { cache: new ResponseCache(dir) }).client;
  assert.equal((await fresh.complete(REQUEST)).cached, true);
  assert.equal(generations(server), 2);
});

test('cache: failures are not cached', async (t) => {
  const server = await serve(t);
  const cache = new ResponseCache(await tempDir(t));
  const { client } = clientFor(server, { maxRetries: 0 }, { cache });
  await client.check(); // reads /v1/models, so the scripted fault meets the generation request
  server.script({ kind: 'status', status: 500 });
  await assert.rejects(client.complete(REQUEST), LlmError);
  const res = await client.complete(REQUEST);
  assert.equal(res.cached, false);
  assert.equal(generations(server), 2);
});

test('label is model@host', async (t) => {
  const server = await serve(t);
  const { client } = clientFor(server);
  assert.equal(client.label, `${MODEL}@${new URL(server.baseUrl).host}`);
});

test('check() passes when the model is served', async (t) => {
  const server = await serve(t, { models: ['x', MODEL] });
  await clientFor(server).client.check();
  assert.deepEqual(
    server.requests.map((r) => [r.method, r.path]),
    [['GET', '/v1/models']],
  );
});

test('check() names the missing model and lists the served ones', async (t) => {
  const server = await serve(t, { models: ['a', 'b', 'c'] });
  const err = await rejection(clientFor(server, { model: 'qwen' }).client.check());
  assert.ok(err instanceof LlmError);
  assert.equal(err.message, `${server.baseUrl} does not serve model "qwen"; it serves: a, b, c`);
});

test('check() says the server cannot be reached, and why', async () => {
  const server = await startOpenAiTestServer();
  const { client } = clientFor(server);
  await server.close();
  const err = await rejection(client.check());
  assert.ok(err instanceof LlmError);
  assert.match(
    err.message,
    new RegExp(`^cannot reach ${server.baseUrl.replace(/[.]/g, '\\.')}: .*ECONNREFUSED`),
  );
});

test('a URL without /v1 that answers 404 is checked with a hint to add /v1; with /v1 there is none', async (t) => {
  const server = await serve(t);
  const withoutV1 = server.baseUrl.replace(/\/v1$/, '');
  const { client } = clientFor(server, { baseUrl: withoutV1 });
  const err = await rejection(client.check());
  assert.ok(err instanceof LlmError, String(err));
  assert.equal(err.status, 404);
  assert.ok(
    err.message.endsWith(`OpenAI-compatible servers answer under /v1: try ${withoutV1}/v1`),
    err.message,
  );
  // Under /v1 a 404 means something else: no hint.
  const underV1 = await rejection(
    clientFor(server, { baseUrl: `${server.baseUrl}/elsewhere/v1` }).client.check(),
  );
  assert.ok(underV1 instanceof LlmError, String(underV1));
  assert.equal(underV1.status, 404);
  assert.doesNotMatch(underV1.message, /try .*\/v1/);
});
