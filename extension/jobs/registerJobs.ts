/**
 * Jobs in VS Code: the "MCPO Jobs" tree, data selection, submitting fine-tune / sweep / merge /
 * quantize jobs (with a preview of the generated files), cancel, logs, and the Slurm token.
 *
 * Every command takes optional arguments that skip its prompts, so tests (and other extensions)
 * can drive it through `vscode.commands.executeCommand`.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type {
  CheckpointTablesParams,
  CheckpointTablesResult,
  JobInfo,
  JobKindName,
  PipelineParams,
  PreparePipelineResult,
  SubmitPipelineResult,
  SelectDataParams,
  SelectDataResult,
  SlurmJobSettings,
} from '../../server/protocol/jobs';
import type { EngineClient } from '../engineClient';
import {
  CancelJobRequest,
  CheckpointTablesRequest,
  JobLogsRequest,
  ListJobsRequest,
  PrepareJobRequest,
  PreparePipelineRequest,
  SelectDataRequest,
  SubmitJobRequest,
  SubmitPipelineRequest,
} from '../../server/protocol/messages';
import { registerCommand } from '../commandRunner';
import { workspaceRoot, type McpoConfig } from '../settings';
import { JobsTreeProvider, type JobSnapshot } from './jobsView';

/** SecretStorage key of the slurmrestd JWT. */
export const SLURM_TOKEN_KEY = 'mcpo.slurmToken';
const LOG_SCHEME = 'mcpo-job-log';
const PREVIEW_SCHEME = 'mcpo-job-preview';

/** Overrides for the submit commands (settings otherwise); `confirm: true` skips the preview. */
export interface SubmitOptions {
  executor?: 'slurm' | 'local';
  slurm?: Partial<SlurmJobSettings>;
  confirm?: boolean;
  jobsDir?: string;
}

export function defaultJobsDir(): string {
  return path.join(workspaceRoot(), '.mcpo', 'jobs');
}

/** Read-only documents: job logs (re-read on every open) and spec previews. */
class JobDocuments implements vscode.TextDocumentContentProvider {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly texts = new Map<string, string>();

