/**
 * Reports over run folders: per task, per track and overall scores of each run, and for several
 * runs on the same dataset the differences from the first (the baseline) with paired bootstrap
 * confidence intervals (questions resampled with replacement, the same draw for both runs, the
 * official aggregation recomputed on each draw).
 */
import { aggregate, type SampleScore, type ScoresReport } from '../scoring/evaluate';
import { mulberry32 } from '../util/seededRandom';
import * as path from 'node:path';
import type { RunRecord } from './runTypes';
import type { RunStore } from './runStore';
import { answeredNotScored } from '../protocol/runLabels';
import { questionsInScope } from './runScope';
import { runTaskCount } from './runTasks';

export interface RunSummary {
  label: string;
  dir: string;
  /** Questions with a record (answered or failed). */
  questions: number;
  /** Questions the run was asked to answer (the dataset's rows, or the first `--limit`). */
  expected: number;
  failed: number;
  /** Answered but not scored (see answeredNotScored): a resume asks them again too. */
  notScored?: number;
  /** The run's tasks, answered or not (runTaskCount); absent when not known. */
  tasks?: number;
  /** Questions whose answer was replayed from the response cache (no request was made). */
  cached: number;
  report: ScoresReport;
}

// A difference is what the report panel shows: its home is the protocol.
import {
  FREE_FORM_NOT_SCORED,
  FREE_FORM_TASK_NAME,
  MIN_PAIRED,
  type Difference,
  type RunConfigSummary,
} from '../protocol/runs';
export type { Difference };

