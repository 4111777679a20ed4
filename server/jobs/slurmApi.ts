/**
 * slurmrestd request/response shapes per OpenAPI plugin version. Slurm 22.05 serves v0.0.36–38
 * (flat numbers, `environment` as an object, `job_state` a string); Slurm 23.02+ serves
 * v0.0.39–v0.0.42 (numbers as {set, infinite, number}, `environment` as ["K=V"], `job_state` a
 * list of flags from v0.0.40, the script inside `job` from v0.0.41). Pure functions, so the
 * newer shapes are unit-tested from example JSON without a newer Slurm.
 */
import type { JobState } from './jobTypes';

export const SUPPORTED_APIS = ['v0.0.38', 'v0.0.39', 'v0.0.40', 'v0.0.41', 'v0.0.42'] as const;

export interface SubmitRequest {
  script: string;
  name: string;
  partition?: string;
  cwd: string;
  stdout: string;
  stderr: string;
  environment: Record<string, string>;
  timeLimit?: number;
  gpus: number;
  /** CPUs for the job's one task; undefined leaves Slurm's default (1). */
  cpus?: number;
  /** Memory per node in MB; undefined leaves the partition's default. */
  memoryMb?: number;
  /** Slurm dependency expression, e.g. "afterok:12:13". */
  dependency?: string;
  array?: string;
}

export interface SlurmJobInfo {
  jobId: number;
  name?: string;
  arrayJobId: number;
  arrayTaskId: number | null;
  state: JobState;
  reason?: string;
  /** The job script's exit status (not the raw wait status). */
  exitCode?: number;
  /** What Slurm allocates per node beyond CPUs, e.g. "gres:gpu:4" (22.05) or "gres/gpu:4". */
  tresPerNode?: string;
  /** The dependency Slurm holds the job on, e.g. "afterok:12(unfulfilled)". */
  dependency?: string;
}

export interface SlurmError {
  code?: number;
  message: string;
}

function minor(api: string): number {
  const m = /^v0\.0\.(\d+)$/.exec(api);
  if (!m)
    throw new Error(
      `unsupported slurmrestd API version "${api}" (supported: ${SUPPORTED_APIS.join(', ')})`,
    );
  return Number(m[1]);
}

export function isSupportedApi(api: string): boolean {
  return (SUPPORTED_APIS as readonly string[]).includes(api);
}

/**
 * The submit body per version, each key checked against that version's OpenAPI document:
 * v0.0.38 from Slurm 22.05's live slurmrestd (GET /openapi/v3, `v0.0.38_job_properties`),
 * v0.0.39–v0.0.42 from SchedMD/slurm's data_parser `JOB_DESC_MSG` (slurm-23-11 and slurm-24-11).
 * - GPUs: v0.0.38 has no `tres_per_node` ("Unknown key", HTTP 400); its `gres: "gpu:N"` is what
 *   sbatch --gres sends and shows as TresPerNode=gres:gpu:N. v0.0.39+ take
 *   `tres_per_node: "gres/gpu:N"` (Slurm 23.02 renamed gres:gpu to gres/gpu).
 * - Memory: v0.0.38 `memory_per_node` is an integer (MB); v0.0.39+ a {set, infinite, number}.
 * - `cpus_per_task`, `dependency` (a string such as "afterok:12:13") in every version.
 */
export function buildSubmitBody(api: string, r: SubmitRequest): Record<string, unknown> {
  const v = minor(api);
  const job: Record<string, unknown> = {
    name: r.name,
    current_working_directory: r.cwd,
    standard_output: r.stdout,
    standard_error: r.stderr,
  };
  if (r.partition) job.partition = r.partition;
  if (r.array) job.array = r.array;
  if (r.cpus !== undefined) job.cpus_per_task = r.cpus;
  if (r.dependency) job.dependency = r.dependency;
  if (v <= 38) {
    job.nodes = [1, 1];
    job.tasks = 1;
    job.environment = r.environment;
    if (r.timeLimit !== undefined) job.time_limit = r.timeLimit;
    if (r.memoryMb !== undefined) job.memory_per_node = r.memoryMb;
    if (r.gpus > 0) job.gres = `gpu:${r.gpus}`;
    return { script: r.script, job };
  }
  job.minimum_nodes = 1;
  job.maximum_nodes = 1;
  job.tasks = 1;
  job.environment = Object.entries(r.environment).map(([k, val]) => `${k}=${val}`);
  if (r.timeLimit !== undefined)
    job.time_limit = { set: true, infinite: false, number: r.timeLimit };
  if (r.memoryMb !== undefined)
    job.memory_per_node = { set: true, infinite: false, number: r.memoryMb };
  if (r.gpus > 0) job.tres_per_node = `gres/gpu:${r.gpus}`;
  if (v >= 41) {
    job.script = r.script;
    return { job };
  }
  return { script: r.script, job };
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : {};
}

