import * as fs from 'node:fs';
import { fixturePath } from './paths';

/** One reference value from the official ShopBench scorer (see test/fixtures/parity/README.md). */
export interface ParityVector {
  id: string;
  kind: 'metric' | 'parser';
  name: string;
  inputs: Record<string, unknown>;
  expected: unknown;
  expected_type: string;
  expected_repr: string;
  expected_float64?: number | string;
  official: string;
  note: string;
  source?: string;
  debug?: Record<string, unknown>;
  raises?: string;
  raises_message?: string;
}

/**
 * How many reference values of each kind the official scorer produced (956 in all). Every loop
 * over the vectors gets them through here, so an emptied, trimmed or renamed fixture fails
 * loudly instead of passing zero checks.
 */
export const PARITY_VECTOR_COUNTS: Readonly<Record<string, number>> = {
  'metric/pipeline': 158,
  'metric/hit_rate_3': 120,
  'metric/accuracy': 110,
  'parser/multichoice': 84,
  'metric/rougel': 80,
  'metric/tp_fp_fn': 64,
  'metric/bleu': 57,
  'parser/ranking': 48,
  'parser/named_entity_recognition': 48,
  'parser/generation': 45,
  'metric/ndcg': 44,
  'parser/retrieval': 42,
  'metric/cosine_similarity': 28,
  'metric/jp_bleu': 11,
  'metric/f1_score': 9,
  'metric/aggregate_mean': 5,
  'metric/evaluate_and_aggregate': 3,
};
export const PARITY_VECTOR_TOTAL = 956;

let cache: ParityVector[] | undefined;

export function loadParityVectors(): ParityVector[] {
  if (cache) return cache;
  const vectors = JSON.parse(
    fs.readFileSync(fixturePath('parity', 'dev_vectors.json'), 'utf8'),
  ) as ParityVector[];
  if (vectors.length !== PARITY_VECTOR_TOTAL)
    throw new Error(
      `test/fixtures/parity/dev_vectors.json holds ${vectors.length} vectors, not the ${PARITY_VECTOR_TOTAL} the official scorer produced`,
    );
  cache = vectors;
  return cache;
}

export function vectorsNamed(kind: ParityVector['kind'], name: string): ParityVector[] {
  const found = loadParityVectors().filter((v) => v.kind === kind && v.name === name);
  const expected = PARITY_VECTOR_COUNTS[`${kind}/${name}`];
  if (found.length !== expected)
    throw new Error(
      `parity vectors ${kind}/${name}: found ${found.length}, expected ${expected ?? 'none (unknown name)'}`,
    );
  return found;
}

/** "NaN" is how the vectors spell NaN. */
export function expectedNumber(v: unknown): number {
  if (v === 'NaN') return Number.NaN;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'number') throw new Error(`expected a number, got ${JSON.stringify(v)}`);
  return v;
}

/** |a - b| within rel * max(|a|, |b|, tiny): the README's "about 1e-12 relative". */
export function closeRelative(a: number, b: number, rel: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300);
}
