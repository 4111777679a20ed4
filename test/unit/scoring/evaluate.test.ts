import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Metric, ShopBenchRow, TaskType } from '../../../server/dataset/shopbench';
import {
  aggregate,
  scoreSamples,
  ScoringError,
  type EmbeddingSource,
  type SampleScore,
} from '../../../server/scoring/evaluate';
import { loadJapaneseTokenizer } from '../../../server/scoring/official/japaneseTokenizer';
import {
  closeRelative,
  expectedNumber,
  vectorsNamed,
  type ParityVector,
} from '../../support/parityVectors';

/** The embeddings a vector fixes for each text, served like a model would. */
function fixedEmbeddings(map: Record<string, number[]>): EmbeddingSource {
  return {
    embed: async (_metric, texts) =>
      texts.map((t) => {
        const v = map[t];
        if (!v) throw new Error(`no embedding for ${JSON.stringify(t)}`);
        return Float32Array.from(v);
      }),
  };
}

/** The README's tolerance for each metric: exact where the official value is exact. */
function tolerance(metric: string): number {
  if (metric === 'ndcg' || metric === 'bleu' || metric === 'jp-bleu') return 1e-12;
  if (metric.includes('sent-transformer')) return 1e-6;
  return 0;
}

function rowOf(v: ParityVector, truth: unknown): ShopBenchRow {
  return {
    input_field: '',
    output_field: truth as ShopBenchRow['output_field'],
    task_name: 'task',
    task_type: v.inputs.task_type as TaskType,
    metric: v.inputs.metric as Metric,
  };
}

test('pipeline: every parity vector (parse with the task parser, score with the row metric)', async () => {
  const vectors = vectorsNamed('metric', 'pipeline');
  assert.equal(vectors.length, 158);
  for (const v of vectors) {
    const [result] = await scoreSamples(
      [{ index: 0, row: rowOf(v, v.inputs.truth), response: v.inputs.response as string }],
      {
        embeddings: fixedEmbeddings((v.inputs.embeddings ?? {}) as Record<string, number[]>),
        japaneseTokenizer: loadJapaneseTokenizer,
      },
    );
    const label = `${v.id} ${v.note}`;
    if (v.debug && 'parsed' in v.debug) assert.deepEqual(result.parsed, v.debug.parsed, label);
    if (Array.isArray(v.expected) || typeof v.expected === 'boolean') {
      assert.deepEqual(result.score, v.expected, label);
    } else {
      const got = result.score as number;
      const want = expectedNumber(v.expected);
      assert.ok(
        closeRelative(got, want, tolerance(v.inputs.metric as string)),
        `${label}: ${got} vs ${want}`,
      );
    }
  }
});

test('evaluate and aggregate: the whole official evaluation on the 96 development rows', async () => {
  const vectors = vectorsNamed('metric', 'evaluate_and_aggregate');
  assert.equal(vectors.length, 3);
  for (const v of vectors) {
    const rows = v.inputs.rows as {
      task_name: string;
      task_type: TaskType;
      metric: Metric;
      output_field: unknown;
      model_output_str: string;
    }[];
    const samples = rows.map((r, index) => ({
      index,
      response: r.model_output_str,
      row: {
        input_field: '',
        output_field: r.output_field as ShopBenchRow['output_field'],
        task_name: r.task_name,
        task_type: r.task_type,
        metric: r.metric,
      },
    }));
    const scored = await scoreSamples(samples, {
      embeddings: fixedEmbeddings(v.inputs.embeddings as Record<string, number[]>),
      japaneseTokenizer: loadJapaneseTokenizer,
    });
    const report = aggregate(scored);
    const expected = v.expected as {
      per_task: { task_name: string; metric: string; num_samples: number; overall_score: number }[];
      overall_score: number;
    };
    assert.deepEqual(
      report.tasks.map((t) => [t.task_name, t.num_samples]),
      expected.per_task.map((t) => [t.task_name, t.num_samples]),
    );
    for (const [i, want] of expected.per_task.entries()) {
      const got = report.tasks[i].score!;
      assert.ok(
        closeRelative(got, want.overall_score, tolerance(want.metric) || 1e-15),
        `${v.id} ${want.task_name}: ${got} vs ${want.overall_score}`,
      );
    }
    assert.ok(
      closeRelative(report.overall!, expected.overall_score, 1e-9),
      `${v.id} overall: ${report.overall} vs ${expected.overall_score}`,
    );
  }
});

