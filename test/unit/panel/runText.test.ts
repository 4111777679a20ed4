/**
 * A run's name, counts and coverage as the pickers, toasts and `mcpo` tables write them
 * (extension/format.ts, server/runs/runReportText.ts over server/protocol/runLabels.ts): the same
 * words the side bar and the report use.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as Format from '../../../extension/format';
import type { RunListItem, ScoresReport } from '../../../server/protocol/runs';
import { buildRunConfig } from '../../../server/runs/startRun';
import { formatRunsTable } from '../../../server/runs/runReportText';
import { SAMPLE_FILE } from '../../support/sample';
import { loadSource } from './loadSource';

const format = loadSource<typeof Format>('extension/format.ts');

function scores(unscored: string[] = []): ScoresReport {
  const names = ['task1', 'task2', 'task3', 'task4', 'task5'];
  return {
    tasks: names.map((task_name) => ({
      task_name,
      task_type: 'generation',
      metric: 'sent-transformer',
      num_samples: 4,
      score: unscored.includes(task_name) ? null : 0.5,
    })),
    tracks: {},
    overall: 0.5,
    ...(unscored.length > 0 && {
      unscored: unscored.map((task_name) => ({
        task_name,
        reason: 'the scoring model could not be loaded offline',
      })),
    }),
  };
}

test('the completion toast says what the overall leaves out', () => {
  assert.equal(format.coverageNote(scores()), '');
  assert.equal(
    format.coverageNote(scores(['task1'])),
    '; overall and track means cover 4 of 5 tasks (task1 not scored, the report says why)',
  );
  assert.equal(
    format.coverageNote(scores(['task1', 'task2', 'task3', 'task4'])),
    '; overall and track means cover 1 of 5 tasks (task1, task2, task3 and 1 more not scored, the report says why)',
  );
  // The run's tasks, not only those that got an answer: "5 of 6" on an 18-task run read as
  // nearly complete (C1).
  assert.equal(
    format.coverageNote(scores(['task1']), 18),
    '; overall and track means cover 4 of 18 tasks (13 have no answers; task1 not scored, the report says why)',
  );
  assert.equal(
    format.coverageNote(scores(), 6),
    '; overall and track means cover 5 of 6 tasks (1 has no answers)',
  );
});

function run(over: Partial<RunListItem> = {}): RunListItem {
  return {
    runDir: '/w/.mcpo/runs/2026-11-30T08-40-35-494a',
    runId: '2026-11-30T08-40-35-494a',
    label:
      'preset=paper templates=paper parts=mcq=1,2 retrieval=1,2 ranking=1,2 generation=1,2 ner=- cot=self k=3',
    createdAt: '2026-11-30T08:40:35.494Z',
    dataFile: '/w/shopbench-dev.jsonl',
    questions: 96,
    expected: 96,
    failed: 0,
    overall: 0.1,
    tracks: {},
    tasks: 18,
    cached: 0,
    ...over,
  };
}

test('the export picker names a run as the side bar does and shows its failures', () => {
  const saved = process.env.TZ;
  process.env.TZ = 'Europe/Berlin';
  try {
    const item = format.runPickItem(run({ failed: 64 }));
    assert.equal(item.label, '$(warning) paper · P1+2 · CoT self · top-3');
    // Local time, as the side bar and the report show it (08:40 UTC is 09:40 in Berlin).
    assert.equal(item.description, '2026-11-30 09:40 · 494a');
    assert.match(item.detail, /^overall 0\.1000 · 96 questions · 64 of 96 failed · preset=paper /);
    const clean = format.runPickItem(run({ label: 'baseline' }));
    assert.equal(clean.label, 'baseline');
    assert.equal(clean.detail, 'overall 0.1000 · 96 questions · 0 failed');
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
});

test('exporting a run with failed or missing questions is a problem to confirm; a selection is not', () => {
  assert.equal(format.runProblem(run()), undefined);
  assert.equal(format.runProblem(run({ failed: 64 })), '64 of 96 questions failed');
  assert.equal(
    format.runProblem(run({ questions: 49 })),
    'only 49 of 96 questions (incomplete) ran',
  );
  assert.equal(
    format.runProblem(run({ questions: 4, expected: 4, selection: true })),
    undefined,
    'a run over a selection covers what the user asked for',
  );
});

test('mcpo tables head each run with its short label; the full one is in the legend', async () => {
  const config = await buildRunConfig({
    data: SAMPLE_FILE,
    llm: { url: 'http://gpu:8000/v1', model: 'm' },
    preset: 'paper',
  });
  assert.ok(config.label.length > 100, config.label);
  const summary = (label: string, dir: string) => ({
    label,
    dir,
    questions: 96,
    expected: 96,
    failed: 0,
    cached: 0,
    report: scores(),
  });
  const text = formatRunsTable([
    summary('baseline', '/w/runs/a'),
    summary(config.label, '/w/runs/b'),
  ]);
  const lines = text.split('\n');
  assert.match(lines[0], /\[1\] baseline\s+\[2\] paper · P1\+2 · CoT self · top-3$/);
  const widest = Math.max(...lines.filter((l) => !/^(\[| {4})/.test(l)).map((l) => l.length));
  assert.ok(widest <= 80, `the table is ${widest} columns wide:\n${text}`);
  // The legend names each run as its column does (C2), the configuration under it.
  assert.ok(lines.includes('[2] paper · P1+2 · CoT self · top-3: /w/runs/b'), text);
  assert.ok(lines.includes(`    ${config.label}`), text);
  assert.ok(lines.includes('[1] baseline: /w/runs/a'), text);
  // Notes name the run by its legend number, and say what the means cover.
  const unscored = formatRunsTable([
    { ...summary(config.label, '/w/runs/b'), report: scores(['task1']) },
  ]);
  assert.match(
    unscored,
    /^\[1\] NOT SCORED task1: the scoring model could not be loaded offline$/m,
  );
  assert.match(unscored, /^\[1\] overall and track means cover 4 of 5 tasks \(1 not scored\)$/m);
  // The run's tasks when known: a failed run's table says 5 of 18, and marks it INCOMPLETE.
  const failed = formatRunsTable([
    {
      ...summary('plain', '/w/runs/c'),
      failed: 64,
      tasks: 18,
      report: { ...scores(['task1']), tasks: scores().tasks.slice(0, 5) },
    },
  ]);
  assert.match(
    failed,
    /^\[1\] overall and track means cover 4 of 18 tasks \(13 have no answers; 1 not scored\)$/m,
  );
  assert.match(
    failed,
    /^\[1\] INCOMPLETE: 64 of 96 questions failed and are not in these scores; /m,
  );
});

test('a reason several runs share is said once, naming the runs; one task is "1 task"', () => {
  const summary = (dir: string) => ({
    label: 'plain',
    dir,
    questions: 96,
    expected: 96,
    failed: 0,
    cached: 0,
    report: scores(['task1']),
  });
  const text = formatRunsTable([summary('/w/a'), summary('/w/b'), summary('/w/c')]);
  const notScored = text.split('\n').filter((l) => /^\[.*NOT SCORED/.test(l));
  assert.deepEqual(notScored, [
    '[1] [2] [3] NOT SCORED task1: the scoring model could not be loaded offline',
  ]);
  const one = formatRunsTable([
    {
      ...summary('/w/d'),
      report: { ...scores(['task1']), tasks: scores().tasks.slice(0, 1), overall: null },
    },
  ]);
  assert.match(one, /cover 0 of 1 task \(1 not scored\)$/m);
});
