import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listModels } from '../../../server/lsp/listModels';
import { startOpenAiTestServer } from '../../support/openaiTestServer';

test('lists the served models with vLLM root where the server gives one', async (t) => {
  const server = await startOpenAiTestServer({
    models: ['qwen-7b', 'tiny'],
    roots: { 'qwen-7b': '/models/Qwen2.5-7B-Instruct-AWQ' },
  });
  t.after(() => server.close());
  const { models } = await listModels({ url: `${server.baseUrl}/` }, new AbortController().signal);
  assert.deepEqual(models, [
    { id: 'qwen-7b', root: '/models/Qwen2.5-7B-Instruct-AWQ' },
    { id: 'tiny' },
  ]);
});

test('a URL that is not http(s), an unreachable server and a failing one are clear errors', async (t) => {
  const signal = new AbortController().signal;
  await assert.rejects(listModels({ url: 'gpu-box:8000' }, signal), /not an http\(s\) URL/);
  // A port that was just listening and is closed now: nothing answers there.
  const gone = await startOpenAiTestServer();
  await gone.close();
  await assert.rejects(
    listModels({ url: gone.baseUrl }, signal),
    /cannot list the models of http:\/\/127\.0\.0\.1:\d+\/v1: .*ECONNREFUSED/,
  );
  const server = await startOpenAiTestServer();
  t.after(() => server.close());
  server.script({ kind: 'status', status: 500 });
  await assert.rejects(listModels({ url: server.baseUrl }, signal), /HTTP 500/);
});

test('a server URL without /v1 that answers 404 gets the hint to add /v1, as the endpoint check gives', async (t) => {
  const server = await startOpenAiTestServer();
  t.after(() => server.close());
  const root = server.baseUrl.replace(/\/v1$/, '');
  await assert.rejects(listModels({ url: root }, new AbortController().signal), (err: Error) => {
    assert.equal(
      err.message,
      `cannot list the models of ${root}: HTTP 404; OpenAI-compatible servers answer under /v1: try ${root}/v1`,
    );
    return true;
  });
  // With /v1 the same server lists its models: the hint was right.
  const { models } = await listModels({ url: `${root}/v1` }, new AbortController().signal);
  assert.ok(models.length > 0);
});
