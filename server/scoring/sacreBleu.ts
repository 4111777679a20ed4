/**
 * The BLEU metric exactly as the official ShopBench scorer computes it: sacrebleu 2.4.1's
 * `corpus_bleu([hypothesis], [[reference]], lowercase=True)` with its defaults (13a tokenizer,
 * "exp" smoothing, maximum n-gram order 4), divided by 100.
 *
 * Bit-exactness matters because the scorer's quirks define the score: an exact match gives
 * 1.0000000000000004 (exp(log(100)) overshoots 100), and a hypothesis of fewer than 4 tokens
 * scores 0 because the missing 4-gram precision is fed to `my_log` as 0.0. The floating-point
 * operations below are performed in the same order as sacrebleu's so the doubles agree.
 */
import { isPySpace, pyLower, pySplitWhitespace, pyStripChars } from './pythonText';

/** sacrebleu's MAX_NGRAM_ORDER. */
const MAX_NGRAM_ORDER = 4;

/** What sacrebleu's `my_log` returns for 0.0 instead of raising (utils.py). */
const LOG_OF_ZERO = -9999999999;

/** A tokenizer maps one (lower-cased, right-stripped) segment to space-separated tokens. */
export type BleuTokenizer = (line: string) => string;

/** sacrebleu's sufficient statistics for one hypothesis against one reference. */
export interface BleuStatistics {
  /** Matched n-grams per order (clipped by the reference counts). */
  counts: number[];
  /** Hypothesis n-grams per order. */
  totals: number[];
  sys_len: number;
  ref_len: number;
}

/** What sacrebleu's `BLEUScore` exposes. */
export interface BleuScore extends BleuStatistics {
  /** 0..100 (can exceed 100 by rounding: 100.00000000000004 for an exact match). */
  score: number;
  precisions: number[];
  bp: number;
}

// --- 13a tokenizer (sacrebleu tokenizers/tokenizer_13a.py + tokenizer_re.py) ---

// mteval-v13a's punctuation set: { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ /
const SPLIT_PUNCTUATION = /([\x7b-\x7e\x5b-\x60\x20-\x26\x28-\x2b\x3a-\x40\x2f])/gu;
// Python's `[0-9]` is ASCII-only in these patterns, which JS's class also is.
const PERIOD_COMMA_AFTER_NON_DIGIT = /([^0-9])([.,])/gu;
const PERIOD_COMMA_BEFORE_NON_DIGIT = /([.,])([^0-9])/gu;
const DASH_AFTER_DIGIT = /([0-9])(-)/gu;

/** The regular-expression stage shared by sacrebleu's 13a and zh tokenizers. */
function tokenizeRegexp(line: string): string {
  const spaced = line
    .replace(SPLIT_PUNCTUATION, ' $1 ')
    .replace(PERIOD_COMMA_AFTER_NON_DIGIT, '$1 $2 ')
    .replace(PERIOD_COMMA_BEFORE_NON_DIGIT, ' $1 $2')
    .replace(DASH_AFTER_DIGIT, '$1 $2 ');
  // sacrebleu collapses whitespace with Python's str.split(), whose whitespace set is not JS's.
  return pySplitWhitespace(spaced).join(' ');
}

/** sacrebleu's default "13a" tokenizer (mteval-v13a.pl's). */
export function tokenize13a(line: string): string {
  let s = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  // One unescaping pass, in this order: "&amp;quot;" becomes "&quot;", not '"'.
  if (s.includes('&')) {
    s = s
      .replaceAll('&quot;', '"')
      .replaceAll('&amp;', '&')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>');
  }
  return tokenizeRegexp(` ${s} `);
}

// --- statistics (sacrebleu metrics/bleu.py, metrics/helpers.py) ---

/** Python `s.rstrip()`: sacrebleu right-strips every segment before tokenizing it. */
function pyRstrip(s: string): string {
  let end = s.length;
  // Every Python whitespace character is in the BMP, so UTF-16 units can be tested directly.
  while (end > 0 && isPySpace(s.charCodeAt(end - 1))) end--;
  return s.slice(0, end);
}

/** `BLEU._preprocess_segment`: optional Python lower(), right-strip, tokenize. */
export function preprocessSegment(
  sentence: string,
  tokenize: BleuTokenizer,
  lowercase: boolean,
): string {
  return tokenize(pyRstrip(lowercase ? pyLower(sentence) : sentence));
}

