/**
 * What the panel shows, computed from protocol data without touching the DOM: formatting,
 * question filters, chart series and difference rows. Kept pure so it is unit-tested in Node;
 * the DOM modules only lay these values out.
 */
import type { TaskType } from '../server/dataset/shopbench';
import type { RunListItem } from '../server/protocol';
import type { Difference } from '../server/runs/report';
import type { RunRecord } from '../server/runs/runTypes';
import type { ParsedAnswer } from '../server/scoring/parsers';
import type { SampleValue, ScoresReport } from '../server/scoring/evaluate';
import type { PanelState, QuestionFilters, RunReport } from './protocol';

/** Mirrors server/dataset/shopbench.ts TASK_TYPES; a value import would pull server code into the bundle. */
const TASK_TYPES: readonly TaskType[] = [
  'multiple-choice',
  'retrieval',
  'ranking',
  'generation',
  'named_entity_recognition',
];

export const DEFAULT_FILTERS: QuestionFilters = {
  track: null,
  taskType: null,
  failuresOnly: false,
};

export const DEFAULT_STATE: PanelState = {
  selectedRunDir: null,
  baselineDir: null,
  filters: DEFAULT_FILTERS,
  selectedIndex: null,
  scrollTop: 0,
};

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

/** `2026-11-27T15:38:39.000Z` → `2026-11-27 15:38` (UTC, as the run id is); unparseable dates as given. */
export function formatDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 16)}`;
}

/** The parsed answer as the scorer saw it: lists comma-joined, strings verbatim (shown as text). */
export function formatParsed(parsed: ParsedAnswer | undefined): string {
  if (parsed === undefined) return '—';
  if (Array.isArray(parsed))
    return `[${parsed.map((p) => (typeof p === 'string' ? JSON.stringify(p) : String(p))).join(', ')}]`;
  return String(parsed);
}

/** A per-sample value: accuracy's bool as 1/0, micro-F1 counts spelled out, numbers to four places. */
export function formatSampleValue(score: SampleValue | null): string {
  if (score === null) return 'not scored';
  if (typeof score === 'boolean') return score ? '1' : '0';
  if (Array.isArray(score)) return `tp ${score[0]} · fp ${score[1]} · fn ${score[2]}`;
  return formatScore(score);
}

// questions ------------------------------------------------------------------------------------

/** A failure for the "failures only" filter: the question failed, or its answer could not be scored. */
export function isFailure(record: RunRecord): boolean {
  return record.status !== 'ok' || record.score === null;
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
      (!filters.failuresOnly || isFailure(r)),
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
  score: string;
}

export function trackRows(report: ScoresReport): TrackRow[] {
  return Object.entries(report.tracks).map(([track, score]) => ({
    track,
    score: formatScore(score),
  }));
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
  return report.tasks.map((t) => ({
    task: t.task_name,
    taskType: t.task_type,
    metric: t.metric,
    track: t.track ?? '—',
    samples: String(t.num_samples),
    score: formatScore(t.score),
    unscoredReason: reasons.get(t.task_name),
  }));
}

export interface RunRow {
  runDir: string;
  label: string;
  date: string;
  overall: string;
  failed: string;
  questions: string;
}

export function runRows(runs: readonly RunListItem[]): RunRow[] {
  return runs.map((r) => ({
    runDir: r.runDir,
    label: r.label || r.runId,
    date: formatDate(r.createdAt),
    overall: formatScore(r.overall),
    failed: `${r.failed} failed`,
    questions: `${r.questions} questions`,
  }));
}

// chart ----------------------------------------------------------------------------------------

export interface ChartSeries {
  runDir: string;
  label: string;
  /** One value per `ChartData.tasks` entry; null where the run has no score for the task. */
  values: (number | null)[];
}

export interface ChartData {
  tasks: string[];
  series: ChartSeries[];
  /** The top of the value axis: 1 for the usual [0, 1] metrics, higher if a metric exceeds it. */
  max: number;
}

/** Per-task scores across runs; tasks in first-appearance order over the runs as given. */
export function buildChartSeries(reports: readonly RunReport[]): ChartData {
  const tasks: string[] = [];
  const seen = new Set<string>();
  for (const r of reports) {
    for (const t of r.report.tasks) {
      if (!seen.has(t.task_name)) {
        seen.add(t.task_name);
        tasks.push(t.task_name);
      }
    }
  }
  let max = 1;
  // Runs with the same settings share a label; the run id (its start time) tells them apart.
  const labelCount = new Map<string, number>();
  for (const r of reports) labelCount.set(r.label, (labelCount.get(r.label) ?? 0) + 1);
  const seriesLabel = (r: RunReport): string =>
    (labelCount.get(r.label) ?? 0) > 1
      ? `${r.label} · ${r.runDir.split(/[\\/]/).pop() ?? r.runDir}`
      : r.label;
  const series = reports.map((r) => {
    const byTask = new Map(r.report.tasks.map((t) => [t.task_name, t.score]));
    const values = tasks.map((task) => {
      const v = byTask.get(task);
      return v === undefined || v === null || !Number.isFinite(v) ? null : v;
    });
    for (const v of values) if (v !== null && v > max) max = v;
    return { runDir: r.runDir, label: seriesLabel(r), values };
  });
  return { tasks, series, max };
}

// differences ----------------------------------------------------------------------------------

/** Whether the 95% interval excludes zero, and which way. */
export type Significance = 'better' | 'worse' | 'unclear' | 'unknown';

export interface DifferenceRow {
  scope: string;
  baseline: string;
  candidate: string;
  delta: string;
  interval: string;
  significance: Significance;
}

export function significanceOf(d: Difference): Significance {
  if (d.low === null || d.high === null) return 'unknown';
  if (d.low > 0) return 'better';
  if (d.high < 0) return 'worse';
  return 'unclear';
}

export function differenceRows(differences: readonly Difference[]): DifferenceRow[] {
  return differences.map((d) => ({
    scope: d.scope,
    baseline: formatScore(d.baseline),
    candidate: formatScore(d.candidate),
    delta: formatDelta(d.delta),
    interval:
      d.low === null || d.high === null ? '—' : `[${formatDelta(d.low)}, ${formatDelta(d.high)}]`,
    significance: significanceOf(d),
  }));
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
  return {
    selectedRunDir: typeof v.selectedRunDir === 'string' ? v.selectedRunDir : null,
    baselineDir: typeof v.baselineDir === 'string' ? v.baselineDir : null,
    filters: {
      track: typeof f.track === 'string' ? f.track : null,
      taskType,
      failuresOnly: f.failuresOnly === true,
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
