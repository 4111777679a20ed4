/**
 * Runs jobs on Slurm through slurmrestd's REST API (JWT auth). The token comes from the
 * environment (MCPO_SLURM_TOKEN) at every call: it is never logged, never stored in a record and
 * never written into a job file.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import {
  combineStates,
  JobError,
  JobForgottenError,
  SubmitOutcomeUnknownError,
  type Executor,
  type JobRecord,
  type JobResources,
  type JobStatus,
  type SlurmTarget,
} from './jobTypes';
import {
  AUTH_FAILURE_CODES,
  buildSubmitBody,
  ERROR_INVALID_JOB_ID,
  ERROR_INVALID_PARTITION,
  isSupportedApi,
  parseErrors,
  parseJobs,
  parseSubmit,
  SUPPORTED_APIS,
} from './slurmApi';
import { SCRIPT_NAME } from './specs';
import type { Fix } from '../protocol/fixHints';

export const TOKEN_ENV = 'MCPO_SLURM_TOKEN';

/** A new token: the CLI reads it from TOKEN_ENV, VS Code from its secret storage. */
const TOKEN_FIX: Fix = {
  kind: 'command',
  to: 'give a valid token',
  cli: `mint one (scontrol token) and set ${TOKEN_ENV}`,
  command: 'mcpo.setSlurmToken',
  title: 'Set Slurm Token',
};
/** The user the token was minted for. */
const USER_FIX: Fix = {
  kind: 'option',
  to: 'name its user',
  flag: '--slurm-user',
  placeholder: 'name',
  setting: 'mcpo.slurm.user',
};
/** Where the partition is chosen (the message says how to find one). */
const PARTITION_FIX: Fix = { kind: 'option', setting: 'mcpo.slurm.partition' };

/**
 * A minimal, explicit environment: the token and the submitting shell's other secrets stay out
 * of the job; the spec's pass_env names are passed through with their current values (sent to
 * slurmrestd, never written into a job file). A name that is not set is an error, not an empty value.
 */
export function jobEnvironment(
  record: JobRecord,
  passEnv: readonly string[] = [],
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C.UTF-8',
    MCPO_JOB_ID: record.id,
  };
  const missing = passEnv.filter((n) => process.env[n] === undefined);
  if (missing.length > 0)
    throw new JobError(
      `job ${record.name}: pass_env names ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not set in the environment mcpo runs in`,
    );
  for (const n of passEnv) if (n !== TOKEN_ENV) env[n] = process.env[n] as string;
  return env;
}

/**
 * The name squeue shows: the spec's name first (squeue's default column keeps the first 8
 * characters), then the record's id, unique and client-generated. Slurm echoes it, so a
 * submission whose answer was lost (mcpo killed, connection dropped) is found again by name.
 */
