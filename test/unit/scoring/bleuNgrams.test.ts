import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bleuStatistics } from '../../../server/scoring/official/sacreBleu';
import { mulberry32 } from '../../../server/util/seededRandom';

/** sacrebleu's clipped n-gram counts, written the obvious way (Counters keyed by joined tokens). */
function reference(hyp: string[], ref: string[]): { counts: number[]; totals: number[] } {
  const grams = (tokens: string[], n: number): Map<string, number> => {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= tokens.length; i++) {
      const k = tokens.slice(i, i + n).join(' ');
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    return m;
  };
  const counts: number[] = [];
  const totals: number[] = [];
  for (let n = 1; n <= 4; n++) {
    const r = grams(ref, n);
    let correct = 0;
    let total = 0;
    for (const [k, c] of grams(hyp, n)) {
      total += c;
      correct += Math.min(c, r.get(k) ?? 0);
    }
    counts.push(correct);
    totals.push(total);
  }
  return { counts, totals };
}

const identity = (s: string): string => s;

test('n-gram statistics by numeric keys equal the counts of joined n-grams', () => {
  const random = mulberry32(7);
  for (let round = 0; round < 300; round++) {
    // Few distinct tokens, so n-grams repeat and clipping matters.
    const vocabulary = 1 + Math.floor(random() * 6);
    const words = (length: number): string[] =>
      Array.from({ length }, () => `w${Math.floor(random() * vocabulary)}`);
    const hyp = words(Math.floor(random() * 12));
    const ref = words(1 + Math.floor(random() * 12));
    const stats = bleuStatistics(hyp.join(' '), ref.join(' '), identity, false);
    assert.deepEqual({ counts: stats.counts, totals: stats.totals }, reference(hyp, ref));
    assert.equal(stats.sys_len, hyp.length);
    assert.equal(stats.ref_len, ref.length);
  }
});

test('a vocabulary too large for numeric keys gives the same statistics', () => {
  const ref = Array.from({ length: 9500 }, (_, i) => `t${i}`);
  const hyp = [...ref.slice(100, 200), 'x', ...ref.slice(100, 150), ...ref.slice(5000, 5004)];
  const stats = bleuStatistics(hyp.join(' '), ref.join(' '), identity, false);
  assert.deepEqual({ counts: stats.counts, totals: stats.totals }, reference(hyp, ref));
});

test('tokens longer than 65535 characters are counted like any other', () => {
  const long = 'y'.repeat(70_000);
  const stats = bleuStatistics(`${long} a ${long}`, `${long} a b ${long}`, identity, false);
  assert.deepEqual(
    { counts: stats.counts, totals: stats.totals },
    reference([long, 'a', long], [long, 'a', 'b', long]),
  );
});

test('references of 10 to 120 distinct tokens (looked up by table or by hash) give the counted statistics', () => {
  // Short references' n-grams are looked up in a direct table, longer ones by hashing: the
  // switch lies inside this range.
  const random = mulberry32(11);
  for (let round = 0; round < 200; round++) {
    const vocabulary = 10 + Math.floor(random() * 110);
    const words = (length: number): string[] =>
      Array.from({ length }, () => `w${Math.floor(random() * vocabulary)}`);
    const ref = words(5 + Math.floor(random() * 150));
    // Pieces of the reference, so long n-grams match, and words of its vocabulary.
    const hyp = [...ref.slice(3, 40), ...words(10), ...ref.slice(20, 60)];
    const stats = bleuStatistics(hyp.join(' '), ref.join(' '), identity, false);
    assert.deepEqual({ counts: stats.counts, totals: stats.totals }, reference(hyp, ref));
  }
});

test('when no n-gram of some order matches, no higher order does, and every total is still counted', () => {
  // Unigrams match, bigrams do not: counts [3, 0, 0, 0] over totals [4, 3, 2, 1].
  const hyp = ['c', 'b', 'a', 'x'];
  const ref = ['a', 'b', 'c'];
  const stats = bleuStatistics(hyp.join(' '), ref.join(' '), identity, false);
  assert.deepEqual({ counts: stats.counts, totals: stats.totals }, reference(hyp, ref));
  assert.deepEqual(stats.counts, [3, 0, 0, 0]);
  assert.deepEqual(stats.totals, [4, 3, 2, 1]);
  const none = bleuStatistics('p q r s t', 'a b c', identity, false);
  assert.deepEqual(none.counts, [0, 0, 0, 0]);
  assert.deepEqual(none.totals, [5, 4, 3, 2]);
});
