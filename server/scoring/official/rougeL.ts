/**
 * ROUGE-L F-measure exactly as the ShopBench scorer computes it:
 * `rouge_score.RougeScorer(["rougeL"], use_stemmer=True).score(generation, truth)["rougeL"].fmeasure`.
 *
 * rouge_score calls its first argument the target and its second the prediction, so the
 * scorer's "precision" divides by the truth's token count and "recall" by the generation's.
 */
import { porterStem } from './porterStemmer';
import { pyLower, pySplitWhitespace } from '../python/pythonText';

/** rouge_score replaces every run outside [a-z0-9] (after lower()) by one space. */
const NON_ALPHANUMERIC_RUN = /[^a-z0-9]+/g;
/** rouge_score's final filter: keep only non-empty [a-z0-9] tokens. */
const VALID_TOKEN = /^[a-z0-9]+$/;
/** rouge_score only stems tokens longer than this. */
const MAX_UNSTEMMED_LENGTH = 3;

/**
 * rouge_score's tokenizer with the Porter stemmer. Lower-casing is Python's, so non-ASCII letters
 * vanish ("Größe" -> "gr", "e") and the Kelvin sign becomes "k".
 */
export function rougeTokens(text: string): string[] {
  const spaced = pyLower(text).replace(NON_ALPHANUMERIC_RUN, ' ');
  const tokens: string[] = [];
  for (const raw of pySplitWhitespace(spaced)) {
    const token = raw.length > MAX_UNSTEMMED_LENGTH ? porterStem(raw) : raw;
    if (VALID_TOKEN.test(token)) tokens.push(token);
  }
  return tokens;
}

// Reused across calls so scoring many rows does not allocate a DP table per call.
let previousRow = new Int32Array(64);
let currentRow = new Int32Array(64);

/** Token strings to small integers so the DP inner loop compares numbers, not strings. */
function toIds(a: readonly string[], b: readonly string[]): [Int32Array, Int32Array] {
  const ids = new Map<string, number>();
  const encode = (tokens: readonly string[]): Int32Array => {
    const out = new Int32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      let id = ids.get(tokens[i]);
      if (id === undefined) {
        id = ids.size;
        ids.set(tokens[i], id);
      }
      out[i] = id;
    }
    return out;
  };
  return [encode(a), encode(b)];
}

/** Length of the longest common subsequence, two DP rows of length |b| + 1. */
function lcsLength(a: Int32Array, b: Int32Array): number {
  const width = b.length + 1;
  if (previousRow.length < width) {
    previousRow = new Int32Array(width);
    currentRow = new Int32Array(width);
  }
  let prev = previousRow;
  let curr = currentRow;
  prev.fill(0, 0, width);
  curr[0] = 0;
  for (let i = 0; i < a.length; i++) {
    const ai = a[i];
    for (let j = 1; j < width; j++) {
      if (ai === b[j - 1]) curr[j] = prev[j - 1] + 1;
      else curr[j] = prev[j] >= curr[j - 1] ? prev[j] : curr[j - 1];
    }
    const swap = prev;
    prev = curr;
    curr = swap;
  }
  return prev[width - 1];
}

/** `rouge_score.scoring.fmeasure`: 0.0 when precision + recall is not positive. */
function fmeasure(precision: number, recall: number): number {
  // Evaluated in Python's order, ((2 * p) * r) / (p + r), so the double is identical.
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

/** The official `calculate_rougel(generation, truth)`. */
export function rougeLFMeasure(generation: string, truth: string): number {
  const target = rougeTokens(generation);
  const prediction = rougeTokens(truth);
  // rouge_score returns a zero score when either side has no tokens.
  if (target.length === 0 || prediction.length === 0) return 0;
  // The LCS is symmetric; put the shorter sequence on the row so the buffers stay small.
  const [targetIds, predictionIds] = toIds(target, prediction);
  const lcs =
    targetIds.length >= predictionIds.length
      ? lcsLength(targetIds, predictionIds)
      : lcsLength(predictionIds, targetIds);
  const precision = lcs / prediction.length;
  const recall = lcs / target.length;
  return fmeasure(precision, recall);
}
