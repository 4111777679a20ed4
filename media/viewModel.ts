/**
 * What the panel shows, computed from protocol data without touching the DOM: formatting,
 * question filters, chart series and difference rows. Kept pure so it is unit-tested in Node;
 * the DOM modules only lay these values out.
 */
import type {
  Difference,
  ParsedAnswer,
  RunListItem,
  RunRecord,
  SampleValue,
  ScoresReport,
} from '../server/protocol/runs';
import { TASK_TYPES, type TaskType } from '../server/protocol/shopBench';
import {
  compareTaskNames,
  coverageLine,
  failedCount,
  formatRunTime,
  plural,
  missingLine,
  missingOf,
  nothingComparable,
  notScoredCount,
  notScoredInBoth,
  questionCount,
  runIdTail,
  runName,
  scopeName,
  shortRunLabel,
  shortTrack,
  SHORT_LABEL_MAX,
} from '../server/protocol/runLabels';
import {
  STATUS_FILTERS,
  type PanelState,
  type QuestionFilters,
  type RunReport,
  type StatusFilter,
} from './protocol';

export const DEFAULT_FILTERS: QuestionFilters = {
  track: null,
  taskType: null,
  status: 'all',
};

export const DEFAULT_STATE: PanelState = {
  selectedRunDir: null,
  baselineDir: null,
  filters: DEFAULT_FILTERS,
  selectedIndex: null,
  scrollTop: 0,
};

// The run's name and time read the same in every view (server/protocol/runLabels.ts).
export { formatRunTime, plural, runName, scopeName, shortRunLabel, shortTrack, SHORT_LABEL_MAX };

// formatting -----------------------------------------------------------------------------------

/** Scores to four places (enough to see a bootstrap CI move), a dash when there is none. */
export function formatScore(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(4);
}

