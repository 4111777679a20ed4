/**
 * The MCPO language server's custom protocol: requests and notifications beyond LSP, shared by
 * the engine (server/) and the VS Code client (extension/). Plain types and method names only;
 * no imports with side effects, so both bundles can include it.
 *
 * Long requests (runs) report LSP work-done progress and honour `$/cancelRequest`.
 */
import type { TaskType } from './dataset/shopbench';
import type { RunConfig, RunRecord } from './runs/runTypes';
import type { Difference } from './runs/report';
import type { ScoresReport } from './scoring/evaluate';

/** Endpoint settings as the client holds them (keys travel separately, in memory only). */
export interface EndpointSettings {
  url: string;
  model: string;
  mode: 'chat' | 'completions';
  concurrency: number;
}

/** The pipeline configuration a run uses, from the `mcpo.*` settings. */
export interface PipelineSettings {
  /** A named preset (`paper`): the settings below that the user did not set come from it. */
  preset?: 'paper';
  /** With a preset: the `mcpo.*` keys the user set explicitly (they override the preset's pieces). */
  explicit?: string[];
  llm?: EndpointSettings;
  slm?: EndpointSettings;
  embedModel: string;
  templates: string;
  cot: 'off' | 'self' | 'slm';
  cotTaskTypes: TaskType[];
  similarityK: number;
  constrained: boolean;
  runsDir: string;
  cacheDir: string;
  scoringEmbedModel?: string;
  scoringMultilingualEmbedModel?: string;
}

/** API keys from SecretStorage, sent with each run request, never stored or logged by the server. */
export interface Secrets {
  llmApiKey?: string;
  slmApiKey?: string;
}

// client → server ------------------------------------------------------------------------------

/** client → server: run rows of a dataset document (all rows when `rows` is absent). */
export const RunDatasetRequest = 'mcpo/runDataset';
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
export interface RunDatasetResult {
  runDir: string;
  done: number;
  failed: number;
  cancelled: boolean;
}

/** client → server: run a free-form question typed anywhere (written to a one-row dataset first). */
export const RunQuestionRequest = 'mcpo/runQuestion';
export interface RunQuestionParams {
  question: string;
  taskType: TaskType;
  settings: PipelineSettings;
  secrets: Secrets;
  workDoneToken?: string | number;
}

/** client → server: infer the task type of a free-form question (the user confirms it). */
export const InferTaskTypeRequest = 'mcpo/inferTaskType';
export interface InferTaskTypeParams {
  question: string;
}
export interface InferTaskTypeResult {
  taskType: TaskType;
  reason: string;
}

/** client → server: the ablation matrix over a dataset document. */
export const RunAblationRequest = 'mcpo/runAblation';
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

/** client → server: the runs found under the runs folder, newest first. */
export const ListRunsRequest = 'mcpo/listRuns';
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
  failed: number;
  overall: number | null;
  /** Per-track scores (track name → score). */
  tracks: Record<string, number | null>;
  /** Tasks in the run's report. */
  tasks: number;
  /** Questions whose answer was replayed from the response cache. */
  cached: number;
  /** The overall difference from ListRunsParams.baselineDir over the questions both answered. */
  baseline?: { delta: number | null; paired: number };
}

/** client → server: one run's configuration, records and scores. */
export const GetRunRequest = 'mcpo/getRun';
export interface GetRunParams {
  runDir: string;
}
export interface GetRunResult {
  config: RunConfig;
  records: RunRecord[];
  report: ScoresReport;
  /** 1-based line of each row (by index) in config.data.file; absent if the file cannot be read. */
  rowLines?: number[];
}

/** client → server: differences of a run from a baseline run, with paired bootstrap CIs. */
export const CompareRunsRequest = 'mcpo/compareRuns';
export interface CompareRunsParams {
  baselineDir: string;
  candidateDir: string;
}
export interface CompareRunsResult {
  differences: Difference[];
  /** Questions both runs answered with the same task and truth. */
  paired: number;
  /** Questions with the same index but another task or truth (left out). */
  mismatched: number;
  /** Scopes with fewer paired questions get no interval and no verdict. */
  minPaired: number;
}

/** client → server: is each configured endpoint reachable and serving its model? */
export const CheckEndpointsRequest = 'mcpo/checkEndpoints';
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
}
export interface CheckEndpointsResult {
  endpoints: EndpointHealth[];
}

/** client → server: the models an OpenAI-compatible server lists (GET /v1/models), to pick one. */
export const ListModelsRequest = 'mcpo/listModels';
export interface ListModelsParams {
  url: string;
  /** Sent to that server only; never stored or logged. */
  apiKey?: string;
}
export interface ListModelsResult {
  /** `root`: the weights behind a served name, where the server says (vLLM). */
  models: { id: string; root?: string }[];
}

/** client → server: the prompt a row would get (templates only, no model calls), for "Show Prompt". */
export const PreviewPromptRequest = 'mcpo/previewPrompt';
export interface PreviewPromptParams {
  uri: string;
  row: number;
  templates: string;
}

// server → client ------------------------------------------------------------------------------

/** server → client: a question finished (sent as its record is appended). */
export const RecordNotification = 'mcpo/record';
export interface RecordNotificationParams {
  runDir: string;
  record: RunRecord;
  done: number;
  total: number;
}

