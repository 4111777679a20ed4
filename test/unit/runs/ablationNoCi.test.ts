import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPaperTable, taskTypeDelta } from '../../../server/runs/ablation';
import type { RunRecord } from '../../../server/runs/runTypes';

const rec = (index: number, score: number): RunRecord =>
  ({
    index,
    task_name: 'task11',
    task_type: 'ranking',
    metric: 'ndcg',
    status: 'ok',
    truth: [index],
    stages: {},
    score,
    warnings: [],
    timings: { totalMs: 1 },
  }) as RunRecord;

test('C7: a Table 5 delta over fewer than 10 questions says why it has no interval, as mcpo report does', () => {
  const base = [0, 1, 2, 3].map((i) => rec(i, 0.5));
  const cand = [0, 1, 2, 3].map((i) => rec(i, 0.5));
  const d = taskTypeDelta(base, cand, 'ranking', 50);
  assert.deepEqual(d, { delta: 0, low: null, high: null, n: 4 });
  const text = formatPaperTable({
    title: 'Table 5 — prompt engineering per task type',
    columns: ['ranking'],
    rows: [
      { arm: 'baseline', values: [0.5], paper: [0.888], deltas: [null] },
      { arm: '+Prompt1', values: [0.5], paper: [0.901], deltas: [d] },
    ],
  });
  assert.match(text, /^\+Prompt1 +0\.5000 +0\.901 +\+0\.0000 \(n < 10: no CI\)$/m);
  // From 10 questions on, the interval is there and no note.
  const many = Array.from({ length: 10 }, (_, i) => rec(i, 0.5));
  const d10 = taskTypeDelta(many, many, 'ranking', 50)!;
  assert.equal(d10.n, 10);
  assert.doesNotMatch(
    formatPaperTable({
      title: 't',
      columns: ['ranking'],
      rows: [{ arm: 'x', values: [0.5], paper: [null], deltas: [d10] }],
    }),
    /no CI/,
  );
});
