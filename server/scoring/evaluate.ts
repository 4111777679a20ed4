/**
 * Scores raw model responses against ShopBench rows exactly as the official local evaluation
 * does: parse with the task type's parser, score with the row's metric, then aggregate per task
 * (numpy mean, or micro F1 over summed counts), per track, and overall (mean of task scores).
 *
 * Embedding metrics need a sentence-embedding model. When one cannot be loaded, the rows it
 * scores are reported as not scored, with the reason, and every other score is still returned.
 */
import {
  isEmbeddingMetric,
  type Metric,
  type ShopBenchRow,
  type TaskType,
} from '../dataset/shopbench';
import { cosineSample } from './official/cosineSample';
import {
  accuracy,
  hitRate3,
  MetricError,
  microF1,
  ndcg,
  tpFpFn,
  type TpFpFn,
} from './official/metrics';
import { numpyMean, type ScoreDtype } from './python/numpyMean';
import { parseResponse, type ParsedAnswer } from './official/parsers';
import { rougeLFMeasure } from './official/rougeL';
import { officialBleu } from './official/sacreBleu';
import type { JapaneseTokenizer } from './official/japaneseTokenizer';
import { UserError } from '../userError';

/**
 * The fields of a row that scoring reads. Not the question: scoring never looks at it, and
 * leaving it out keeps each answer's hand-off to the engine worker small (the question is most
 * of a row's bytes).
 */
export type ScoredRow = Pick<
  ShopBenchRow,
  'task_name' | 'task_type' | 'metric' | 'track' | 'output_field'
>;

/** The scored fields of `row`, copied (a whole row passed on would be cloned whole). */
export function scoredRow(row: ScoredRow): ScoredRow {
  const { task_name, task_type, metric, track, output_field } = row;
  return { task_name, task_type, metric, track, output_field };
}

/** One row to score: its ordinal in the dataset, the row, and the model's raw output. */
export interface SampleInput {
  index: number;
  row: ScoredRow;
  response: string;
}

// Per-sample values and the report are shown by the views: their home is the protocol.
import type { SampleValue, ScoresReport, TaskScore } from '../protocol/runs';
export type { SampleValue, ScoresReport, TaskScore };

export interface SampleScore {
  index: number;
  task_name: string;
  task_type: TaskType;
  metric: Metric;
  track?: string;
  parsed: ParsedAnswer;
  /** null when the row could not be scored (see `error`). */
  score: SampleValue | null;
  /** numpy's dtype for this value when per-task means are taken. */
  dtype: ScoreDtype;
  warnings: string[];
  error?: string;
}

/** Embeds texts for the sent-transformer metrics; `null` model means it could not be loaded. */
export interface EmbeddingSource {
  /** Float32 embeddings of `texts`, in order. Throws when the model cannot be loaded. */
  embed(
    metric: 'sent-transformer' | 'multilingual-sent-transformer',
    texts: readonly string[],
  ): Promise<Float32Array[]>;
}

export interface ScoreOptions {
  embeddings?: EmbeddingSource;
  /** Needed only for jp-bleu rows. */
  japaneseTokenizer?: () => Promise<JapaneseTokenizer>;
}

/** A row the official code would crash on; named so the user can fix it. */
export class ScoringError extends UserError {}

/** Scores every sample; embedding and Japanese rows are batched per model. */
export async function scoreSamples(
  samples: readonly SampleInput[],
  options: ScoreOptions = {},
): Promise<SampleScore[]> {
  const results: SampleScore[] = samples.map((s) => scoreWithoutModels(s));
  await scoreJapaneseBleu(samples, results, options);
  await scoreEmbeddingMetrics(samples, results, options);
  return results;
}

function scoreWithoutModels(sample: SampleInput): SampleScore {
  const { row, response, index } = sample;
  const { value: parsed, warnings } = parseResponse(row.task_type, response);
  const base: SampleScore = {
    index,
    task_name: row.task_name,
    task_type: row.task_type,
    metric: row.metric,
    track: row.track,
    parsed,
    score: null,
    dtype: 'float64',
    warnings,
  };
  try {
    base.score = scoreParsed(row.metric, parsed, row.output_field);
  } catch (err) {
    if (err instanceof MetricError)
      throw new ScoringError(`row ${index + 1} (${row.task_name}): ${err.message}`);
    throw err;
  }
  return base;
}

/** The metrics that are pure functions of the parsed answer; null for the model-backed ones. */
function scoreParsed(
  metric: Metric,
  parsed: ParsedAnswer,
  truth: ShopBenchRow['output_field'],
): SampleValue | null {
  switch (metric) {
    case 'accuracy':
      return accuracy(parsed as number, truth as number);
    case 'hit rate@3':
      return hitRate3(parsed as number[], truth as number[]);
    case 'ndcg':
      return ndcg(parsed as number[], truth as number[]);
    case 'micro f1':
      return tpFpFn(parsed as string[], truth as string[]);
    case 'rougel':
      return rougeLFMeasure(parsed as string, truth as string);
    case 'bleu':
      return officialBleu(parsed as string, truth as string);
    case 'jp-bleu':
    case 'sent-transformer':
    case 'multilingual-sent-transformer':
      return null;
  }
}

