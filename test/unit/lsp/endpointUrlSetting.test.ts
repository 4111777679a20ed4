/** VS Code's mcpo.llm.url / mcpo.slm.url without http(s):// fail at once, naming the setting. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runOptionsFromSettings } from '../../../server/lsp/runs';
import { checkEndpoints } from '../../../server/lsp/runQueries';
import { runSettings } from '../../support/runHost';
import type { UserError } from '../../../server/userError';

test('an endpoint setting without http(s):// names the setting and the URL to use', () => {
  const settings = runSettings('127.0.0.1:8000/v1', '/tmp/mcpo-unused');
  assert.throws(
    () => runOptionsFromSettings(settings, 'x.jsonl'),
    /^Error: the VS Code setting mcpo\.llm\.url "127\.0\.0\.1:8000\/v1" needs http:\/\/ or https:\/\/ \(e\.g\. http:\/\/127\.0\.0\.1:8000\/v1\)/,
  );
  const slm = {
    ...runSettings('http://127.0.0.1:8000/v1', '/tmp/mcpo-unused'),
    slm: { url: 'gpu:8001', model: 's', mode: 'chat' as const, concurrency: 1 },
  };
  assert.throws(() => runOptionsFromSettings(slm, 'x.jsonl'), /setting mcpo\.slm\.url "gpu:8001"/);
  assert.equal(
    runOptionsFromSettings(runSettings('http://127.0.0.1:8000/v1', '/tmp/x'), 'x.jsonl').llm.url,
    'http://127.0.0.1:8000/v1',
  );
});

test('Check Endpoints says what a run says of a URL setting without http://, with the same fix', async () => {
  const settings = runSettings('127.0.0.1:8723/v1', '/tmp/mcpo-unused');
  const run = (() => {
    try {
      runOptionsFromSettings(settings, 'x.jsonl');
    } catch (err) {
      return err as UserError;
    }
    assert.fail('the run accepted a URL without http://');
  })();
  const { endpoints } = await checkEndpoints(
    { settings, secrets: {} },
    new AbortController().signal,
  );
  assert.equal(endpoints.length, 1);
  assert.equal(endpoints[0]?.ok, false);
  assert.equal(endpoints[0]?.message, run.message);
  assert.doesNotMatch(endpoints[0]?.message ?? '', /Invalid URL|cannot reach/);
  assert.deepEqual(endpoints[0]?.fixes, run.fixes);
  assert.deepEqual(
    endpoints[0]?.fixes?.map((f) => f.kind === 'option' && f.setting),
    ['mcpo.llm.url'],
  );
});