/**
 * Largest vocabulary (distinct tokens of hypothesis and reference together) for which an n-gram
 * of token ids read as a base-V number stays below 2^53, i.e. is an exact Map key, up to order 4.
 */
const MAX_NUMERIC_VOCABULARY = 9000;

interface NgramStatistics {
  counts: number[];
  totals: number[];
}

/**
 * Matched (clipped) and total n-gram counts per order, as sacrebleu's `_compute_segment_statistics`
 * gets them from its n-gram Counters, without building a string per n-gram: each token becomes an
 * id, each n-gram of ids one number (base V, extended by one token per order), and every
 * hypothesis n-gram takes one of the reference's remaining copies, which adds up to
 * min(hyp count, ref count) per distinct n-gram, as sacrebleu's clipping does.
 */
function ngramStatistics(hyp: readonly string[], ref: readonly string[]): NgramStatistics {
  const ids = new Map<string, number>();
  const idsOf = (tokens: readonly string[]): Float64Array => {
    const out = new Float64Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      let id = ids.get(tokens[i]);
      if (id === undefined) ids.set(tokens[i], (id = ids.size));
      out[i] = id;
    }
    return out;
  };
  const refIds = idsOf(ref);
  const hypIds = idsOf(hyp);
  const base = ids.size;
  if (base > MAX_NUMERIC_VOCABULARY) return ngramStatisticsByString(hyp, ref);
  const refKeys = refIds.slice();
  const hypKeys = hypIds.slice();
  const counts: number[] = [];
  const totals: number[] = [];
  const remaining = new Map<number, number>();
  for (let n = 1; n <= MAX_NGRAM_ORDER; n++) {
    if (n > 1) {
      extendKeys(refKeys, refIds, n, base);
      extendKeys(hypKeys, hypIds, n, base);
    }
    remaining.clear();
    for (let i = 0; i + n <= ref.length; i++)
      remaining.set(refKeys[i], (remaining.get(refKeys[i]) ?? 0) + 1);
    let correct = 0;
    for (let i = 0; i + n <= hyp.length; i++) {
      const left = remaining.get(hypKeys[i]);
      if (left) {
        correct++;
        remaining.set(hypKeys[i], left - 1);
      }
    }
    counts.push(correct);
    totals.push(Math.max(0, hyp.length - n + 1));
  }
  return { counts, totals };
}

/** keys[i] held the (n-1)-gram starting at token i; it becomes the n-gram starting there. */
function extendKeys(keys: Float64Array, ids: Float64Array, n: number, base: number): void {
  for (let i = 0; i + n <= ids.length; i++) keys[i] = keys[i] * base + ids[i + n - 1];
}