/** The scored samples of a run's successful questions (failed ones are counted, never scored). */
export function runSamples(records: Iterable<RunRecord>): SampleScore[] {
  const out: SampleScore[] = [];
  for (const r of records) {
    if (r.status !== 'ok') continue;
    out.push({
      index: r.index,
      task_name: r.task_name,
      task_type: r.task_type,
      metric: r.metric,
      track: r.track,
      parsed: r.parsed ?? '',
      score: r.score,
      dtype: r.dtype ?? 'float64',
      warnings: r.warnings,
      error: r.score === null ? (r.error?.message ?? notScoredReason(r)) : undefined,
    });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** Why an answer without an error has no score: the report says it under "Not scored:". */
function notScoredReason(r: RunRecord): string {
  return r.task_name === FREE_FORM_TASK_NAME ? FREE_FORM_NOT_SCORED : 'not scored';
}

export function summarizeRun(store: RunStore): RunSummary {
  const records = [...store.records.values()];
  return {
    label: store.config.label,
    dir: store.dir,
    questions: records.length,
    expected: questionsInScope(store.config.data),
    failed: records.filter((r) => r.status === 'failed').length,
    notScored: records.filter(answeredNotScored).length,
    tasks: runTaskCount(store.config, store.records),
    cached: records.filter((r) => r.answer?.cached === true).length,
    report: aggregate(runSamples(records)),
  };
}

export interface RunComparison {
  differences: Difference[];
  /**
   * Questions that enter the overall difference: both runs answered them with the same task and
   * truth, and their task is scored in both.
   */
  paired: number;
  /** Questions with the same index whose task or truth differ (another dataset): left out. */
  mismatched: number;
  /** Questions both runs answered whose task is not scored in one of them: left out. */
  notScored: number;
}

/**
 * Whether two runs read one dataset (the README: comparisons are for runs on the same dataset).
 * The same bytes are; a VS Code run reads a snapshot of the editor's rows (`input`), whose bytes
 * differ with the selection, so there the user's file decides.
 */
export function sameDataset(a: RunConfigSummary['data'], b: RunConfigSummary['data']): boolean {
  if (a.sha256 === b.sha256) return true;
  if (a.input === undefined && b.input === undefined) return false;
  return path.resolve(a.file) === path.resolve(b.file);
}

/**
 * Compares two runs question by question. Runs need not share a dataset file (a one-row run from
 * the editor has its own input file): a question pairs when both runs answered the same index with
 * the same task and truth, which is what makes the comparison meaningful.
 */
export function compareRunRecords(
  baseline: Iterable<RunRecord>,
  candidate: Iterable<RunRecord>,
  resamples = 1000,
): RunComparison {
  const candidateByIndex = new Map<number, RunRecord>();
  for (const r of candidate) candidateByIndex.set(r.index, r);
  const base: RunRecord[] = [];
  const cand: RunRecord[] = [];
  let mismatched = 0;
  for (const b of baseline) {
    const c = candidateByIndex.get(b.index);
    if (!c) continue;
    if (c.task_name !== b.task_name || JSON.stringify(c.truth) !== JSON.stringify(b.truth)) {
      mismatched++;
      continue;
    }
    base.push(b);
    cand.push(c);
  }
  const baseSamples = runSamples(base);
  const candSamples = runSamples(cand);
  const candIndices = new Set(candSamples.map((c) => c.index));
  const answeredByBoth = baseSamples.filter((s) => candIndices.has(s.index)).length;
  const differences = answeredByBoth > 0 ? compareRuns(baseSamples, candSamples, resamples) : [];
  const paired = differences.find((d) => d.scope === 'overall')?.n ?? 0;
  return { differences, paired, mismatched, notScored: answeredByBoth - paired };
}

/**
 * Differences of `candidate` from `baseline` over the questions both answered, with 95% CIs.
 * Only tasks scored in both runs enter the means and each scope's n: a task one run could not
 * score (no scoring model) would otherwise compare means over different tasks. Such a task keeps
 * its row (its score where there is one, no delta, n 0).
 */
export function compareRuns(
  baseline: readonly SampleScore[],
  candidate: readonly SampleScore[],
  resamples = 1000,
  seed = 1,
): Difference[] {
  const byIndex = new Map(candidate.map((s) => [s.index, s]));
  const answered = baseline
    .filter((s) => byIndex.has(s.index))
    .map((s) => [s, byIndex.get(s.index)!] as const);
  const baseAll = aggregate(answered.map((p) => p[0]));
  const candAll = aggregate(answered.map((p) => p[1]));
  const scoredIn = (r: ScoresReport) =>
    new Set(r.tasks.filter((t) => t.score !== null).map((t) => t.task_name));
  const baseScored = scoredIn(baseAll);
  const candScored = scoredIn(candAll);
  const pairs = answered.filter(
    (p) => baseScored.has(p[0].task_name) && candScored.has(p[0].task_name),
  );
  const base = aggregate(pairs.map((p) => p[0]));
  const cand = aggregate(pairs.map((p) => p[1]));
  // A task's own row reads the full aggregates: a task scored on one side shows that score.
  const at = (report: ScoresReport, all: ScoresReport, scope: string) =>
    valueAt(scope === 'overall' || scope.startsWith('track ') ? report : all, scope);
  const scopes = scopesOf(baseAll);
  const n = new Map(
    scopes.map((scope) => [scope, pairs.filter((p) => inScope(p[0], scope)).length]),
  );
  const draws = new Map<string, number[]>(scopes.map((s) => [s, []]));
  const random = mulberry32(seed);
  // Resample within each task so every task keeps its size (tasks are the unit of the official mean).
  const byTask = new Map<string, (typeof pairs)[number][]>();
  for (const p of pairs) {
    const list = byTask.get(p[0].task_name);
    if (list) list.push(p);
    else byTask.set(p[0].task_name, [p]);
  }
  for (let b = 0; b < resamples; b++) {
    const drawn: (typeof pairs)[number][] = [];
    for (const list of byTask.values()) {
      for (let i = 0; i < list.length; i++) drawn.push(list[Math.floor(random() * list.length)]);
    }
    const a = aggregate(drawn.map((p) => p[0]));
    const c = aggregate(drawn.map((p) => p[1]));
    for (const scope of scopes) {
      const d = delta(valueAt(a, scope), valueAt(c, scope));
      if (d !== null && Number.isFinite(d)) draws.get(scope)!.push(d);
    }
  }
  return scopes.map((scope) => {
    const sorted = draws.get(scope)!.sort((x, y) => x - y);
    const size = n.get(scope) ?? 0;
    const interval = sorted.length > 0 && size >= MIN_PAIRED;
    const b = at(base, baseAll, scope);
    const c = at(cand, candAll, scope);
    return {
      scope,
      n: size,
      baseline: b,
      candidate: c,
      delta: size > 0 ? delta(b, c) : null,
      low: interval ? quantile(sorted, 0.025) : null,
      high: interval ? quantile(sorted, 0.975) : null,
    };
  });
}

function scopesOf(report: ScoresReport): string[] {
  return [
    'overall',
    ...Object.keys(report.tracks).map((t) => `track ${t}`),
    ...report.tasks.map((t) => t.task_name),
  ];
}

function inScope(sample: SampleScore, scope: string): boolean {
  if (scope === 'overall') return true;
  if (scope.startsWith('track ')) return sample.track === scope.slice(6);
  return sample.task_name === scope;
}

function valueAt(report: ScoresReport, scope: string): number | null {
  if (scope === 'overall') return report.overall;
  if (scope.startsWith('track ')) return report.tracks[scope.slice(6)] ?? null;
  return report.tasks.find((t) => t.task_name === scope)?.score ?? null;
}

function delta(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : b - a;
}

/** Linear-interpolated quantile of sorted values (numpy's default method). */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
