/**
 * The command table: every `mcpo.*` command and its handler. Handlers throw; the one command
 * wrapper (commandRunner.ts) turns an error into one message that names what failed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { choosePreset } from './choosePreset';
import {
  FREE_FORM_NOT_SCORED,
  FREE_FORM_TASK_NAME,
  type EndpointHealth,
  type RunDatasetResult,
} from '../server/protocol/runs';
import { TASK_TYPES, type TaskType } from '../server/protocol/shopBench';
import { DEFAULT_LOCAL_MODEL, LOCAL_BASE_URL } from '../server/protocol/settings';
import { urlInputProblem } from './urlInput';
import { endpointCheckMessage } from './endpointCheckMessage';
import { fixOfAction, vscodeMessage } from './errorActions';
import { applyFix } from './commandRunner';
import type { EngineClient } from './engineClient';
import { exportSubmission } from './exportSubmission';
import type { ExportSubmissionOptions } from '../server/protocol/export';
import {
  CheckEndpointsRequest,
  GetRunRequest,
  InferTaskTypeRequest,
  ListModelsRequest,
  ListRunsRequest,
  PreviewPromptRequest,
  ResumeRunRequest,
  RunAblationRequest,
  RunDatasetRequest,
  RunQuestionRequest,
} from '../server/protocol/messages';
import {
  endpointDownMessage,
  formatSampleValue,
  notScoredFixes,
  runEndActions,
  runEndMessage,
  runPickItem,
} from './format';
import type { PromptDiff } from './promptDiff';
import { readSecrets, storeApiKey, type KeyRole } from './secrets';
import type { McpoConfig } from './settings';
import type { McpoStatusBar } from './statusBar';
import {
  answeredNotScored,
  hasWorkToResume,
  plural,
  resumeCount,
  resumeRetries,
} from '../server/protocol/runLabels';

export interface CommandContext {
  extension: vscode.ExtensionContext;
  engine: EngineClient;
  config: McpoConfig;
  log: vscode.LogOutputChannel;
  promptDiff: PromptDiff;
  status: McpoStatusBar;
  /** Refreshes the results panel (it lists runs from disk), showing `select` if given. */
  refreshResults: (select?: string) => void;
}

/** Resume Run when no run has anything to resume. */
export const NOTHING_TO_RESUME =
  'MCPO: no run has failed, missing or not-scored questions: there is nothing to resume.';

/** The button that runs a run's failed and missing questions again (MCPO: Resume Run). */
const RESUME = 'Resume Run';

/** The run in progress, so "Cancel Run" can stop it. */
let activeRun: vscode.CancellationTokenSource | undefined;
let progressTokens = 0;

