/**
 * The "MCPO Jobs" tree (view id `mcpo.jobs`): one item per job in `<workspace>/.mcpo/jobs`, with
 * its state as an icon and the elapsed time as the description; the steps of a pipeline are the
 * children of one pipeline item whose state sums theirs (each step: state, log, output). The engine pushes state changes
 * (mcpo/jobs/changed); a 2 s timer re-renders elapsed times while any job is active.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { JobInfo, JobsChangedParams, JobStateName } from '../../server/protocol/jobs';

const ACTIVE: ReadonlySet<JobStateName> = new Set([
  'SUBMITTING',
  'PENDING',
  'RUNNING',
  'COMPLETING',
]);

export function isActive(job: JobInfo): boolean {
  return ACTIVE.has(job.state);
}

const ICONS: Record<JobStateName, [string, string | undefined]> = {
  SUBMITTING: ['cloud-upload', 'charts.yellow'],
  PENDING: ['clock', 'charts.yellow'],
  RUNNING: ['sync~spin', 'charts.blue'],
  COMPLETING: ['sync~spin', 'charts.blue'],
  COMPLETED: ['pass', 'testing.iconPassed'],
  FAILED: ['error', 'testing.iconFailed'],
  NODE_FAIL: ['error', 'testing.iconFailed'],
  OUT_OF_MEMORY: ['error', 'testing.iconFailed'],
  TIMEOUT: ['watch', 'testing.iconFailed'],
  CANCELLED: ['circle-slash', 'disabledForeground'],
  PREEMPTED: ['debug-pause', 'charts.orange'],
  UNKNOWN: ['question', undefined],
};

export function stateIcon(state: JobStateName): vscode.ThemeIcon {
  const [id, color] = ICONS[state] ?? ICONS.UNKNOWN;
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}

/** h:mm:ss (or m:ss under an hour) from submission to now (active) or to the last update (ended). */
export function elapsed(job: JobInfo, now: number = Date.now()): string {
  const end = isActive(job) ? now : Date.parse(job.updatedAt);
  const s = Math.max(0, Math.round((end - Date.parse(job.submittedAt)) / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** What `mcpo.jobs._snapshot` returns for tests: the tree as a user sees it. */
export interface JobSnapshot {
  id: string;
  label: string;
  description: string;
  state: JobStateName;
  icon: string;
  contextValue: string;
  /** A pipeline's steps. */
  children?: JobSnapshot[];
}

const PIPELINE_KIND = 'pipeline';

/** A pipeline's state from its steps': any active step keeps it active, any failure wins. */
export function pipelineState(steps: readonly JobInfo[]): JobStateName {
  const states = steps.map((s) => s.state);
  if (states.includes('RUNNING') || states.includes('COMPLETING')) return 'RUNNING';
  const failed = states.find((s) =>
    ['FAILED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL'].includes(s),
  );
  if (failed) return failed;
  if (states.includes('PENDING')) return 'PENDING';
  if (states.length > 0 && states.every((s) => s === 'COMPLETED')) return 'COMPLETED';
  return states.includes('CANCELLED') ? 'CANCELLED' : 'UNKNOWN';
}

/** Top-level items: plain jobs, and one synthetic item per pipeline standing for its steps. */
export function groupPipelines(jobs: readonly JobInfo[]): {
  roots: JobInfo[];
  steps: Map<string, JobInfo[]>;
} {
  const steps = new Map<string, JobInfo[]>();
  const roots: JobInfo[] = [];
  for (const j of jobs) {
    if (!j.pipeline) {
      roots.push(j);
      continue;
    }
    const list = steps.get(j.pipeline.id) ?? [];
    list.push(j);
    steps.set(j.pipeline.id, list);
  }
  for (const [id, list] of steps) {
    list.sort((a, b) => a.submittedAt.localeCompare(b.submittedAt));
    roots.push({
      id,
      kind: PIPELINE_KIND as JobInfo['kind'],
      name: `${list.length} steps (${list.map((s) => s.pipeline?.step).join(' → ')})`,
      executor: list[0].executor,
      dir: path.dirname(list[0].dir),
      state: pipelineState(list),
      submittedAt: list[0].submittedAt,
      updatedAt:
        list
          .map((s) => s.updatedAt)
          .sort()
          .at(-1) ?? list[0].updatedAt,
      files: [],
    });
  }
  return { roots, steps };
}

export class JobsTreeProvider implements vscode.TreeDataProvider<JobInfo>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<JobInfo | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly jobs = new Map<string, JobInfo>();
  private loaded: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly load: () => Promise<JobInfo[]>,
    private readonly jobsDir: () => string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Re-lists every job from the engine (which refreshes active ones and polls them). */
  refresh(): Promise<void> {
    this.loaded = this.load().then(
      (jobs) => {
        this.jobs.clear();
        for (const j of jobs) this.jobs.set(j.id, j);
        this.render();
      },
      (err: unknown) => {
        this.log.warn(`jobs: listing failed: ${err instanceof Error ? err.message : String(err)}`);
        this.render();
      },
    );
    return this.loaded;
  }

  /** A mcpo/jobs/changed notification (jobs of another workspace's folder are ignored). */
  update(p: JobsChangedParams): void {
    if (p.jobsDir !== this.jobsDir()) return;
    this.jobs.set(p.job.id, p.job);
    this.render();
  }

  /** A job, or a pipeline's item by the pipeline id. */
  job(id: string): JobInfo | undefined {
    return (
      this.jobs.get(id) ?? groupPipelines([...this.jobs.values()]).roots.find((r) => r.id === id)
    );
  }

  private render(): void {
    this.changed.fire(undefined);
    const anyActive = [...this.jobs.values()].some(isActive);
    if (anyActive && !this.timer)
      this.timer = setInterval(() => this.changed.fire(undefined), 2000);
    if (!anyActive && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  async getChildren(element?: JobInfo): Promise<JobInfo[]> {
    await (this.loaded ?? this.refresh());
    const { roots, steps } = groupPipelines([...this.jobs.values()]);
    // A pipeline's steps in submission order (the order they run in).
    if (element) return element.kind === PIPELINE_KIND ? (steps.get(element.id) ?? []) : [];
    // Newest first.
    return roots.sort((a, b) => b.submittedAt.localeCompare(a.submittedAt));
  }

  getTreeItem(job: JobInfo): vscode.TreeItem {
    const isPipeline = job.kind === PIPELINE_KIND;
    const item = new vscode.TreeItem(
      isPipeline
        ? `pipeline: ${job.name}`
        : job.pipeline
          ? `${job.pipeline.step}: ${job.kind}`
          : `${job.kind}: ${job.name}`,
      isPipeline ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
    );
    item.id = job.id;
    item.iconPath = stateIcon(job.state);
    item.description = `${job.executor} · ${job.state} · ${elapsed(job)}${job.tres ? ` · ${job.tres}` : ''}`;
    // A pipeline item cancels (cascading) and opens the logs of all its steps, like a job; once
    // it ended it also shows its eval runs' Tables 3 and 4.
    item.contextValue = `${isPipeline ? 'mcpoPipeline' : 'mcpoJob'}.${isActive(job) ? 'active' : 'ended'}`;
    if (isPipeline) {
      item.tooltip = `pipeline ${job.id}: ${job.state}`;
      item.command = { command: 'mcpo.jobs.openLog', title: 'Open Log', arguments: [job] };
      return item;
    }
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = false;
    md.appendMarkdown(`**${escape(job.kind)}: ${escape(job.name)}**\n\n`);
    md.appendMarkdown(
      `- state: ${job.state}${job.exitCode !== undefined ? ` (exit ${job.exitCode})` : ''}\n`,
    );
    if (job.reason) md.appendMarkdown(`- reason: ${escape(job.reason)}\n`);
    md.appendMarkdown(`- job id: \`${job.id}\`\n`);
    if (job.slurmJobId !== undefined)
      md.appendMarkdown(`- Slurm job id: ${job.slurmJobId} at ${escape(job.slurmUrl ?? '')}\n`);
    if (job.localPid !== undefined) md.appendMarkdown(`- local pid: ${job.localPid}\n`);
    for (const t of job.tasks ?? [])
      if (t.index !== null)
        md.appendMarkdown(
          `- task ${t.index}: ${t.state}${t.exitCode !== undefined ? ` (exit ${t.exitCode})` : ''}\n`,
        );
    if (job.pipeline)
      md.appendMarkdown(
        `- pipeline: \`${job.pipeline.id}\`, step ${escape(job.pipeline.step)}${job.pipeline.after.length > 0 ? ` after ${job.pipeline.after.map(escape).join(', ')}` : ''}\n`,
      );
    if (job.output) md.appendMarkdown(`- output: \`${job.output}\`\n`);
    md.appendMarkdown(`- submitted: ${job.submittedAt}\n- folder: \`${job.dir}\`\n`);
    item.tooltip = md;
    item.command = { command: 'mcpo.jobs.openLog', title: 'Open Log', arguments: [job] };
    return item;
  }

  async snapshot(parent?: JobInfo): Promise<JobSnapshot[]> {
    const jobs = await this.getChildren(parent);
    return Promise.all(
      jobs.map(async (j) => {
        const item = this.getTreeItem(j);
        return {
          id: j.id,
          label: typeof item.label === 'string' ? item.label : (item.label?.label ?? ''),
          description: typeof item.description === 'string' ? item.description : '',
          state: j.state,
          icon: item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : '',
          contextValue: item.contextValue ?? '',
          ...(j.kind === PIPELINE_KIND ? { children: await this.snapshot(j) } : {}),
        };
      }),
    );
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.changed.dispose();
  }
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!<>|]/g, (c) => `\\${c}`);
}
