/**
 * The official per-sample metrics that need no model (starter kit metrics.py), with the
 * official quirks: NDCG reads index 0 as the last weight and can exceed 1 on duplicates, hit
 * rate@3 divides by len(truth), micro F1 is 0 without true positives.
 */
import { pyLower, pyStrip } from '../python/pythonText';

/** A metric the official code would raise on, reported with the row instead of a stack trace. */
export class MetricError extends Error {}

/** `prediction == truth`. */
export function accuracy(prediction: number, truth: number): boolean {
  return prediction === truth;
}

/** `len(set(truth) & set(retrieved[:3])) / len(truth)`. */
export function hitRate3(retrieved: readonly number[], truth: readonly number[]): number {
  if (truth.length === 0)
    throw new MetricError(
      'hit rate@3 of an empty truth list divides by zero (the official code raises ZeroDivisionError)',
    );
  const top = new Set(retrieved.slice(0, 3));
  let hits = 0;
  for (const t of new Set(truth)) if (top.has(t)) hits++;
  return hits / truth.length;
}

/**
 * NDCG over the predicted item numbers (1-based) against the truth's relevance weights.
 * Python indexing is kept: item 0 reads weights[-1]; items past the end count 0; an index below
 * -len raises. The prediction is cut to len(weights) first; duplicates are not rejected.
 */
export function ndcg(predicted: readonly number[], weights: readonly number[]): number {
  const ranked = predicted.length > weights.length ? predicted.slice(0, weights.length) : predicted;
  let dcg = 0;
  for (let i = 0; i < ranked.length; i++) {
    const index = ranked[i] - 1;
    let relevance: number;
    if (index >= weights.length) relevance = 0;
    else if (index >= 0) relevance = weights[index];
    else if (index >= -weights.length) relevance = weights[weights.length + index];
    else
      throw new MetricError(
        `ndcg: item ${ranked[i]} is out of range for ${weights.length} weights (the official code raises IndexError)`,
      );
    dcg += (Math.pow(2, relevance) - 1) / Math.log2(i + 2);
  }
  const ideal = [...weights].sort((a, b) => b - a);
  let idcg = 0;
  for (let i = 0; i < ideal.length; i++) idcg += (Math.pow(2, ideal[i]) - 1) / Math.log2(i + 2);
  if (idcg === 0) return 0;
  return dcg / idcg;
}

export type TpFpFn = [number, number, number];

/**
 * NER counts for one sample: the extracted side is lower-cased and stripped, the truth side only
 * lower-cased; duplicates in the extraction count as false positives.
 */
export function tpFpFn(extracted: readonly string[], truth: readonly string[]): TpFpFn {
  const answers = extracted.map((e) => pyStrip(pyLower(e)));
  const truthLower = truth.map((t) => pyLower(t));
  const truthSet = new Set(truthLower);
  let tp = 0;
  for (const a of new Set(answers)) if (truthSet.has(a)) tp++;
  return [tp, answers.length - tp, truthLower.length - tp];
}

/** Micro F1 over summed [tp, fp, fn]; 0 when there is no true positive. */
export function microF1(counts: readonly TpFpFn[]): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const [a, b, c] of counts) {
    tp += a;
    fp += b;
    fn += c;
  }
  if (tp === 0) return 0;
  const precision = tp / (tp + fp);
  const recall = tp / (tp + fn);
  return (2 * precision * recall) / (precision + recall);
}