export function slurmJobName(record: Pick<JobRecord, 'id' | 'name'>): string {
  const name = record.name
    .replace(/[^\w.+-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64);
  return name && name !== record.id ? `${name}:${record.id}` : record.id;
}

export interface SlurmOptions extends SlurmTarget {
  /** Defaults to process.env.MCPO_SLURM_TOKEN, read at each request. */
  token?: () => string | undefined;
  /**
   * How long a read (status) keeps retrying, with backoff, while slurmrestd is unreachable (a
   * restart). Every attempt's own timeout is cut to what is left, so a read never outlasts it.
   */
  retryForMs?: number;
  /** One request's timeout (default 30 s; reads are also bounded by retryForMs). */
  requestTimeoutMs?: number;
  /** Counts HTTP requests (for the poll-cost figure). */
  onRequest?: () => void;
  /** A read failed and will be retried (tests wait on this instead of sleeping). */
  onRetry?: (err: Error) => void;
}

/** slurmrestd could not be reached at all (refused, reset, or no answer in time): worth retrying for reads. */
export class UnreachableError extends JobError {
  /** The connection was refused: the request never reached slurmrestd. */
  refused = false;
}

/** The budget `job status` and `job list` give slurmrestd: they answer within 5 s either way. */
export const QUICK_READ = { retryForMs: 2500, requestTimeoutMs: 1000 } as const;

export class SlurmExecutor implements Executor {
  constructor(private readonly opts: SlurmOptions) {
    if (!isSupportedApi(opts.api))
      throw new JobError(
        `--slurm-api ${opts.api} is not supported (use one of ${SUPPORTED_APIS.join(', ')}; Slurm 22.05 serves v0.0.38)`,
      );
    if (!/^https?:\/\/[^\s/]+/.test(opts.url))
      throw new JobError(
        `--slurm-url must be an http(s) URL like http://host:6820 (found "${opts.url}")`,
      );
  }

  private base(): string {
    return `${this.opts.url.replace(/\/+$/, '')}/slurm/${this.opts.api}`;
  }

  private token(): string {
    const t = (this.opts.token ?? (() => process.env[TOKEN_ENV]))();
    if (!t)
      throw new JobError(
        `no Slurm token: set ${TOKEN_ENV} (e.g. export ${TOKEN_ENV}=$(scontrol token username=${this.opts.user} lifespan=86400 | cut -d= -f2))`,
      );
    return t;
  }

  /** One request; maps transport and slurmrestd errors to messages a user can act on. */
  private async request(
    method: 'GET' | 'POST' | 'DELETE',
    route: string,
    body?: unknown,
    timeoutMs = this.opts.requestTimeoutMs ?? 30_000,
  ): Promise<unknown> {
    const token = this.token();
    const url = `${this.base()}${route}`;
    this.opts.onRequest?.();
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          'X-SLURM-USER-NAME': this.opts.user,
          'X-SLURM-USER-TOKEN': token,
          'Content-Type': 'application/json',
          Accept: 'application/json',
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      const why = cause?.code ?? (err as Error).name;
      // A submission that timed out may have been queued all the same: it must not be retried or forgotten.
      if (method === 'POST' && (err as Error).name === 'TimeoutError') {
        throw new SubmitOutcomeUnknownError(
          `slurmrestd at ${this.opts.url} did not answer the submission in time: the job may or may not be queued; check squeue before submitting again`,
        );
      }
      const unreachable = new UnreachableError(
        `slurmrestd is not reachable at ${this.opts.url} (${why === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : why}): is it running, and is the URL right?`,
      );
      unreachable.refused = why === 'ECONNREFUSED';
      throw unreachable;
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      if (res.status === 401)
        throw new JobError(
          `slurmrestd at ${this.opts.url} refused the request as unauthenticated (HTTP 401)`,
          { fixes: [TOKEN_FIX, USER_FIX] },
        );
      throw new JobError(
        `slurmrestd at ${this.opts.url} answered HTTP ${res.status} with non-JSON: ${text.slice(0, 200)}`,
      );
    }
    const errors = parseErrors(json);
    if (res.ok && errors.length === 0) return json;
    if (errors.some((e) => e.code === ERROR_INVALID_PARTITION)) {
      throw new JobError(
        `Slurm does not know partition "${this.opts.partition ?? '(default)'}" (error 2000 Invalid partition name): pick one from sinfo`,
        { fixes: [PARTITION_FIX] },
      );
    }
    if (errors.some((e) => e.code === ERROR_INVALID_JOB_ID))
      throw new JobForgottenError(
        'Slurm no longer knows this job (error 2017 Invalid job id): it ended longer ago than MinJobAge or never existed',
      );
    if (
      res.status === 401 ||
      res.status === 403 ||
      errors.some((e) => e.code !== undefined && AUTH_FAILURE_CODES.has(e.code))
    ) {
      // slurmrestd answers HTTP 500 for a rejected token, so the token is checked here too.
      throw new JobError(
        `Slurm rejected the token for user "${this.opts.user}" (${this.tokenProblem(token)}; slurmrestd said HTTP ${res.status}: ${errors.map((e) => e.message).join('; ') || text.slice(0, 100)})`,
        { fixes: [TOKEN_FIX] },
      );
    }
    const detail = errors
      .map((e) => `${e.message}${e.code !== undefined ? ` (error ${e.code})` : ''}`)
      .join('; ');
    throw new JobError(
      `slurmrestd ${method} ${route} failed with HTTP ${res.status}: ${detail || text.slice(0, 200)}`,
    );
  }

  /** Reads the token's exp claim without verifying it, to tell "expired" from "invalid". */
  private tokenProblem(token: string): string {
    try {
      const claims = JSON.parse(
        Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'),
      ) as { exp?: number; sun?: string };
      if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now())
        return `the token expired at ${new Date(claims.exp * 1000).toISOString()}`;
      if (claims.sun && claims.sun !== this.opts.user)
        return `the token is for user "${claims.sun}", not "${this.opts.user}"`;
      return 'the token is invalid or expired';
    } catch {
      return 'the token is not a JWT';
    }
  }

  /**
   * Reads retry with exponential backoff while slurmrestd is unreachable (e.g. restarted
   * mid-poll), within one overall deadline; other errors surface at once.
   */
  private async read(route: string): Promise<unknown> {
    return this.retrying('GET', route);
  }

  /**
   * Any call, retried with backoff while slurmrestd is unreachable, within retryForMs. A
   * submission is retried only when the connection was refused (it never reached slurmrestd);
   * one without an answer in time is SubmitOutcomeUnknownError and never sent twice.
   */
  private async retrying(
    method: 'GET' | 'POST' | 'DELETE',
    route: string,
    body?: unknown,
  ): Promise<unknown> {
    const deadline = Date.now() + (this.opts.retryForMs ?? 60_000);
    const perRequest = this.opts.requestTimeoutMs ?? 30_000;
    for (let delay = 200; ; delay = Math.min(delay * 2, 5_000)) {
      const left = deadline - Date.now();
      try {
        // A submission keeps its full timeout: cut short, it would become "outcome unknown".
        const timeout = method === 'POST' ? perRequest : Math.max(200, Math.min(perRequest, left));
        return await this.request(method, route, body, timeout);
      } catch (err) {
        const retryable = err instanceof UnreachableError && (method !== 'POST' || err.refused);
        if (!retryable || Date.now() + delay > deadline) throw err;
        this.opts.onRetry?.(err);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  async ping(): Promise<void> {
    await this.read('/ping');
  }

  async submit(record: JobRecord, job: JobResources): Promise<JobRecord> {
    const logs = path.join(record.dir, 'logs');
    fs.mkdirSync(logs, { recursive: true });
    const pattern = record.array ? '%A_%a' : '%j';
    const after = (job.after ?? []).map((r) => this.jobId(r));
    const body = buildSubmitBody(this.opts.api, {
      script: fs.readFileSync(path.join(record.dir, SCRIPT_NAME), 'utf8'),
      name: slurmJobName(record),
      partition: this.opts.partition,
      cwd: record.dir,
      stdout: path.join(logs, `${pattern}.out`),
      stderr: path.join(logs, `${pattern}.err`),
      environment: jobEnvironment(record, job.passEnv),
      timeLimit: job.timeLimit,
      gpus: job.gpus,
      cpus: job.cpus,
      memoryMb: job.memoryMb,
      dependency: after.length > 0 ? `afterok:${after.join(':')}` : undefined,
      array: record.array ? record.array.join(',') : undefined,
    });
    const response = await this.retrying('POST', '/job/submit', body);
    const jobId = parseSubmit(response);
    if (jobId === undefined)
      throw new JobError(
        `slurmrestd accepted the job but returned no job_id: ${JSON.stringify(response).slice(0, 200)}`,
      );
    return {
      ...record,
      executor: 'slurm',
      slurm: { ...this.targetOnly(), jobId },
      state: 'PENDING',
    };
  }

  target(record: JobRecord): Pick<JobRecord, 'executor' | 'slurm'> {
    void record;
    return { executor: 'slurm', slurm: { ...this.targetOnly(), jobId: 0 } };
  }

  async reconcile(record: JobRecord): Promise<JobRecord | undefined> {
    const found = parseJobs(this.opts.api, await this.read('/jobs')).filter(
      // Records submitted before names carried the spec name were sent as the bare id.
      (j) => j.name === slurmJobName(record) || j.name === record.id,
    );
    if (found.length === 0) return undefined;
    const jobId = found[0].arrayJobId > 0 ? found[0].arrayJobId : found[0].jobId;
    return {
      ...record,
      executor: 'slurm',
      slurm: { ...this.targetOnly(), jobId },
      state: 'PENDING',
    };
  }

  private targetOnly(): SlurmTarget {
    return {
      url: this.opts.url,
      api: this.opts.api,
      user: this.opts.user,
      ...(this.opts.partition ? { partition: this.opts.partition } : {}),
    };
  }

  async status(record: JobRecord): Promise<JobStatus> {
    const id = this.jobId(record);
    let answer: Awaited<ReturnType<SlurmExecutor['read']>>;
    try {
      answer = await this.read(`/job/${id}`);
    } catch (err) {
      // A purged job would otherwise be re-asked (and fail) every poll for as long as the engine runs.
      if (err instanceof JobForgottenError)
        return { state: 'UNKNOWN', untracked: true, reason: err.message };
      throw err;
    }
    const jobs = parseJobs(this.opts.api, answer).filter(
      (j) => j.jobId === id || j.arrayJobId === id,
    );
    if (jobs.length === 0) return { state: 'UNKNOWN', reason: 'slurmrestd returned no job' };
    const tasks = jobs
      .map((j) => ({ index: j.arrayTaskId, state: j.state, exitCode: j.exitCode }))
      .sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    const state = combineStates(jobs.map((j) => j.state));
    const failed = jobs.find(
      (j) => j.state === state && j.exitCode !== undefined && j.exitCode !== 0,
    );
    const pending = jobs.find((j) => j.state === 'PENDING');
    return {
      state,
      tres: jobs.find((j) => j.tresPerNode)?.tresPerNode,
      reason: pending?.reason,
      exitCode: failed?.exitCode ?? (state === 'COMPLETED' ? 0 : undefined),
      tasks,
    };
  }

  async cancel(record: JobRecord): Promise<void> {
    await this.retrying('DELETE', `/job/${this.jobId(record)}`);
  }

  private jobId(record: JobRecord): number {
    if (!record.slurm) throw new JobError(`job ${record.id} was not submitted to Slurm`);
    return record.slurm.jobId;
  }
}
