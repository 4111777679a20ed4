/**
 * What a run looks like on the wire: its records (one per question), the assembled prompt with
 * its provenance spans, the scores, and the params/results of the run messages (declared in
 * ./messages.ts). The engine's own types are these (server/runs/runTypes.ts,
 * server/pipeline/types.ts, server/scoring/*.ts re-export them); where the engine holds more
 * (RunConfig), the wire type names the part the views read, and tsc checks the engine's value
 * against it where the engine sends it.
 */
import type { Metric, TaskType, Truth } from './shopBench';
import type { PipelineSettings, Secrets } from './settings';
import type { Fix } from './fixHints';

// A run's data ---------------------------------------------------------------------------------

/**
 * Paired questions a scope needs before a difference gets a 95% bootstrap interval and a
 * verdict: a bootstrap over a handful of questions (one question gives "[-0.55, -0.55]") only
 * looks like evidence. Below it the reports and views show the delta alone.
 */
export const MIN_PAIRED = 10;

/** The task name of a free-form question's one-row run (it has no reference answer to score). */
export const FREE_FORM_TASK_NAME = 'free-form';

/** Why a free-form question is not scored, wherever that is said (toast, report, tables). */
export const FREE_FORM_NOT_SCORED = 'a free-form question has no reference answer';

/** Which pipeline stage wrote a span of the final prompt. */
export type Stage = 'template' | 'cot' | 'similarity';

export interface OptionScore {
  /** The option's number as written in the prompt. */
  number: number;
  text: string;
  /** Similarity between the question body and the option (M_V embeddings; dot product or cosine). */
  score: number;
}

export interface ProvenanceSpan {
  /** [start, end) offsets in the final prompt (UTF-16 code units, as JavaScript and VS Code count). */
  start: number;
  end: number;
  stage: Stage;
  /** inserted: new text; replaced: `original` text of the question was replaced by this span. */
  kind: 'inserted' | 'replaced';
  /** For replaced spans: the original text that this span stands for. */
  original?: string;
  /** The model that produced the text (CoT: M_L or M_S; similarity: M_V); absent for fixed template text. */
  model?: string;
  /** For similarity spans: every option's score, best first. */
  scores?: OptionScore[];
  /**
   * 'scaffold': fixed layout text a stage wraps around its output (the CoT layout's "[Question]",
   * "[Chain of Thought]" and "[Answer]" headings), so views can tell it from model-written text.
   * Absent for text the stage produced. Scaffold spans carry no model.
   */
  role?: 'scaffold';
}

/** The final prompt of a question: the original plus the provenance of every inserted segment. */
export interface AssembledPrompt {
  original: string;
  final: string;
  spans: ProvenanceSpan[];
}

/** What the official parser made of a response. */
export type ParsedAnswer = number | number[] | string | string[];

/** The official per-sample value: a bool for accuracy, [tp, fp, fn] for micro f1, else a number. */
export type SampleValue = boolean | number | [tp: number, fp: number, fn: number];

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** One model call of a question (the CoT or the final answer). */
export interface CallRecord {
  model: string;
  prompt: string;
  text: string;
  usage?: TokenUsage;
  cached: boolean;
  attempts: number;
  latencyMs: number;
}

/** One question of a run, as appended to its records file and sent as it finishes. */
export interface RunRecord {
  index: number;
  task_name: string;
  task_type: TaskType;
  metric: Metric;
  track?: string;
  status: 'ok' | 'failed';
  /** The row's truth (output_field), so a record can be read on its own. */
  truth?: Truth;
  stages: {
    cot?: CallRecord;
    similarity?:
      | {
          model: string;
          k: number;
          scores: OptionScore[];
          /** The text M_V put before the question body (its query prompt), when there was one. */
          queryPrompt?: string;
        }
      | { skipped: string };
  };
  prompt?: AssembledPrompt;
  answer?: CallRecord;
  response?: string;
  parsed?: ParsedAnswer;
  /** The official per-sample value; null when the question failed or could not be scored. */
  score: SampleValue | null;
  /** numpy dtype of the score for task means (see scoring/python/numpyMean.ts). */
  dtype?: 'float32' | 'float64';
  warnings: string[];
  timings: { totalMs: number; cotMs?: number; answerMs?: number };
  error?: {
    stage: 'template' | 'similarity' | 'cot' | 'answer' | 'score';
    message: string;
    attempts?: number;
    /**
     * Failed because its endpoint had stopped answering (see server/runs/endpointWatch.ts): the
     * run says why once, so views and logs need not repeat it per question.
     */
    endpointDown?: boolean;
  };
}