export function commandTable(
  ctx: CommandContext,
): Record<string, (...args: unknown[]) => Promise<void>> {
  return {
    'mcpo.runOnSelection': () => runOnSelection(ctx),
    'mcpo.runDataset': (uri?: unknown) =>
      runDataset(ctx, uri instanceof vscode.Uri ? uri : undefined),
    'mcpo.runRow': (uri: unknown, row: unknown) =>
      runRows(ctx, toUri(uri), [Number(row)], `row ${Number(row) + 1}`),
    'mcpo.compareRow': (uri: unknown, row: unknown) => compareRow(ctx, toUri(uri), Number(row)),
    'mcpo.showPrompt': (uri: unknown, row: unknown) => showPrompt(ctx, toUri(uri), Number(row)),
    'mcpo.runAblation': () => runAblation(ctx),
    'mcpo.choosePreset': () => choosePreset(ctx.config),
    'mcpo.showPromptDiff': (runDir?: unknown, index?: unknown, options?: unknown) =>
      showPromptDiff(
        ctx,
        typeof runDir === 'string' ? runDir : undefined,
        typeof index === 'number' ? index : undefined,
        typeof options === 'object' && options !== null && 'sideBySide' in options
          ? options.sideBySide === true
          : false,
      ),
    'mcpo.showSideBySideDiff': (uri?: unknown) =>
      ctx.promptDiff.showDiff(uri instanceof vscode.Uri ? uri : undefined),
    // The full report opens in the editor area; the sidebar keeps the compact run list.
    'mcpo.openResults': async () => {
      await vscode.commands.executeCommand('mcpo.openReport');
    },
    'mcpo.configureEndpoints': () => configureEndpoints(ctx),
    'mcpo.setApiKey': () => setApiKey(ctx),
    'mcpo.checkEndpoints': () => checkEndpoints(ctx, true),
    'mcpo.resumeRun': (runDir?: unknown) =>
      resumeRun(ctx, typeof runDir === 'string' ? runDir : undefined),
    'mcpo.cancelRun': async () => {
      if (!activeRun) {
        void vscode.window.showInformationMessage('MCPO: no run is in progress.');
        return;
      }
      activeRun.cancel();
    },
    'mcpo.exportScores': (runDir?: unknown) =>
      exportScores(ctx, typeof runDir === 'string' ? runDir : undefined),
    'mcpo.exportSubmission': (runDir?: unknown, out?: unknown, options?: unknown) =>
      exportSubmission(
        ctx,
        typeof runDir === 'string' ? runDir : undefined,
        typeof out === 'string' ? out : undefined,
        typeof options === 'object' && options !== null
          ? (options as ExportSubmissionOptions)
          : undefined,
      ),
    'mcpo.openSampleDataset': async () => {
      const uri = vscode.Uri.joinPath(
        ctx.extension.extensionUri,
        'server',
        'dataset',
        'sample',
        'shopbench-dev.jsonl',
      );
      await vscode.window.showTextDocument(uri);
      // The file lives inside the installed extension: an edit must never change the reference
      // sample, so its editor is read-only (copy its rows into a file of your own to edit them).
      await vscode.commands
        .executeCommand('workbench.action.files.setActiveEditorReadonlyInSession')
        .then(undefined, (err: unknown) =>
          ctx.log.warn(`could not make the sample read-only: ${String(err)}`),
        );
    },
    'mcpo.showLogs': async () => ctx.log.show(),
  };
}

function toUri(value: unknown): vscode.Uri {
  if (value instanceof vscode.Uri) return value;
  if (typeof value === 'string') return vscode.Uri.parse(value);
  const active = vscode.window.activeTextEditor?.document.uri;
  if (!active) throw new Error('no dataset is open');
  return active;
}

/** Row ordinals (0-based, blank lines skipped) of the JSON Lines rows the selection touches. */
export function selectedRows(
  document: vscode.TextDocument,
  selection: vscode.Selection,
): number[] | undefined {
  const rows: number[] = [];
  let ordinal = 0;
  const last = selection.isEmpty
    ? selection.active.line
    : selection.end.character === 0 && selection.end.line > selection.start.line
      ? selection.end.line - 1
      : selection.end.line;
  const first = selection.isEmpty ? selection.active.line : selection.start.line;
  for (let line = 0; line <= last; line++) {
    const text = document.lineAt(line).text.trim();
    // Blank lines and a JSON array's own brackets are not rows.
    if (text === '' || /^[[\]],?$/.test(text)) continue;
    if (line >= first) {
      if (!looksLikeRow(text)) return undefined;
      rows.push(ordinal);
    }
    ordinal++;
  }
  return rows.length > 0 ? rows : undefined;
}

function looksLikeRow(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text.replace(/,\s*$/, ''));
    return typeof value === 'object' && value !== null && 'input_field' in value;
  } catch {
    return false;
  }
}

async function runOnSelection(ctx: CommandContext): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw new Error('select a dataset row or a question in an editor first');
  const rows =
    /\.jsonl?$/.test(editor.document.fileName) || editor.document.languageId === 'jsonl'
      ? selectedRows(editor.document, editor.selection)
      : undefined;
  if (rows) {
    await runRows(
      ctx,
      editor.document.uri,
      rows,
      rows.length === 1 ? `row ${rows[0] + 1}` : `${rows.length} rows`,
    );
    return;
  }
  const question = editor.document
    .getText(
      editor.selection.isEmpty
        ? editor.document.lineAt(editor.selection.active.line).range
        : editor.selection,
    )
    .trim();
  if (!question) throw new Error('the selection is empty');
  const inferred = await ctx.engine.send(InferTaskTypeRequest, { question: question });
  const picked = await vscode.window.showQuickPick(
    [inferred.taskType, ...TASK_TYPES.filter((t) => t !== inferred.taskType)].map((t) => ({
      label: t,
      description: t === inferred.taskType ? `inferred: ${inferred.reason}` : undefined,
    })),
    { title: 'MCPO: task type of the selected question', placeHolder: 'Confirm the task type' },
  );
  if (!picked) return;
  const result = await withRunProgress(
    ctx,
    'MCPO: running the question',
    async (token, workDoneToken) => {
      const settings = requireEndpoint(ctx.config.pipeline);
      return ctx.engine.send(
        RunQuestionRequest,
        {
          question,
          taskType: picked.label as TaskType,
          settings,
          secrets: await readSecrets(ctx.extension.secrets),
          workDoneToken,
        },
        token,
      );
    },
  );
  if (result) await afterRun(ctx, result, true);
}