/** A signed delta, so a regression is visible without reading the colour. */
export function formatDelta(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(4)}`;
}

/** The parsed answer as the scorer saw it: lists comma-joined, strings verbatim (shown as text). */
export function formatParsed(parsed: ParsedAnswer | undefined): string {
  if (parsed === undefined) return '—';
  if (Array.isArray(parsed))
    return `[${parsed.map((p) => (typeof p === 'string' ? JSON.stringify(p) : String(p))).join(', ')}]`;
  return String(parsed);
}

/** The ground truth as a person reads it: lists comma-joined, strings verbatim, none as a dash. */
export function formatTruth(truth: unknown): string {
  if (truth === undefined || truth === null) return '—';
  if (Array.isArray(truth))
    return truth.map((t) => (typeof t === 'string' ? t : JSON.stringify(t))).join(', ');
  return typeof truth === 'string' ? truth : JSON.stringify(truth);
}

/** Which model calls of a question were replayed from the response cache ('' when none). */
export function cachedText(record: RunRecord): string {
  const parts: string[] = [];
  if (record.answer?.cached) parts.push('answer');
  if (record.stages.cot?.cached) parts.push('chain of thought');
  return parts.length === 0 ? '' : `cached ${parts.join(' and ')}`;
}

/** A per-sample value: accuracy's bool as 1/0, micro-F1 counts spelled out, numbers to four places. */
export function formatSampleValue(score: SampleValue | null): string {
  if (score === null) return 'not scored';
  if (typeof score === 'boolean') return score ? '1' : '0';
  if (Array.isArray(score)) return `tp ${score[0]} · fp ${score[1]} · fn ${score[2]}`;
  return formatScore(score);
}

// questions ------------------------------------------------------------------------------------

/** A question without a score: it failed, or its answer could not be scored (the row's mark). */
export function isFailure(record: RunRecord): boolean {
  return record.status !== 'ok' || record.score === null;
}

/** Answered, but without a score (no scoring model then, a free-form question). */
export function isNotScored(record: RunRecord): boolean {
  return record.status === 'ok' && record.score === null;
}

function matchesStatus(record: RunRecord, status: StatusFilter): boolean {
  if (status === 'failed') return record.status === 'failed';
  if (status === 'not-scored') return isNotScored(record);
  return true;
}

/** The status filter's choices with their counts: "Failed (0)", "Not scored (4)". */
export function statusChoices(
  records: readonly RunRecord[],
): { value: StatusFilter; text: string }[] {
  const failed = records.filter((r) => r.status === 'failed').length;
  const notScored = records.filter(isNotScored).length;
  return [
    { value: 'all', text: `All (${records.length})` },
    { value: 'failed', text: `Failed (${failed})` },
    { value: 'not-scored', text: `Not scored (${notScored})` },
  ];
}

export function statusText(record: RunRecord): string {
  if (record.status === 'failed') return record.error ? `failed (${record.error.stage})` : 'failed';
  return record.score === null ? 'not scored' : 'ok';
}

export function filterRecords(
  records: readonly RunRecord[],
  filters: QuestionFilters,
): RunRecord[] {
  return records.filter(
    (r) =>
      (filters.track === null || r.track === filters.track) &&
      (filters.taskType === null || r.task_type === filters.taskType) &&
      matchesStatus(r, filters.status),
  );
}

/** The choices the filters offer: only tracks and task types the run has, in a stable order. */
export function filterChoices(records: readonly RunRecord[]): {
  tracks: string[];
  taskTypes: TaskType[];
} {
  const tracks = new Set<string>();
  const types = new Set<TaskType>();
  for (const r of records) {
    if (r.track !== undefined) tracks.add(r.track);
    types.add(r.task_type);
  }
  return { tracks: [...tracks].sort(), taskTypes: TASK_TYPES.filter((t) => types.has(t)) };
}

/** A live record replaces the earlier one of its question (a retry supersedes a failure); kept in index order. */
export function upsertRecord(records: readonly RunRecord[], record: RunRecord): RunRecord[] {
  const out = records.filter((r) => r.index !== record.index);
  out.push(record);
  return out.sort((a, b) => a.index - b.index);
}

// scores ---------------------------------------------------------------------------------------

export interface TrackRow {
  track: string;
  /** Questions of the track's tasks. */
  samples: string;
  tasks: string;
  score: string;
}

export function trackRows(report: ScoresReport): TrackRow[] {
  return Object.entries(report.tracks).map(([track, score]) => {
    const tasks = report.tasks.filter((t) => t.track === track);
    return {
      track: shortTrack(track),
      samples: String(tasks.reduce((n, t) => n + t.num_samples, 0)),
      tasks: String(tasks.length),
      score: formatScore(score),
    };
  });
}

/** Tasks as people count them (task2 before task10), as every table of a run lists them. */
function byTaskName<T extends { task_name: string }>(tasks: readonly T[]): T[] {
  return [...tasks].sort((a, b) => compareTaskNames(a.task_name, b.task_name));
}

export interface TaskRow {
  task: string;
  taskType: string;
  metric: string;
  track: string;
  samples: string;
  score: string;
  /** Why the task has no score (some of its rows could not be scored). */
  unscoredReason?: string;
}

export function taskRows(report: ScoresReport): TaskRow[] {
  const reasons = new Map((report.unscored ?? []).map((u) => [u.task_name, u.reason]));
  return byTaskName(report.tasks).map((t) => ({
    task: t.task_name,
    taskType: t.task_type,
    metric: t.metric,
    track: t.track === undefined ? '—' : shortTrack(t.track),
    samples: String(t.num_samples),
    score: formatScore(t.score),
    unscoredReason: reasons.get(t.task_name),
  }));
}

export interface RunRow {
  runDir: string;
  /** 1 for the oldest run, so a run keeps its number as newer ones arrive (the chart's x axis). */
  number: number;
  /** The full label (hover, the report). */
  label: string;
  /** The label as a header: shortRunLabel. */
  shortLabel: string;
  /** Local time and the run id's tail ("2026-11-30 13:39 · 1b16"): two runs of one name differ. */
  date: string;
  overall: string;
  failed: string;
  questions: string;
  /** " · 4 not scored" (answered, in no score), '' when none. */
  notScored: string;
  /** The name a picker shows (runName): label, questions, time, id. */
  name: string;
}

/** Runs as the report's list shows them; a run still going counts its questions "so far". */
export function runRows(runs: readonly RunListItem[], progress: RunProgress = new Map()): RunRow[] {
  return runs.map((r, i) => {
    const live = progress.get(r.runDir);
    return {
      runDir: r.runDir,
      number: runs.length - i,
      label: r.label || r.runId,
      shortLabel: shortRunLabel(r.label || r.runId),
      date: `${formatRunTime(r.createdAt)} · ${runIdTail(r.runId)}`,
      overall: formatScore(r.overall),
      failed: failedCount(r),
      notScored: notScoredCount(r),
      questions: isRunning(live) ? questionCount(liveCounts(r, live), true) : questionCount(r),
      name: runName(r),
    };
  });
}

// differences ----------------------------------------------------------------------------------

/** Whether the 95% interval excludes zero, and which way; `too-few` below the minimum n. */
export type Significance = 'better' | 'worse' | 'unclear' | 'too-few' | 'unknown';

export interface DifferenceRow {
  scope: string;
  n: string;
  baseline: string;
  candidate: string;
  delta: string;
  interval: string;
  significance: Significance;
  verdict: string;
}

export function significanceOf(d: Difference, minPaired: number): Significance {
  if (d.n < minPaired) return 'too-few';
  if (d.low === null || d.high === null) return 'unknown';
  if (d.low > 0) return 'better';
  if (d.high < 0) return 'worse';
  return 'unclear';
}

const VERDICTS: Record<Significance, (minPaired: number) => string> = {
  better: () => 'better',
  worse: () => 'worse',
  unclear: () => 'CI spans 0',
  'too-few': (m) => `n < ${m}: no verdict`,
  unknown: () => '',
};

export function differenceRows(
  differences: readonly Difference[],
  minPaired: number,
): DifferenceRow[] {
  return differences.map((d) => {
    const significance = significanceOf(d, minPaired);
    return {
      scope: scopeName(d.scope),
      n: String(d.n),
      baseline: formatScore(d.baseline),
      candidate: formatScore(d.candidate),
      delta: formatDelta(d.delta),
      // Below the minimum n an interval would only look like evidence: none is shown.
      interval:
        significance === 'too-few' || d.low === null || d.high === null
          ? '—'
          : `[${formatDelta(d.low)}, ${formatDelta(d.high)}]`,
      significance,
      verdict: VERDICTS[significance](minPaired),
    };
  });
}

/** The line above the differences: how many questions were paired, and what that allows. */
export function pairingSummary(
  paired: number,
  mismatched: number,
  minPaired: number,
  notScored = 0,
  datasets?: string,
): string {
  const left =
    (mismatched > 0
      ? `; ${plural(mismatched, 'question')} left out (same index, other task or truth)`
      : '') + (notScored > 0 ? `; ${notScoredInBoth(notScored)}, left out` : '');
  // A different dataset is said first, as `mcpo report` says it (its line carries the count).
  const first = datasets ? `${datasets[0].toUpperCase()}${datasets.slice(1)}. ` : '';
  if (paired === 0)
    return `${first}${notScored > 0 ? 'No question scored in both runs' : 'No question answered by both runs'}${left}: nothing to compare.`;
  const few =
    paired < minPaired
      ? ` Fewer than ${minPaired} paired questions: differences are shown without intervals or verdicts.`
      : '';
  return `${first}${plural(paired, 'paired question')}${left}.${few}`;
}

// sidebar --------------------------------------------------------------------------------------

export interface SidebarRow {
  runDir: string;
  number: number;
  label: string;
  shortLabel: string;
  date: string;
  overall: string;
  meta: string;
  tracks: { track: string; score: string }[];
  /** "overall and track means cover 17 of 18 tasks (1 not scored)", '' when every task is scored. */
  coverage: string;
  /** "Incomplete: 64 of 96 questions failed and are not in these scores", '' for a complete run. */
  incomplete: string;
  /** Why each left-out task is not scored (the coverage line's hover). */
  coverageTitle: string;
  /** Per-task scores, for the card's collapsed task list; a not-scored task says why on hover. */
  tasks: { task: string; score: string; title: string }[];
  /** The overall difference from the baseline, '' when there is none to show. */
  delta: string;
  deltaTitle: string;
  isBaseline: boolean;
  significance: 'up' | 'down' | 'flat' | 'none';
}

/**
 * A live run's progress, from the run-state and record notifications: `total` is null from its
 * start until its first question finishes.
 */
export interface LiveRun {
  done: number;
  total: number | null;
}
export type RunProgress = ReadonlyMap<string, LiveRun>;

/** A run's counts; while it runs, the notifications' (current) over the listing's (from its start). */
export function liveCounts(run: RunListItem, live: LiveRun | undefined): RunListItem {
  return live?.total != null ? { ...run, questions: live.done, expected: live.total } : run;
}

/** A run still going, as the report's banner names it (C5 of the s22 try: the report read blank). */
export interface RunInProgress {
  runDir: string;
  /** "#3 paper prompts": which run, as the run list numbers it. */
  name: string;
  /** "Run in progress: 16 of 96 questions done". */
  text: string;
}

/** Every run still going, newest first (usually one). */
export function runsInProgress(
  runs: readonly RunListItem[],
  progress: RunProgress,
): RunInProgress[] {
  const rows = runRows(runs, progress);
  return runs.flatMap((run, i) => {
    const live = progress.get(run.runDir);
    if (!isRunning(live) || live === undefined) return [];
    // Before its first question finishes only the listing knows the run's size.
    const total = live.total ?? run.expected;
    const done =
      total === undefined
        ? plural(live.done, 'question')
        : `${live.done} of ${plural(total, 'question')}`;
    return [
      {
        runDir: run.runDir,
        name: `#${rows[i].number} ${rows[i].shortLabel}`,
        text: `Run in progress: ${done} done`,
      },
    ];
  });
}

