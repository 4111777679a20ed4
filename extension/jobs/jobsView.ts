/**
 * The "MCPO Jobs" tree (view id `mcpo.jobs`): one item per job in `<workspace>/.mcpo/jobs`, with
 * its state as an icon and the elapsed time as the description. The engine pushes state changes
 * (mcpo/jobs/changed); a 2 s timer re-renders elapsed times while any job is active.
 */
import * as vscode from 'vscode';
import type { JobInfo, JobsChangedParams, JobStateName } from '../../server/protocol';

const ACTIVE: ReadonlySet<JobStateName> = new Set(['PENDING', 'RUNNING', 'COMPLETING']);

export function isActive(job: JobInfo): boolean {
  return ACTIVE.has(job.state);
}

const ICONS: Record<JobStateName, [string, string | undefined]> = {
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

  job(id: string): JobInfo | undefined {
    return this.jobs.get(id);
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
    if (element) return [];
    await (this.loaded ?? this.refresh());
    // Newest first.
    return [...this.jobs.values()].sort((a, b) => b.submittedAt.localeCompare(a.submittedAt));
  }

  getTreeItem(job: JobInfo): vscode.TreeItem {
    const item = new vscode.TreeItem(
      `${job.kind}: ${job.name}`,
      vscode.TreeItemCollapsibleState.None,
    );
    item.id = job.id;
    item.iconPath = stateIcon(job.state);
    item.description = `${job.executor} · ${job.state} · ${elapsed(job)}`;
    item.contextValue = isActive(job) ? 'mcpoJob.active' : 'mcpoJob.ended';
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
    md.appendMarkdown(`- submitted: ${job.submittedAt}\n- folder: \`${job.dir}\`\n`);
    item.tooltip = md;
    item.command = { command: 'mcpo.jobs.openLog', title: 'Open Log', arguments: [job] };
    return item;
  }

  async snapshot(): Promise<JobSnapshot[]> {
    const jobs = await this.getChildren();
    return jobs.map((j) => {
      const item = this.getTreeItem(j);
      return {
        id: j.id,
        label: typeof item.label === 'string' ? item.label : (item.label?.label ?? ''),
        description: typeof item.description === 'string' ? item.description : '',
        state: j.state,
        icon: item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : '',
        contextValue: item.contextValue ?? '',
      };
    });
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.changed.dispose();
  }
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!<>|]/g, (c) => `\\${c}`);
}