/**
 * The whole file, whatever is selected in its editor: "on Dataset" says so, and the selection has
 * its own command (Run MCPO on Selection).
 */
async function runDataset(ctx: CommandContext, uri?: vscode.Uri): Promise<void> {
  const target = uri ?? vscode.window.activeTextEditor?.document.uri;
  if (!target) throw new Error('open a ShopBench dataset (.jsonl or .json) first');
  await runRows(ctx, target, undefined, path.basename(target.fsPath));
}

async function runRows(
  ctx: CommandContext,
  uri: vscode.Uri,
  rows: number[] | undefined,
  what: string,
): Promise<void> {
  const result = await withRunProgress(
    ctx,
    `MCPO: running ${what}`,
    async (token, workDoneToken) => {
      const settings = requireEndpoint(ctx.config.pipeline);
      return ctx.engine.send(
        RunDatasetRequest,
        {
          uri: uri.toString(),
          rows,
          settings,
          secrets: await readSecrets(ctx.extension.secrets),
          workDoneToken,
        },
        token,
      );
    },
  );
  if (result) await afterRun(ctx, result, rows?.length === 1);
}

/**
 * Runs the failed and missing questions of a run again, as `mcpo run --resume` does: the run
 * given (the failure toast's Resume Run), or one picked from the runs that have any.
 */
async function resumeRun(ctx: CommandContext, runDir?: string): Promise<void> {
  let dir = runDir;
  if (!dir) {
    const runs = (
      await ctx.engine.send(ListRunsRequest, { runsDir: ctx.config.pipeline.runsDir })
    ).filter(hasWorkToResume);
    // A state, not a failure: nothing to retry, so no Retry button.
    if (runs.length === 0) {
      void vscode.window.showInformationMessage(NOTHING_TO_RESUME);
      return;
    }
    const pick = await vscode.window.showQuickPick(
      runs.map((r) => ({ ...runPickItem(r), runDir: r.runDir })),
      { title: 'MCPO: resume which run? (its failed, missing and not-scored questions run again)' },
    );
    if (!pick) return;
    dir = pick.runDir;
  }
  const resumeDir = dir;
  const result = await withRunProgress(
    ctx,
    `MCPO: resuming ${path.basename(resumeDir)}`,
    async (token, workDoneToken) =>
      ctx.engine.send(
        ResumeRunRequest,
        {
          runDir: resumeDir,
          settings: ctx.config.pipeline,
          secrets: await readSecrets(ctx.extension.secrets),
          workDoneToken,
        },
        token,
      ),
  );
  if (result) await afterRun(ctx, result, false, true);
}

async function compareRow(ctx: CommandContext, uri: vscode.Uri, row: number): Promise<void> {
  const secrets = await readSecrets(ctx.extension.secrets);
  const outcome = await withRunProgress(
    ctx,
    `MCPO: row ${row + 1} with MCPO and with the baseline`,
    async (token, workDoneToken) => {
      const settings = requireEndpoint(ctx.config.pipeline);
      const mcpo = await ctx.engine.send(
        RunDatasetRequest,
        { uri: uri.toString(), rows: [row], settings, secrets, label: 'mcpo', workDoneToken },
        token,
      );
      if (mcpo.cancelled) return undefined;
      const baseline = await ctx.engine.send(
        RunDatasetRequest,
        {
          uri: uri.toString(),
          rows: [row],
          settings: { ...settings, templates: 'none', cot: 'off', similarityK: 0 },
          secrets,
          label: 'baseline',
          workDoneToken,
        },
        token,
      );
      return baseline.cancelled ? undefined : { mcpo, baseline };
    },
  );
  if (!outcome) return; // cancelled: nothing to compare
  const [a, b] = await Promise.all([
    ctx.engine.send(GetRunRequest, { runDir: outcome.mcpo.runDir }),
    ctx.engine.send(GetRunRequest, { runDir: outcome.baseline.runDir }),
  ]);
  const score = (r: typeof a): string => formatSampleValue(r.records[0]?.score);
  ctx.refreshResults(outcome.mcpo.runDir);
  void vscode.window.showInformationMessage(
    `MCPO Q${row + 1}: MCPO ${score(a)}, baseline ${score(b)}`,
  );
  const record = a.records[0];
  if (record?.prompt) await ctx.promptDiff.show(record.prompt, { record, question: record });
}