/** The part of a run's configuration the views read (the engine sends all of it). */
export interface RunConfigSummary {
  runId: string;
  createdAt: string;
  /** A name for reports (ablation arm, user label). */
  label: string;
  /** The preset the run was asked for, null for none; absent in older runs. */
  preset?: string | null;
  data: {
    /** The user's dataset file: what every view and export names. */
    file: string;
    /**
     * The file the engine read when it is not `file`: a VS Code run reads a snapshot of the
     * editor's rows (unsaved edits included), so a resume reruns exactly what ran. Absent for CLI
     * runs and older runs.
     */
    input?: string;
    /** The run read the editor's unsaved contents, not what `file` holds on disk. */
    unsaved?: boolean;
    /** sha256 of the file the engine read (`input` when present, else `file`). */
    sha256: string;
    rowCount: number;
    limit?: number;
    /** Indices of rows left out because they are invalid (see `mcpo validate`); absent in older runs. */
    invalid?: number[];
    /**
     * Rows the user selected when the run covers only some rows of the file (Run MCPO on
     * Selection: the others are left out as `invalid`); absent for a run over the whole file.
     */
    selected?: number;
    /**
     * How many distinct tasks the run's valid rows in scope have, counted when the run was made,
     * so a listing of a run that stopped early need not read its dataset again (a 100,000-row
     * file took about 2 s). Absent in older runs.
     */
    taskCount?: number;
  };
}

export interface TaskScore {
  task_name: string;
  task_type: TaskType;
  metric: Metric;
  track?: string;
  num_samples: number;
  /** null when some of the task's rows could not be scored. */
  score: number | null;
}

export interface ScoresReport {
  tasks: TaskScore[];
  /** Mean of task scores per track (tasks without a track are in no track). */
  tracks: Record<string, number | null>;
  /** Mean of all task scores, as the official evaluation reports. null when no task was scored. */
  overall: number | null;
  /** Tasks left out of the means because some rows could not be scored, with the reason. */
  unscored?: { task_name: string; reason: string }[];
}

/** A run's score minus a baseline's in one scope, over the questions both answered. */
export interface Difference {
  /** 'overall', a track name, or a task name. */
  scope: string;
  /** Paired questions in this scope (both runs answered them, same task and truth). */
  n: number;
  baseline: number | null;
  candidate: number | null;
  delta: number | null;
  /** 95% paired bootstrap interval of the delta; null below MIN_PAIRED questions. */
  low: number | null;
  high: number | null;
}

// Params and results of the run messages (./messages.ts) ---------------------------------------

export interface RunDatasetParams {
  /** The dataset document's URI (file: scheme). */
  uri: string;
  /** 0-based row ordinals to run. */
  rows?: number[];
  settings: PipelineSettings;
  secrets: Secrets;
  label?: string;
  workDoneToken?: string | number;
}
/** What a resume runs again: questions that failed, and answered ones that were not scored. */
export interface Rerun {
  failed: number;
  notScored: number;
}

export interface RunDatasetResult {
  runDir: string;
  done: number;
  failed: number;
  cancelled: boolean;
  /** A resume: how many of the questions it ran had failed, or were answered but not scored. */
  rerun?: Rerun;
  /** Run on Dataset: the file's invalid rows, left out of the run (the Problems view lists them). */
  invalidRows?: { count: number; of: number };
  /**
   * A cancelled run: what Resume Run would run, counted as `mcpo run`'s footer counts it (never
   * ran, failed, answered but not scored).
   */
  toResume?: Rerun & { never: number };
}

/** Runs the failed and missing questions of an existing run again (`mcpo run --resume`). */
export interface ResumeRunParams {
  runDir: string;
  /**
   * Only cacheDir and the scoring models are read: the run keeps its saved pipeline
   * configuration, and scores with the scoring models set now (a model may be there now).
   */
  settings: PipelineSettings;
  secrets: Secrets;
  workDoneToken?: string | number;
}

export interface RunQuestionParams {
  question: string;
  taskType: TaskType;
  settings: PipelineSettings;
  secrets: Secrets;
  workDoneToken?: string | number;
}

