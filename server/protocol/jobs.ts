/**
 * Jobs (fine-tune / sweep / merge / quantize on Slurm or locally) on the wire: the job as the
 * views show it and the params/results of the job messages (declared in ./messages.ts).
 *
 * Every job request names the jobs folder (`<workspace>/.mcpo/jobs`); a Slurm token travels in
 * the request (from SecretStorage), is kept in the engine's memory only for polling, and is never
 * written to a record, a job file or a log. Without one the engine falls back to MCPO_SLURM_TOKEN.
 */

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
