/**
 * Proves the scripted test server is honest by driving it with the real `openai` client:
 * if the official client parses our responses and maps our faults to its error classes,
 * pipeline tests built on this server exercise the same code paths as production servers.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import {
  promptText,
  startOpenAiTestServer,
  type OpenAiTestServer,
  type TestServerOptions,
} from '../../support/openaiTestServer';

const MODEL = 'test-model';

/** Starts a server that is always closed when the test ends, pass or fail. */
async function serve(t: TestContext, options?: TestServerOptions): Promise<OpenAiTestServer> {
  const server = await startOpenAiTestServer(options);
  t.after(() => server.close());
  return server;
}

function client(
  server: OpenAiTestServer,
  extra: { maxRetries?: number; timeout?: number } = {},
): OpenAI {
  return new OpenAI({ baseURL: server.baseUrl, apiKey: 'test', maxRetries: 0, ...extra });
}

function chat(
  openai: OpenAI,
  content = 'hello there',
): Promise<OpenAI.Chat.Completions.ChatCompletion> {
  return openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content }] });
}

test('lists the configured models', async (t) => {
  const server = await serve(t, { models: ['a', 'b'] });
  const ids: string[] = [];
  for await (const model of client(server).models.list()) ids.push(model.id);
  assert.deepEqual(ids, ['a', 'b']);
});

test('chat completion (non-streaming) returns the scripted answer with usage', async (t) => {
  const server = await serve(t, { answer: (req) => `echo: ${promptText(req)}` });
  const res = await chat(client(server), 'one two three');
  assert.equal(res.choices[0].message.content, 'echo: one two three');
  assert.equal(res.choices[0].finish_reason, 'stop');
  assert.deepEqual(res.usage, { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
});

test('chat completion streaming yields deltas that join to the answer, usage last', async (t) => {
  const answer = 'The quick brown fox jumps.';
  const server = await serve(t, { answer: () => answer, chunkDelayMs: 1 });
  const stream = await client(server).chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'go' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let usage: OpenAI.CompletionUsage | null | undefined;
  let finish: string | null = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    usage = chunk.usage ?? usage;
  }
  assert.equal(text, answer);
  assert.equal(finish, 'stop');
  assert.deepEqual(usage, { prompt_tokens: 1, completion_tokens: 5, total_tokens: 6 });
});

test('legacy completions work streaming and non-streaming', async (t) => {
  const server = await serve(t, { answer: () => 'alpha beta' });
  const openai = client(server);
  const res = await openai.completions.create({ model: MODEL, prompt: 'say two words' });
  assert.equal(res.choices[0].text, 'alpha beta');
  assert.deepEqual(res.usage, { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });

  const stream = await openai.completions.create({ model: MODEL, prompt: 'x', stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
  assert.equal(text, 'alpha beta');
});

test('429 surfaces as RateLimitError with a readable Retry-After header', async (t) => {
  const server = await serve(t);
  server.script({ kind: 'status', status: 429, retryAfterSeconds: 7 });
  const err = await chat(client(server)).catch((e: unknown) => e);
  assert.ok(err instanceof OpenAI.RateLimitError, String(err));
  assert.equal(err.status, 429);
  assert.equal(err.headers?.get('retry-after'), '7');
  // The queue is consumed: the next request behaves normally.
  assert.equal((await chat(client(server))).choices[0].message.content, '1');
});

test('the client honours Retry-After: it retries not before the time asked, and recovers', async (t) => {
  const server = await serve(t);
  server.script({ kind: 'status', status: 429, retryAfterSeconds: 1 });
  const res = await chat(client(server, { maxRetries: 2 }));
  assert.equal(res.choices[0].message.content, '1');
  assert.equal(server.requests.length, 2);
  // "Not before": a lower bound holds however busy the machine is (an upper bound would not).
  const gap = server.requests[1].receivedAt - server.requests[0].receivedAt;
  assert.ok(gap >= 1000, `retry came after ${gap} ms, before the 1 s Retry-After`);
});

test('500 surfaces as InternalServerError', async (t) => {
  const server = await serve(t);
  server.script({ kind: 'status', status: 500 });
  await assert.rejects(chat(client(server)), OpenAI.InternalServerError);
});

test('a reset socket surfaces as APIConnectionError', async (t) => {
  const server = await serve(t);
  server.script({ kind: 'reset' });
  await assert.rejects(chat(client(server)), OpenAI.APIConnectionError);
});

test('a truncated stream delivers a partial answer and then throws', async (t) => {
  const answer = 'one two three four';
  const server = await serve(t, { answer: () => answer });
  server.script({ kind: 'truncatedStream' });
  const stream = await client(server).chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'go' }],
    stream: true,
  });
  let text = '';
  let finish: string | null = null;
  const err = await (async () => {
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
  })().catch((e: unknown) => e);
  // The openai client does not wrap mid-body failures: undici's fetch throws TypeError('terminated').
  assert.ok(err instanceof TypeError, `iteration must fail, not end quietly; got ${String(err)}`);
  assert.equal(err.message, 'terminated');
  assert.equal(text, 'one two ');
  assert.equal(finish, null);
});

