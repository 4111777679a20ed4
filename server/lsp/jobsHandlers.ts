/**
 * The mcpo/jobs/* requests over the jobs engine (server/jobs): list, preview, submit, cancel,
 * logs, data selection, and a poller that reports state changes as mcpo/jobs/changed while any
 * job is active (it stops when none is).
 *
 * Slurm tokens arrive with requests and live only in this process's memory (per slurmrestd URL),
 * so the poller can keep asking after the request that brought them; MCPO_SLURM_TOKEN is the
 * fallback. They are never written to a record, a job file or a log.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobStore, readLogs } from '../jobs/jobStore';
import { isFinished, type Executor, type JobRecord } from '../jobs/jobTypes';
import { executorFor, refresh, submitJob } from '../jobs/jobs';
import {
  cancelPipeline,
  loadPipeline,
  newPipelineId,
  pipelineSteps,
  preparePipeline,
  submitPipeline,
} from '../jobs/pipeline';
import { checkpointTablesText, runDirsOf } from '../jobs/checkpoint';
import { RunStore } from '../runs/runStore';
import { formatSelectCounts, selectData } from '../jobs/selectData';
import { QUICK_READ, TOKEN_ENV } from '../jobs/slurmExecutor';
import {
  applyOverrides,
  makeExecutor,
  parseOverrides,
  type SpecOverrides,
} from '../jobs/submitSetup';
import { JOB_KINDS, loadSpec, prepareJob, SCRIPT_NAME } from '../jobs/specs';
import { UserError } from '../userError';
import type {
  CancelJobResult,
  CheckpointTablesParams,
  CheckpointTablesResult,
  PipelineParams,
  PreparePipelineResult,
  SlurmJobSettings,
  SubmitPipelineResult,
  JobIdParams,
  JobInfo,
  JobLogsResult,
  JobsChangedParams,
  ListJobsParams,
  ListJobsResult,
  PrepareJobParams,
  PrepareJobResult,
  SelectDataParams,
  SelectDataResult,
  SubmitJobParams,
  SubmitJobResult,
} from '../protocol/jobs';

export interface JobsHost {
  notify(params: JobsChangedParams): void;
  log(message: string): void;
}

export interface JobsServiceOptions {
  /** Poll interval for active jobs (default MCPO_JOBS_POLL_MS, else 2000 ms). */
  pollMs?: number;
  /** argv that runs the mcpo CLI (sweep jobs call `mcpo select`). */
  mcpoCommand: string[];
}

/** The generated files a user would open: configs first, the batch script last. */
function jobFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const names = fs
    .readdirSync(dir)
    .filter((f) => f !== SCRIPT_NAME && /\.(ya?ml|json|py)$/.test(f) && !f.startsWith('data-'))
    .sort();
  if (fs.existsSync(path.join(dir, SCRIPT_NAME))) names.push(SCRIPT_NAME);
  return names.map((f) => path.join(dir, f));
}

export function toJobInfo(r: JobRecord): JobInfo {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    executor: r.executor,
    dir: r.dir,
    state: r.state,
    reason: r.reason,
    exitCode: r.exitCode,
    submittedAt: r.submittedAt,
    updatedAt: r.updatedAt,
    slurmJobId: r.slurm?.jobId,
    slurmUrl: r.slurm?.url,
    localPid: r.local?.pid,
    array: r.array,
    tasks: r.tasks,
    files: jobFiles(r.dir),
    pipeline: r.pipeline,
    output: r.output,
    tres: r.tres,
  };
}

interface Watched {
  jobsDir: string;
  record: JobRecord;
}

export class JobsService {
  private readonly tokens = new Map<string, string>();
  private readonly watched = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private disposed = false;

  constructor(
    private readonly host: JobsHost,
    private readonly options: JobsServiceOptions,
  ) {}

  /** True while the poller has active jobs to ask about (for tests). */
  get isPolling(): boolean {
    return this.timer !== undefined || this.polling;
  }

