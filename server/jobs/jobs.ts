/**
 * Job orchestration shared by the CLI and tests: prepare a spec into a job folder, submit it
 * with an executor, refresh and persist states, wait by polling.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type JobStore } from './jobStore';
import {
  isFinished,
  JobError,
  SubmitOutcomeUnknownError,
  TERMINAL_STATES,
  type Executor,
  type JobRecord,
  type JobResources,
  type JobState,
  type JobStatus,
} from './jobTypes';
import { LocalExecutor } from './localExecutor';
import { SlurmExecutor, type SlurmOptions } from './slurmExecutor';
import { isSameProcess, processStartTime } from './processStart';
import { applyOverrides, type SpecOverrides } from './submitSetup';
import { loadSpec, prepareJob, SCRIPT_NAME, type JobKind, type PreparedJob } from './specs';

export interface SubmitOptions {
  kind: JobKind;
  specFile: string;
  store: JobStore;
  executor: Executor;
  mcpoCommand: string[];
  /** --gpus / --time: written into the spec before its files are generated. */
  overrides?: SpecOverrides;
}

/** Validates the spec, writes the job folder, submits, saves the record (also when the outcome is unknown). */
export async function submitJob(
  o: SubmitOptions,
): Promise<{ record: JobRecord; job: PreparedJob }> {
  const spec = applyOverrides(loadSpec(o.specFile), o.overrides, o.kind);
  const id = o.store.newId(o.kind);
  const dir = o.store.dirOf(id);
  const job = prepareJob(o.kind, spec, {
    specDir: path.dirname(path.resolve(o.specFile)),
    jobDir: dir,
    mcpoCommand: o.mcpoCommand,
  });
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  for (const [name, content] of Object.entries(job.files))
    fs.writeFileSync(path.join(dir, name), content, { mode: name === SCRIPT_NAME ? 0o755 : 0o644 });
  const now = new Date().toISOString();
  const startTime = processStartTime(process.pid);
  // Recorded before the submission leaves: if this process dies before the answer is saved, a
  // restart finds the record SUBMITTING and reconciles it with the scheduler by the record's id.
  const draft: JobRecord = {
    id,
    kind: o.kind,
    name: job.name,
    executor: 'local',
    ...o.executor.target?.({} as JobRecord),
    dir,
    submittedAt: now,
    updatedAt: now,
    state: 'SUBMITTING',
    submitter: { pid: process.pid, ...(startTime !== undefined ? { startTime } : {}) },
    array: job.array,
    ...(job.output ? { output: job.output } : {}),
  };
  o.store.save(draft);
  let record: JobRecord;
  try {
    record = await o.executor.submit(draft, resourcesOf(job));
  } catch (err) {
    if (err instanceof SubmitOutcomeUnknownError) {
      // The job may be running from this folder: keep both, and say what is known.
      o.store.save({
        ...draft,
        executor: 'slurm',
        state: 'UNKNOWN',
        untracked: true,
        reason: err.message,
      });
      throw err;
    }
    // Nothing was submitted: keep no record that would list a job that never existed.
    o.store.remove(id);
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const { submitter: _s, ...saved } = record;
  o.store.save({ ...saved, state: record.state === 'SUBMITTING' ? 'PENDING' : record.state });
  return { record: saved, job };
}

/**
 * A SUBMITTING record left by a process that died mid-submission: asks the scheduler for the
 * job by its name (the record's id). Found: the record gets its ids back. Not found: the
 * submission never arrived, and the record says so.
 */
async function reconcileSubmitting(record: JobRecord, executor: Executor): Promise<JobRecord> {
  const s = record.submitter;
  if (s && isSameProcess(s.pid, s.startTime)) return record; // still being submitted
  const found = await executor.reconcile?.(record);
  const { submitter: _s, ...rest } = record;
  if (found) {
    const { submitter: _f, ...clean } = found;
    return { ...clean, reason: 'submission found again by name after mcpo stopped' };
  }
  return {
    ...rest,
    state: 'UNKNOWN',
    untracked: true,
    reason:
      'mcpo stopped while submitting and the scheduler has no job of this name: it was never submitted',
  };
}

/** What the executor is asked for, from the generated job. */
export function resourcesOf(job: PreparedJob, after?: JobRecord[]): JobResources {
  return {
    gpus: job.gpus,
    timeLimit: job.timeLimit,
    cpus: job.cpus,
    memoryMb: job.memoryMb,
    passEnv: job.passEnv,
    after,
  };
}

export function executorFor(record: JobRecord, slurm?: Partial<SlurmOptions>): Executor {
  if (record.executor === 'local') return new LocalExecutor();
  if (!record.slurm) throw new JobError(`job ${record.id} has no Slurm target in its record`);
  const { jobId: _id, ...target } = record.slurm;
  return new SlurmExecutor({ ...target, ...slurm });
}

/** Asks the executor and saves what it says (terminal states are final and never re-asked). */
export async function refresh(
  store: JobStore,
  record: JobRecord,
  executor: Executor = executorFor(record),
): Promise<JobRecord> {
  if (isFinished(record)) return record;
  if (record.state === 'SUBMITTING') {
    const reconciled = await reconcileSubmitting(record, executor);
    if (reconciled === record) return record;
    store.save({ ...reconciled, updatedAt: new Date().toISOString() });
    if (isFinished(reconciled)) return reconciled;
    record = reconciled;
  }
  const s: JobStatus = await executor.status(record);
  const next: JobRecord = {
    ...record,
    state: s.state,
    untracked: s.untracked,
    reason: s.reason,
    exitCode: s.exitCode,
    tasks: s.tasks,
    ...(s.tres ? { tres: s.tres } : {}),
    updatedAt: new Date().toISOString(),
  };
  store.save(next);
  return next;
}

/** Polls until the job reaches one of `until` (default: any terminal state). */
export async function waitFor(
  store: JobStore,
  record: JobRecord,
  o: {
    executor?: Executor;
    intervalMs?: number;
    timeoutMs?: number;
    until?: ReadonlySet<JobState>;
    onState?: (r: JobRecord) => void;
  } = {},
): Promise<JobRecord> {
  const until = o.until ?? TERMINAL_STATES;
  const deadline = Date.now() + (o.timeoutMs ?? 24 * 3600_000);
  let current = record;
  let last: JobState | undefined;
  for (;;) {
    current = await refresh(store, current, o.executor);
    if (current.state !== last) o.onState?.(current);
    last = current.state;
    if (until.has(current.state) || isFinished(current)) return current;
    if (Date.now() > deadline)
      throw new JobError(
        `job ${current.id} is still ${current.state} after ${Math.round((o.timeoutMs ?? 0) / 1000)} s`,
      );
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 2000));
  }
}