async function showPrompt(ctx: CommandContext, uri: vscode.Uri, row: number): Promise<void> {
  const settings = ctx.config.pipeline;
  const prompt = await ctx.engine.send(PreviewPromptRequest, {
    uri: uri.toString(),
    row,
    templates: settings.templates,
  });
  // Templates only, no model calls: a preview of what the row's prompt will look like.
  await ctx.promptDiff.show(prompt, { question: { index: row }, preview: true });
}

async function runAblation(ctx: CommandContext): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw new Error('open a ShopBench dataset (.jsonl or .json) first');
  const rows = editor.selection.isEmpty
    ? undefined
    : selectedRows(editor.document, editor.selection);
  const result = await withRunProgress(ctx, 'MCPO: ablation', async (token, workDoneToken) => {
    const settings = requireEndpoint(ctx.config.pipeline);
    return ctx.engine.send(
      RunAblationRequest,
      {
        uri: editor.document.uri.toString(),
        rows,
        settings,
        secrets: await readSecrets(ctx.extension.secrets),
        workDoneToken,
      },
      token,
    );
  });
  if (!result) return;
  ctx.refreshResults();
  if (result.tables.trim() === '') {
    void vscode.window.showWarningMessage(
      'MCPO: the ablation was cancelled before any arm finished; finished questions are saved.',
    );
    return;
  }
  await vscode.commands.executeCommand('mcpo.showAblation', result);
}

/** A run's question's prompt: the span view, or with `sideBySide` the diff (the report's button). */
async function showPromptDiff(
  ctx: CommandContext,
  runDir?: string,
  index?: number,
  sideBySide = false,
): Promise<void> {
  let dir = runDir;
  if (!dir) {
    const runs = await ctx.engine.send(ListRunsRequest, {
      runsDir: ctx.config.pipeline.runsDir,
    });
    if (runs.length === 0) throw new Error('there are no runs yet (run MCPO on a row first)');
    const pick = await vscode.window.showQuickPick(
      runs.map((r) => ({ ...runPickItem(r), runDir: r.runDir })),
      { title: 'MCPO: which run?' },
    );
    if (!pick) return;
    dir = pick.runDir;
  }
  const run = await ctx.engine.send(GetRunRequest, { runDir: dir });
  let record = index === undefined ? undefined : run.records.find((r) => r.index === index);
  if (!record) {
    const pick = await vscode.window.showQuickPick(
      run.records.map((r) => ({
        label: `Q${r.index + 1}`,
        description: `${r.task_name} · ${r.status === 'failed' ? 'failed' : formatSampleValue(r.score)}`,
        record: r,
      })),
      { title: 'MCPO: which question?' },
    );
    if (!pick) return;
    record = pick.record;
  }
  if (!record.prompt)
    throw new Error(
      `question ${record.index + 1} failed before its prompt was assembled: ${record.error?.message ?? ''}`,
    );
  if (sideBySide) await ctx.promptDiff.showSideBySide(record.prompt, { record, question: record });
  else await ctx.promptDiff.show(record.prompt, { record, question: record });
}