  set(uri: vscode.Uri, text: string): void {
    this.texts.set(uri.toString(), text);
    this.emitter.fire(uri);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

function jobOf(arg: unknown, view: JobsTreeProvider): JobInfo {
  if (typeof arg === 'string') {
    const j = view.job(arg);
    if (!j) throw new Error(`no job "${arg}" in the MCPO Jobs view`);
    return j;
  }
  if (typeof arg === 'object' && arg !== null && typeof (arg as { id?: unknown }).id === 'string') {
    return view.job((arg as JobInfo).id) ?? (arg as JobInfo);
  }
  throw new Error('pick a job in the MCPO Jobs view');
}

/**
 * Registers the jobs view and commands. Call once from activate():
 * `context.subscriptions.push(...registerJobs(context, engine, config, log));`
 */
export function registerJobs(
  context: Pick<vscode.ExtensionContext, 'secrets'>,
  engine: EngineClient,
  config: McpoConfig,
  log: vscode.LogOutputChannel,
  o: { jobsDir?: () => string } = {},
): vscode.Disposable[] {
  const jobsDir = o.jobsDir ?? defaultJobsDir;
  const token = async (): Promise<string | undefined> =>
    (await context.secrets.get(SLURM_TOKEN_KEY)) || undefined;
  const view = new JobsTreeProvider(
    async () =>
      (await engine.send(ListJobsRequest, { jobsDir: jobsDir(), slurmToken: await token() })).jobs,
    jobsDir,
    log,
  );
  const docs = new JobDocuments();
  const disposables: vscode.Disposable[] = [view, docs];
  disposables.push(
    vscode.window.createTreeView('mcpo.jobs', { treeDataProvider: view, showCollapseAll: false }),
    vscode.workspace.registerTextDocumentContentProvider(LOG_SCHEME, docs),
    vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, docs),
    engine.onJobsChanged((p) => view.update(p)),
  );

  const register = <A extends unknown[], R>(id: string, fn: (...args: A) => Promise<R>): void => {
    disposables.push(registerCommand(id, fn, log));
  };

  async function pickSpec(kind: JobKindName | 'pipeline', arg: unknown): Promise<string> {
    if (arg instanceof vscode.Uri) return arg.fsPath;
    if (typeof arg === 'string' && arg !== '') return path.resolve(workspaceRoot(), arg);
    const active = vscode.window.activeTextEditor?.document;
    const picked = await vscode.window.showOpenDialog({
      title: `MCPO: ${kind} spec (YAML or JSON)`,
      canSelectMany: false,
      defaultUri:
        active?.uri.scheme === 'file' ? active.uri : vscode.workspace.workspaceFolders?.[0]?.uri,
      filters: { 'Job spec': ['yml', 'yaml', 'json'] },
      openLabel: 'Use Spec',
    });
    if (!picked?.[0]) throw new vscode.CancellationError();
    return picked[0].fsPath;
  }

  /** Opens read-only documents (the first in the active column, the rest beside it). */
  async function showPreview(name: string, files: [string, string][]): Promise<void> {
    for (const [i, [file, text]] of files.entries()) {
      const uri = vscode.Uri.from({
        scheme: PREVIEW_SCHEME,
        path: `/${name.replace(/[\\/]/g, '_')}/${file}`,
      });
      docs.set(uri, text);
      let doc = await vscode.workspace.openTextDocument(uri);
      const lang = file.endsWith('.sh')
        ? 'shellscript'
        : file.endsWith('.json')
          ? 'json'
          : file.endsWith('.md')
            ? 'markdown'
            : 'yaml';
      try {
        doc = await vscode.languages.setTextDocumentLanguage(doc, lang);
      } catch {
        // the language is not installed: plain text is fine for a preview
      }
      await vscode.window.showTextDocument(doc, {
        preview: false,
        viewColumn: i === 0 ? vscode.ViewColumn.Active : vscode.ViewColumn.Beside,
      });
    }
  }

  async function preview(
    kind: JobKindName,
    specFile: string,
    dir: string,
    target: { executor: 'slurm' | 'local'; slurm: SlurmJobSettings },
  ): Promise<boolean> {
    const prepared = await engine.send(PrepareJobRequest, {
      jobsDir: dir,
      kind,
      specFile,
      executor: target.executor,
      slurm: target.executor === 'slurm' ? target.slurm : undefined,
    });
    const names = Object.keys(prepared.files).sort(
      (a, b) => Number(a === 'job.sh') - Number(b === 'job.sh') || a.localeCompare(b),
    );
    // The main config and the batch script: what a reviewer wants to read before it runs.
    const shown = [names.find((n) => n !== 'job.sh' && !n.endsWith('.py')), 'job.sh'].filter(
      (n): n is string => n !== undefined && n in prepared.files,
    );
    await showPreview(
      prepared.name,
      shown.map((n) => [n, prepared.files[n]]),
    );
    const detail = `${names.length} files (${names.join(', ')}), ${prepared.gpus} GPU(s)${prepared.timeLimit ? `, ${prepared.timeLimit} min` : ''}${prepared.array ? `, array of ${prepared.array.length} tasks` : ''}`;
    const choice = await vscode.window.showInformationMessage(
      `Submit ${kind} job "${prepared.name}"?`,
      { modal: true, detail },
      'Submit',
    );
    return choice === 'Submit';
  }

  async function submit(
    kind: JobKindName,
    specArg: unknown,
    optionsArg: unknown,
  ): Promise<JobInfo | undefined> {
    const opts: SubmitOptions =
      typeof optionsArg === 'object' && optionsArg !== null ? (optionsArg as SubmitOptions) : {};
    const specFile = await pickSpec(kind, specArg);
    const dir = opts.jobsDir ?? jobsDir();
    const settings = config.jobs;
    const executor = opts.executor ?? settings.executor;
    const slurm: SlurmJobSettings = { ...settings.slurm, ...opts.slurm };
    if (!opts.confirm && !(await preview(kind, specFile, dir, { executor, slurm })))
      return undefined;
    const { job } = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `MCPO: submitting ${kind} job (${executor})`,
      },
      async () =>
        engine.send(SubmitJobRequest, {
          jobsDir: dir,
          kind,
          specFile,
          executor,
          slurm: executor === 'slurm' ? slurm : undefined,
          slurmToken: await token(),
        }),
    );
    log.info(
      `jobs: submitted ${job.id} (${job.executor}${job.slurmJobId !== undefined ? ` job ${job.slurmJobId}` : ''})`,
    );
    view.update({ jobsDir: dir, job });
    void vscode.window.showInformationMessage(
      `MCPO: submitted ${kind} job "${job.name}" (${job.slurmJobId !== undefined ? `Slurm job ${job.slurmJobId}` : 'local'}).`,
    );
    return job;
  }

  /** The steps of a pipeline as a reviewer reads them: order, resources, dependencies, outputs. */
  function pipelineSummary(p: PreparePipelineResult): string {
    const lines = [`# Pipeline "${p.name}": ${p.steps.length} steps`, ''];
    for (const s of p.steps) {
      const limit = s.timeLimit ? `, ${s.timeLimit} min` : '';
      const after = s.after.length > 0 ? ` after ${s.after.join(', ')}` : '';
      lines.push(`- **${s.step}** (${s.kind}): ${s.gpus} GPU(s)${limit}${after}`);
      if (s.output) lines.push(`  - output: \`${s.output}\``);
    }
    return `${lines.join('\n')}\n`;
  }

  async function submitPipelineFile(
    specArg: unknown,
    optionsArg: unknown,
  ): Promise<SubmitPipelineResult | undefined> {
    const opts: SubmitOptions =
      typeof optionsArg === 'object' && optionsArg !== null ? (optionsArg as SubmitOptions) : {};
    const specFile = await pickSpec('pipeline', specArg);
    const dir = opts.jobsDir ?? jobsDir();
    const settings = config.jobs;
    const executor = opts.executor ?? settings.executor;
    const slurm: SlurmJobSettings = { ...settings.slurm, ...opts.slurm };
    const params: PipelineParams = {
      jobsDir: dir,
      specFile,
      executor,
      slurm: executor === 'slurm' ? slurm : undefined,
      preset: config.preset,
    };
    if (!opts.confirm) {
      const prepared = await engine.send(PreparePipelineRequest, params);
      // The step list, then the last step's script (the eval: what serves and what runs).
      const last = prepared.steps[prepared.steps.length - 1];
      await showPreview(prepared.name, [
        ['steps.md', pipelineSummary(prepared)],
        ...(last && last.files['job.sh'] ? [[`${last.step}-job.sh`, last.files['job.sh']]] : []),
      ] as [string, string][]);
      const gpus = [...new Set(prepared.steps.map((s) => s.gpus))].join('/');
      const choice = await vscode.window.showInformationMessage(
        `Submit pipeline "${prepared.name}" (${prepared.steps.length} steps) to ${executor}?`,
        {
          modal: true,
          detail: `${prepared.steps.map((s) => s.step).join(' → ')}; ${gpus} GPU(s) per step`,
        },
        'Submit',
      );
      if (choice !== 'Submit') return undefined;
    }
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `MCPO: submitting pipeline (${executor})`,
      },
      async () => engine.send(SubmitPipelineRequest, { ...params, slurmToken: await token() }),
    );
    log.info(`jobs: submitted pipeline ${result.pipelineId} (${result.jobs.length} steps)`);
    for (const job of result.jobs) view.update({ jobsDir: dir, job });
    void vscode.window.showInformationMessage(
      `MCPO: submitted pipeline ${result.pipelineId} (${result.jobs.length} steps, ${executor}).`,
    );
    return result;
  }

  /**
   * Tables 3 and 4 of a pipeline's eval runs (or of run folders) in the report panel, where the
   * ablation tables show.
   */
  async function showTables(arg: unknown): Promise<CheckpointTablesResult> {
    const runsDir = config.pipeline.runsDir;
    let params: CheckpointTablesParams;
    if (Array.isArray(arg) && arg.every((d) => typeof d === 'string'))
      params = { runsDir, runDirs: arg as string[] };
    else {
      const job = jobOf(arg, view);
      params = { runsDir, pipelineId: job.pipeline?.id ?? job.id };
    }
    const result = await engine.send(CheckpointTablesRequest, params);
    await vscode.commands.executeCommand('mcpo.showAblation', {
      tables: result.tables,
      runDirs: result.runDirs,
      title: `Checkpoints: Tables 3 and 4 (${result.runDirs.length} runs)`,
    });
    return result;
  }

  async function selectData(arg: unknown): Promise<SelectDataResult | undefined> {
    const given = typeof arg === 'object' && arg !== null ? (arg as Partial<SelectDataParams>) : {};
    let from = given.from;
    if (!from) {
      const picked = await vscode.window.showOpenDialog({
        title: 'MCPO: ECInstruct file (JSON Lines or a JSON array)',
        canSelectMany: false,
        filters: { ECInstruct: ['json', 'jsonl'] },
        openLabel: 'Select From',
      });
      if (!picked?.[0]) throw new vscode.CancellationError();
      from = picked[0].fsPath;
    }
    let n = given.n;
    if (n === undefined) {
      const text = await vscode.window.showInputBox({
        title: 'MCPO: rows to select (N/2 train + N/2 val)',
        value: '1000',
        validateInput: (v) =>
          /^\d+$/.test(v) && Number(v) >= 2 && Number(v) % 2 === 0
            ? undefined
            : 'an even whole number of at least 2',
      });
      if (text === undefined) throw new vscode.CancellationError();
      n = Number(text);
    }
    let setting = given.setting;
    if (setting === undefined && given.from === undefined) {
      const s = await vscode.window.showInputBox({
        title: 'MCPO: only rows of this setting (empty: all)',
        value: 'IND_Diverse_Instruction',
      });
      if (s === undefined) throw new vscode.CancellationError();
      setting = s.trim() || undefined;
    }
    let out = given.out;
    if (!out) {
      const saved = await vscode.window.showSaveDialog({
        title: 'MCPO: write the selected rows (alpaca JSON Lines)',
        defaultUri: vscode.Uri.file(path.join(workspaceRoot(), 'data', `mcpo-train-${n}.jsonl`)),
        filters: { 'JSON Lines': ['jsonl'] },
      });
      if (!saved) throw new vscode.CancellationError();
      out = saved.fsPath;
    }
    const params: SelectDataParams = {
      from: path.resolve(workspaceRoot(), from),
      n,
      out: path.resolve(workspaceRoot(), out),
      setting,
      tasks: given.tasks,
    };
    // The engine streams the file to the end once started: no Cancel button that would not cancel.
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `MCPO: selecting ${n} rows`,
        cancellable: false,
      },
      () => engine.send(SelectDataRequest, params),
    );
    log.info(`select: wrote ${result.train + result.val} rows to ${result.out}\n${result.summary}`);
    for (const b of result.badRows) log.warn(`${params.from}:${b.line}:${b.column}: ${b.message}`);
    const bad =
      result.badRows.length > 0 ? ` (${result.badRows.length} bad rows skipped, see the log)` : '';
    if (given.from === undefined) {
      void vscode.window
        .showInformationMessage(
          `MCPO: wrote ${result.train} train + ${result.val} val rows to ${path.basename(result.out)}${bad}.`,
          'Open',
        )
        .then((c) => c && vscode.window.showTextDocument(vscode.Uri.file(result.out)));
    }
    return result;
  }

  register('mcpo.selectFinetuneData', (arg?: unknown) => selectData(arg));
  register('mcpo.submitFinetuneJob', (spec?: unknown, options?: unknown) =>
    submit('finetune', spec, options),
  );
  register('mcpo.submitSweepJob', (spec?: unknown, options?: unknown) =>
    submit('sweep', spec, options),
  );
  register('mcpo.submitMergeJob', (spec?: unknown, options?: unknown) =>
    submit('merge', spec, options),
  );
  register('mcpo.submitQuantizeJob', (spec?: unknown, options?: unknown) =>
    submit('quantize', spec, options),
  );
  register('mcpo.submitPipeline', (spec?: unknown, options?: unknown) =>
    submitPipelineFile(spec, options),
  );
  register('mcpo.jobs.showTables', (arg?: unknown) => showTables(arg));
  register('mcpo.setSlurmToken', async (given?: unknown) => {
    let value = typeof given === 'string' ? given : undefined;
    if (value === undefined) {
      value = await vscode.window.showInputBox({
        title: 'MCPO: Slurm JWT (stored in SecretStorage; empty removes it)',
        prompt: 'e.g. the output of: scontrol token username=$USER lifespan=86400',
        password: true,
        ignoreFocusOut: true,
      });
      if (value === undefined) throw new vscode.CancellationError();
    }
    value = value.trim().replace(/^SLURM_JWT=/, '');
    if (value === '') await context.secrets.delete(SLURM_TOKEN_KEY);
    else await context.secrets.store(SLURM_TOKEN_KEY, value);
    if (typeof given !== 'string')
      void vscode.window.showInformationMessage(
        value === '' ? 'MCPO: Slurm token removed.' : 'MCPO: Slurm token stored.',
      );
    await view.refresh();
  });
  register('mcpo.jobs.refresh', () => view.refresh());
  register('mcpo.jobs.cancel', async (arg?: unknown) => {
    const job = jobOf(arg, view);
    await engine.send(CancelJobRequest, {
      jobsDir: jobsDir(),
      id: job.id,
      slurmToken: await token(),
    });
    log.info(`jobs: cancel requested for ${job.id}`);
  });
  register('mcpo.jobs.openLog', async (arg?: unknown) => {
    const job = jobOf(arg, view);
    const { text } = await engine.send(JobLogsRequest, {
      jobsDir: jobsDir(),
      id: job.id,
      slurmToken: await token(),
    });
    const uri = vscode.Uri.from({ scheme: LOG_SCHEME, path: `/${job.id}.log` });
    docs.set(uri, text); // fires onDidChange: an open log document re-reads on every "Open Log"
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), {
      preview: true,
    });
    return text;
  });
  register('mcpo.jobs.openSpec', async (arg?: unknown) => {
    const job = jobOf(arg, view);
    if (job.files.length === 0)
      throw new Error(`job ${job.id} has no generated files in ${job.dir}`);
    const shown = [
      job.files.find((f) => !f.endsWith('job.sh') && !f.endsWith('.py')),
      job.files.find((f) => f.endsWith('job.sh')),
    ].filter((f): f is string => f !== undefined);
    for (const [i, file] of shown.entries())
      await vscode.window.showTextDocument(vscode.Uri.file(file), {
        preview: false,
        viewColumn: i === 0 ? vscode.ViewColumn.Active : vscode.ViewColumn.Beside,
      });
  });
  // For tests: the tree as a user sees it.
  register('mcpo.jobs._snapshot', async (): Promise<JobSnapshot[]> => view.snapshot());

  void engine.start().then(
    () => view.refresh(),
    () => undefined, // the engine's start failure is reported by activate()
  );
  return disposables;
}
