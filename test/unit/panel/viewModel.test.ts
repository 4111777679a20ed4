import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as ViewModel from '../../../media/viewModel';
import type * as PanelMessages from '../../../extension/panel/panelMessages';
import type { RunRecord } from '../../../server/runs/runTypes';
import type { RunListItem } from '../../../server/protocol/runs';
import type { ScoresReport } from '../../../server/scoring/evaluate';
import { loadSource } from './loadSource';
import { buildRunConfig } from '../../../server/runs/startRun';
import { PAPER_PROMPT_PARTS } from '../../../server/pipeline/templates';
import { SAMPLE_FILE } from '../../support/sample';

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

test('filters by track, task type and status: failed and not scored apart', () => {
  const all = { track: null, taskType: null, status: 'all' as const };
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
    vm.filterRecords(records, { ...all, status: 'failed' }).map((r) => r.index),
    [1],
    'the failed filter lists only questions that failed, not the answered but unscored',
  );
  assert.deepEqual(
    vm.filterRecords(records, { ...all, status: 'not-scored' }).map((r) => r.index),
    [4],
  );
  assert.deepEqual(
    vm
      .filterRecords(records, { track: 'track-1', taskType: 'multiple-choice', status: 'failed' })
      .map((r) => r.index),
    [1],
  );
  // The choices say how many each shows, so "Failed (0)" on a run with 0 failed.
  assert.deepEqual(
    vm.statusChoices(records).map((c) => c.text),
    ['All (5)', 'Failed (1)', 'Not scored (1)'],
  );
  const unscoredOnly = records.filter((r) => r.status === 'ok');
  assert.deepEqual(vm.filterRecords(unscoredOnly, { ...all, status: 'failed' }), []);
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
  assert.equal(vm.formatRunTime('yesterday'), 'yesterday');
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

function reportWithTracks(overall: number | null, tracks: Record<string, number | null>) {
  return { ...report({ a: overall }), overall, tracks };
}

test('the chart across runs has one series per track plus overall, whatever the number of runs', () => {
  const reports = Array.from({ length: 20 }, (_, i) => ({
    runDir: `/r/${i}`,
    label: `run ${i}`,
    report: reportWithTracks(i / 20, {
      'amazon-kdd-cup-24-shopping-knowledge': i / 40,
      // A track only some runs have leaves gaps, never a label per missing run.
      ...(i % 2 === 0 ? { 'amazon-kdd-cup-24-reasoning': 0.5 } : {}),
    }),
  }));
  const numbers = new Map(reports.map((r, i) => [r.runDir, i + 1]));
  const chart = vm.buildTrendChart(reports, numbers, '/r/3');
  assert.deepEqual(
    chart.series.map((s) => s.label),
    ['overall', 'track shopping-knowledge', 'track reasoning'],
  );
  assert.equal(chart.runs.length, 20);
  assert.deepEqual(
    chart.runs.filter((r) => r.selected).map((r) => r.number),
    [4],
  );
  assert.equal(chart.series[2].values[1], null);
  assert.equal(chart.series[2].values[2], 0.5);
  assert.equal(chart.max, 1);
  assert.deepEqual(vm.buildTrendChart([], new Map(), null), { runs: [], series: [], max: 1 });
});

test('the task matrix aligns runs on the union of tasks; a missing score is an empty cell', () => {
  const reports = [
    { runDir: '/r/1', label: 'baseline', report: report({ a: 0.5, b: 0.25 }) },
    { runDir: '/r/2', label: 'cot', report: report({ b: 0.8809085602575658, c: null }) },
  ];
  const m = vm.buildTaskMatrix(
    reports,
    new Map([
      ['/r/1', 1],
      ['/r/2', 2],
    ]),
    null,
  );
  assert.deepEqual(
    m.rows.map((r) => [r.task, ...r.cells]),
    [
      ['a', '0.5000', ''],
      ['b', '0.2500', '0.8809'],
      ['c', '', '—'],
    ],
  );
});

const diff = (
  scope: string,
  n: number,
  delta: number | null,
  low: number | null,
  high: number | null,
) => ({
  scope,
  n,
  baseline: delta === null ? null : 0.5,
  candidate: delta === null ? 0.5 : 0.5 + delta,
  delta,
  low,
  high,
});

test('difference rows show n, signed deltas, the interval and a verdict only from the minimum n', () => {
  const rows = vm.differenceRows(
    [
      diff('overall', 96, 0.1, 0.02, 0.18),
      diff('track amazon-kdd-cup-24-shopping-knowledge', 40, -0.1, -0.2, -0.01),
      diff('task_a', 12, 0, -0.1, 0.1),
      diff('task_b', 30, null, null, null),
      // One paired question: the old panel printed "−0.5502 [−0.5502, −0.5502] worse".
      diff('task_c', 1, -0.5502, -0.5502, -0.5502),
    ],
    10,
  );
  assert.deepEqual(rows[0], {
    scope: 'overall',
    n: '96',
    baseline: '0.5000',
    candidate: '0.6000',
    delta: '+0.1000',
    interval: '[+0.0200, +0.1800]',
    significance: 'better',
    verdict: 'better',
  });
  assert.equal(rows[1].scope, 'track shopping-knowledge');
  assert.deepEqual(
    rows.map((r) => r.significance),
    ['better', 'worse', 'unclear', 'unknown', 'too-few'],
  );
  assert.equal(rows[3].interval, '—');
  assert.equal(rows[4].interval, '—');
  assert.equal(rows[4].verdict, 'n < 10: no verdict');
  assert.equal(rows[4].delta, '−0.5502');
});

test('the pairing summary says how many questions were paired and what that allows', () => {
  assert.equal(vm.pairingSummary(96, 0, 10), '96 paired questions.');
  assert.match(vm.pairingSummary(1, 0, 10), /^1 paired question\. Fewer than 10 paired questions/);
  assert.match(
    vm.pairingSummary(0, 3, 10),
    /^No question answered by both runs; 3 questions left out/,
  );
});

test('W1 + W2: the pairing summary names left-out unscored questions and a different dataset first', () => {
  assert.equal(
    vm.pairingSummary(0, 0, 10, 4),
    'No question scored in both runs; 4 answered by both but not scored in both, left out: nothing to compare.',
  );
  assert.equal(
    vm.pairingSummary(
      92,
      0,
      10,
      4,
      'datasets differ: a.jsonl (96 questions) and b.jsonl (384 questions): 92 of 384 questions paired',
    ),
    'Datasets differ: a.jsonl (96 questions) and b.jsonl (384 questions): 92 of 384 questions paired. 92 paired questions; 4 answered by both but not scored in both, left out.',
  );
  const [row] = vm.sidebarRows(
    [
      {
        runDir: '/r/2',
        runId: 'x',
        label: 'new',
        createdAt: '2026-11-30T01:00:00.000Z',
        dataFile: '/d.jsonl',
        questions: 96,
        failed: 0,
        tasks: 18,
        cached: 0,
        tracks: {},
        overall: 0.5,
        baseline: { delta: null, paired: 0, notScored: 4 },
      },
    ],
    '/r/1',
    10,
  );
  assert.equal(row.delta, 'no comparable questions (4 answered by both but not scored in both)');
});

test('sidebar rows: overall, tracks, tasks and the delta from the baseline with its n', () => {
  const base = {
    runId: 'x',
    createdAt: '2026-11-30T01:00:00.000Z',
    dataFile: '/d.jsonl',
    questions: 96,
    failed: 1,
    tasks: 18,
    cached: 0,
    tracks: { 'amazon-kdd-cup-24-shopping-knowledge': 0.61234 },
  };
  const rows = vm.sidebarRows(
    [
      {
        ...base,
        runDir: '/r/3',
        label: 'new',
        overall: 0.8809085602575658,
        cached: 96,
        baseline: { delta: 0.0123, paired: 96 },
      },
      {
        ...base,
        runDir: '/r/2',
        label: 'one row',
        overall: 0.1,
        baseline: { delta: -0.5502, paired: 1 },
      },
      { ...base, runDir: '/r/1', label: 'base', overall: 0.5 },
    ],
    '/r/1',
    10,
  );
  assert.deepEqual(
    rows.map((r) => [r.number, r.label, r.overall, r.delta, r.isBaseline]),
    [
      [3, 'new', '0.8809', 'Δ +0.0123 · n 96', false],
      [2, 'one row', '0.1000', 'Δ −0.5502 · n 1', false],
      [1, 'base', '0.5000', '', true],
    ],
  );
  assert.equal(rows[0].meta, '96 questions · 1 of 96 failed · 18 tasks · 96 cached');
  // A run that stopped early says so in the side bar, as `mcpo report` does.
  const one = { ...base, runDir: '/r/9', label: 'one', overall: 0.5 };
  const [partial] = vm.sidebarRows([{ ...one, questions: 49, expected: 96 }], null, 10);
  assert.match(partial.meta, /^49 of 96 questions \(incomplete\) · /);
  const [complete] = vm.sidebarRows([{ ...one, expected: 96 }], null, 10);
  assert.match(complete.meta, /^96 questions · /);
  assert.deepEqual(rows[0].tracks, [{ track: 'shopping-knowledge', score: '0.6123' }]);
  assert.match(rows[1].deltaTitle, /fewer than 10: no verdict/);
  assert.equal(rows[0].significance, 'up');
});

test('truth and cached marks read as text', () => {
  assert.equal(vm.formatTruth([3, 1, 2]), '3, 1, 2');
  assert.equal(vm.formatTruth('a phrase'), 'a phrase');
  assert.equal(vm.formatTruth(undefined), '—');
  const r = record(0, {
    answer: { model: 'm@h', prompt: 'p', text: '1', cached: true, attempts: 0, latencyMs: 1 },
  });
  assert.equal(vm.cachedText(r), 'cached answer');
  assert.equal(vm.cachedText(record(1)), '');
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
      filters: { taskType: 'bogus', status: 'yes' },
      scrollTop: -5,
    }),
    vm.DEFAULT_STATE,
  );
  const kept = {
    selectedRunDir: '/r/1',
    baselineDir: '/r/0',
    filters: { track: 't', taskType: 'ranking', status: 'not-scored' },
    selectedIndex: 3,
    scrollTop: 120,
  };
  assert.deepEqual(vm.sanitizeState(kept), kept);
  // An older panel's "failures only" box meant the failed questions.
  assert.equal(
    vm.sanitizeState({ ...kept, filters: { track: null, taskType: null, failuresOnly: true } })
      .filters.status,
    'failed',
  );
  const item = {
    runId: 'x',
    label: 'x',
    createdAt: '',
    dataFile: '',
    questions: 1,
    failed: 0,
    overall: null,
    tracks: {},
    tasks: 0,
    cached: 0,
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

test('a run label as a header: the engine’s configuration label summarised, short labels kept', async () => {
  // The labels the engine really gives runs (a paper-preset run's is over 100 characters).
  const labelOf = async (options: Partial<Parameters<typeof buildRunConfig>[0]>) =>
    (
      await buildRunConfig({
        data: SAMPLE_FILE,
        llm: { url: 'http://gpu:8000/v1', model: 'm' },
        ...options,
      })
    ).label;
  const paper = await labelOf({ preset: 'paper' });
  assert.ok(paper.length > 100, paper);
  assert.equal(vm.shortRunLabel(paper), 'paper · P1+2 · CoT self · top-3');
  assert.equal(
    vm.shortRunLabel(await labelOf({ templates: 'paper', cot: 'slm', similarityK: 5 })),
    'paper prompts · CoT M_S · top-5',
  );
  assert.equal(vm.shortRunLabel(await labelOf({ templates: 'none' })), 'raw prompt');
  assert.equal(
    vm.shortRunLabel(
      await labelOf({ preset: 'paper', promptParts: { ...PAPER_PROMPT_PARTS, ranking: [1] } }),
    ),
    'paper · mixed parts · CoT self · top-3',
  );
  // Names a person or an ablation arm gave: kept when short, cut with an ellipsis when not.
  assert.equal(vm.shortRunLabel('baseline (raw prompt)'), 'baseline (raw prompt)');
  assert.equal(vm.shortRunLabel('+Prompt1+2'), '+Prompt1+2');
  const long = vm.shortRunLabel('my experiment with the long instruction set and a new seed');
  assert.equal(long.length, vm.SHORT_LABEL_MAX);
  assert.match(long, /^my experiment with the long.*…$/);
  // A label that only looks like key=value is not summarised as a configuration.
  assert.equal(vm.shortRunLabel('lr=2e-4 epochs=3'), 'lr=2e-4 epochs=3');
});

test('run rows carry the full label for hover and the short one for the header', () => {
  const label = 'preset=paper templates=paper cot=self k=3';
  const [row] = vm.sidebarRows(
    [
      {
        runDir: '/r/1',
        runId: 'r1',
        label,
        createdAt: '2026-11-30T01:00:00.000Z',
        dataFile: '/d.jsonl',
        questions: 1,
        failed: 0,
        tasks: 1,
        cached: 0,
        tracks: {},
        overall: 1,
      },
    ],
    null,
    10,
  );
  assert.equal(row.label, label);
  assert.equal(row.shortLabel, 'paper · CoT self · top-3');
});

test('run times read in local time, the same in every view', () => {
  const saved = process.env.TZ;
  try {
    // Node re-reads TZ when it changes: UTC+5:30 turns 15:38 UTC into 21:08 on the user's clock.
    process.env.TZ = 'Asia/Kolkata';
    assert.equal(vm.formatRunTime('2026-11-27T15:38:39.000Z'), '2026-11-27 21:08');
    process.env.TZ = 'America/New_York';
    assert.equal(vm.formatRunTime('2026-11-27T03:08:00.000Z'), '2026-11-26 22:08');
    const [row] = vm.runRows([
      {
        runDir: '/r/1',
        runId: 'x',
        label: 'l',
        createdAt: '2026-11-27T03:08:00.000Z',
        dataFile: '/d',
        questions: 1,
        failed: 0,
        overall: null,
        tracks: {},
        tasks: 1,
        cached: 0,
      },
    ]);
    assert.equal(row.date, '2026-11-26 22:08 · x');
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
});

test('side-bar cards say which tasks the means leave out, and why, and list per-task scores', () => {
  const [row] = vm.sidebarRows(
    [
      {
        runDir: '/r/1',
        runId: 'x',
        label: 'paper',
        createdAt: '2026-11-30T01:00:00.000Z',
        dataFile: '/d.jsonl',
        questions: 96,
        failed: 0,
        overall: 0.1438,
        tracks: {},
        tasks: 3,
        cached: 0,
        taskScores: [
          { task_name: 'task1', metric: 'sent-transformer', score: null },
          { task_name: 'task2', metric: 'accuracy', score: 0.25 },
          { task_name: 'task3', metric: 'micro f1', score: 0.123456 },
        ],
        unscored: [{ task_name: 'task1', reason: 'the scoring model could not be loaded offline' }],
      },
    ],
    null,
    10,
  );
  assert.equal(row.coverage, 'overall and track means cover 2 of 3 tasks (1 not scored)');
  assert.equal(row.incomplete, '');
  assert.equal(
    row.coverageTitle,
    'task1 not scored: the scoring model could not be loaded offline',
  );
  assert.deepEqual(
    row.tasks.map((t) => [t.task, t.score]),
    [
      ['task1', 'not scored'],
      ['task2', '0.2500'],
      ['task3', '0.1235'],
    ],
  );
  assert.match(row.tasks[0].title, /not scored: the scoring model could not be loaded offline/);
  const [whole] = vm.sidebarRows([{ ...one(), unscored: undefined }], null, 10);
  assert.equal(whole.coverage, '');
});

function one(over: Partial<RunListItem> = {}): RunListItem {
  return {
    runDir: '/r/1',
    runId: 'x',
    label: 'l',
    createdAt: '2026-11-30T01:00:00.000Z',
    dataFile: '/d.jsonl',
    questions: 4,
    expected: 4,
    failed: 0,
    overall: 0.5,
    tracks: {},
    tasks: 2,
    cached: 0,
    ...over,
  };
}

test('a run over a selection is not incomplete; a stopped or live run is told apart', () => {
  const meta = (over: Partial<RunListItem>, progress: ViewModel.RunProgress = new Map()) =>
    vm.sidebarRows([one(over)], null, 10, progress)[0].meta.split(' · ')[0];
  assert.equal(meta({ selection: true }), '4 selected questions');
  assert.equal(meta({ selection: true, questions: 1, expected: 1 }), '1 selected question');
  assert.equal(meta({ selection: true, questions: 2 }), '2 of 4 selected questions (incomplete)');
  assert.equal(meta({ questions: 49, expected: 96 }), '49 of 96 questions (incomplete)');
  // Running: the count is progress, not a verdict, and comes from the notifications (the
  // listing is from the run's start).
  const live = new Map([['/r/1', { done: 16, total: 96 }]]);
  assert.equal(meta({ questions: 0, expected: 96 }, live), '16 of 96 questions so far');
  const started: ViewModel.RunProgress = new Map([['/r/1', { done: 0, total: null }]]);
  assert.equal(meta({ questions: 0, expected: 96 }, started), '0 of 96 questions so far');
  const finished = new Map([['/r/1', { done: 96, total: 96 }]]);
  assert.equal(meta({ questions: 96, expected: 96 }, finished), '96 questions');
});

test('a live run: started before its first question, then done of total, gone once it ends', () => {
  const progress = new Map<string, { done: number; total: number | null }>();
  vm.liveProgress(progress, { runDir: '/r/1', state: 'started' });
  assert.equal(vm.progressText(progress.get('/r/1')), 'running…');
  vm.liveProgress(progress, { runDir: '/r/1', done: 16, total: 96 });
  assert.equal(vm.progressText(progress.get('/r/1')), 'running 16/96');
  // A late 'started' (a resumed run) does not forget the progress already known.
  vm.liveProgress(progress, { runDir: '/r/1', state: 'started' });
  assert.equal(vm.progressText(progress.get('/r/1')), 'running 16/96');
  vm.liveProgress(progress, { runDir: '/r/1', state: 'finished' });
  assert.equal(progress.has('/r/1'), false);
  assert.equal(vm.progressText(undefined), '');
  assert.equal(vm.progressText({ done: 96, total: 96 }), '');
});

test("the report names runs still going: in its list as 'so far', and in a banner (C5)", () => {
  const runs = [one({ runDir: '/r/2', questions: 0, expected: 96 }), one({ label: 'older' })];
  // Started: no question finished yet, so the listing's size is the total.
  const started: ViewModel.RunProgress = new Map([['/r/2', { done: 0, total: null }]]);
  assert.equal(vm.runRows(runs, started)[0].questions, '0 of 96 questions so far');
  assert.deepEqual(vm.runsInProgress(runs, started), [
    { runDir: '/r/2', name: '#2 l', text: 'Run in progress: 0 of 96 questions done' },
  ]);
  const live: ViewModel.RunProgress = new Map([['/r/2', { done: 16, total: 96 }]]);
  assert.equal(vm.runRows(runs, live)[0].questions, '16 of 96 questions so far');
  assert.equal(vm.runsInProgress(runs, live)[0].text, 'Run in progress: 16 of 96 questions done');
  // Without progress (the page did not see it start) the list keeps the listing's verdict.
  assert.equal(vm.runRows(runs)[0].questions, '0 of 96 questions (incomplete)');
  assert.deepEqual(vm.runsInProgress(runs, new Map()), []);
  // Ended: no banner, the count is the run's own.
  const ended: ViewModel.RunProgress = new Map([['/r/2', { done: 96, total: 96 }]]);
  assert.deepEqual(vm.runsInProgress(runs, ended), []);
});

test('failures are counted against the questions that ran', () => {
  const [row] = vm.sidebarRows([one({ questions: 96, expected: 96, failed: 64 })], null, 10);
  assert.match(row.meta, /^96 questions · 64 of 96 failed · /);
});

test('the task matrix lists task1, task2, …, task10 as people count, not by first appearance', () => {
  const reports = [
    { runDir: '/r/1', label: 'a', report: report({ task2: 0.5, task10: 0.1, task3: 0.2 }) },
    { runDir: '/r/2', label: 'b', report: report({ task1: 0.3, task2: 0.4 }) },
  ];
  const m = vm.buildTaskMatrix(reports, new Map(), null);
  assert.deepEqual(
    m.rows.map((r) => r.task),
    ['task1', 'task2', 'task3', 'task10'],
  );
  // The run's own per-task table and the side bar's task list read in the same order.
  assert.deepEqual(
    vm.taskRows(report({ task10: 0.1, task2: 0.5, task1: 0.2 })).map((r) => r.task),
    ['task1', 'task2', 'task10'],
  );
});

test('side-bar cards count the run’s tasks, not only the answered ones, and mark a failed run incomplete', () => {
  const failedRun: RunListItem = {
    runDir: '/r/2',
    runId: '2026-11-30T13-36-14-1b16',
    label: 'templates=paper',
    createdAt: '2026-11-30T13:36:14.000Z',
    dataFile: '/d.jsonl',
    questions: 96,
    expected: 96,
    failed: 64,
    overall: 0.1,
    tracks: {},
    tasks: 6,
    runTasks: 18,
    cached: 0,
    unscored: [{ task_name: 'task1', reason: 'no model' }],
    taskScores: [
      { task_name: 'task10', metric: 'accuracy', score: 0.5 },
      { task_name: 'task2', metric: 'accuracy', score: 0.25 },
    ],
  };
  const [row] = vm.sidebarRows([failedRun], null, 10);
  assert.deepEqual(
    row.tasks.map((t) => t.task),
    ['task2', 'task10'],
  );
  // The new-user try read "cover 5 of 6 tasks" on an 18-task run.
  assert.equal(
    row.coverage,
    'overall and track means cover 5 of 18 tasks (12 have no answers; 1 not scored)',
  );
  assert.equal(row.incomplete, 'Incomplete: 64 of 96 questions failed and are not in these scores');
  const [cancelled] = vm.sidebarRows([{ ...failedRun, questions: 28, failed: 0 }], null, 10);
  assert.equal(
    cancelled.incomplete,
    'Incomplete: 68 of 96 questions never ran and are not in these scores',
  );
  // While it runs, a run is not incomplete: its count says "so far".
  const [live] = vm.sidebarRows(
    [{ ...failedRun, questions: 28, failed: 0 }],
    null,
    10,
    new Map([['/r/2', { done: 28, total: 96 }]]),
  );
  assert.equal(live.incomplete, '');
  // Nor does it claim its tasks have no answers: the listing is from the run's start (W2 of s23).
  assert.equal(live.coverage, '');
});

test('two runs of one name are told apart where they are picked: count, time and id', () => {
  const saved = process.env.TZ;
  process.env.TZ = 'UTC';
  try {
    const base = {
      runDir: '/r/a',
      runId: '2026-11-30T13-39-02-1b16',
      label: 'templates=paper parts=mcq=1,2 retrieval=1,2 ranking=1,2 generation=1,2 ner=-',
      createdAt: '2026-11-30T13:39:02.000Z',
      dataFile: '/d.jsonl',
      questions: 8,
      expected: 8,
      failed: 0,
      overall: 0.5,
      tracks: {},
      tasks: 3,
      cached: 0,
      selection: true,
    };
    const other = {
      ...base,
      runDir: '/r/b',
      runId: '2026-11-30T13-39-40-77aa',
      questions: 96,
      expected: 96,
      selection: false,
    };
    const rows = vm.runRows([base, other]);
    assert.equal(
      rows[0].name,
      'paper prompts · P1+2 · 8 selected questions · 2026-11-30 13:39 · 1b16',
    );
    assert.equal(rows[1].name, 'paper prompts · P1+2 · 96 questions · 2026-11-30 13:39 · 77aa');
    assert.notEqual(rows[0].date, rows[1].date);
    // The side bar's Δ line and the report's baseline list use this one name.
    assert.equal(vm.runName(base), rows[0].name);
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
});
