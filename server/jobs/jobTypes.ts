/** Job records, states and the interface both executors implement. */
import type { JobStateName } from '../protocol/jobs';
import { UserError } from '../userError';

/**
 * Slurm's state names; the local executor reports the same ones. SUBMITTING is recorded before
 * the submission is sent, so a restart reconciles it with the scheduler. The wire type is the one
 * definition: records and views share it.
 */
export type JobState = JobStateName;

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'NODE_FAIL',
  'OUT_OF_MEMORY',
  'PREEMPTED',
]);

export interface SlurmTarget {
  url: string;
  api: string;
  user: string;
  partition?: string;
}

/** Persisted as .mcpo/jobs/<id>.json. Never holds a token. */
export interface JobRecord {
  id: string;
  kind: string;
  name: string;
  executor: 'slurm' | 'local';
  /** Absolute job folder: config files, job.sh, logs/. */
  dir: string;
  submittedAt: string;
  state: JobState;
  /**
   * Nothing more can be learned from the executor: Slurm purged the job (older than MinJobAge)
   * before it was seen to end, or its submission got no answer. `reason` says which.
   */
  untracked?: boolean;
  reason?: string;
  exitCode?: number;
  array?: number[];
  slurm?: SlurmTarget & { jobId: number };
  /** The supervisor's pid and its start time (clock ticks since boot), so a reused pid is not trusted. */
  local?: { pid: number; startTime?: number };
  /** While SUBMITTING: the process sending the submission (a live one is not reconciled). */
  submitter?: { pid: number; startTime?: number };
  /** Per array task (or the single job): last seen state. */
  tasks?: { index: number | null; state: JobState; exitCode?: number }[];
  /** What the scheduler allocated per node beyond CPUs, e.g. "gres:gpu:4" (as Slurm reports it). */
  tres?: string;
  /** The pipeline this job is a step of, the step's id and the steps it waits for. */
  pipeline?: { id: string; step: string; after: string[] };
  /** Where the job's result lands (for the next pipeline step and the views). */
  output?: string;
  updatedAt: string;
}

export interface JobStatus {
  state: JobState;
  tres?: string;
  /** See JobRecord.untracked. */
  untracked?: boolean;
  reason?: string;
  exitCode?: number;
  tasks?: JobRecord['tasks'];
}

/** What a job asks of the executor besides its files. */
export interface JobResources {
  gpus: number;
  /** Minutes. */
  timeLimit?: number;
  cpus?: number;
  memoryMb?: number;
  /** Variables passed through by name from this process's environment (values never written to files). */
  passEnv?: string[];
  /** Jobs that must complete successfully first (Slurm afterok; the local executor waits for them). */
  after?: JobRecord[];
}

export interface Executor {
  /** Starts the job whose files are already in record.dir; returns the record with its ids. */
  submit(record: JobRecord, job: JobResources): Promise<JobRecord>;
  status(record: JobRecord): Promise<JobStatus>;
  cancel(record: JobRecord): Promise<void>;
  /** Where the job will run, recorded before submitting (Slurm: the target, no job id yet). */
  target?(record: JobRecord): Pick<JobRecord, 'executor' | 'slurm'>;
  /**
   * A SUBMITTING record whose submitter died: what the scheduler knows of it, found by the
   * name the submission carried (the record's id); undefined when it never arrived.
   */
  reconcile?(record: JobRecord): Promise<JobRecord | undefined>;
}

/** A failure the user can act on (bad token, unreachable server, unknown partition). */
export class JobError extends UserError {}

/** A submission got no answer in time: the job may or may not be queued. */
export class SubmitOutcomeUnknownError extends JobError {}

/** Slurm answered "Invalid job id" (2017) for a job it ran: it was purged after MinJobAge. */
export class JobForgottenError extends JobError {}

/** Whether polling a job can teach anything more: it ended, or its executor forgot it. */
export function isFinished(record: Pick<JobRecord, 'state' | 'untracked'>): boolean {
  return TERMINAL_STATES.has(record.state) || record.untracked === true;
}

/** Folds array-task states into one: any active task keeps the job active; any failure wins over success. */
export function combineStates(states: JobState[]): JobState {
  if (states.length === 0) return 'UNKNOWN';
  for (const s of ['RUNNING', 'COMPLETING', 'PENDING'] as const)
    if (states.includes(s)) return s === 'COMPLETING' ? 'RUNNING' : s;
  for (const s of [
    'FAILED',
    'TIMEOUT',
    'OUT_OF_MEMORY',
    'NODE_FAIL',
    'CANCELLED',
    'PREEMPTED',
  ] as const)
    if (states.includes(s)) return s;
  return states.every((s) => s === 'COMPLETED') ? 'COMPLETED' : 'UNKNOWN';
}
