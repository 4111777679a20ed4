/**
 * The response cache is keyed by what produced the answer: the weights as /v1/models names them
 * (vLLM's `root`), else the endpoint URL and model. Two real HTTP servers stand in for two boxes.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createOpenAiClient, weightsIdentity } from '../../../server/llm/openaiClient';
import { ResponseCache } from '../../../server/llm/responseCache';
import type { EndpointConfig, LlmRequest } from '../../../server/llm/types';
import {
  startOpenAiTestServer,
  type OpenAiTestServer,
  type TestServerOptions,
} from '../../support/openaiTestServer';

const MODEL = 'served-name';
const REQUEST: LlmRequest = {
  prompt: 'Which one? 0. A 1. B',
  sampling: { temperature: 0, top_p: 0.9, max_tokens: 2, seed: 42 },
};

async function serve(t: TestContext, options: TestServerOptions): Promise<OpenAiTestServer> {
  const server = await startOpenAiTestServer({ models: [MODEL], ...options });
  t.after(() => server.close());
  return server;
}

async function tempCache(t: TestContext, replayFrom?: number): Promise<ResponseCache> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpo-cache-identity-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return new ResponseCache(dir, { replayFrom });
}

function endpoint(server: OpenAiTestServer, model = MODEL): EndpointConfig {
  return {
    baseUrl: server.baseUrl,
    model,
    mode: 'chat',
    concurrency: 2,
    timeoutMs: 5_000,
    maxRetries: 0,
  };
}

function generations(server: OpenAiTestServer): number {
  return server.requests.filter((r) => r.method === 'POST').length;
}

/** Asks `server` the same question through a fresh client (a new run), after its endpoint check. */
async function ask(server: OpenAiTestServer, cache: ResponseCache, model = MODEL) {
  const client = createOpenAiClient(endpoint(server, model), { cache });
  await client.check();
  return client.complete(REQUEST);
}

test('the same served name with other weights (different roots) never replays', async (t) => {
  const cache = await tempCache(t);
  const a = await serve(t, { roots: { [MODEL]: '/models/qwen-7b-ckpt-100' }, answer: () => '0' });
  const b = await serve(t, { roots: { [MODEL]: '/models/qwen-7b-ckpt-200' }, answer: () => '1' });
  assert.equal((await ask(a, cache)).text, '0');
  const fromB = await ask(b, cache);
  assert.equal(fromB.cached, false);
  assert.equal(fromB.text, '1', "B's own answer, not A's");
  assert.equal(generations(b), 1);
});

test('the same weights (same root) at another URL and name replay the cache', async (t) => {
  const cache = await tempCache(t);
  const root = 'Qwen/Qwen2.5-7B-Instruct';
  const a = await serve(t, { roots: { [MODEL]: root }, answer: () => '0' });
  const moved = await serve(t, { models: ['qwen'], roots: { qwen: root }, answer: () => '1' });
  assert.equal((await ask(a, cache)).cached, false);
  const again = await ask(moved, cache, 'qwen');
  assert.equal(again.cached, true);
  assert.equal(again.text, '0');
  assert.equal(generations(moved), 0);
});

test('without a root, the URL and model are the identity: another server never replays', async (t) => {
  const cache = await tempCache(t);
  const a = await serve(t, { answer: () => '0' });
  const b = await serve(t, { answer: () => '1' });
  assert.equal((await ask(a, cache)).text, '0');
  assert.equal((await ask(a, cache)).cached, true, 'the same server replays');
  const fromB = await ask(b, cache);
  assert.equal(fromB.cached, false);
  assert.equal(fromB.text, '1');
});

test('a client that was never checked reads /v1/models once for its identity', async (t) => {
  const cache = await tempCache(t);
  const root = '/weights/shared';
  const a = await serve(t, { roots: { [MODEL]: root } });
  const b = await serve(t, { roots: { [MODEL]: root } });
  await createOpenAiClient(endpoint(a), { cache }).complete(REQUEST);
  const client = createOpenAiClient(endpoint(b), { cache });
  assert.equal((await client.complete(REQUEST)).cached, true);
  assert.equal((await client.complete(REQUEST)).cached, true);
  assert.deepEqual(
    b.requests.map((r) => `${r.method} ${r.path}`),
    ['GET /v1/models'],
  );
});

test('replayFrom (--no-cache): older answers are asked again and replaced, newer ones replay', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpo-cache-identity-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  let answer = '0';
  const server = await serve(t, { answer: () => answer });
  await ask(server, new ResponseCache(dir));
  answer = '1';
  const fresh = new ResponseCache(dir, { replayFrom: Date.now() + 1 });
  const first = await ask(server, fresh);
  assert.equal(first.cached, false);
  assert.equal(first.text, '1');
  // Stored at or after the ablation started: another arm of it replays what this one asked.
  const shared = new ResponseCache(dir, { replayFrom: Date.now() - 60_000 });
  assert.equal((await ask(server, shared)).text, '1');
  assert.equal((await ask(server, shared)).cached, true);
});

test('weightsIdentity: a blank or non-string root falls back to URL and model', () => {
  const e = { baseUrl: 'http://box:8000/v1/', model: 'm' };
  assert.deepEqual(weightsIdentity(e, [{ id: 'm', root: '/w' }]), { root: '/w' });
  assert.deepEqual(weightsIdentity(e, [{ id: 'm', root: ' ' }]), {
    url: 'http://box:8000/v1',
    model: 'm',
  });
  assert.deepEqual(
    weightsIdentity(e, [
      { id: 'other', root: '/w' },
      { id: 'm', root: 7 },
    ]),
    {
      url: 'http://box:8000/v1',
      model: 'm',
    },
  );
  assert.deepEqual(weightsIdentity(e, undefined), { url: 'http://box:8000/v1', model: 'm' });
});