export function isRunning(live: LiveRun | undefined): boolean {
  return live !== undefined && (live.total === null || live.done < live.total);
}

/** A live run's second line: "running 16/96" ("running…" until a question finishes); '' when not running. */
export function progressText(live: LiveRun | undefined): string {
  if (!isRunning(live) || live === undefined) return '';
  return live.total === null ? 'running…' : `running ${live.done}/${live.total}`;
}

/** What a live run's notifications say about it: started (nothing done yet), or done of total. */
export function liveProgress(
  progress: Map<string, LiveRun>,
  message: { runDir: string; state?: string; done?: number; total?: number },
): void {
  if (message.done !== undefined && message.total !== undefined)
    progress.set(message.runDir, { done: message.done, total: message.total });
  else if (message.state === 'started') {
    if (!progress.has(message.runDir)) progress.set(message.runDir, { done: 0, total: null });
  } else progress.delete(message.runDir);
}

export function sidebarRows(
  runs: readonly RunListItem[],
  baselineDir: string | null,
  minPaired: number,
  progress: RunProgress = new Map(),
): SidebarRow[] {
  return runRows(runs).map((row, i) => {
    const run = runs[i];
    const b = run.baseline;
    const isBaseline = baselineDir !== null && run.runDir === baselineDir;
    let delta = '';
    let deltaTitle = '';
    let significance: SidebarRow['significance'] = 'none';
    if (b !== undefined && !isBaseline) {
      if (b.paired === 0) {
        delta = nothingComparable(b.notScored ?? 0);
      } else {
        delta = `Δ ${formatDelta(b.delta)} · n ${b.paired}`;
        deltaTitle = `Overall difference from the baseline over ${plural(b.paired, 'paired question')}${b.notScored ? ` (${notScoredInBoth(b.notScored)} are left out)` : ''}${b.paired < minPaired ? ` (fewer than ${minPaired}: no verdict)` : ''}; the report has the intervals.`;
        significance = b.delta === null || b.delta === 0 ? 'flat' : b.delta > 0 ? 'up' : 'down';
      }
    }
    const live = progress.get(run.runDir);
    const running = isRunning(live);
    const counts = liveCounts(run, live);
    const unscored = run.unscored ?? [];
    const reasons = new Map(unscored.map((u) => [u.task_name, u.reason]));
    return {
      runDir: row.runDir,
      number: row.number,
      label: row.label,
      shortLabel: row.shortLabel,
      date: row.date,
      overall: row.overall,
      meta: running
        ? questionCount(counts, true)
        : `${questionCount(run)} · ${failedCount(run)}${notScoredCount(run)} · ${plural(run.tasks ?? 0, 'task')}${run.cached ? ` · ${run.cached} cached` : ''}`,
      tracks: Object.entries(run.tracks ?? {}).map(([track, score]) => ({
        track: shortTrack(track),
        score: formatScore(score),
      })),
      // A run still going is listed as at its start (no tasks answered): its coverage would read
      // "cover 0 of 18 tasks (18 have no answers)" with 60 questions answered (W2 of the s23 try).
      coverage: running
        ? ''
        : coverageLine({
            tasks: run.runTasks,
            answered: run.tasks ?? 0,
            unscored: unscored.length,
          }),
      incomplete: running ? '' : incompleteText(run),
      coverageTitle: unscored.map((u) => `${u.task_name} not scored: ${u.reason}`).join('\n'),
      tasks: byTaskName(run.taskScores ?? []).map((t) => {
        const reason = reasons.get(t.task_name);
        return {
          task: t.task_name,
          score: reason === undefined ? formatScore(t.score) : 'not scored',
          title: reason === undefined ? t.metric : `${t.metric}; not scored: ${reason}`,
        };
      }),
      delta,
      deltaTitle,
      isBaseline,
      significance,
    };
  });
}

