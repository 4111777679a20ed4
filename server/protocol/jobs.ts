/**
 * Jobs (fine-tune / sweep / merge / quantize on Slurm or locally) on the wire: the job as the
 * views show it and the params/results of the job messages (declared in ./messages.ts).
 *
 * Every job request names the jobs folder (`<workspace>/.mcpo/jobs`); a Slurm token travels in
 * the request (from SecretStorage), is kept in the engine's memory only for polling, and is never
 * written to a record, a job file or a log. Without one the engine falls back to MCPO_SLURM_TOKEN.
 */

/** The slurmrestd API version when none is set: Slurm 22.05's (the CLI's and VS Code's default). */
export const DEFAULT_SLURM_API = 'v0.0.38';

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

export interface ListJobsParams {
  jobsDir: string;
  slurmToken?: string;
}
export interface ListJobsResult {
  jobs: JobInfo[];
}

export interface PrepareJobParams {
  jobsDir: string;
  kind: JobKindName;
  specFile: string;
  /** As the submission will be: mcpo.slurm.gpus / timeMinutes apply on Slurm. */
  executor?: 'slurm' | 'local';
  slurm?: SlurmJobSettings;
}
export interface PrepareJobResult {
  name: string;
  gpus: number;
  timeLimit?: number;
  array?: number[];
  /** File name → content; the job folder inside them is a placeholder until submission. */
  files: Record<string, string>;
}

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

/**
 * A pipeline file (the format `mcpo job submit pipeline` reads) and where to run it; the same
 * settings for the preview and the submission, so the preview shows what will be submitted.
 */
export interface PipelineParams {
  jobsDir: string;
  specFile: string;
  executor: 'slurm' | 'local';
  /** With executor slurm; its gpus / timeMinutes override every step's. */
  slurm?: SlurmJobSettings;
  slurmToken?: string;
  /** mcpo.preset, for eval steps that name no preset ('none': no preset). */
  preset?: string;
}
export interface PreparedPipelineStep {
  step: string;
  kind: JobKindName;
  name: string;
  gpus: number;
  timeLimit?: number;
  /** Ids of the steps it waits for. */
  after: string[];
  output?: string;
  /** File name → content, as for a single job's preview. */
  files: Record<string, string>;
}
export interface PreparePipelineResult {
  name: string;
  steps: PreparedPipelineStep[];
}
export interface SubmitPipelineResult {
  pipelineId: string;
  /** Every step, in submission order. */
  jobs: JobInfo[];
}

/** The paper's Tables 3 and 4 over a pipeline's eval runs, or over run folders. */
export interface CheckpointTablesParams {
  /** The workspace's runs folder (where eval steps put their runs). */
  runsDir: string;
  pipelineId?: string;
  runDirs?: string[];
}
export interface CheckpointTablesResult {
  runDirs: string[];
  /** The tables as text (monospace), or why there are none. */
  tables: string;
}

export interface JobIdParams {
  jobsDir: string;
  id: string;
  slurmToken?: string;
}
export interface CancelJobResult {
  job: JobInfo;
}

export interface JobLogsResult {
  id: string;
  text: string;
}

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

export interface JobsChangedParams {
  jobsDir: string;
  job: JobInfo;
}