export interface InferTaskTypeParams {
  question: string;
}
export interface InferTaskTypeResult {
  taskType: TaskType;
  reason: string;
}

export interface RunAblationParams {
  uri: string;
  rows?: number[];
  settings: PipelineSettings;
  secrets: Secrets;
  workDoneToken?: string | number;
}
export interface RunAblationResult {
  runDirs: string[];
  tables: string;
}

export interface ListRunsParams {
  runsDir: string;
  /** When set, every other run gets its overall difference from this one (`baseline`). */
  baselineDir?: string;
}
export interface RunListItem {
  runDir: string;
  runId: string;
  label: string;
  createdAt: string;
  dataFile: string;
  questions: number;
  /** Questions the run was asked to answer; more than `questions` when it stopped early. */
  expected?: number;
  failed: number;
  /** Answered but not scored (no scoring model then): a resume asks them again too. */
  notScored?: number;
  overall: number | null;
  /** Per-track scores (track name → score). */
  tracks: Record<string, number | null>;
  /** Tasks in the run's report (those with an answer). */
  tasks: number;
  /** The run's tasks, answered or not (its dataset rows'); absent when not known. */
  runTasks?: number;
  /** Questions whose answer was replayed from the response cache. */
  cached: number;
  /** The overall difference from ListRunsParams.baselineDir over the questions both answered. */
  baseline?: {
    delta: number | null;
    /** Questions in the delta: both runs answered them and both scored their task. */
    paired: number;
    /** Answered by both but not scored in both: in no delta. */
    notScored?: number;
  };
  /** The run covers the rows the user selected (RunConfigSummary data.selected), not the whole file. */
  selection?: boolean;
  /** Per-task scores in the report's order (ScoresReport.tasks): the side bar lists them. */
  taskScores?: { task_name: string; metric: Metric; score: number | null }[];
  /** Tasks left out of the overall and track means, with why (ScoresReport.unscored). */
  unscored?: { task_name: string; reason: string }[];
}

export interface GetRunParams {
  runDir: string;
}
export interface GetRunResult {
  config: RunConfigSummary;
  records: RunRecord[];
  report: ScoresReport;
  /** The run's tasks, answered or not (its dataset rows'); absent when not known. */
  runTasks?: number;
  /** 1-based line of each row (by index) in config.data.file; absent if the file cannot be read. */
  rowLines?: number[];
}

export interface CompareRunsParams {
  baselineDir: string;
  candidateDir: string;
}
export interface CompareRunsResult {
  differences: Difference[];
  /** Questions both runs answered with the same task and truth, and both scored. */
  paired: number;
  /** Questions with the same index but another task or truth (left out). */
  mismatched: number;
  /** Questions both runs answered whose task one of them could not score (left out). */
  notScored?: number;
  /** Set when the runs read different datasets: datasetsDiffer's line (runLabels.ts). */
  datasetsDiffer?: string;
  /** Scopes with fewer paired questions get no interval and no verdict. */
  minPaired: number;
}

export interface CheckEndpointsParams {
  settings: PipelineSettings;
  secrets: Secrets;
}
export interface EndpointHealth {
  role: 'llm' | 'slm';
  url: string;
  model: string;
  ok: boolean;
  message: string;
  /** How to fix a failed check (each surface words it: see fixHints.ts). */
  fixes?: Fix[];
}
export interface CheckEndpointsResult {
  endpoints: EndpointHealth[];
}

export interface ListModelsParams {
  url: string;
  /** Sent to that server only; never stored or logged. */
  apiKey?: string;
}
export interface ListModelsResult {
  /** `root`: the weights behind a served name, where the server says (vLLM). */
  models: { id: string; root?: string }[];
}

export interface PreviewPromptParams {
  uri: string;
  row: number;
  templates: string;
}

export interface RecordNotificationParams {
  runDir: string;
  record: RunRecord;
  done: number;
  total: number;
}

export interface LocalModelParams {
  model: string;
  state: 'loading' | 'ready';
  /** Download progress, 0..100, when the model is being downloaded. */
  percent?: number;
  /** The engine process's resident memory once the model is loaded. */
  rssMb?: number;
}

export interface RunStateParams {
  runDir: string;
  state: 'started' | 'finished' | 'cancelled' | 'failed';
  message?: string;
  /** How to fix a failed run's problem, when the engine knows (see fixHints.ts). */
  fixes?: Fix[];
}
