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
}

/** client → server: differences of a run from a baseline run, with paired bootstrap CIs. */
export const CompareRunsRequest = 'mcpo/compareRuns';
export interface CompareRunsParams {
  baselineDir: string;
  candidateDir: string;
}
export interface CompareRunsResult {
  differences: Difference[];
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