async function configureEndpoints(ctx: CommandContext): Promise<void> {
  const llm = ctx.config.endpoint('llm');
  const kind = await vscode.window.showQuickPick(
    [
      {
        label: 'OpenAI-compatible server',
        description: 'vLLM, llama.cpp server, Ollama, ...',
        local: false,
      },
      {
        label: LOCAL_BASE_URL,
        description: 'a GGUF model run in-process by llama.cpp (CPU), no server',
        local: true,
      },
    ],
    { title: 'MCPO: where does the large model M_L run?' },
  );
  if (!kind) return;
  let url = LOCAL_BASE_URL;
  let model: string | undefined;
  if (kind.local) {
    const source = await vscode.window.showQuickPick(
      [
        'Default model (Qwen2.5-0.5B-Instruct Q4_K_M, ~398 MB download)',
        'A .gguf file on this machine',
        'A hub reference (hf:user/repo:quant)',
      ],
      { title: 'MCPO: local model' },
    );
    if (!source) return;
    if (source.startsWith('Default')) model = '';
    else if (source.startsWith('A .gguf')) {
      const files = await vscode.window.showOpenDialog({
        canSelectMany: false,
        filters: { GGUF: ['gguf'] },
        title: 'MCPO: local GGUF model',
      });
      model = files?.[0]?.fsPath;
    } else
      model = await vscode.window.showInputBox({
        title: 'MCPO: hub reference',
        value: DEFAULT_LOCAL_MODEL,
      });
    if (model === undefined) return;
  } else {
    const entered = await vscode.window.showInputBox({
      title: 'MCPO: M_L base URL',
      prompt: 'An OpenAI-compatible server, e.g. http://gpu-box:8000/v1',
      value: llm.url,
      validateInput: (v) => urlInputProblem(v),
    });
    if (entered === undefined) return;
    url = entered;
    model = await pickModel(ctx, 'llm', url, llm.model);
    if (model === undefined) return;
  }
  await ctx.config.update({ 'llm.url': url.trim(), 'llm.model': model.trim() });
  const slm = await vscode.window.showQuickPick(
    ['Keep the small model M_S as it is', 'Set the small model M_S'],
    { title: 'MCPO: small model for chain of thought' },
  );
  if (slm === 'Set the small model M_S') {
    const slmUrl = await vscode.window.showInputBox({
      title: 'MCPO: M_S base URL',
      value: ctx.config.endpoint('slm').url,
      validateInput: (v) => urlInputProblem(v, true),
    });
    const slmModel =
      slmUrl === undefined
        ? undefined
        : await pickModel(ctx, 'slm', slmUrl, ctx.config.endpoint('slm').model);
    if (slmUrl !== undefined && slmModel !== undefined) {
      await ctx.config.update({ 'slm.url': slmUrl.trim(), 'slm.model': slmModel.trim() });
    }
  }
  void vscode.window.showInformationMessage(
    'MCPO: endpoints saved. Keys go in SecretStorage with MCPO: Set API Key.',
  );
}

/**
 * The model for an endpoint, picked from what the server lists at /v1/models; typed by hand when
 * the server cannot be asked (the reason is shown) or for `local`.
 */
async function pickModel(
  ctx: CommandContext,
  role: KeyRole,
  url: string,
  current: string,
): Promise<string | undefined> {
  const title = `MCPO: ${role === 'llm' ? 'M_L' : 'M_S'} model`;
  let reason = 'The model name the server serves (see its /v1/models)';
  if (/^https?:\/\//.test(url.trim())) {
    try {
      const secrets = await readSecrets(ctx.extension.secrets);
      const { models } = await ctx.engine.send(ListModelsRequest, {
        url: url.trim(),
        apiKey: role === 'llm' ? secrets.llmApiKey : secrets.slmApiKey,
      });
      if (models.length > 0) {
        const typed = { label: '$(edit) Type a model name…', id: undefined as string | undefined };
        const pick = await vscode.window.showQuickPick(
          [
            ...models.map((m) => ({
              label: m.id,
              description: [m.id === current ? 'current' : '', m.root ? `weights: ${m.root}` : '']
                .filter(Boolean)
                .join(' · '),
              id: m.id as string | undefined,
            })),
            typed,
          ],
          { title: `${title}: served by ${url.trim()}`, placeHolder: 'Pick a model' },
        );
        if (!pick) return undefined;
        if (pick.id !== undefined) return pick.id;
      } else reason = `${url.trim()} lists no models: type the name`;
    } catch (err) {
      ctx.log.warn(`listing models: ${err instanceof Error ? err.message : String(err)}`);
      reason = `Could not list the models (${err instanceof Error ? err.message : String(err)}): type the name`;
    }
  }
  return vscode.window.showInputBox({ title, prompt: reason, value: current });
}