  private remember(url: string | undefined, token: string | undefined): void {
    if (url && token) this.tokens.set(url.replace(/\/+$/, ''), token);
  }

  private tokenFor(url: string): string | undefined {
    return this.tokens.get(url.replace(/\/+$/, '')) ?? process.env[TOKEN_ENV];
  }

  private executorOf(record: JobRecord): Executor {
    if (record.executor === 'local' || !record.slurm) return executorFor(record);
    const url = record.slurm.url;
    // Short retries: one unreachable slurmrestd must not stall the poller for a minute.
    return executorFor(record, { token: () => this.tokenFor(url), ...QUICK_READ });
  }

  private store(jobsDir: string): JobStore {
    if (!jobsDir || !path.isAbsolute(jobsDir))
      throw new UserError(`the jobs folder must be an absolute path (got "${jobsDir}")`);
    return new JobStore(jobsDir);
  }

  private key(jobsDir: string, id: string): string {
    return `${path.resolve(jobsDir)}\n${id}`;
  }

  private watch(jobsDir: string, record: JobRecord): void {
    if (isFinished(record) || this.disposed) return;
    this.watched.set(this.key(jobsDir, record.id), { jobsDir, record });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.polling || this.watched.size === 0 || this.disposed) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.poll();
      },
      this.options.pollMs ?? (Number(process.env.MCPO_JOBS_POLL_MS) || 2000),
    );
    // The poller never keeps the engine alive on its own (exit stops it with everything else).
    this.timer.unref();
  }

  /** One pass over the active jobs; a changed state is sent; ended jobs stop being watched. */
  private async poll(): Promise<void> {
    this.polling = true;
    try {
      for (const [key, w] of [...this.watched]) {
        let next: JobRecord;
        try {
          next = await refresh(new JobStore(w.jobsDir), w.record, this.executorOf(w.record));
        } catch (err) {
          this.host.log(`jobs: could not refresh ${w.record.id}: ${(err as Error).message}`);
          continue;
        }
        if (next.state !== w.record.state || next.reason !== w.record.reason)
          this.host.notify({ jobsDir: w.jobsDir, job: toJobInfo(next) });
        if (isFinished(next)) this.watched.delete(key);
        else if (this.watched.has(key)) this.watched.set(key, { jobsDir: w.jobsDir, record: next });
      }
    } finally {
      this.polling = false;
      this.schedule();
    }
  }

  async list(p: ListJobsParams): Promise<ListJobsResult> {
    const store = this.store(p.jobsDir);
    const jobs: JobInfo[] = [];
    for (const r of store.list()) {
      if (r.slurm) this.remember(r.slurm.url, p.slurmToken);
      let now = r;
      if (!isFinished(r)) {
        try {
          now = await refresh(store, r, this.executorOf(r));
        } catch (err) {
          now = { ...r, reason: `not refreshed: ${(err as Error).message}` };
        }
        this.watch(p.jobsDir, now);
      }
      jobs.push(toJobInfo(now));
    }
    return { jobs };
  }

  async prepare(p: PrepareJobParams): Promise<PrepareJobResult> {
    const store = this.store(p.jobsDir);
    this.checkKind(p.kind);
    // The preview shows what the submission will generate: mcpo.slurm.gpus included.
    const spec = applyOverrides(loadSpec(p.specFile), this.overrides(p), p.kind);
    const job = prepareJob(p.kind, spec, {
      specDir: path.dirname(path.resolve(p.specFile)),
      jobDir: store.dirOf(store.newId(p.kind)),
      mcpoCommand: this.options.mcpoCommand,
    });
    return {
      name: job.name,
      gpus: job.gpus,
      timeLimit: job.timeLimit,
      array: job.array,
      files: job.files,
    };
  }

  private checkKind(kind: string): void {
    if (!(JOB_KINDS as readonly string[]).includes(kind))
      throw new UserError(`unknown job kind "${kind}" (${JOB_KINDS.join(', ')})`);
  }

  /**
   * What VS Code's settings override in a spec, the same for preview and submit: mcpo.slurm.gpus
   * and timeMinutes (on Slurm only), and mcpo.preset for eval steps that name none.
   */
  private overrides(p: {
    executor?: 'slurm' | 'local';
    slurm?: SlurmJobSettings;
    preset?: string;
  }): SpecOverrides {
    return {
      ...(p.executor === 'slurm'
        ? parseOverrides(
            { gpus: p.slurm?.gpus, time: p.slurm?.timeMinutes },
            { gpus: 'mcpo.slurm.gpus', time: 'mcpo.slurm.timeMinutes' },
          )
        : {}),
      ...(p.preset && p.preset !== 'none' ? { preset: p.preset } : {}),
    };
  }

  /** The CLI's set-up for a submission from VS Code: the same executor rules and overrides. */
  private submission(p: {
    executor: 'slurm' | 'local';
    slurm?: SlurmJobSettings;
    slurmToken?: string;
    preset?: string;
  }): { executor: Executor; overrides: SpecOverrides } {
    const overrides = this.overrides(p);
    if (p.executor === 'slurm') {
      this.remember(p.slurm?.url, p.slurmToken);
      if (p.slurm?.url && !this.tokenFor(p.slurm.url))
        throw new UserError(
          `no Slurm token: run "MCPO: Set Slurm Token" (or start VS Code with ${TOKEN_ENV} set)`,
          { fixes: [{ kind: 'command', command: 'mcpo.setSlurmToken', title: 'Set Slurm Token' }] },
        );
    }
    const url = p.slurm?.url ?? '';
    const executor = makeExecutor({
      executor: p.executor,
      slurm: {
        url: p.slurm?.url,
        user: p.slurm?.user,
        api: p.slurm?.apiVersion,
        partition: p.slurm?.partition,
      },
      token: () => this.tokenFor(url),
      retryForMs: 3000,
    });
    return { executor, overrides };
  }

  async submit(p: SubmitJobParams): Promise<SubmitJobResult> {
    const store = this.store(p.jobsDir);
    this.checkKind(p.kind);
    const { executor, overrides } = this.submission(p);
    const { record } = await submitJob({
      kind: p.kind,
      specFile: p.specFile,
      store,
      executor,
      mcpoCommand: this.options.mcpoCommand,
      overrides,
    });
    this.host.log(
      `jobs: submitted ${record.id} (${record.slurm ? `Slurm job ${record.slurm.jobId} at ${record.slurm.url}` : `local pid ${record.local?.pid ?? '?'}`})`,
    );
    const info = toJobInfo(record);
    this.host.notify({ jobsDir: p.jobsDir, job: info });
    this.watch(p.jobsDir, record);
    return { job: info };
  }

  /** Every step of a pipeline file generated, nothing written or submitted (the preview). */
  async preparePipeline(p: PipelineParams): Promise<PreparePipelineResult> {
    const store = this.store(p.jobsDir);
    const steps = preparePipeline(p.specFile, store, {
      mcpoCommand: this.options.mcpoCommand,
      overrides: this.overrides(p),
      pipelineId: newPipelineId(),
    });
    return {
      name: loadPipeline(p.specFile).name,
      steps: steps.map((s) => ({
        step: s.step.id,
        kind: s.job.kind,
        name: s.job.name,
        gpus: s.job.gpus,
        timeLimit: s.job.timeLimit,
        after: s.step.after,
        output: s.job.output,
        files: s.job.files,
      })),
    };
  }

  /** Submits a pipeline file (as `mcpo job submit pipeline`); its steps are then polled. */
  async submitPipeline(p: PipelineParams): Promise<SubmitPipelineResult> {
    const store = this.store(p.jobsDir);
    const { executor, overrides } = this.submission(p);
    const { id, records } = await submitPipeline({
      file: p.specFile,
      store,
      executor,
      mcpoCommand: this.options.mcpoCommand,
      overrides,
    });
    this.host.log(`jobs: submitted pipeline ${id} (${records.length} steps, ${p.executor})`);
    const jobs = records.map((r) => {
      const info = toJobInfo(r);
      this.host.notify({ jobsDir: p.jobsDir, job: info });
      this.watch(p.jobsDir, r);
      return info;
    });
    return { pipelineId: id, jobs };
  }

  /** Tables 3 and 4 over a pipeline's eval runs, or over the given run folders. */
  async checkpointTables(p: CheckpointTablesParams): Promise<CheckpointTablesResult> {
    const runDirs = p.pipelineId
      ? runDirsOf(p.pipelineId, p.runsDir)
      : (p.runDirs ?? []).map((d) => path.resolve(p.runsDir, d));
    if (runDirs.length === 0) throw new UserError('no runs to tabulate: give a pipeline or runs');
    const tables = checkpointTablesText(runDirs.map((d) => RunStore.open(d)));
    return {
      runDirs,
      tables:
        tables.trim() ||
        `No Table 3 or 4 from ${runDirs.length} run(s): Table 3 needs runs of two base models, Table 4 two runs of checkpoints fine-tuned on different N (or a merge).`,
    };
  }

  private load(p: JobIdParams): JobRecord {
    const r = this.store(p.jobsDir).load(p.id);
    if (r.slurm) this.remember(r.slurm.url, p.slurmToken);
    return r;
  }

  async cancel(p: JobIdParams): Promise<CancelJobResult> {
    if (p.id.startsWith('pipeline-')) {
      // Cascades: every step that has not ended (the poller picks up their new states).
      const store = this.store(p.jobsDir);
      for (const r of await cancelPipeline(store, p.id, (r) => this.executorOf(r))) {
        this.host.log(`jobs: cancel requested for ${r.id} (pipeline ${p.id})`);
        this.watch(p.jobsDir, r);
      }
      const steps = pipelineSteps(store, p.id);
      return { job: toJobInfo(steps[steps.length - 1]) };
    }
    const r = this.load(p);
    if (isFinished(r))
      throw new UserError(
        `job ${r.id} already ended (${r.untracked ? (r.reason ?? 'no longer tracked') : r.state})`,
      );
    await this.executorOf(r).cancel(r);
    this.host.log(`jobs: cancel requested for ${r.id}`);
    // The new state is picked up by the poller (Slurm takes a moment to report CANCELLED).
    this.watch(p.jobsDir, r);
    return { job: toJobInfo(r) };
  }

  async logs(p: JobIdParams): Promise<JobLogsResult> {
    if (p.id.startsWith('pipeline-')) {
      const steps = pipelineSteps(this.store(p.jobsDir), p.id);
      const text = steps
        .map(
          (r) =>
            `### step ${r.pipeline?.step} (${r.kind}, ${r.state})\n${readLogs(r) || '(no output yet)\n'}`,
        )
        .join('\n');
      return { id: p.id, text };
    }
    const r = this.load(p);
    return { id: r.id, text: readLogs(r) || '(no output yet)\n' };
  }

  async selectData(p: SelectDataParams): Promise<SelectDataResult> {
    for (const [k, v] of Object.entries({ from: p.from, out: p.out }))
      if (!v || !path.isAbsolute(v))
        throw new UserError(`${k} must be an absolute path (got "${v}")`);
    const result = await selectData({
      from: p.from,
      n: p.n,
      out: p.out,
      setting: p.setting || undefined,
      tasks: p.tasks && p.tasks.length > 0 ? p.tasks : undefined,
    });
    return { out: p.out, ...result, summary: formatSelectCounts(result) };
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.watched.clear();
    this.tokens.clear();
  }
}