async function scoreJapaneseBleu(
  samples: readonly SampleInput[],
  results: SampleScore[],
  options: ScoreOptions,
): Promise<void> {
  const rows = results.filter((r) => r.metric === 'jp-bleu');
  if (rows.length === 0) return;
  let tokenizer: JapaneseTokenizer;
  try {
    if (!options.japaneseTokenizer) throw new Error('no Japanese tokenizer was provided');
    tokenizer = await options.japaneseTokenizer();
  } catch (err) {
    for (const r of rows) r.error = `jp-bleu needs the Japanese tokenizer: ${message(err)}`;
    return;
  }
  const byIndex = new Map(samples.map((s) => [s.index, s]));
  for (const r of rows) {
    const truth = byIndex.get(r.index)!.row.output_field as string;
    r.score = officialBleu(r.parsed as string, truth, (s) => tokenizer.tokenize(s));
  }
}

async function scoreEmbeddingMetrics(
  samples: readonly SampleInput[],
  results: SampleScore[],
  options: ScoreOptions,
): Promise<void> {
  if (!results.some((r) => isEmbeddingMetric(r.metric))) return;
  const byIndex = new Map(samples.map((s) => [s.index, s]));
  for (const metric of ['sent-transformer', 'multilingual-sent-transformer'] as const) {
    const rows = results.filter((r) => r.metric === metric);
    if (rows.length === 0) continue;
    // One batch of unique texts per model: generations and every reference.
    const texts = new Map<string, number>();
    for (const r of rows) {
      const truth = byIndex.get(r.index)!.row.output_field as string | string[];
      for (const t of [r.parsed as string, ...(Array.isArray(truth) ? truth : [truth])]) {
        if (!texts.has(t)) texts.set(t, texts.size);
      }
    }
    let vectors: Float32Array[];
    try {
      if (!options.embeddings) throw new Error('no embedding model was configured');
      vectors = await options.embeddings.embed(metric, [...texts.keys()]);
    } catch (err) {
      for (const r of rows) r.error = `${metric} could not be scored: ${message(err)}`;
      continue;
    }
    for (const r of rows) {
      const truth = byIndex.get(r.index)!.row.output_field as string | string[];
      const refs = (Array.isArray(truth) ? truth : [truth]).map((t) => vectors[texts.get(t)!]);
      const { value, dtype } = cosineSample(
        vectors[texts.get(r.parsed as string)!],
        refs,
        Array.isArray(truth),
      );
      r.score = value;
      r.dtype = dtype;
    }
  }
}

/** Per task, per track and overall scores from per-sample scores, in first-appearance order. */
export function aggregate(samples: readonly SampleScore[]): ScoresReport {
  const groups = new Map<string, SampleScore[]>();
  for (const s of samples) {
    const group = groups.get(s.task_name);
    if (group) group.push(s);
    else groups.set(s.task_name, [s]);
  }
  const tasks: TaskScore[] = [];
  const unscored: { task_name: string; reason: string }[] = [];
  const dtypes = new Map<TaskScore, ScoreDtype>();
  for (const [taskName, group] of groups) {
    const first = group[0];
    const failed = group.find((s) => s.score === null);
    // The official code aggregates by the first row's metric and raises on a micro f1 triple
    // among numbers (or a number among triples); dataset validation names such rows first.
    const mixed = group.find((s) => (s.metric === 'micro f1') !== (first.metric === 'micro f1'));
    let score: number | null = null;
    let dtype: ScoreDtype = 'float64';
    if (failed) unscored.push({ task_name: taskName, reason: failed.error ?? 'not scored' });
    else if (mixed)
      unscored.push({
        task_name: taskName,
        reason: `row ${mixed.index + 1} is scored with "${mixed.metric}" but the task's first row (row ${first.index + 1}) with "${first.metric}": the official evaluation raises when it aggregates such a task`,
      });
    else ({ score, dtype } = taskScore(first.metric, group));
    const task: TaskScore = {
      task_name: taskName,
      task_type: first.task_type,
      metric: first.metric,
      track: first.track,
      num_samples: group.length,
      score,
    };
    tasks.push(task);
    dtypes.set(task, dtype);
  }
  const scored = tasks.filter((t) => t.score !== null);
  const tracks: Record<string, number | null> = {};
  for (const track of new Set(
    tasks.map((t) => t.track).filter((t): t is string => t !== undefined),
  )) {
    const inTrack = scored.filter((t) => t.track === track);
    tracks[track] = inTrack.length > 0 ? meanOfTaskScores(inTrack, dtypes) : null;
  }
  const report: ScoresReport = {
    tasks,
    tracks,
    overall: scored.length > 0 ? meanOfTaskScores(scored, dtypes) : null,
  };
  if (unscored.length > 0) report.unscored = unscored;
  return report;
}

/** The official per-task aggregate: micro F1 over summed counts, else np.mean of the samples. */
function taskScore(
  metric: Metric,
  group: readonly SampleScore[],
): { score: number; dtype: ScoreDtype } {
  // The official code decides by the task's first row's metric.
  if (metric === 'micro f1')
    return { score: microF1(group.map((s) => s.score as TpFpFn)), dtype: 'float64' };
  const dtype: ScoreDtype = group.every((s) => s.dtype === 'float32') ? 'float32' : 'float64';
  return {
    score: numpyMean(
      group.map((s) => Number(s.score)),
      dtype,
    ),
    dtype,
  };
}

/** np.mean of task scores: float32 only when every task's mean is a numpy float32. */
function meanOfTaskScores(
  tasks: readonly TaskScore[],
  dtypes: ReadonlyMap<TaskScore, ScoreDtype>,
): number {
  const dtype: ScoreDtype = tasks.every((t) => dtypes.get(t) === 'float32') ? 'float32' : 'float64';
  return numpyMean(
    tasks.map((t) => t.score as number),
    dtype,
  );
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