async function setApiKey(ctx: CommandContext): Promise<void> {
  const role = await vscode.window.showQuickPick(
    [
      { label: 'M_L (large model)', role: 'llm' as KeyRole },
      { label: 'M_S (small model)', role: 'slm' as KeyRole },
    ],
    { title: 'MCPO: API key for which endpoint?' },
  );
  if (!role) return;
  const key = await vscode.window.showInputBox({
    title: `MCPO: API key for ${role.label}`,
    prompt: 'Stored in VS Code SecretStorage; empty removes it',
    password: true,
    ignoreFocusOut: true,
  });
  if (key === undefined) return;
  await storeApiKey(ctx.extension.secrets, role.role, key.trim());
  void vscode.window.showInformationMessage(
    `MCPO: API key for ${role.label} ${key.trim() ? 'stored' : 'removed'}.`,
  );
}

export async function checkEndpoints(ctx: CommandContext, verbose: boolean): Promise<void> {
  const ticket = ctx.status.checking();
  let endpoints: EndpointHealth[] | undefined;
  try {
    ({ endpoints } = await ctx.engine.send(CheckEndpointsRequest, {
      settings: ctx.config.pipeline,
      secrets: await readSecrets(ctx.extension.secrets),
    }));
  } finally {
    // A check that could not be made leaves the endpoints unchecked, not "checking" for ever.
    ctx.status.setHealth(ticket, endpoints);
  }
  if (!verbose) return;
  if (endpoints.length === 0) {
    const choice = await vscode.window.showWarningMessage(
      'MCPO: no endpoint is configured.',
      'Configure Endpoints',
    );
    if (choice) await vscode.commands.executeCommand('mcpo.configureEndpoints');
    return;
  }
  const message = endpointCheckMessage(endpoints);
  if (message.ok) void vscode.window.showInformationMessage(`MCPO: ${message.text}`);
  else
    void vscode.window
      .showErrorMessage(`MCPO: ${message.text}`, ...message.actions)
      .then(async (c) => {
        const fix = c && fixOfAction(c, message.fixes);
        if (fix) await applyFix(fix);
        else if (c === 'Configure Endpoints')
          await vscode.commands.executeCommand('mcpo.configureEndpoints');
        else if (c === 'Retry') await vscode.commands.executeCommand('mcpo.checkEndpoints');
        else if (c === 'Show Logs') ctx.log.show();
      });
}

async function exportScores(ctx: CommandContext, runDir?: string): Promise<void> {
  if (!runDir) throw new Error('choose a run in the results panel first');
  const run = await ctx.engine.send(GetRunRequest, { runDir: runDir });
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(path.join(runDir, 'scores.json')),
    filters: { JSON: ['json'] },
  });
  if (!target) return;
  await fs.promises.writeFile(target.fsPath, `${JSON.stringify(run.report, null, 2)}\n`);
  void vscode.window.showInformationMessage(`MCPO: scores written to ${target.fsPath}`);
}

function requireEndpoint<T extends { llm?: unknown }>(settings: T): T {
  if (!settings.llm)
    throw new Error(
      'no endpoint is configured: set mcpo.llm.url and mcpo.llm.model, or "local" (MCPO: Configure Endpoints)',
    );
  return settings;
}

/** Cancellable progress with counts from the engine's per-question notifications. */
async function withRunProgress<T>(
  ctx: CommandContext,
  title: string,
  work: (token: vscode.CancellationToken, workDoneToken: string) => Promise<T>,
): Promise<T | undefined> {
  if (activeRun) throw new Error('a run is already in progress (MCPO: Cancel Run stops it)');
  const source = new vscode.CancellationTokenSource();
  activeRun = source;
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => source.cancel());
        // The engine reports LSP work-done progress on a token this request carries.
        const workDoneToken = `mcpo-run-${++progressTokens}`;
        let last = 0;
        ctx.status.running(undefined);
        // One count: the toast and the status item both show the engine's progress message.
        const progressListener = ctx.engine.onProgress(workDoneToken, (value) => {
          if (value.kind === 'end') return;
          if (value.kind === 'begin') last = 0; // a second request (Compare's baseline) starts over
          const pct = value.percentage ?? last;
          progress.report({ message: value.message, increment: Math.max(0, pct - last) });
          if (value.message !== undefined) ctx.status.running(value.message);
          last = pct;
        });
        try {
          return await work(source.token, workDoneToken);
        } finally {
          progressListener.dispose();
        }
      },
    );
  } finally {
    activeRun = undefined;
    source.dispose();
    ctx.status.idle();
  }
}

