/**
 * The tasks a run covers, answered or not (C1 of the s21 new-user try): a run that lost 64 of 96
 * questions, or was cancelled after 28, still covers the sample's 18 tasks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTaskCount } from '../../../server/runs/runTasks';
import { summarizeRun } from '../../../server/runs/report';
import { RunStore } from '../../../server/runs/runStore';
import { buildRunConfig } from '../../../server/runs/startRun';
import type { RunRecord } from '../../../server/runs/runTypes';
import { sampleRows, SAMPLE_FILE } from '../../support/sample';

function recordOf(index: number, status: 'ok' | 'failed'): RunRecord {
  const row = sampleRows()[index];
  return {
    index,
    task_name: row.task_name,
    task_type: row.task_type,
    metric: row.metric,
    status,
    stages: {},
    // A value of the metric's shape: micro F1 sums [tp, fp, fn].
    score: status === 'ok' ? (row.metric === 'micro f1' ? [1, 0, 0] : 1) : null,
    warnings: [],
    timings: { totalMs: 1 },
  };
}

test('an older run counts the tasks of its rows: failed ones from their records, unasked ones from its dataset', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-run-tasks-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const data = path.join(dir, 'dev.jsonl');
  fs.copyFileSync(SAMPLE_FILE, data);
  const built = await buildRunConfig({ data, llm: { url: 'http://gpu:8000/v1', model: 'm' } });
  // A run made before config.json counted its tasks (see the next test for one that does).
  const config = { ...built, data: { ...built.data, taskCount: undefined } };
  const records = new Map<number, RunRecord>();
  // Cancelled after the first 10 questions (3 tasks): the other 15 tasks are in the dataset.
  for (let i = 0; i < 10; i++) records.set(i, recordOf(i, 'ok'));
  assert.equal(runTaskCount(config, records), 18);
  // Failed from question 30 on: every question has a record, no file needed.
  for (let i = 10; i < 96; i++) records.set(i, recordOf(i, i < 30 ? 'ok' : 'failed'));
  fs.rmSync(data);
  assert.equal(runTaskCount(config, records), 18);
  // A stopped run whose dataset is gone: not known, rather than a wrong count.
  records.delete(95);
  assert.equal(runTaskCount(config, records), undefined);
  // With --limit 8, the run covers 2 tasks.
  assert.equal(runTaskCount({ data: { ...config.data, limit: 8 } }, new Map()), undefined);
  fs.copyFileSync(SAMPLE_FILE, data);
  assert.equal(runTaskCount({ data: { ...config.data, limit: 8 } }, new Map()), 2);
  // A file edited since (another row count) is not read as the run's.
  fs.appendFileSync(data, fs.readFileSync(SAMPLE_FILE, 'utf8'));
  assert.equal(runTaskCount(config, records), undefined);

  // The names are kept per file while it is unchanged; a rewrite (same size, same rows) is read again.
  const limited = { data: { ...config.data, limit: 8 } };
  fs.copyFileSync(SAMPLE_FILE, data);
  assert.equal(runTaskCount(limited, new Map()), 2);
  fs.writeFileSync(data, fs.readFileSync(SAMPLE_FILE, 'utf8').replace(/"task2"/g, '"task1"'));
  const later = new Date(Date.now() + 60_000);
  fs.utimesSync(data, later, later);
  assert.equal(runTaskCount(limited, new Map([[0, recordOf(0, 'ok')]])), 1, 'task2 is task1 now');
  assert.equal(
    runTaskCount({ data: { ...config.data, limit: 12 } }, new Map([[0, recordOf(0, 'ok')]])),
    2,
    'task1 and task3',
  );

  // The summary the tables print carries it.
  const store = RunStore.create(path.join(dir, 'run'), config);
  for (let i = 0; i < 30; i++) store.append(recordOf(i, 'ok'));
  store.close();
  fs.copyFileSync(SAMPLE_FILE, data);
  const summary = summarizeRun(RunStore.open(store.dir));
  assert.equal(summary.tasks, 18);
  assert.equal(summary.report.tasks.length, 6);
});

test('a run counts its tasks when it is made: a listing of a stopped run never reads its dataset', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-run-tasks-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const data = path.join(dir, 'dev.jsonl');
  fs.copyFileSync(SAMPLE_FILE, data);
  const llm = { url: 'http://gpu:8000/v1', model: 'm' };
  const config = await buildRunConfig({ data, llm });
  assert.equal(config.data.taskCount, 18);
  assert.equal((await buildRunConfig({ data, llm, limit: 8 })).data.taskCount, 2);
  // Cancelled after 10 questions, its dataset since gone (or grown to 100,000 rows): still 18.
  const records = new Map<number, RunRecord>();
  for (let i = 0; i < 10; i++) records.set(i, recordOf(i, 'ok'));
  fs.rmSync(data);
  assert.equal(runTaskCount(config, records), 18);
  // It is in config.json, so a run opened from its folder has it too.
  const store = RunStore.create(path.join(dir, 'run'), config);
  for (const r of records.values()) store.append(r);
  store.close();
  assert.equal(summarizeRun(RunStore.open(store.dir)).tasks, 18);

  // Rows left out (invalid, or not selected in VS Code: written as null) are not counted.
  const rows = fs.readFileSync(SAMPLE_FILE, 'utf8').trim().split('\n');
  const task1 = rows.filter((r) => r.includes('"task1"'));
  fs.writeFileSync(data, `${[...task1, 'null', '{"broken": '].join('\n')}\n`);
  assert.equal((await buildRunConfig({ data, llm })).data.taskCount, 1);
});