/** The same statistics with n-grams as strings: for vocabularies too large for numeric keys. */
function ngramStatisticsByString(hyp: readonly string[], ref: readonly string[]): NgramStatistics {
  const counts: number[] = [];
  const totals: number[] = [];
  for (let n = 1; n <= MAX_NGRAM_ORDER; n++) {
    const refCounts = ngramCounts(ref, n);
    let correct = 0;
    let total = 0;
    for (const [ngram, hypCount] of ngramCounts(hyp, n)) {
      total += hypCount;
      const refCount = refCounts.get(ngram);
      if (refCount !== undefined) correct += Math.min(hypCount, refCount);
    }
    counts.push(correct);
    totals.push(total);
  }
  return { counts, totals };
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  // Tokens never contain whitespace, so joining with a space identifies the tuple uniquely.
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * sacrebleu's statistics for one hypothesis and one reference, both raw (untokenized). With a
 * single reference, the "closest reference length" is simply its length.
 */
export function bleuStatistics(
  hyp: string,
  ref: string,
  tokenize: BleuTokenizer,
  lowercase: boolean,
): BleuStatistics {
  // `Metric._cache_references` rejects an empty reference before anything else is computed.
  if (ref === '') throw new Error('BLEU: Empty or `None` reference sentence found.');
  const refTokens = pySplitWhitespace(preprocessSegment(ref, tokenize, lowercase));
  const hypTokens = pySplitWhitespace(preprocessSegment(hyp, tokenize, lowercase));
  const { counts, totals } = ngramStatistics(hypTokens, refTokens);
  return { counts, totals, sys_len: hypTokens.length, ref_len: refTokens.length };
}

// --- libm-exact exp and log ---
//
// Python's math.exp/math.log call the C library (glibc), whose exp and log are within about
// 0.501 units in the last place: the correctly rounded double except where the exact result
// lies almost halfway between two doubles. V8's Math.exp/Math.log (fdlibm ports) are off by
// one unit far more often (exp(1 - 24/9), a brevity penalty in the parity vectors, is one
// case), which shows in the last digits of the score. So both are evaluated here in
// double-double arithmetic (about 106 bits) and rounded once. Against CPython on Linux this
// differed in about 1 of 1,300 random exp inputs and 1 of 15,000 log inputs (glibc's
// near-halfway misroundings), versus 1 in 10 and 1 in 35 for V8.

/** An unevaluated sum hi + lo with |lo| <= ulp(hi) / 2. */
interface DoubleDouble {
  hi: number;
  lo: number;
}

/** ln 2 as three doubles whose sum carries about 160 bits. */
const LN2_HI = 0.6931471805599453;
const LN2_MID = 2.3190468138462996e-17;
const LN2_LO = 5.707708438416212e-34;
/** Veltkamp's splitter 2^27 + 1. */
const SPLITTER = 134217729;

/** Knuth's error-free addition. */
function twoSum(a: number, b: number): DoubleDouble {
  const hi = a + b;
  const bb = hi - a;
  return { hi, lo: a - (hi - bb) + (b - bb) };
}

/** Error-free addition when |a| >= |b|. */
function quickTwoSum(a: number, b: number): DoubleDouble {
  const hi = a + b;
  return { hi, lo: b - (hi - a) };
}

/** Dekker's error-free product (no fused multiply-add in JavaScript). */
function twoProd(a: number, b: number): DoubleDouble {
  const p = a * b;
  const ca = SPLITTER * a;
  const ah = ca - (ca - a);
  const al = a - ah;
  const cb = SPLITTER * b;
  const bh = cb - (cb - b);
  const bl = b - bh;
  return { hi: p, lo: ah * bh - p + ah * bl + al * bh + al * bl };
}

function ddAdd(a: DoubleDouble, b: DoubleDouble): DoubleDouble {
  const s = twoSum(a.hi, b.hi);
  const t = twoSum(a.lo, b.lo);
  const u = quickTwoSum(s.hi, s.lo + t.hi);
  return quickTwoSum(u.hi, u.lo + t.lo);
}

function ddMul(a: DoubleDouble, b: DoubleDouble): DoubleDouble {
  const p = twoProd(a.hi, b.hi);
  return quickTwoSum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi));
}

function ddDivByDouble(a: DoubleDouble, b: number): DoubleDouble {
  const q1 = a.hi / b;
  const p = twoProd(q1, b);
  const q2 = (a.hi - p.hi - p.lo + a.lo) / b;
  return quickTwoSum(q1, q2);
}

function ddDiv(a: DoubleDouble, b: DoubleDouble): DoubleDouble {
  const q1 = a.hi / b.hi;
  const r = ddAdd(a, ddMul({ hi: -q1, lo: 0 }, b));
  const q2 = r.hi / b.hi;
  const r2 = ddAdd(r, ddMul({ hi: -q2, lo: 0 }, b));
  const q3 = r2.hi / b.hi;
  return ddAdd(quickTwoSum(q1, q2), { hi: q3, lo: 0 });
}

function negate(a: DoubleDouble): DoubleDouble {
  return { hi: -a.hi, lo: -a.lo };
}

/** k * ln 2 in double-double (exact enough for any exponent a double can have). */
function kLn2(k: number): DoubleDouble {
  return ddAdd(ddAdd(twoProd(k, LN2_HI), twoProd(k, LN2_MID)), { hi: k * LN2_LO, lo: 0 });
}

/** Round v * 2^-1074 (v >= 0 given as a double-double) to a subnormal, ties to even. */
function roundToSubnormal(v: DoubleDouble): number {
  let n = Math.floor(v.hi);
  let frac = v.hi - n + v.lo;
  if (frac < 0) {
    n -= 1;
    frac += 1;
  } else if (frac >= 1) {
    n += 1;
    frac -= 1;
  }
  if (frac > 0.5 || (frac === 0.5 && n % 2 === 1)) n += 1;
  return n * Number.MIN_VALUE;
}