async function afterRun(
  ctx: CommandContext,
  result: RunDatasetResult,
  single: boolean,
  resumed = false,
): Promise<void> {
  ctx.refreshResults(result.runDir);
  const resume = (choice: string | undefined): Thenable<unknown> | undefined =>
    choice === RESUME ? vscode.commands.executeCommand('mcpo.resumeRun', result.runDir) : undefined;
  if (result.cancelled) {
    // How much is left, counted as `mcpo run` counts it after Ctrl-C: no surprise on Resume.
    const left = result.toResume ? ` ${resumeCount(RESUME, result.toResume)}.` : '';
    void vscode.window
      .showWarningMessage(
        `MCPO: run cancelled after ${plural(result.done, 'question')}; finished questions are saved in ${result.runDir}.${left}`,
        RESUME,
      )
      .then(resume);
    return;
  }
  const run = await ctx.engine.send(GetRunRequest, { runDir: result.runDir });
  // A task not scored for want of its scoring model: the toast says so and offers the setting.
  const unscored = notScoredFixes(run.report.unscored);
  const message = vscodeMessage(
    runEndMessage(
      {
        done: result.done,
        failed: result.failed,
        resumed,
        runTasks: run.runTasks,
        rerun: result.rerun,
        invalidRows: result.invalidRows,
        unscoredWhy: unscored.why,
      },
      run.report,
      run.records.some((r) => r.task_name === FREE_FORM_TASK_NAME)
        ? `not scored (${FREE_FORM_NOT_SCORED})`
        : unscored.why
          ? `not scored: ${unscored.why}`
          : 'not scored',
    ),
    unscored.fixes,
  );
  const openReport = ctx.config.ui.openReportAfterRun;
  // Opened beside the user's work: the keyboard stays in the editor they ran from.
  if (openReport) await openRunReport(result.runDir, true);
  void vscode.window
    .showInformationMessage(message, ...runEndActions(unscored.fixes, openReport))
    .then(async (c) => {
      const fix = c && fixOfAction(c, unscored.fixes);
      if (fix) await applyFix(fix);
      else if (c === 'Open Report') await openRunReport(result.runDir);
    });
  const record = run.records[0];
  if (single && record?.prompt)
    await ctx.promptDiff.show(record.prompt, { record, question: record });
  if (result.failed > 0) {
    // The lowest-numbered failure (records come sorted by index): the status item names it too.
    const failure = run.records.find((r) => r.status === 'failed');
    // An endpoint that stopped answering explains most failures at once: say that, not one question.
    const downText = run.records.find((r) => r.error?.endpointDown)?.error?.message;
    const endpointStage =
      downText !== undefined ||
      failure?.error?.stage === 'answer' ||
      failure?.error?.stage === 'cot';
    const others = result.failed > 1 ? ` (and ${result.failed - 1} more, each in the log)` : '';
    // Resume asks the answered but not scored again too: its count must not surprise (C4).
    const notScored = run.records.filter(answeredNotScored).length;
    const resumes =
      notScored > 0 ? `; ${resumeRetries('Resume Run', result.failed, notScored)}` : '';
    const message =
      downText !== undefined
        ? endpointDownMessage(result.failed, downText, notScored)
        : `MCPO: Q${(failure?.index ?? 0) + 1} failed at ${failure?.error?.stage}: ${failure?.error?.message}${others}${resumes}`;
    // Not awaited: a toast nobody clicks would keep the command from returning.
    void vscode.window
      .showErrorMessage(
        message,
        RESUME,
        ...(endpointStage ? ['Configure Endpoints'] : []),
        'Show Logs',
      )
      .then(async (choice) => {
        if (choice === 'Configure Endpoints')
          await vscode.commands.executeCommand('mcpo.configureEndpoints');
        else if (choice === 'Show Logs') ctx.log.show();
        else await resume(choice);
      });
  }
}

/** The run report (the report panel's command where it exists, else the results view). */
async function openRunReport(runDir: string, preserveFocus = false): Promise<void> {
  const commands = await vscode.commands.getCommands(true);
  if (commands.includes('mcpo.openReport'))
    await vscode.commands.executeCommand('mcpo.openReport', runDir, { preserveFocus });
  else await vscode.commands.executeCommand('mcpo.openResults');
}
