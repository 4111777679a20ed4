import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compareRunRecords, sameDataset } from '../../../server/runs/report';
import { RunStore } from '../../../server/runs/runStore';
import type { RunConfig, RunRecord } from '../../../server/runs/runTypes';
import { buildRunConfig } from '../../../server/runs/startRun';
import { datasetsDiffer, nothingComparable } from '../../../server/protocol/runLabels';
import { runCli } from '../../support/cli';
import { SAMPLE_FILE } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';

const TRACK = 'understanding-shopping-concepts';

function rec(index: number, task: string, score: number | null): RunRecord {
  return {
    index,
    task_name: task,
    task_type: 'retrieval',
    metric: 'hit rate@3',
    track: TRACK,
    status: 'ok',
    truth: [index],
    stages: {},
    score,
    ...(score === null && { error: { message: 'Could not load embedding model' } }),
    warnings: [],
    timings: { totalMs: 1 },
  } as RunRecord;
}

/** 4 task1 rows (not scored without a scoring model) and 12 task2 rows, scored. */
function run(task1: (i: number) => number | null, task2: (i: number) => number): RunRecord[] {
  return [
    ...[0, 1, 2, 3].map((i) => rec(i, 'task1', task1(i))),
    ...Array.from({ length: 12 }, (_, k) => rec(4 + k, 'task2', task2(k))),
  ];
}

test('W2: a question one run could not score is not paired: n counts only what enters the difference', () => {
  const base = run(
    () => null,
    (k) => (k % 2 === 0 ? 1 : 0),
  );
  const cand = run(
    () => 1,
    () => 1,
  );
  const c = compareRunRecords(base, cand, 50);
  assert.equal(
    c.paired,
    12,
    'the 4 task1 rows are answered by both but not scored in the baseline',
  );
  assert.equal(c.notScored, 4);
  const at = (scope: string) => c.differences.find((d) => d.scope === scope)!;
  assert.equal(at('overall').n, 12);
  assert.equal(at(`track ${TRACK}`).n, 12);
  // The overall compares the same tasks on both sides: task2 only (0.5 → 1).
  assert.equal(at('overall').delta, 0.5);
  assert.equal(at('task1').n, 0);
  assert.equal(at('task1').delta, null);
  assert.equal(at('task1').candidate, 1, "the scored side's task score stays visible");
  assert.equal(at('task2').n, 12);
});

test('W2: two runs whose only common questions are not scored have nothing comparable, and say so', () => {
  const base = [0, 1, 2, 3].map((i) => rec(i, 'task1', null));
  const cand = [0, 1, 2, 3].map((i) => rec(i, 'task1', 1));
  const c = compareRunRecords(base, cand, 50);
  assert.equal(c.paired, 0);
  assert.equal(c.notScored, 4);
  assert.equal(
    nothingComparable(c.notScored),
    'no comparable questions (4 answered by both but not scored in both)',
  );
  assert.equal(nothingComparable(0), 'no paired questions');
});

test('W1: datasets are the same bytes, or for VS Code snapshots the same file', () => {
  const d = (file: string, sha256: string, input?: string) =>
    ({ file, sha256, rowCount: 1, ...(input && { input }) }) as RunConfig['data'];
  assert.equal(sameDataset(d('/a.jsonl', 'x'), d('/b.jsonl', 'x')), true);
  assert.equal(sameDataset(d('/a.jsonl', 'x'), d('/a.jsonl', 'y')), false);
  assert.equal(sameDataset(d('/a.jsonl', 'x', '/s1'), d('/a.jsonl', 'y', '/s2')), true);
  assert.equal(sameDataset(d('/a.jsonl', 'x', '/s1'), d('/b.jsonl', 'y')), false);
  assert.equal(
    datasetsDiffer(
      { file: '/d/dev.jsonl', questions: 96 },
      { file: '/d/x4.jsonl', questions: 384 },
      92,
    ),
    'datasets differ: dev.jsonl (96 questions) and x4.jsonl (384 questions): 92 of 384 questions paired',
  );
});

async function runDir(
  dir: string,
  data: string,
  label: string,
  records: RunRecord[],
): Promise<string> {
  const config = await buildRunConfig({
    data,
    llm: { url: 'http://127.0.0.1:9/v1', model: 'm' },
    label,
  });
  const store = RunStore.create(dir, config);
  for (const r of records) store.append(r);
  store.close();
  return dir;
}

test('W1 + W2: mcpo report says the datasets differ and counts only the scored pairs', async () => {
  const tmp = tempDir('mcpo-compare-');
  const other = path.join(tmp, 'x4.jsonl');
  const sample = fs.readFileSync(SAMPLE_FILE, 'utf8');
  fs.writeFileSync(other, sample + sample);
  const a = await runDir(
    path.join(tmp, 'a'),
    SAMPLE_FILE,
    'base',
    run(
      () => null,
      () => 0,
    ),
  );
  const b = await runDir(path.join(tmp, 'b'), other, 'cand', [
    ...run(
      () => 1,
      () => 1,
    ),
    rec(100, 'task2', 1),
  ]);
  const same = await runDir(
    path.join(tmp, 'c'),
    SAMPLE_FILE,
    'same',
    run(
      () => 1,
      () => 1,
    ),
  );
  const cli = await runCli(['report', a, b, same, '--resamples', '20']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(
    cli.stdout,
    /^datasets differ: shopbench-dev\.jsonl \(16 questions\) and x4\.jsonl \(17 questions\): 12 of 17 questions paired$/m,
  );
  assert.match(
    cli.stdout,
    /over 12 paired questions \(4 answered by both but not scored in both, left out\)/,
  );
  assert.equal(
    (cli.stdout.match(/datasets differ/g) ?? []).length,
    1,
    'only the run on another file is flagged',
  );
  assert.match(cli.stdout, /^overall\s+12\s/m);
  assert.match(cli.stdout, /^task1\s+0\s.*not scored in both$/m);
});