/** "Incomplete: 64 of 96 questions failed and are not in these scores", as the CLI's INCOMPLETE line. */
export function incompleteText(run: RunListItem): string {
  const line = missingLine(missingOf(run));
  return line ? `Incomplete: ${line}` : '';
}

// chart across runs ----------------------------------------------------------------------------

export interface TrendRun {
  runDir: string;
  number: number;
  label: string;
  selected: boolean;
}

export interface TrendSeries {
  label: string;
  values: (number | null)[];
  /** The overall score: drawn heavier. */
  emphasis: boolean;
}

export interface TrendChart {
  runs: TrendRun[];
  series: TrendSeries[];
  max: number;
}

/**
 * Overall and per-track scores across runs (oldest first), one series per track: the number of
 * series is the number of tracks, whatever the number of runs, so colours never run out.
 */
export function buildTrendChart(
  reports: readonly RunReport[],
  numbers: ReadonlyMap<string, number>,
  selectedRunDir: string | null,
): TrendChart {
  const tracks: string[] = [];
  for (const r of reports)
    for (const t of Object.keys(r.report.tracks)) if (!tracks.includes(t)) tracks.push(t);
  const finite = (v: number | null | undefined): number | null =>
    v === null || v === undefined || !Number.isFinite(v) ? null : v;
  const series: TrendSeries[] = [
    { label: 'overall', emphasis: true, values: reports.map((r) => finite(r.report.overall)) },
    ...tracks.map((t) => ({
      label: `track ${shortTrack(t)}`,
      emphasis: false,
      values: reports.map((r) => finite(r.report.tracks[t])),
    })),
  ];
  let max = 1;
  for (const s of series) for (const v of s.values) if (v !== null && v > max) max = v;
  return {
    runs: reports.map((r, i) => ({
      runDir: r.runDir,
      number: numbers.get(r.runDir) ?? i + 1,
      label: r.label,
      selected: r.runDir === selectedRunDir,
    })),
    series: series.filter((s) => s.values.some((v) => v !== null)),
    max,
  };
}

