/**
 * `np.mean` bit for bit. numpy sums with pairwise summation (8-way unrolled blocks of up to 128
 * items, split recursively above that), so a left-to-right sum can differ in the last bit; and
 * an array made only of float32 values is summed and divided in float32.
 */

/** The numpy dtype an array built from a list of per-sample scores ends up with. */
export type ScoreDtype = 'float64' | 'float32';

const BLOCK = 128;

function pairwiseSum(
  values: ArrayLike<number>,
  start: number,
  n: number,
  round: (x: number) => number,
): number {
  if (n < 8) {
    let res = round(-0);
    for (let i = 0; i < n; i++) res = round(res + values[start + i]);
    return res;
  }
  if (n <= BLOCK) {
    const r = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let j = 0; j < 8; j++) r[j] = values[start + j];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] = round(r[j] + values[start + i + j]);
    }
    let res = round(
      round(round(r[0] + r[1]) + round(r[2] + r[3])) +
        round(round(r[4] + r[5]) + round(r[6] + r[7])),
    );
    for (; i < n; i++) res = round(res + values[start + i]);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return round(
    pairwiseSum(values, start, n2, round) + pairwiseSum(values, start + n2, n - n2, round),
  );
}

const identity = (x: number): number => x;

/** np.sum of a 1-D float array. */
export function numpySum(values: ArrayLike<number>, dtype: ScoreDtype = 'float64'): number {
  const round = dtype === 'float32' ? Math.fround : identity;
  // numpy's reduction starts from +0.0, so a sum of only -0.0 values is +0.0.
  return round(0 + pairwiseSum(values, 0, values.length, round));
}

/** np.mean of a 1-D array (NaN for an empty one, as numpy returns with a warning). */
export function numpyMean(values: ArrayLike<number>, dtype: ScoreDtype = 'float64'): number {
  if (values.length === 0) return Number.NaN;
  const sum = numpySum(values, dtype);
  return dtype === 'float32' ? Math.fround(sum / values.length) : sum / values.length;
}
