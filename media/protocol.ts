/**
 * Messages between the "MCPO Results" webview (media/) and the extension (extension/panel/).
 * A discriminated union each way; the webview sends `ready` first and the extension answers
 * only after it. Requests carry an `id`; every answer repeats it as `requestId`, so the panel
 * can drop answers to requests it has since superseded (clicking run A then run B quickly).
 *
 * Server types come in with `import type` only: they vanish at build, so the browser bundle
 * never pulls engine code.
 */
import type {
  Difference,
  GetRunResult,
  RecordNotificationParams,
  RunListItem,
  RunStateParams,
  ScoresReport,
} from '../server/protocol/runs';
import type { TaskType } from '../server/protocol/shopBench';

/** Filters of the per-question table. */
export interface QuestionFilters {
  /** A track name, or null for every track. */
  track: string | null;
  taskType: TaskType | null;
  /**
   * Which questions by status: all; only those that failed (no answer); only those answered but
   * not scored. Two filters, not one: "failures only" listing unscored rows on a run whose header
   * says "0 failed" reads as a contradiction.
   */
  status: StatusFilter;
}

export type StatusFilter = 'all' | 'failed' | 'not-scored';
export const STATUS_FILTERS: readonly StatusFilter[] = ['all', 'failed', 'not-scored'];

/** The UI state that survives the view being hidden and shown (and VS Code restarts). */
export interface PanelState {
  selectedRunDir: string | null;
  baselineDir: string | null;
  filters: QuestionFilters;
  /** The question shown in the detail pane (its dataset index). */
  selectedIndex: number | null;
  scrollTop: number;
}

// webview → extension --------------------------------------------------------------------------

/** webview → extension: the script loaded; the extension may now post. */
export interface ReadyMessage {
  type: 'ready';
  id: number;
}
/** webview → extension: show this run (answered by `run`). The page follows with `selectBaseline` when it has one. */
export interface SelectRunMessage {
  type: 'selectRun';
  id: number;
  runDir: string;
}
/** webview → extension: compare the last selected run against this one (answered by `comparison`; null or no run: `done`). */
export interface SelectBaselineMessage {
  type: 'selectBaseline';
  id: number;
  runDir: string | null;
}
/** webview → extension: open the question's original vs assembled prompt in a diff editor. */
export interface OpenPromptDiffMessage {
  type: 'openPromptDiff';
  id: number;
  runDir: string;
  index: number;
}
/** webview → extension: save the run's scores (the extension asks where). */
export interface ExportScoresMessage {
  type: 'exportScores';
  id: number;
  runDir: string;
}
/** webview → extension: open the full report in the editor area, showing this run (sidebar). */
export interface OpenReportMessage {
  type: 'openReport';
  id: number;
  runDir: string;
}
/** webview → extension: open the run's data file at the question's row. */
export interface OpenRowMessage {
  type: 'openRow';
  id: number;
  runDir: string;
  index: number;
}
/** webview → extension: list the runs again. */
export interface RefreshMessage {
  type: 'refresh';
  id: number;
}
/** webview → extension: the UI state changed (no answer; the extension keeps it for refreshes). */
export interface SetStateMessage {
  type: 'setState';
  state: PanelState;
}

export type PanelToExtension =
  | ReadyMessage
  | SelectRunMessage
  | SelectBaselineMessage
  | OpenPromptDiffMessage
  | ExportScoresMessage
  | OpenReportMessage
  | OpenRowMessage
  | RefreshMessage
  | SetStateMessage;

// extension → webview --------------------------------------------------------------------------

/** extension → webview: the runs under the runs folder, newest first. */
export interface RunsMessage {
  type: 'runs';
  /** The request answered; absent when the extension refreshed on its own (a run finished). */
  requestId?: number;
  runs: RunListItem[];
  /** A run that just finished: show it rather than the remembered selection. */
  select?: string;
  /** The baseline the runs' `baseline` deltas are from (chosen in the report panel). */
  baselineDir: string | null;
}
/** extension → webview: scores of the listed runs, for the per-task chart (sent after `runs`). */
export interface RunReportsMessage {
  type: 'runReports';
  requestId?: number;
  reports: RunReport[];
}
export interface RunReport {
  runDir: string;
  label: string;
  report: ScoresReport;
}
/** extension → webview: the selected run. */
export interface RunMessage {
  type: 'run';
  requestId?: number;
  runDir: string;
  result: GetRunResult;
}
/** extension → webview: the selected run's differences from the baseline, with 95% CIs. */
export interface ComparisonMessage {
  type: 'comparison';
  requestId?: number;
  baselineDir: string;
  candidateDir: string;
  differences: Difference[];
  /** Questions both runs answered with the same task and truth. */
  paired: number;
  /** Same index, another task or truth: left out. */
  mismatched: number;
  /** Answered by both, not scored in both: left out. */
  notScored?: number;
  /** Set when the runs read different datasets (CompareRunsResult). */
  datasetsDiffer?: string;
  /** Below this many paired questions in a scope: no interval, no verdict. */
  minPaired: number;
}
/** extension → webview: the tables of an ablation that just finished (report panel). */
export interface AblationMessage {
  type: 'ablation';
  /** The paper's tables as text (monospace, shown as text). */
  tables: string;
  runDirs: string[];
  /** The section's heading when the tables are not an ablation's (e.g. "Checkpoints: Tables 3 and 4"). */
  title?: string;
}
/** extension → webview: a question of a running run finished. */
export interface RecordMessage {
  type: 'record';
  params: RecordNotificationParams;
}
/** extension → webview: a run started or ended (a started run is live before its first question finishes). */
export interface RunStateMessage {
  type: 'runState';
  params: RunStateParams;
}
/** extension → webview: a request with nothing to answer (openPromptDiff, exportScores, selectBaseline null) finished. */
export interface DoneMessage {
  type: 'done';
  requestId: number;
}
/** extension → webview: a request failed (already logged by the extension). */
export interface ErrorMessage {
  type: 'error';
  requestId?: number;
  message: string;
}

export type ExtensionToPanel =
  | RunsMessage
  | RunReportsMessage
  | RunMessage
  | ComparisonMessage
  | AblationMessage
  | RecordMessage
  | RunStateMessage
  | DoneMessage
  | ErrorMessage;

/** Message types that are requests (carry an id) — every webview message except `setState`. */
export type PanelRequest = Exclude<PanelToExtension, SetStateMessage>;