test('aggregate: per track means and unscored tasks are reported, not hidden', () => {
  const sample = (
    task: string,
    track: string,
    score: number | null,
    metric: Metric = 'rougel',
  ): SampleScore => ({
    index: 0,
    task_name: task,
    task_type: 'generation',
    metric,
    track,
    parsed: '',
    score,
    dtype: 'float64',
    warnings: [],
    error: score === null ? 'sent-transformer could not be scored: offline' : undefined,
  });
  const report = aggregate([
    sample('a', 't1', 1),
    sample('a', 't1', 0),
    sample('b', 't2', 0.25),
    sample('c', 't2', null, 'sent-transformer'),
  ]);
  assert.deepEqual(
    report.tasks.map((t) => t.score),
    [0.5, 0.25, null],
  );
  assert.deepEqual(report.tracks, { t1: 0.5, t2: 0.25 });
  assert.equal(report.overall, 0.375);
  assert.deepEqual(report.unscored, [
    { task_name: 'c', reason: 'sent-transformer could not be scored: offline' },
  ]);
});

test('a metric the official code would crash on names the row', async () => {
  const row: ShopBenchRow = {
    input_field: '',
    output_field: [1, 2],
    task_name: 'task12',
    task_type: 'ranking',
    metric: 'ndcg',
  };
  // Only reachable by calling the metric directly with such an index: the parser never yields it.
  await assert.doesNotReject(scoreSamples([{ index: 4, row, response: '1, 2' }]));
  const bad: ShopBenchRow = {
    input_field: '',
    output_field: [],
    task_name: 'task3',
    task_type: 'retrieval',
    metric: 'hit rate@3',
  };
  await assert.rejects(
    scoreSamples([{ index: 4, row: bad, response: '1, 2' }]),
    (err: Error) => err instanceof ScoringError && /row 5 \(task3\)/.test(err.message),
  );
});

test('embedding rows are marked unscored when no model can be loaded, other rows still score', async () => {
  const rows: ShopBenchRow[] = [
    {
      input_field: '',
      output_field: 'a b c',
      task_name: 't1',
      task_type: 'generation',
      metric: 'sent-transformer',
    },
    {
      input_field: '',
      output_field: 1,
      task_name: 't2',
      task_type: 'multiple-choice',
      metric: 'accuracy',
    },
  ];
  const failing: EmbeddingSource = {
    embed: async () =>
      Promise.reject(new Error('model Xenova/all-MiniLM-L6-v2 could not be loaded')),
  };
  const scored = await scoreSamples(
    rows.map((row, index) => ({ index, row, response: '1' })),
    { embeddings: failing },
  );
  assert.equal(scored[0].score, null);
  assert.match(scored[0].error!, /could not be loaded/);
  assert.equal(scored[1].score, true);
  const report = aggregate(scored);
  assert.equal(report.overall, 1);
  assert.equal(report.unscored?.length, 1);
});

test('an empty reference list is NaN, as in the official code, and makes the task NaN', async () => {
  const row: ShopBenchRow = {
    input_field: '',
    output_field: [],
    task_name: 't1',
    task_type: 'generation',
    metric: 'sent-transformer',
  };
  const ok: ShopBenchRow = { ...row, output_field: 'x y' };
  const scored = await scoreSamples(
    [
      { index: 0, row, response: 'x y' },
      { index: 1, row: ok, response: 'x y' },
    ],
    { embeddings: fixedEmbeddings({ 'x y': [1, 0, 0] }) },
  );
  assert.ok(Number.isNaN(scored[0].score as number));
  assert.ok(Math.abs((scored[1].score as number) - 1) < 1e-6);
  assert.ok(Number.isNaN(aggregate(scored).tasks[0].score!));
});

test('means keep numpy dtypes: all-float32 tasks average in float32, one int 0 makes float64', () => {
  const s = (task: string, score: number, dtype: 'float32' | 'float64'): SampleScore => ({
    index: 0,
    task_name: task,
    task_type: 'generation',
    metric: 'sent-transformer',
    parsed: '',
    score,
    dtype,
    warnings: [],
  });
  const a = Math.fround(0.1);
  const b = Math.fround(0.7);
  const c = Math.fround(0.3);
  const all32 = aggregate([s('t1', a, 'float32'), s('t1', b, 'float32'), s('t2', c, 'float32')]);
  assert.equal(all32.tasks[0].score, Math.fround(Math.fround(a + b) / 2));
  assert.equal(all32.overall, Math.fround(Math.fround(all32.tasks[0].score! + c) / 2));
  const mixed = aggregate([s('t1', a, 'float32'), s('t1', 0, 'float64')]);
  assert.equal(mixed.tasks[0].score, a / 2);
});