/** A number in either shape: 5, or {set: true, number: 5}. */
function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  const r = asRecord(v);
  if (r.set === true && typeof r.number === 'number') return r.number;
  return undefined;
}

const KNOWN: ReadonlySet<string> = new Set([
  'PENDING',
  'RUNNING',
  'COMPLETING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'NODE_FAIL',
  'OUT_OF_MEMORY',
  'PREEMPTED',
]);

function state(v: unknown): JobState {
  // v0.0.40+ sends ["RUNNING"] or ["PENDING", "REQUEUED"]: the base state comes first.
  const list = Array.isArray(v) ? v : [v];
  for (const s of list) if (typeof s === 'string' && KNOWN.has(s)) return s as JobState;
  return 'UNKNOWN';
}

function exitCode(v: unknown, api: number): number | undefined {
  // v0.0.38: the raw wait status (exit status << 8); v0.0.39+: {status, return_code}.
  if (typeof v === 'number') return api <= 38 ? v >> 8 : v;
  const r = asRecord(v);
  return num(r.return_code);
}

export function parseJobs(api: string, body: unknown): SlurmJobInfo[] {
  const v = minor(api);
  const jobs = asRecord(body).jobs;
  if (!Array.isArray(jobs)) return [];
  return jobs.map((raw) => {
    const j = asRecord(raw);
    const reason =
      typeof j.state_reason === 'string' && j.state_reason !== 'None' ? j.state_reason : undefined;
    return {
      jobId: num(j.job_id) ?? -1,
      ...(typeof j.name === 'string' ? { name: j.name } : {}),
      arrayJobId: num(j.array_job_id) ?? 0,
      arrayTaskId: num(j.array_task_id) ?? null,
      state: state(j.job_state),
      reason,
      exitCode: exitCode(j.exit_code, v),
      ...(typeof j.tres_per_node === 'string' && j.tres_per_node !== ''
        ? { tresPerNode: j.tres_per_node }
        : {}),
      ...(typeof j.dependency === 'string' && j.dependency !== ''
        ? { dependency: j.dependency }
        : {}),
    };
  });
}

export function parseSubmit(body: unknown): number | undefined {
  const b = asRecord(body);
  return num(b.job_id) ?? num(asRecord(b.result).job_id);
}

/** `errors[]` in both shapes: v0.0.38 {error_code, error}, newer {error_number, error, description}. */
export function parseErrors(body: unknown): SlurmError[] {
  const errors = asRecord(body).errors;
  if (!Array.isArray(errors)) return [];
  return errors.map((raw) => {
    const e = asRecord(raw);
    const code = num(e.error_code) ?? num(e.error_number);
    const parts = [e.error, e.description].filter(
      (x): x is string => typeof x === 'string' && x !== '',
    );
    return { code, message: parts.join(': ') || 'unknown error' };
  });
}

export const ERROR_INVALID_PARTITION = 2000;
export const ERROR_INVALID_JOB_ID = 2017;
/**
 * What slurmrestd 22.05 answers (HTTP 500) when slurmctld rejected the token: 5005 "Zero Bytes
 * were transmitted or received" on submit, -1 "Unspecified error" on reads; 1007 is the newer
 * "Protocol authentication error".
 */
export const AUTH_FAILURE_CODES: ReadonlySet<number> = new Set([5005, -1, 1007]);
