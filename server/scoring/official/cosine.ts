/**
 * The official "sent-transformer" per-sample score, given the embeddings.
 *
 * The ShopBench scorer (starter kit metrics.py) computes, with numpy on the float32 vectors that
 * SentenceTransformer.encode returns:
 *
 *   single truth: score = dot(g, r) / (norm(g) * norm(r));            return max(score, 0)
 *   list truth:   score = mean([dot(g, r) / (norm(g) * norm(r)) ...]); return max(score, 0)
 *
 * Consequences reproduced here (parity README, surprise 13):
 * - no upper clip: float32 rounding can give 1.0000001 for an identical pair;
 * - Python's `max(score, 0)` returns `score` unless `0 > score`, so NaN (a zero vector, or
 *   `np.mean([])` for an empty reference list) passes through as NaN rather than becoming 0;
 * - the list case averages the raw cosines first and clips the mean, not each cosine.
 *
 * Two arithmetic flavours are offered: `cosineScore` rounds every step to float32 like numpy on
 * float32 arrays (matches the vectors' `expected` bit for bit), `cosineScoreFloat64` keeps doubles
 * (matches `expected_float64` to ~1e-16).
 */

/** How one arithmetic step is rounded: `Math.fround` for float32, identity for float64. */
type Rounding = (x: number) => number;

const toFloat32: Rounding = Math.fround;
const toFloat64: Rounding = (x) => x;

/**
 * Width of the SIMD dot-product kernel being emulated. numpy's `np.dot` / `np.linalg.norm` call
 * BLAS (`sdot`), whose summation order is not numpy's pairwise sum: a 4-wide vector kernel keeps
 * one float32 partial sum per lane (element i goes to lane i % 4), then folds the lanes pairwise,
 * (l0 + l1) + (l2 + l3). That order, with every product and sum rounded to float32 and no fused
 * multiply-add, reproduces all 28 parity vectors exactly; a plain left-to-right sum or numpy's
 * pairwise `(a * b).sum()` misses 6-8 of them by one float32 ulp. Other BLAS builds may differ in
 * the last bit, which is why the stated tolerance is 1e-6.
 */
const DOT_LANES = 4;

/** Dot product with the lane order above, each step rounded by `round`. */
function laneDot(a: ArrayLike<number>, b: ArrayLike<number>, round: Rounding): number {
  if (a.length !== b.length) {
    throw new Error(`cosine: embedding sizes differ (${a.length} vs ${b.length})`);
  }
  const lanes = new Array<number>(DOT_LANES).fill(0);
  for (let i = 0; i < a.length; i++) {
    const lane = i % DOT_LANES;
    lanes[lane] = round(lanes[lane] + round(a[i] * b[i]));
  }
  return round(round(lanes[0] + lanes[1]) + round(lanes[2] + lanes[3]));
}

/** Raw cosine (may be negative, above 1 by an ulp, or NaN), as `np.dot / (norm * norm)`. */
function rawCosine(g: ArrayLike<number>, r: ArrayLike<number>, round: Rounding): number {
  // np.linalg.norm(x) is sqrt(x.dot(x)) on the same BLAS kernel; a float32 sqrt, product and
  // quotient computed in doubles then rounded once are exact float32 results (53 >= 2*24 + 2).
  const gNorm = round(Math.sqrt(laneDot(g, g, round)));
  const rNorm = round(Math.sqrt(laneDot(r, r, round)));
  return round(laneDot(g, r, round) / round(gNorm * rNorm));
}

/** numpy's pairwise summation (`add.reduce` on a contiguous array), each step rounded. */
function numpyPairwiseSum(values: ArrayLike<number>, round: Rounding): number {
  return pairwiseBlock(values, 0, values.length, round);
}

/** numpy's PW_BLOCKSIZE: blocks up to this size use 8 accumulators, larger ones are halved. */
const PW_BLOCKSIZE = 128;

function pairwiseBlock(
  values: ArrayLike<number>,
  start: number,
  n: number,
  round: Rounding,
): number {
  if (n < 8) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum = round(sum + values[start + i]);
    return sum;
  }
  if (n <= PW_BLOCKSIZE) {
    const r: number[] = [];
    for (let j = 0; j < 8; j++) r.push(values[start + j]);
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] = round(r[j] + values[start + i + j]);
    }
    const left = round(round(r[0] + r[1]) + round(r[2] + r[3]));
    const right = round(round(r[4] + r[5]) + round(r[6] + r[7]));
    let sum = round(left + right);
    for (; i < n; i++) sum = round(sum + values[start + i]);
    return sum;
  }
  // Split in two halves, keeping the first half a multiple of the 8-way unroll.
  let half = Math.floor(n / 2);
  half -= half % 8;
  return round(
    pairwiseBlock(values, start, half, round) +
      pairwiseBlock(values, start + half, n - half, round),
  );
}

/** `np.mean` of the per-reference cosines: pairwise sum, then one division (NaN when empty). */
function numpyMean(values: readonly number[], round: Rounding): number {
  if (values.length === 0) return Number.NaN; // np.mean([]) warns and returns nan
  return round(numpyPairwiseSum(values, round) / values.length);
}

/** Python's `max(score, 0)`: keeps `score` unless 0 is strictly greater (so NaN survives). */
function clipBelowAtZero(score: number): number {
  return 0 > score ? 0 : score;
}

function scoreWith(
  generation: ArrayLike<number>,
  references: readonly ArrayLike<number>[],
  truthIsList: boolean,
  round: Rounding,
): number {
  if (!truthIsList) {
    if (references.length !== 1) {
      throw new Error(
        `cosine: a single-string truth needs exactly one reference embedding, got ${references.length}`,
      );
    }
    return clipBelowAtZero(rawCosine(generation, references[0], round));
  }
  const cosines = references.map((r) => rawCosine(generation, r, round));
  return clipBelowAtZero(numpyMean(cosines, round));
}

/**
 * The official per-sample score in float32 arithmetic, as numpy computes it on the float32
 * embeddings a SentenceTransformer returns. `truthIsList` says whether the truth was a list of
 * strings (mean of per-reference cosines) or one string (then `references` has one entry).
 */
export function cosineScore(
  generation: Float32Array,
  references: readonly Float32Array[],
  truthIsList: boolean,
): number {
  return scoreWith(generation, references, truthIsList, toFloat32);
}

/** The same score computed in doubles (the vectors' `expected_float64`). */
export function cosineScoreFloat64(
  generation: ArrayLike<number>,
  references: readonly ArrayLike<number>[],
  truthIsList: boolean,
): number {
  return scoreWith(generation, references, truthIsList, toFloat64);
}