/** v * 2^k for a double-double v in [0.5, 2], rounded once. */
function scaleByPowerOfTwo(v: DoubleDouble, k: number): number {
  if (k >= -1020) {
    // v.hi is already v rounded; multiplying by powers of two is exact while the result is
    // normal. 2^k itself overflows past k = 1023, hence two factors.
    const first = Math.min(k, 1000);
    return v.hi * 2 ** first * 2 ** (k - first);
  }
  // Subnormal result: scale to units of 2^-1074 (exactly), then round to an integer once.
  const toUnits = 2 ** (k + 1074);
  return roundToSubnormal({ hi: v.hi * toUnits, lo: v.lo * toUnits });
}

/** exp(r) for |r| <= ln(2)/2 by its Taylor series in Horner form (27 terms reach 2^-120). */
function expReduced(r: DoubleDouble): DoubleDouble {
  let acc: DoubleDouble = { hi: 1, lo: 0 };
  for (let i = 27; i >= 1; i--) acc = ddAdd({ hi: 1, lo: 0 }, ddDivByDouble(ddMul(r, acc), i));
  return acc;
}

/** glibc's `exp` (correctly rounded); Python raises OverflowError where this returns Infinity. */
export function correctlyRoundedExp(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x > 709.8) return Infinity;
  if (x < -745.2) return 0;
  const k = Math.round(x / LN2_HI);
  const r = ddAdd({ hi: x, lo: 0 }, negate(kLn2(k)));
  return scaleByPowerOfTwo(expReduced(r), k);
}

/** x = m * 2^e with m in [sqrt(1/2), sqrt(2)), for finite x > 0. */
function splitExponent(x: number): { m: number; e: number } {
  let e = 0;
  let m = x;
  // Subnormals first become normal so that the exponent field can be read.
  if (m < 2 ** -1022) {
    m *= 2 ** 54;
    e -= 54;
  }
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, m);
  const biased = (view.getUint16(0) >> 4) & 0x7ff;
  e += biased - 1023;
  // Replace the exponent field with 1023 to get the mantissa in [1, 2).
  view.setUint16(0, (view.getUint16(0) & 0x800f) | (1023 << 4));
  m = view.getFloat64(0);
  if (m > Math.SQRT2) {
    m /= 2;
    e += 1;
  }
  return { m, e };
}

/** log(m) for m in [sqrt(1/2), sqrt(2)] as 2 atanh((m-1)/(m+1)); 24 odd terms reach 2^-120. */
function logReduced(m: number): DoubleDouble {
  const s = ddDiv({ hi: m - 1, lo: 0 }, twoSum(m, 1));
  const s2 = ddMul(s, s);
  let acc = ddDivByDouble({ hi: 1, lo: 0 }, 49);
  for (let j = 23; j >= 0; j--)
    acc = ddAdd(ddDivByDouble({ hi: 1, lo: 0 }, 2 * j + 1), ddMul(s2, acc));
  const half = ddMul(s, acc);
  return { hi: 2 * half.hi, lo: 2 * half.lo };
}

/** glibc's `log` (correctly rounded); Python raises where this returns NaN or -Infinity. */
export function correctlyRoundedLog(x: number): number {
  if (Number.isNaN(x) || x < 0) return Number.NaN;
  if (x === 0) return -Infinity;
  if (x === Infinity) return x;
  const { m, e } = splitExponent(x);
  const sum = ddAdd(kLn2(e), logReduced(m));
  return sum.hi + sum.lo;
}

// --- score (sacrebleu BLEU.compute_bleu with smooth_method="exp", effective_order=False) ---

/**
 * A pure function of one double, remembered: the precisions, ratios and means BLEU feeds to log
 * and exp repeat across rows (counts are small integers), and the double-double evaluation is
 * the costliest step of a row. Bounded, so a long run cannot grow it without limit.
 */
function memoized(fn: (x: number) => number, limit = 1 << 14): (x: number) => number {
  const known = new Map<number, number>();
  return (x) => {
    let y = known.get(x);
    if (y === undefined) {
      if (known.size >= limit) known.clear();
      y = fn(x);
      known.set(x, y);
    }
    return y;
  };
}

