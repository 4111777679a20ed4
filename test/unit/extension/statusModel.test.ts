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

const { afterRecord, afterRunState } = loadSource<typeof StatusModel>('extension/statusModel.ts');

const run = '/ws/.mcpo/runs/r1';
const healthy = { kind: 'checked' as const, endpoints: [{ ...endpoint, ok: true }] };
const record = (index: number, failed: boolean) => ({
  runDir: run,
  done: index + 1,
  total: 3,
  record: {
    index,
    status: failed ? ('failed' as const) : ('ok' as const),
    error: failed ? { stage: 'answer' as const, message: 'HTTP 500' } : undefined,
  } as unknown as Parameters<typeof afterRecord>[1]['record'],
});

/** The state after a run's events: started, its records, then its end. */
function afterRun(
  start: StatusModel.StatusState,
  failedAt: number[],
  end: 'finished' | 'failed' | 'cancelled',
  message?: string,
): StatusModel.StatusState {
  let state = afterRunState(start, { runDir: run, state: 'started' });
  for (const i of [0, 1, 2]) state = afterRecord(state, record(i, failedAt.includes(i)));
  return afterRunState(state, { runDir: run, state: end, message });
}

test('a run whose request fails replaces a healthy check with the failure and its reason', () => {
  const state = afterRunState(
    afterRunState({ health: healthy }, { runDir: run, state: 'started' }),
    { runDir: run, state: 'failed', message: 'http://gpu:8000/v1 does not serve model "qwen"' },
  );
  const view = renderStatus(state);
  assert.equal(view.text, '$(error) MCPO: run failed');
  assert.match(view.tooltip, /does not serve model "qwen"/);
  assert.equal(view.command, 'mcpo.checkEndpoints');
});

test('failed questions show as the count failed and the first reason; a clean run clears it', () => {
  const failed = afterRun({ health: healthy }, [1, 2], 'finished');
  const view = renderStatus(failed);
  assert.equal(view.text, '$(error) MCPO: 2/3 failed');
  assert.match(view.tooltip, /Q2 failed at answer: HTTP 500/);
  const clean = renderStatus(afterRun(failed, [], 'finished'));
  assert.equal(clean.text, '$(check) MCPO');
  assert.match(clean.tooltip, /answered all 3 questions/);
  assert.deepEqual(afterRun(failed, [], 'finished').tallies, {}, 'the ended run is forgotten');
});

test('a clean run keeps a check or a loaded local model as shown; a cancelled run changes nothing', () => {
  assert.deepEqual(
    renderStatus(afterRun({ health: healthy }, [], 'finished')),
    renderStatus({ health: healthy }),
  );
  const local = { kind: 'local' as const, model: 'tiny.gguf', rssMb: 90 };
  assert.deepEqual(afterRun({ health: local }, [], 'finished').health, local);
  const failing = { kind: 'runFailed' as const, message: 'x' };
  assert.deepEqual(afterRun({ health: failing }, [0], 'cancelled').health, failing);
});

test('any end of a run stops a local model loading', () => {
  const loading = { health: healthy, loading: { model: 'tiny.gguf' } };
  for (const end of ['finished', 'failed', 'cancelled'] as const)
    assert.equal(afterRun(loading, [], end).loading, undefined, end);
});
