/** The status item is one state rendered in one place: each writer's change shows, in priority. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as StatusModel from '../../../extension/statusModel';
import { loadSource } from '../panel/loadSource';

const { INITIAL_STATUS, renderStatus } = loadSource<typeof StatusModel>('extension/statusModel.ts');

const endpoint = { role: 'llm' as const, url: 'http://gpu:8000/v1', model: 'qwen', message: 'ok' };

test('before a check the item invites one; a check shows its health', () => {
  assert.deepEqual(renderStatus(INITIAL_STATUS), {
    text: '$(circle-outline) MCPO',
    tooltip: 'MCPO: endpoints not checked yet (MCPO: Check Endpoints)',
    command: 'mcpo.checkEndpoints',
  });
  const checked = (ok: boolean) =>
    renderStatus({ health: { kind: 'checked', endpoints: [{ ...endpoint, ok }] } });
  assert.equal(checked(true).text, '$(check) MCPO');
  assert.equal(checked(false).text, '$(error) MCPO');
  assert.equal(checked(false).tooltip, 'LLM qwen @ http://gpu:8000/v1: ok');
  assert.equal(
    renderStatus({ health: { kind: 'checked', endpoints: [] } }).text,
    '$(warning) MCPO: no endpoint',
  );
});

test('a run shows its progress and the item cancels it; when it ends, the health is back', () => {
  const health = { kind: 'checked' as const, endpoints: [{ ...endpoint, ok: true }] };
  const starting = renderStatus({ health, run: {} });
  assert.equal(starting.text, '$(sync~spin) MCPO starting…');
  assert.equal(starting.command, 'mcpo.cancelRun');
  assert.equal(renderStatus({ health, run: { progress: '3/5' } }).text, '$(sync~spin) MCPO 3/5');
  assert.deepEqual(renderStatus({ health, run: undefined }), renderStatus({ health }));
});

test('a loading local model shows over a run; once loaded it is the health shown', () => {
  const loading = renderStatus({
    health: { kind: 'unchecked' },
    run: { progress: '1/5' },
    loading: { model: '/models/tiny.gguf', percent: 40 },
  });
  assert.equal(loading.text, '$(loading~spin) MCPO: loading tiny.gguf 40%');
  assert.equal(loading.command, 'mcpo.cancelRun', 'the run can still be cancelled');
  const ready = renderStatus({ health: { kind: 'local', model: 'hf:a/b:Q4', rssMb: 812 } });
  assert.equal(ready.text, '$(chip) MCPO local b:Q4 · 812 MB');
  assert.equal(ready.command, 'mcpo.checkEndpoints');
});
