/**
 * The parity loops cannot pass vacuously: the fixture holds the 956 official reference values,
 * each kind in its pinned number, and a loop over a trimmed or emptied fixture fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  loadParityVectors,
  PARITY_VECTOR_COUNTS,
  PARITY_VECTOR_TOTAL,
  vectorsNamed,
} from '../../support/parityVectors';

test('the parity fixture holds all 956 official vectors, each kind in its pinned number', () => {
  const vectors = loadParityVectors();
  assert.equal(vectors.length, PARITY_VECTOR_TOTAL);
  const counts: Record<string, number> = {};
  for (const v of vectors) counts[`${v.kind}/${v.name}`] = (counts[`${v.kind}/${v.name}`] ?? 0) + 1;
  assert.deepEqual(counts, PARITY_VECTOR_COUNTS);
  assert.equal(
    Object.values(PARITY_VECTOR_COUNTS).reduce((a, b) => a + b, 0),
    PARITY_VECTOR_TOTAL,
  );
});

test('a loop over vectors that are not there fails instead of checking nothing', () => {
  assert.throws(() => vectorsNamed('metric', 'no_such_metric'), /found 0, expected none/);
  for (const key of Object.keys(PARITY_VECTOR_COUNTS)) {
    const [kind, name] = key.split('/') as ['metric' | 'parser', string];
    assert.equal(vectorsNamed(kind, name).length, PARITY_VECTOR_COUNTS[key]);
  }
});