test('an invalid JSON body surfaces as an error', async (t) => {
  const server = await serve(t);
  server.script({ kind: 'invalidJson' });
  // The client JSON.parses a 200 body unguarded, so this is a plain SyntaxError, not an APIError.
  await assert.rejects(chat(client(server)), SyntaxError);
});

test('wrong model (scripted or real) surfaces as NotFoundError with model_not_found', async (t) => {
  const server = await serve(t);
  server.script({ kind: 'wrongModel' });
  const scripted = await chat(client(server)).catch((e: unknown) => e);
  assert.ok(scripted instanceof OpenAI.NotFoundError, String(scripted));
  assert.equal(scripted.code, 'model_not_found');
  assert.equal(scripted.type, 'invalid_request_error');
  assert.match(scripted.message, /The model `test-model` does not exist/);

  const real = await client(server)
    .chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })
    .catch((e: unknown) => e);
  assert.ok(real instanceof OpenAI.NotFoundError, String(real));
  assert.equal(real.code, 'model_not_found');
});

test('a hung request times out client-side', async (t) => {
  const server = await serve(t);
  server.script({ kind: 'hang' });
  await assert.rejects(chat(client(server, { timeout: 200 })), OpenAI.APIConnectionTimeoutError);
});

test('close() releases a request that is still hanging', async () => {
  const server = await startOpenAiTestServer();
  server.script({ kind: 'hang' });
  const pending = chat(client(server)).catch((e: unknown) => e);
  await server.waitForRequests(1);
  assert.equal(server.inFlight, 1);
  await server.close();
  assert.ok((await pending) instanceof OpenAI.APIConnectionError);
});

test('8 concurrent requests are all in flight at once: maxInFlight === 8', async (t) => {
  const server = await serve(t);
  // Held responses: the 8 overlap by construction, not because a latency was long enough.
  const release = server.hold();
  const openai = client(server);
  const pending = Promise.all(Array.from({ length: 8 }, (_, i) => chat(openai, `q${i}`)));
  await server.waitForRequests(8, 10_000);
  assert.equal(server.inFlight, 8);
  release();
  const results = await pending;
  assert.equal(results.length, 8);
  assert.equal(server.maxInFlight, 8);
});

test('waitForRequests gives up at its deadline with the count so far', async (t) => {
  const server = await serve(t);
  await assert.rejects(server.waitForRequests(1, 50), /only 0 of 1 requests arrived within 50 ms/);
});

test('records every request: path, method, parsed body, headers, time', async (t) => {
  const server = await serve(t);
  const before = Date.now();
  const openai = client(server);
  await openai.models.list();
  await chat(openai, 'recorded prompt');
  await server.waitForRequests(2);
  assert.deepEqual(
    server.requests.map((r) => [r.method, r.path]),
    [
      ['GET', '/v1/models'],
      ['POST', '/v1/chat/completions'],
    ],
  );
  const post = server.requests[1];
  assert.equal(post.body['model'], MODEL);
  assert.deepEqual(post.body['messages'], [{ role: 'user', content: 'recorded prompt' }]);
  assert.equal(post.headers['authorization'], 'Bearer test');
  assert.ok(post.receivedAt >= before && post.receivedAt <= Date.now());
});
