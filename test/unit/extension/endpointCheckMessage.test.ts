/** Check Endpoints' toast: a failed endpoint's fixes as VS Code words them, and their buttons. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointCheckMessage } from '../../../extension/endpointCheckMessage';
import { endpointSettingProblem } from '../../../server/lsp/runs';

test('a URL setting without http:// reads and acts as it does when a run meets it', () => {
  const bad = endpointSettingProblem('llm', '127.0.0.1:8723/v1');
  assert.ok(bad);
  const shown = endpointCheckMessage([
    {
      role: 'llm',
      url: '127.0.0.1:8723/v1',
      model: 'test-model',
      ok: false,
      message: bad.message,
      fixes: [...bad.fixes],
    },
  ]);
  assert.equal(shown.ok, false);
  assert.match(
    shown.text,
    /^LLM test-model: the VS Code setting mcpo\.llm\.url "127\.0\.0\.1:8723\/v1" needs http:\/\/ or https:\/\//,
  );
  assert.deepEqual(shown.actions, ['Open mcpo.llm.url', 'Retry', 'Show Logs']);
});

test('a failure without fixes offers Configure Endpoints; all OK offers nothing', () => {
  const down = { role: 'llm' as const, url: 'http://h:1/v1', model: 'm' };
  assert.deepEqual(endpointCheckMessage([{ ...down, ok: false, message: 'HTTP 500' }]).actions, [
    'Configure Endpoints',
    'Retry',
    'Show Logs',
  ]);
  const ok = endpointCheckMessage([{ ...down, ok: true, message: 'serves m' }]);
  assert.deepEqual([ok.ok, ok.text, ok.actions], [true, 'LLM m: OK', []]);
});
