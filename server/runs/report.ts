/**
 * Reports over run folders: per task, per track and overall scores of each run, and for several
 * runs on the same dataset the differences from the first (the baseline) with paired bootstrap
 * confidence intervals (questions resampled with replacement, the same draw for both runs, the
 * official aggregation recomputed on each draw).
 */
import { aggregate, type SampleScore, type ScoresReport } from '../scoring/evaluate';
import { mulberry32 } from '../util/seededRandom';
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
  /** Questions both runs answered, with the same task and truth. */
  paired: number;
  /** Questions with the same index whose task or truth differ (another dataset): left out. */
  mismatched: number;
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
  const paired = baseSamples.filter((s) => candSamples.some((c) => c.index === s.index)).length;
  return {
    differences: paired > 0 ? compareRuns(baseSamples, candSamples, resamples) : [],
    paired,
    mismatched,
  };
}

/** Differences of `candidate` from `baseline` over the questions both answered, with 95% CIs. */
export function compareRuns(
  baseline: readonly SampleScore[],
  candidate: readonly SampleScore[],
  resamples = 1000,
  seed = 1,
): Difference[] {
  const byIndex = new Map(candidate.map((s) => [s.index, s]));
  const pairs = baseline
    .filter((s) => byIndex.has(s.index))
    .map((s) => [s, byIndex.get(s.index)!] as const);
  const base = aggregate(pairs.map((p) => p[0]));
  const cand = aggregate(pairs.map((p) => p[1]));
  const scopes = scopesOf(base);
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
    return {
      scope,
      n: size,
      baseline: valueAt(base, scope),
      candidate: valueAt(cand, scope),
      delta: delta(valueAt(base, scope), valueAt(cand, scope)),
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
