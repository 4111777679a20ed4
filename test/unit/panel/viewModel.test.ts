import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as ViewModel from '../../../media/viewModel';
import type * as PanelMessages from '../../../extension/panel/panelMessages';
import type { RunRecord } from '../../../server/runs/runTypes';
import type { ScoresReport } from '../../../server/scoring/evaluate';
import { loadSource } from './loadSource';

const vm = loadSource<typeof ViewModel>('media/viewModel.ts');
const { parsePanelMessage } = loadSource<typeof PanelMessages>('extension/panel/panelMessages.ts');

function record(index: number, over: Partial<RunRecord> = {}): RunRecord {
  return {
    index,
    task_name: 'task_a',
    task_type: 'multiple-choice',
    metric: 'accuracy',
    track: 'track-1',
    status: 'ok',
    stages: {},
    response: '1',
    parsed: 1,
    score: true,
    warnings: [],
    timings: { totalMs: 10 },
    ...over,
  };
}

const records: RunRecord[] = [
  record(0),
  record(1, {
    status: 'failed',
    score: null,
    parsed: undefined,
    error: { stage: 'answer', message: 'HTTP 500' },
  }),
  record(2, {
    task_name: 'task_b',
    task_type: 'ranking',
    metric: 'ndcg',
    parsed: [3, 1, 2],
    score: 0.5,
    track: 'track-2',
  }),
  record(3, {
    task_name: 'task_c',
    task_type: 'named_entity_recognition',
    metric: 'micro f1',
    parsed: ['a', 'b'],
    score: [1, 2, 0],
  }),
  record(4, {
    task_name: 'task_d',
    task_type: 'generation',
    metric: 'rougel',
    parsed: 'text',
    score: null,
    track: undefined,
  }),
];

test('filters by track, task type and failures (failed or not scored)', () => {
  const all = { track: null, taskType: null, failuresOnly: false };
  assert.deepEqual(
    vm.filterRecords(records, all).map((r) => r.index),
    [0, 1, 2, 3, 4],
  );
  assert.deepEqual(
    vm.filterRecords(records, { ...all, track: 'track-1' }).map((r) => r.index),
    [0, 1, 3],
  );
  assert.deepEqual(
    vm.filterRecords(records, { ...all, taskType: 'ranking' }).map((r) => r.index),
    [2],
  );
  assert.deepEqual(
    vm.filterRecords(records, { ...all, failuresOnly: true }).map((r) => r.index),
    [1, 4],
  );
  assert.deepEqual(
    vm
      .filterRecords(records, { track: 'track-1', taskType: 'multiple-choice', failuresOnly: true })
      .map((r) => r.index),
    [1],
  );
});

test('filter choices list only what the run has, task types in the official order', () => {
  assert.deepEqual(vm.filterChoices(records), {
    tracks: ['track-1', 'track-2'],
    taskTypes: ['multiple-choice', 'ranking', 'generation', 'named_entity_recognition'],
  });
});

test('formats scores, answers and per-sample values as plain text', () => {
  assert.equal(vm.formatScore(0.123456), '0.1235');
  assert.equal(vm.formatScore(null), '—');
  assert.equal(vm.formatDelta(-0.01), '−0.0100');
  assert.equal(vm.formatDelta(0.02), '+0.0200');
  assert.equal(vm.formatParsed([3, 1]), '[3, 1]');
  assert.equal(vm.formatParsed(['a', 'b"c']), '["a", "b\\"c"]');
  assert.equal(vm.formatParsed('<img src=x onerror=alert(1)>'), '<img src=x onerror=alert(1)>');
  assert.equal(vm.formatSampleValue(true), '1');
  assert.equal(vm.formatSampleValue([1, 2, 0]), 'tp 1 · fp 2 · fn 0');
  assert.equal(vm.formatSampleValue(null), 'not scored');
  assert.equal(vm.formatDate('2026-11-27T15:38:39.000Z'), '2026-11-27 15:38');
  assert.equal(vm.formatDate('yesterday'), 'yesterday');
  assert.equal(vm.statusText(records[1]), 'failed (answer)');
});

test('a live record replaces its question and keeps index order', () => {
  const retried = record(1, { status: 'ok', score: true });
  const next = vm.upsertRecord(records, retried);
  assert.equal(next.length, records.length);
  assert.equal(next[1], retried);
  assert.deepEqual(
    vm.upsertRecord([record(5), record(2)], record(3)).map((r) => r.index),
    [2, 3, 5],
  );
});

function report(scores: Record<string, number | null>): ScoresReport {
  return {
    tasks: Object.entries(scores).map(([task_name, score]) => ({
      task_name,
      task_type: 'multiple-choice',
      metric: 'accuracy',
      num_samples: 2,
      score,
    })),
    tracks: {},
    overall: null,
  };
}

