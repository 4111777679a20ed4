/**
 * The openai SDK's fetch over node:http: what the SDK and retry.ts rely on from a fetch
 * (statuses, headers, bodies, failures as TypeError "fetch failed", aborts), and that the
 * engine's requests really go this way and reuse their connections.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { nodeHttpFetch } from '../../../server/llm/nodeHttpFetch';
import { createOpenAiClient } from '../../../server/llm/openaiClient';
import { openAiTestServerFor } from '../../support/openaiTestServer';

/** A plain HTTP server answering every request with `handler`, closed when the test ends. */
async function serve(
  t: { after: (fn: () => Promise<void>) => void },
  handler: http.RequestListener,
): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const SAMPLING = { temperature: 0, top_p: 1, max_tokens: 2 };

const endpoint = (baseUrl: string, concurrency: number) => ({
  baseUrl,
  model: 'test-model',
  mode: 'chat' as const,
  concurrency,
  timeoutMs: 10_000,
  maxRetries: 0,
});

test('the engine sends through node:http (not the built-in fetch) and keeps connections alive', async (t) => {
  const server = await openAiTestServerFor(t);
  const client = createOpenAiClient(endpoint(server.baseUrl, 1));
  await client.check();
  for (let i = 0; i < 5; i++)
    await client.complete({ prompt: `question ${i}`, sampling: SAMPLING });
  assert.equal(server.requests.length, 6);
  // undici's fetch adds sec-fetch-mode to every request; node:http sends only what it is given.
  assert.ok(server.requests.every((r) => r.headers['sec-fetch-mode'] === undefined));
  const connections = new Set(server.requests.map((r) => r.connection));
  assert.equal(connections.size, 1, `one connection for six requests, got ${[...connections]}`);
});

test('concurrent requests open no more connections than requests in flight', async (t) => {
  const server = await openAiTestServerFor(t);
  const client = createOpenAiClient(endpoint(server.baseUrl, 4));
  const release = server.hold();
  const answers = Array.from({ length: 12 }, (_, i) =>
    client.complete({ prompt: `question ${i}`, sampling: SAMPLING }),
  );
  await server.waitForRequests(4);
  assert.equal(server.inFlight, 4);
  release();
  await Promise.all(answers);
  const connections = new Set(server.requests.map((r) => r.connection));
  assert.ok(
    connections.size <= 4,
    `12 requests at concurrency 4 used ${connections.size} connections`,
  );
});

test('status, headers and body come through; a repeated header is kept', async (t) => {
  const url = await serve(t, (req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      res.writeHead(201, 'Made', [
        ['content-type', 'application/json'],
        ['x-echo-method', req.method ?? ''],
        ['x-echo-auth', req.headers.authorization ?? ''],
        ['set-cookie', 'a=1'],
        ['set-cookie', 'b=2'],
      ]);
      res.end(JSON.stringify({ got: body }));
    });
  });
  const response = await nodeHttpFetch(`${url}/x`, {
    method: 'POST',
    headers: new Headers({ Authorization: 'Bearer k' }),
    body: 'ünïcode',
  });
  assert.equal(response.status, 201);
  assert.equal(response.statusText, 'Made');
  assert.equal(response.ok, true);
  assert.equal(response.headers.get('x-echo-method'), 'POST');
  assert.equal(response.headers.get('x-echo-auth'), 'Bearer k');
  assert.deepEqual(response.headers.getSetCookie(), ['a=1', 'b=2']);
  assert.deepEqual(await response.json(), { got: 'ünïcode' });
});

test('a body reads once, as a Response body does; a clone, text, bytes and the stream read it too', async (t) => {
  const url = await serve(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"n":1}');
  });
  const response = await nodeHttpFetch(url);
  assert.ok(response instanceof Response);
  const copy = response.clone();
  assert.equal(response.bodyUsed, false);
  assert.deepEqual(await response.json(), { n: 1 });
  assert.equal(response.bodyUsed, true);
  await assert.rejects(response.text(), TypeError);
  assert.throws(() => response.clone(), TypeError);
  assert.equal(await copy.text(), '{"n":1}');
  assert.equal(copy.headers.get('content-type'), 'application/json');
  const again = await nodeHttpFetch(url);
  assert.equal(new TextDecoder().decode(await again.arrayBuffer()), '{"n":1}');
  const streamed = await nodeHttpFetch(url);
  assert.equal(await new Response(streamed.body).text(), '{"n":1}');
});

test('a compressed body is decoded and its encoding headers dropped', async (t) => {
  const gz = zlib.gzipSync(Buffer.from('{"ok":true}'));
  const url = await serve(t, (_req, res) => {
    res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(gz.length) });
    res.end(gz);
  });
  const response = await nodeHttpFetch(url);
  assert.equal(response.headers.get('content-encoding'), null);
  assert.equal(response.headers.get('content-length'), null);
  assert.deepEqual(await response.json(), { ok: true });
});

test('a 204 has no body', async (t) => {
  const url = await serve(t, (_req, res) => {
    res.writeHead(204);
    res.end();
  });
  const response = await nodeHttpFetch(url, { method: 'DELETE' });
  assert.equal(response.status, 204);
  assert.equal(response.body, null);
});

test('a refused connection rejects as fetch does: TypeError "fetch failed" with the cause', async () => {
  // A port that was just free: nothing listens on it once this server is closed.
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const free = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  await assert.rejects(nodeHttpFetch(`http://127.0.0.1:${free}/v1/models`), (err: unknown) => {
    assert.ok(err instanceof TypeError);
    assert.equal(err.message, 'fetch failed');
    assert.equal((err.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    return true;
  });
});

test('a body cut off mid-way rejects instead of returning half of it', async (t) => {
  const url = await serve(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
    res.write('{"choices": [');
    // The headers promised 100 bytes; the socket dies after 13.
    setImmediate(() => res.socket?.destroy());
  });
  await assert.rejects(nodeHttpFetch(url), (err: unknown) => {
    assert.ok(err instanceof TypeError);
    assert.equal(err.message, 'fetch failed');
    return true;
  });
});

test('an abort rejects with the signal reason and closes the request', async (t) => {
  const server = await openAiTestServerFor(t);
  const release = server.hold();
  t.after(release);
  const controller = new AbortController();
  const pending = nodeHttpFetch(`${server.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'test-model', messages: [{ role: 'user', content: 'q' }] }),
    signal: controller.signal,
  });
  await server.waitForRequests(1);
  const reason = new Error('stop');
  controller.abort(reason);
  await assert.rejects(pending, (err: unknown) => err === reason);
  // An already aborted signal sends nothing.
  await assert.rejects(nodeHttpFetch(server.baseUrl, { signal: controller.signal }));
  assert.equal(server.requests.length, 1);
});
