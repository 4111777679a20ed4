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
import type { PanelState, QuestionFilters, RunReport } from './protocol';

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

/** A count with its noun: "1 question", "96 questions". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** "96 questions", or "49 of 96 questions (incomplete)" for a run that stopped early. */
function questionCount(questions: number, expected: number | undefined): string {
  return expected !== undefined && questions < expected
    ? `${questions} of ${plural(expected, 'question')} (incomplete)`
    : plural(questions, 'question');
}

/** Longest run label shown as is in a heading; a longer one is summarised (full text on hover). */
export const SHORT_LABEL_MAX = 32;

/**
 * A run's label as a header at a side bar's width. The engine names a run by its configuration
 * ("preset=paper templates=paper parts=mcq=1,2 retrieval=1,2 ... cot=self k=3", 100+ characters
 * with the paper preset): that becomes "paper · P1+2 · CoT self · top-3". A label the user or an
 * ablation arm gave is kept when short, else cut with an ellipsis. The full label stays on hover
 * (title) and in the report.
 */
export function shortRunLabel(label: string): string {
  const text = label.trim();
  const summary = configurationSummary(text);
  if (summary !== undefined) return summary;
  return text.length <= SHORT_LABEL_MAX ? text : `${text.slice(0, SHORT_LABEL_MAX - 1).trimEnd()}…`;
}

/** Prompt-part keys of the label (server/pipeline/templates.ts describePromptParts). */
const PART_KEYS = ['mcq', 'retrieval', 'ranking', 'generation', 'ner'];

/** The summary of a configuration label, or undefined when the label is not one. */
function configurationSummary(label: string): string | undefined {
  const tokens = label.split(/\s+/);
  const fields = new Map<string, string>();
  const parts = new Map<string, string>();
  let inParts = false;
  for (const token of tokens) {
    const match = /^([a-z]+)=(.*)$/.exec(token);
    if (!match) return undefined;
    const [, key, value] = match;
    if (key === 'parts') {
      inParts = true;
      const first = /^([a-z]+)=(.*)$/.exec(value);
      if (!first) return undefined;
      parts.set(first[1], first[2]);
    } else if (inParts && PART_KEYS.includes(key) && !parts.has(key)) parts.set(key, value);
    else if (['preset', 'templates', 'cot', 'k'].includes(key) && !fields.has(key)) {
      inParts = false;
      fields.set(key, value);
    } else return undefined;
  }
  if (!fields.has('templates')) return undefined;
  const pieces: string[] = [];
  const preset = fields.get('preset');
  if (preset) pieces.push(preset);
  const templates = fields.get('templates');
  if (templates === 'none') pieces.push('raw prompt');
  else if (templates === 'file') pieces.push('own templates');
  else if (!preset) pieces.push(`${templates} prompts`);
  if (parts.size > 0) pieces.push(partsSummary(parts));
  const cot = fields.get('cot');
  if (cot) pieces.push(`CoT ${cot === 'slm' ? 'M_S' : cot}`);
  const k = fields.get('k');
  if (k) pieces.push(`top-${k}`);
  return pieces.join(' · ');
}

/** "P1+2" when every task type with parts has the same ones (NER has none), else "mixed parts". */
function partsSummary(parts: ReadonlyMap<string, string>): string {
  const sets = new Set([...parts].filter(([key]) => key !== 'ner').map(([, value]) => value));
  if (sets.size !== 1) return 'mixed parts';
  const [only] = sets;
  return only === '-' ? 'no prompt parts' : `P${only.split(',').join('+')}`;
}

/** ShopBench track names carry a long common prefix; the rest is what tells them apart. */
export function shortTrack(track: string): string {
  return track.replace(/^amazon-kdd-cup-24-/, '');
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
  date: string;
  overall: string;
  failed: string;
  questions: string;
}

export function runRows(runs: readonly RunListItem[]): RunRow[] {
  return runs.map((r, i) => ({
    runDir: r.runDir,
    number: runs.length - i,
    label: r.label || r.runId,
    shortLabel: shortRunLabel(r.label || r.runId),
    date: formatDate(r.createdAt),
    overall: formatScore(r.overall),
    failed: `${r.failed} failed`,
    questions: `${r.questions} questions`,
  }));
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

/** Scope names as a person reads them: "track shopping" rather than the full track id. */
export function scopeText(scope: string): string {
  return scope.startsWith('track ') ? `track ${shortTrack(scope.slice(6))}` : scope;
}

export function differenceRows(
  differences: readonly Difference[],
  minPaired: number,
): DifferenceRow[] {
  return differences.map((d) => {
    const significance = significanceOf(d, minPaired);
    return {
      scope: scopeText(d.scope),
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
export function pairingSummary(paired: number, mismatched: number, minPaired: number): string {
  const left =
    mismatched > 0
      ? `; ${plural(mismatched, 'question')} left out (same index, other task or truth)`
      : '';
  if (paired === 0) return `No question answered by both runs${left}: nothing to compare.`;
  const few =
    paired < minPaired
      ? ` Fewer than ${minPaired} paired questions: differences are shown without intervals or verdicts.`
      : '';
  return `${plural(paired, 'paired question')}${left}.${few}`;
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
  /** The overall difference from the baseline, '' when there is none to show. */
  delta: string;
  deltaTitle: string;
  isBaseline: boolean;
  significance: 'up' | 'down' | 'flat' | 'none';
}

export function sidebarRows(
  runs: readonly RunListItem[],
  baselineDir: string | null,
  minPaired: number,
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
        delta = 'no paired questions';
      } else {
        delta = `Δ ${formatDelta(b.delta)} · n ${b.paired}`;
        deltaTitle = `Overall difference from the baseline over ${plural(b.paired, 'paired question')}${b.paired < minPaired ? ` (fewer than ${minPaired}: no verdict)` : ''}; the report has the intervals.`;
        significance = b.delta === null || b.delta === 0 ? 'flat' : b.delta > 0 ? 'up' : 'down';
      }
    }
    return {
      runDir: row.runDir,
      number: row.number,
      label: row.label,
      shortLabel: row.shortLabel,
      date: row.date,
      overall: row.overall,
      meta: `${questionCount(run.questions, run.expected)} · ${run.failed} failed · ${plural(run.tasks ?? 0, 'task')}${run.cached ? ` · ${run.cached} cached` : ''}`,
      tracks: Object.entries(run.tracks ?? {}).map(([track, score]) => ({
        track: shortTrack(track),
        score: formatScore(score),
      })),
      delta,
      deltaTitle,
      isBaseline,
      significance,
    };
  });
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