test('chart series align every run on the union of tasks, null where a run has none', () => {
  const data = vm.buildChartSeries([
    { runDir: '/r/1', label: 'baseline', report: report({ a: 0.5, b: 0.25 }) },
    { runDir: '/r/2', label: 'cot', report: report({ b: 0.75, c: null, d: 1.5 }) },
  ]);
  assert.deepEqual(data.tasks, ['a', 'b', 'c', 'd']);
  assert.deepEqual(
    data.series.map((s) => [s.label, s.values]),
    [
      ['baseline', [0.5, 0.25, null, null]],
      ['cot', [null, 0.75, null, 1.5]],
    ],
  );
  assert.equal(data.max, 1.5);
  assert.deepEqual(vm.buildChartSeries([]), { tasks: [], series: [], max: 1 });
});

test('difference rows show signed deltas, the 95% interval and whether it excludes zero', () => {
  const rows = vm.differenceRows([
    { scope: 'overall', baseline: 0.5, candidate: 0.6, delta: 0.1, low: 0.02, high: 0.18 },
    { scope: 'track x', baseline: 0.5, candidate: 0.4, delta: -0.1, low: -0.2, high: -0.01 },
    { scope: 'task_a', baseline: 0.5, candidate: 0.5, delta: 0, low: -0.1, high: 0.1 },
    { scope: 'task_b', baseline: null, candidate: 0.5, delta: null, low: null, high: null },
  ]);
  assert.deepEqual(rows[0], {
    scope: 'overall',
    baseline: '0.5000',
    candidate: '0.6000',
    delta: '+0.1000',
    interval: '[+0.0200, +0.1800]',
    significance: 'better',
  });
  assert.deepEqual(
    rows.map((r) => r.significance),
    ['better', 'worse', 'unclear', 'unknown'],
  );
  assert.equal(rows[3].interval, '—');
});

test('task rows carry why a task is unscored', () => {
  const r = report({ a: 0.5, b: null });
  r.unscored = [{ task_name: 'b', reason: 'embedding model missing' }];
  const rows = vm.taskRows(r);
  assert.equal(rows[0].score, '0.5000');
  assert.equal(rows[1].score, '—');
  assert.equal(rows[1].unscoredReason, 'embedding model missing');
});

test('restored state is checked field by field; the remembered run is kept only if listed', () => {
  assert.deepEqual(vm.sanitizeState(undefined), vm.DEFAULT_STATE);
  assert.deepEqual(
    vm.sanitizeState({
      selectedRunDir: 4,
      filters: { taskType: 'bogus', failuresOnly: 'yes' },
      scrollTop: -5,
    }),
    vm.DEFAULT_STATE,
  );
  const kept = {
    selectedRunDir: '/r/1',
    baselineDir: '/r/0',
    filters: { track: 't', taskType: 'ranking', failuresOnly: true },
    selectedIndex: 3,
    scrollTop: 120,
  };
  assert.deepEqual(vm.sanitizeState(kept), kept);
  const item = {
    runId: 'x',
    label: 'x',
    createdAt: '',
    dataFile: '',
    questions: 1,
    failed: 0,
    overall: null,
  };
  assert.equal(
    vm.pickRun(
      [
        { ...item, runDir: '/r/2' },
        { ...item, runDir: '/r/1' },
      ],
      '/r/1',
    ),
    '/r/1',
  );
  assert.equal(vm.pickRun([{ ...item, runDir: '/r/2' }], '/r/gone'), '/r/2');
  assert.equal(vm.pickRun([], '/r/1'), null);
});

test('the extension accepts only well-formed panel messages', () => {
  assert.deepEqual(parsePanelMessage({ type: 'ready', id: 1 }), { type: 'ready', id: 1 });
  assert.deepEqual(
    parsePanelMessage({ type: 'openPromptDiff', id: 2, runDir: '/r', index: 4, extra: 'dropped' }),
    { type: 'openPromptDiff', id: 2, runDir: '/r', index: 4 },
  );
  assert.deepEqual(parsePanelMessage({ type: 'selectBaseline', id: 3, runDir: null }), {
    type: 'selectBaseline',
    id: 3,
    runDir: null,
  });
  assert.equal(parsePanelMessage({ type: 'selectRun', id: 1 }), undefined);
  assert.equal(parsePanelMessage({ type: 'selectRun', runDir: '/r' }), undefined);
  assert.equal(
    parsePanelMessage({ type: 'openPromptDiff', id: 1, runDir: '/r', index: 1.5 }),
    undefined,
  );
  assert.equal(parsePanelMessage({ type: 'evil', id: 1 }), undefined);
  assert.equal(parsePanelMessage('ready'), undefined);
  assert.deepEqual(parsePanelMessage({ type: 'setState', state: vm.DEFAULT_STATE }), {
    type: 'setState',
    state: vm.DEFAULT_STATE,
  });
  assert.equal(parsePanelMessage({ type: 'setState', state: { selectedRunDir: null } }), undefined);
});