export interface TaskMatrix {
  runs: TrendRun[];
  rows: { task: string; metric: string; cells: string[] }[];
}

/** Per-task scores across runs as a table (tasks × runs): numbers read better than 300 bars. */
export function buildTaskMatrix(
  reports: readonly RunReport[],
  numbers: ReadonlyMap<string, number>,
  selectedRunDir: string | null,
): TaskMatrix {
  const order: { task: string; metric: string }[] = [];
  for (const r of reports)
    for (const t of r.report.tasks)
      if (!order.some((o) => o.task === t.task_name))
        order.push({ task: t.task_name, metric: t.metric });
  order.sort((a, b) => compareTaskNames(a.task, b.task));
  const chart = buildTrendChart(reports, numbers, selectedRunDir);
  return {
    runs: chart.runs,
    rows: order.map(({ task, metric }) => ({
      task,
      metric,
      cells: reports.map((r) => {
        const t = r.report.tasks.find((x) => x.task_name === task);
        return t === undefined ? '' : formatScore(t.score);
      }),
    })),
  };
}

/** Run numbers by folder, as the run list numbers them (1 = oldest). */
export function runNumbers(runs: readonly RunListItem[]): Map<string, number> {
  return new Map(runRows(runs).map((r) => [r.runDir, r.number]));
}

// state ----------------------------------------------------------------------------------------

/**
 * The state restored from `vscode.getState()`, checked field by field: it may come from an
 * older panel version, and a bad field must fall back to its default rather than break the view.
 */
export function sanitizeState(value: unknown): PanelState {
  if (typeof value !== 'object' || value === null) return DEFAULT_STATE;
  const v = value as Record<string, unknown>;
  const f =
    typeof v.filters === 'object' && v.filters !== null
      ? (v.filters as Record<string, unknown>)
      : {};
  const taskType = TASK_TYPES.find((t) => t === f.taskType) ?? null;
  // An older panel kept a "failures only" box: it meant the failed questions.
  const status =
    STATUS_FILTERS.find((s) => s === f.status) ?? (f.failuresOnly === true ? 'failed' : 'all');
  return {
    selectedRunDir: typeof v.selectedRunDir === 'string' ? v.selectedRunDir : null,
    baselineDir: typeof v.baselineDir === 'string' ? v.baselineDir : null,
    filters: {
      track: typeof f.track === 'string' ? f.track : null,
      taskType,
      status,
    },
    selectedIndex:
      typeof v.selectedIndex === 'number' && Number.isInteger(v.selectedIndex)
        ? v.selectedIndex
        : null,
    scrollTop:
      typeof v.scrollTop === 'number' && Number.isFinite(v.scrollTop) && v.scrollTop >= 0
        ? v.scrollTop
        : 0,
  };
}

/** The run to show after a (re)listing: the remembered one if it still exists, else the newest. */
export function pickRun(runs: readonly RunListItem[], remembered: string | null): string | null {
  if (remembered !== null && runs.some((r) => r.runDir === remembered)) return remembered;
  return runs[0]?.runDir ?? null;
}
