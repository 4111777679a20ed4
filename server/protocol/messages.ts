/**
 * Every mcpo/* request and notification of the MCPO language server, each declared once as a
 * typed object that both sides use: the engine registers handlers with
 * `connection.onRequest(X, …)` (server/main.ts), the extension calls
 * `client.sendRequest(X, …)` (extension/engineClient.ts), so params and results are checked on
 * both ends by the same declaration. The wire types live beside this file; nothing here imports
 * the engine.
 *
 * Long requests (runs, ablations, data selection) report LSP work-done progress and honour
 * `$/cancelRequest`.
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type * as runs from './runs';
import type * as jobs from './jobs';
import type * as exporting from './export';
import type { FixData } from './fixHints';

/**
 * Failures arrive as a ResponseError with a message for the user; when the engine knows how to fix
 * the failure, its data carries the fixes (read it with fixesOfData: it comes off the wire untyped).
 */
type ErrorData = FixData | undefined;

// Runs: client → server ------------------------------------------------------------------------

/** client → server: run rows of a dataset document (all rows when `rows` is absent). */
export const RunDatasetRequest = new RequestType<
  runs.RunDatasetParams,
  runs.RunDatasetResult,
  ErrorData
>('mcpo/runDataset');

/** client → server: run the failed and missing questions of a run again (MCPO: Resume Run). */
export const ResumeRunRequest = new RequestType<
  runs.ResumeRunParams,
  runs.RunDatasetResult,
  ErrorData
>('mcpo/resumeRun');

/** client → server: run a free-form question typed anywhere (written to a one-row dataset first). */
export const RunQuestionRequest = new RequestType<
  runs.RunQuestionParams,
  runs.RunDatasetResult,
  ErrorData
>('mcpo/runQuestion');

/** client → server: infer the task type of a free-form question (the user confirms it). */
export const InferTaskTypeRequest = new RequestType<
  runs.InferTaskTypeParams,
  runs.InferTaskTypeResult,
  ErrorData
>('mcpo/inferTaskType');

/** client → server: the ablation matrix over a dataset document. */
export const RunAblationRequest = new RequestType<
  runs.RunAblationParams,
  runs.RunAblationResult,
  ErrorData
>('mcpo/runAblation');

/** client → server: the runs found under the runs folder, newest first. */
export const ListRunsRequest = new RequestType<runs.ListRunsParams, runs.RunListItem[], ErrorData>(
  'mcpo/listRuns',
);

/** client → server: one run's configuration, records and scores. */
export const GetRunRequest = new RequestType<runs.GetRunParams, runs.GetRunResult, ErrorData>(
  'mcpo/getRun',
);

/** client → server: differences of a run from a baseline run, with paired bootstrap CIs. */
export const CompareRunsRequest = new RequestType<
  runs.CompareRunsParams,
  runs.CompareRunsResult,
  ErrorData
>('mcpo/compareRuns');

/** client → server: is each configured endpoint reachable and serving its model? */
export const CheckEndpointsRequest = new RequestType<
  runs.CheckEndpointsParams,
  runs.CheckEndpointsResult,
  ErrorData
>('mcpo/checkEndpoints');

/** client → server: the models an OpenAI-compatible server lists (GET /v1/models), to pick one. */
export const ListModelsRequest = new RequestType<
  runs.ListModelsParams,
  runs.ListModelsResult,
  ErrorData
>('mcpo/listModels');

/** client → server: the prompt a row would get (templates only, no model calls), for "Show Prompt". */
export const PreviewPromptRequest = new RequestType<
  runs.PreviewPromptParams,
  runs.AssembledPrompt,
  ErrorData
>('mcpo/previewPrompt');

/** client → server: write a run's pipeline as a ShopBench starter-kit submission folder. */
export const ExportSubmissionRequest = new RequestType<
  exporting.ExportSubmissionParams,
  exporting.ExportSubmissionResult,
  ErrorData
>('mcpo/exportSubmission');

// Runs: server → client ------------------------------------------------------------------------

/** server → client: a question finished (sent as its record is appended). */
export const RecordNotification = new NotificationType<runs.RecordNotificationParams>(
  'mcpo/record',
);

/** server → client: the in-process llama.cpp model is loading (with download progress) or ready. */
export const LocalModelNotification = new NotificationType<runs.LocalModelParams>(
  'mcpo/localModel',
);

/** server → client: a run started or ended (for the status bar and the panel). */
export const RunStateNotification = new NotificationType<runs.RunStateParams>('mcpo/runState');

// Jobs: client → server ------------------------------------------------------------------------

/** client → server: every job in the jobs folder; active ones are refreshed and then polled. */
export const ListJobsRequest = new RequestType<jobs.ListJobsParams, jobs.ListJobsResult, ErrorData>(
  'mcpo/jobs/list',
);

/** client → server: validate a spec and generate its files without submitting (the preview). */
export const PrepareJobRequest = new RequestType<
  jobs.PrepareJobParams,
  jobs.PrepareJobResult,
  ErrorData
>('mcpo/jobs/prepare');

/** client → server: validate, write the job folder, submit; the job is then polled. */
export const SubmitJobRequest = new RequestType<
  jobs.SubmitJobParams,
  jobs.SubmitJobResult,
  ErrorData
>('mcpo/jobs/submit');

/** client → server: cancel a job (the new state arrives as mcpo/jobs/changed). */
export const CancelJobRequest = new RequestType<jobs.JobIdParams, jobs.CancelJobResult, ErrorData>(
  'mcpo/jobs/cancel',
);

/** client → server: a job's stdout/stderr files, each under a header. */
export const JobLogsRequest = new RequestType<jobs.JobIdParams, jobs.JobLogsResult, ErrorData>(
  'mcpo/jobs/logs',
);

/** client → server: MCPO data selection from ECInstruct (first N/2 train + first N/2 val rows). */
export const SelectDataRequest = new RequestType<
  jobs.SelectDataParams,
  jobs.SelectDataResult,
  ErrorData
>('mcpo/jobs/selectData');

/** client → server: generate every step of a pipeline file without submitting (the preview). */
export const PreparePipelineRequest = new RequestType<
  jobs.PipelineParams,
  jobs.PreparePipelineResult,
  ErrorData
>('mcpo/jobs/preparePipeline');

/** client → server: submit a pipeline file as `mcpo job submit pipeline` does; steps are then polled. */
export const SubmitPipelineRequest = new RequestType<
  jobs.PipelineParams,
  jobs.SubmitPipelineResult,
  ErrorData
>('mcpo/jobs/submitPipeline');

/** client → server: the paper's Tables 3 and 4 over a pipeline's eval runs, or over run folders. */
export const CheckpointTablesRequest = new RequestType<
  jobs.CheckpointTablesParams,
  jobs.CheckpointTablesResult,
  ErrorData
>('mcpo/jobs/checkpointTables');

// Jobs: server → client ------------------------------------------------------------------------

/** server → client: a job's state changed (submitted, polled, cancelled). */
export const JobsChangedNotification = new NotificationType<jobs.JobsChangedParams>(
  'mcpo/jobs/changed',
);