/** server → client: the in-process llama.cpp model is loading (with download progress) or ready. */
export const LocalModelNotification = 'mcpo/localModel';
export interface LocalModelParams {
  model: string;
  state: 'loading' | 'ready';
  /** Download progress, 0..100, when the model is being downloaded. */
  percent?: number;
  /** The engine process's resident memory once the model is loaded. */
  rssMb?: number;
}

/** server → client: a run started or ended (for the status bar and the panel). */
export const RunStateNotification = 'mcpo/runState';
export interface RunStateParams {
  runDir: string;
  state: 'started' | 'finished' | 'cancelled' | 'failed';
  message?: string;
}

// Jobs (fine-tune / sweep / merge / quantize on Slurm or locally) -------------------------------
// Every job request names the jobs folder (`<workspace>/.mcpo/jobs`); a Slurm token travels in
// the request (from SecretStorage), is kept in the engine's memory only for polling, and is never
// written to a record, a job file or a log. Without one the engine falls back to MCPO_SLURM_TOKEN.

export type JobKindName = 'finetune' | 'sweep' | 'merge-adapter' | 'merge' | 'quantize' | 'eval';
/** Slurm's state names (the local executor reports the same); SUBMITTING: recorded before the submission is sent. */
export type JobStateName =
  | 'SUBMITTING'
  | 'PENDING'
  | 'RUNNING'
  | 'COMPLETING'
  | 'COMPLETED'
  | 'FAILED'
  | 'CANCELLED'
  | 'TIMEOUT'
  | 'NODE_FAIL'
  | 'OUT_OF_MEMORY'
  | 'PREEMPTED'
  | 'UNKNOWN';

/** Where and how a Slurm job runs (slurmrestd). */
export interface SlurmJobSettings {
  url: string;
  user: string;
  /** slurmrestd OpenAPI version, e.g. v0.0.38 (Slurm 22.05). */
  apiVersion: string;
  partition?: string;
  /** Overrides the spec's gpus. */
  gpus?: number;
  /** Overrides the spec's time_limit (minutes). */
  timeMinutes?: number;
}

/** A job as the views show it (the persisted record, no token ever). */
export interface JobInfo {
  id: string;
  kind: string;
  name: string;
  executor: 'slurm' | 'local';
  dir: string;
  state: JobStateName;
  reason?: string;
  exitCode?: number;
  submittedAt: string;
  updatedAt: string;
  slurmJobId?: number;
  slurmUrl?: string;
  localPid?: number;
  array?: number[];
  tasks?: { index: number | null; state: JobStateName; exitCode?: number }[];
  /** Generated files in the job folder (configs first, the batch script last). */
  files: string[];
  /** The pipeline this job is a step of: its id, the step's id, the steps it waits for. */
  pipeline?: { id: string; step: string; after: string[] };
  /** Where the job's result lands (a folder). */
  output?: string;
  /** What Slurm allocated per node beyond CPUs, e.g. "gres:gpu:4". */
  tres?: string;
}

/** client → server: every job in the jobs folder; active ones are refreshed and then polled. */
export const ListJobsRequest = 'mcpo/jobs/list';
export interface ListJobsParams {
  jobsDir: string;
  slurmToken?: string;
}
export interface ListJobsResult {
  jobs: JobInfo[];
}

/** client → server: validate a spec and generate its files without submitting (the preview). */
export const PrepareJobRequest = 'mcpo/jobs/prepare';
export interface PrepareJobParams {
  jobsDir: string;
  kind: JobKindName;
  specFile: string;
}
export interface PrepareJobResult {
  name: string;
  gpus: number;
  timeLimit?: number;
  array?: number[];
  /** File name → content; the job folder inside them is a placeholder until submission. */
  files: Record<string, string>;
}

/** client → server: validate, write the job folder, submit; the job is then polled. */
export const SubmitJobRequest = 'mcpo/jobs/submit';
export interface SubmitJobParams {
  jobsDir: string;
  kind: JobKindName;
  specFile: string;
  executor: 'slurm' | 'local';
  /** Required with executor slurm. */
  slurm?: SlurmJobSettings;
  slurmToken?: string;
}
export interface SubmitJobResult {
  job: JobInfo;
}

/** client → server: cancel a job (the new state arrives as mcpo/jobs/changed). */
export const CancelJobRequest = 'mcpo/jobs/cancel';
export interface JobIdParams {
  jobsDir: string;
  id: string;
  slurmToken?: string;
}
export interface CancelJobResult {
  job: JobInfo;
}

/** client → server: a job's stdout/stderr files, each under a header. */
export const JobLogsRequest = 'mcpo/jobs/logs';
export interface JobLogsResult {
  id: string;
  text: string;
}

/** client → server: MCPO data selection from ECInstruct (first N/2 train + first N/2 val rows). */
export const SelectDataRequest = 'mcpo/jobs/selectData';
export interface SelectDataParams {
  from: string;
  n: number;
  out: string;
  setting?: string;
  tasks?: string[];
}
export interface SelectDataResult {
  out: string;
  train: number;
  val: number;
  rowsRead: number;
  counts: Record<string, { train: number; val: number }>;
  badRows: { line: number; column: number; message: string }[];
  /** The per-task table `mcpo select` prints. */
  summary: string;
}

/** server → client: a job's state changed (submitted, polled, cancelled). */
export const JobsChangedNotification = 'mcpo/jobs/changed';
export interface JobsChangedParams {
  jobsDir: string;
  job: JobInfo;
}
