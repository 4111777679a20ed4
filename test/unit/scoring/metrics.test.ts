import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracy,
  hitRate3,
  MetricError,
  microF1,
  ndcg,
  tpFpFn,
  type TpFpFn,
} from '../../../server/scoring/official/metrics';
import { numpyMean } from '../../../server/scoring/python/numpyMean';
import { closeRelative, expectedNumber, vectorsNamed } from '../../support/parityVectors';

test('accuracy: every parity vector', () => {
  for (const v of vectorsNamed('metric', 'accuracy')) {
    assert.equal(
      accuracy(v.inputs.prediction as number, v.inputs.truth as number),
      v.expected,
      v.id,
    );
  }
});

test('hit rate@3: every parity vector, exactly', () => {
  for (const v of vectorsNamed('metric', 'hit_rate_3')) {
    assert.equal(
      hitRate3(v.inputs.retrieved_int as number[], v.inputs.truth as number[]),
      v.expected,
      `${v.id} ${v.note}`,
    );
  }
});

test('hit rate@3: an empty truth is the official ZeroDivisionError, as a clear error', () => {
  assert.throws(() => hitRate3([1], []), MetricError);
  assert.equal(hitRate3([5, 1, 2], [5, 5]), 0.5);
});

test('ndcg: every parity vector within 1e-12', () => {
  for (const v of vectorsNamed('metric', 'ndcg')) {
    const got = ndcg(
      v.inputs.predicted_relevance_scores as number[],
      v.inputs.true_relevance_weights as number[],
    );
    assert.ok(
      closeRelative(got, expectedNumber(v.expected), 1e-12),
      `${v.id} ${v.note}: ${got} vs ${String(v.expected)}`,
    );
  }
});

test('ndcg: an index below -len raises, all-zero weights give 0, input is not mutated', () => {
  assert.throws(() => ndcg([-9], [1, 0]), MetricError);
  assert.equal(ndcg([1, 2], [0, 0]), 0);
  const weights = [0, 1, 0.5];
  ndcg([1, 2, 3], weights);
  assert.deepEqual(weights, [0, 1, 0.5]);
});

test('tp/fp/fn: every parity vector', () => {
  for (const v of vectorsNamed('metric', 'tp_fp_fn')) {
    assert.deepEqual(
      tpFpFn(v.inputs.extracted_entities as string[], v.inputs.ground_truth_entities as string[]),
      v.expected,
      `${v.id} ${v.note}`,
    );
  }
});

test('micro F1: every parity vector, exactly', () => {
  for (const v of vectorsNamed('metric', 'f1_score')) {
    assert.equal(microF1(v.inputs.metrics_list as TpFpFn[]), v.expected, `${v.id} ${v.note}`);
  }
});

test('np.mean: every parity vector, bit for bit', () => {
  for (const v of vectorsNamed('metric', 'aggregate_mean')) {
    const values = (v.inputs.sample_scores as (number | boolean)[]).map(Number);
    assert.equal(numpyMean(values), v.expected, `${v.id} ${v.note}`);
  }
});

test('np.mean: pairwise summation differs from a left-to-right sum where numpy does', () => {
  // 0.1 sixteen times: numpy's 8-way unrolled sum gives 1.6 exactly; a naive loop gives 1.6000000000000003.
  const values = Array<number>(16).fill(0.1);
  let naive = 0;
  for (const x of values) naive += x;
  assert.notEqual(naive / 16, numpyMean(values));
  assert.equal(numpyMean(values), 0.1);
  assert.ok(Number.isNaN(numpyMean([])));
  assert.equal(
    numpyMean([0.1, 0.2, 0.3], 'float32'),
    Math.fround(Math.fround(Math.fround(0.1 + 0.2) + 0.3) / 3),
  );
});

test('lower-casing keeps the Greek final sigma rule around characters newer than CPython', () => {
  assert.deepEqual(tpFpFn(['\ua7cbΑΣ'], ['\ua7cbας']), [1, 0, 0]);
  // Python lowers a word-final capital sigma to the final form U+03C2, not U+03C3.
  assert.deepEqual(tpFpFn(['\u039f\u0394\u039f\u03a3'], ['\u03bf\u03b4\u03bf\u03c3']), [0, 1, 1]);
  assert.deepEqual(tpFpFn(['\u039f\u0394\u039f\u03a3'], ['\u03bf\u03b4\u03bf\u03c2']), [1, 0, 0]);
});

test('np.mean of negative zeros is +0.0, as numpy reductions start from +0.0', () => {
  assert.ok(Object.is(numpyMean([-0]), 0));
  assert.ok(Object.is(numpyMean([-0, -0], 'float32'), 0));
});