const memoLog = memoized(correctlyRoundedLog);
const memoExp = memoized(correctlyRoundedExp);

/** sacrebleu's `my_log`: log, except that 0.0 maps to a huge negative number. */
function myLog(x: number): number {
  return x === 0 ? LOG_OF_ZERO : memoLog(x);
}

/** The brevity penalty; a hypothesis with no tokens gets 0.0 rather than a division by zero. */
function brevityPenalty(sysLen: number, refLen: number): number {
  if (sysLen >= refLen) return 1.0;
  return sysLen > 0 ? memoExp(1 - refLen / sysLen) : 0.0;
}

/**
 * n-gram precisions in percent with NIST ("exp") smoothing: each order with no match gets
 * 100 / (2^k * total) for the k-th such order. An order with no hypothesis n-grams stops the
 * loop and leaves its precision (and all higher ones) at 0.0, which is what zeroes short
 * hypotheses.
 */
function smoothedPrecisions(counts: readonly number[], totals: readonly number[]): number[] {
  const precisions = new Array<number>(MAX_NGRAM_ORDER).fill(0.0);
  let smoothMteval = 1.0;
  for (let n = 0; n < MAX_NGRAM_ORDER; n++) {
    if (totals[n] === 0) break;
    if (counts[n] === 0) {
      smoothMteval *= 2;
      precisions[n] = 100 / (smoothMteval * totals[n]);
    } else {
      // Same association as Python's `100. * correct / total`.
      precisions[n] = (100 * counts[n]) / totals[n];
    }
  }
  return precisions;
}

/**
 * Python's built-in `sum()` of a list of floats, starting from int 0. Up to CPython 3.11 this
 * is a plain left-to-right addition (3.12 switched to compensated summation).
 */
function pySumFloats(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** `BLEU.compute_bleu(..., smooth_method='exp')` from the sufficient statistics. */
export function computeBleu(stats: BleuStatistics): BleuScore {
  const { counts, totals, sys_len, ref_len } = stats;
  const bp = brevityPenalty(sys_len, ref_len);
  // "Early stop if there are no matches": the precisions stay 0.0 and so does the score.
  if (!counts.some((c) => c !== 0)) {
    return { ...stats, score: 0.0, precisions: new Array<number>(MAX_NGRAM_ORDER).fill(0.0), bp };
  }
  const precisions = smoothedPrecisions(counts, totals);
  const score = bp * memoExp(pySumFloats(precisions.map(myLog)) / MAX_NGRAM_ORDER);
  return { ...stats, score, precisions, bp };
}

/** sacrebleu's full BLEU result for one hypothesis against one reference. */
export function sentenceBleu(
  hyp: string,
  ref: string,
  tokenize: BleuTokenizer = tokenize13a,
  lowercase = true,
): BleuScore {
  return computeBleu(bleuStatistics(hyp, ref, tokenize, lowercase));
}

/** sacrebleu's BLEU score (0..100 scale) with "exp" smoothing, as `corpus_bleu([hyp], [[ref]])`. */
export function sentenceBleuScore(
  hyp: string,
  ref: string,
  tokenize: BleuTokenizer = tokenize13a,
  lowercase = true,
): number {
  return sentenceBleu(hyp, ref, tokenize, lowercase).score;
}

/**
 * The line the official scorer actually scores: `generation.lstrip("\n").rstrip("\n").split("\n")[0]`.
 * Only "\n" is stripped, so " \nText" and "\r\nText" leave a blank first line and score 0.
 */
export function officialFirstLine(generation: string): string {
  const stripped = pyStripChars(generation, '\n');
  const newline = stripped.indexOf('\n');
  return newline < 0 ? stripped : stripped.slice(0, newline);
}

/**
 * `calculate_bleu_score(generation, truth)` of the official scorer: lower-cased sacrebleu BLEU of
 * the generation's first line against the whole truth, divided by 100. Pass the Japanese
 * tokenizer for the jp-bleu metric (`is_japanese=True`).
 */
export function officialBleu(
  generation: string,
  truth: string,
  tokenize: BleuTokenizer = tokenize13a,
): number {
  return sentenceBleuScore(officialFirstLine(generation), truth, tokenize, true) / 100;
}
