/**
 * The run requests: a dataset document (or some of its rows), a free-form question, the ablation
 * matrix. Options come from the client's settings exactly as the CLI builds them from flags, so a
 * run started in the editor and one started with `mcpo run` mean the same configuration.
 */
import * as path from 'node:path';
import type { WorkDoneProgressReporter } from 'vscode-languageserver';
import type {
  LocalModelParams,
  RecordNotificationParams,
  ResumeRunParams,
  RunAblationParams,
  RunAblationResult,
  RunDatasetParams,
  RunDatasetResult,
  RunQuestionParams,
  RunStateParams,
} from '../protocol/runs';
import type { PipelineSettings, Secrets } from '../protocol/settings';
import { DEFAULT_LOCAL_MODEL, LOCAL_BASE_URL } from '../llm/localLlama';
import { ablationPlan, runAblationArms } from '../runs/ablation';
import { newRunId, RunStore } from '../runs/runStore';
import { summarizeRun } from '../runs/report';
import { endpointLabel } from '../llm/openaiClient';
import type { RunConfig, RunRecord } from '../runs/runTypes';
import { buildRunConfig, endpointUrlProblem, executeRun, type RunOptions } from '../runs/startRun';
import {
  editorSource,
  FREE_FORM_WARNING,
  writeQuestionInput,
  writeRunInput,
  type RunInput,
} from './runInputs';
import { fixesOf, UserError } from '../userError';
import type { Fix } from '../protocol/fixHints';
import { plural } from '../protocol/runLabels';

/** What the run requests need from the connection. */
export interface RunHost {
  /** The document's current text (unsaved edits included). */
  documentText(uri: string): Promise<string>;
  sendRecord(params: RecordNotificationParams): void;
  sendState(params: RunStateParams): void;
  sendLocalModel(params: LocalModelParams): void;
  log(message: string): void;
  /** Something the user should notice in the log (a failed question). */
  warn(message: string): void;
}

/** Settings a message names, as fixes it need not word again: VS Code offers to open each. */
function settingFixes(...settings: string[]): Fix[] {
  return settings.map((setting) => ({ kind: 'option', setting }));
}

/**
 * What is wrong with VS Code's endpoint URL setting for `role` (no http(s)://), naming the setting
 * and offering to open it; undefined when the URL is usable. A run and Check Endpoints both ask
 * here, so both say the same thing (a check used to say "cannot reach …: Invalid URL").
 */
export function endpointSettingProblem(role: 'llm' | 'slm', url: string): UserError | undefined {
  const problem = endpointUrlProblem(url);
  // The fixes are the settings the message names: VS Code offers to open them.
  return problem === undefined
    ? undefined
    : new UserError(`the VS Code setting mcpo.${role}.url ${problem}`, {
        fixes: settingFixes(`mcpo.${role}.url`),
      });
}

/** The RunOptions the settings mean; `data` is the dataset file to run. */
export function runOptionsFromSettings(
  settings: PipelineSettings,
  data: string,
  label?: string,
  source?: RunOptions['source'],
): RunOptions {
  if (
    !settings.llm ||
    !settings.llm.url ||
    (!settings.llm.model && settings.llm.url !== LOCAL_BASE_URL)
  ) {
    throw new UserError(
      'no LLM endpoint is configured: set the MCPO LLM URL and model in the settings',
    );
  }
  for (const [role, e] of [
    ['llm', settings.llm],
    ['slm', settings.slm],
  ] as const) {
    const problem = e?.url ? endpointSettingProblem(role, e.url) : undefined;
    if (problem) throw problem;
  }
  if (!settings.runsDir)
    throw new UserError('no runs folder is configured: setting mcpo.runsDir', {
      fixes: settingFixes('mcpo.runsDir'),
    });
  if (settings.cot === 'slm' && !settings.slm)
    throw new UserError(
      'chain of thought from the small model (setting mcpo.cot.mode = slm) needs M_S: setting mcpo.slm.url and setting mcpo.slm.model',
      { fixes: settingFixes('mcpo.slm.url', 'mcpo.slm.model', 'mcpo.cot.mode') },
    );
  // With a preset, a setting the user never set yields to the preset's choice.
  const fromPreset = (key: string): boolean =>
    settings.preset !== undefined && !(settings.explicit ?? []).includes(key);
  // A local endpoint without a model runs the default local model (the embedded default).
  const endpoint = (e: NonNullable<PipelineSettings['llm']>): RunOptions['llm'] => ({
    url: e.url,
    model: e.url === LOCAL_BASE_URL && !e.model ? DEFAULT_LOCAL_MODEL : e.model,
    mode: fromPreset('llm.mode') ? undefined : e.mode,
    concurrency: e.concurrency > 0 ? e.concurrency : undefined,
  });
  return {
    data,
    source,
    out: settings.runsDir,
    label,
    llm: endpoint(settings.llm),
    slm: settings.slm ? endpoint(settings.slm) : undefined,
    preset: settings.preset,
    embedModel: fromPreset('embedModel') ? undefined : settings.embedModel || undefined,
    templates: fromPreset('templates') ? undefined : settings.templates || undefined,
    cot: fromPreset('cot.mode') ? undefined : settings.cot,
    cotTaskTypes:
      fromPreset('cot.taskTypes') || settings.cotTaskTypes.length === 0
        ? undefined
        : settings.cotTaskTypes,
    similarityK: fromPreset('similarity.k') ? undefined : settings.similarityK,
    constrained: settings.constrained,
    scoringEmbedModel: settings.scoringEmbedModel || undefined,
    scoringMultilingualEmbedModel: settings.scoringMultilingualEmbedModel || undefined,
  };
}

interface Progress {
  reporter: WorkDoneProgressReporter;
  /** This run's share of the whole request (ablation arms split 0..100). */
  from: number;
  span: number;
  /** Before the question count: "arm 3/5 +Prompt1+2" in an ablation. */
  prefix?: string;
}

/** The progress message: "7/96", in an ablation "arm 3/5 +Prompt1+2: 7/96". */
export function progressMessage(prefix: string | undefined, done: number, total: number): string {
  return `${prefix ? `${prefix}: ` : ''}${done}/${total}`;
}

/**
 * Runs one configuration (or resumes the run in `run.resumeDir`: its failed and missing questions)
 * with notifications and progress; a cancelled run is a result, not an error.
 */
async function runOne(
  host: RunHost,
  run: RunConfig | { resumeDir: string },
  settings: PipelineSettings,
  secrets: Secrets,
  signal: AbortSignal,
  progress: Progress,
  outDir = settings.runsDir,
  patch?: (r: RunRecord) => void,
): Promise<RunDatasetResult> {
  const resumeDir = 'resumeDir' in run ? run.resumeDir : undefined;
  const config = 'resumeDir' in run ? readRunConfig(run.resumeDir) : run;
  const runDir = resumeDir ?? path.join(outDir, config.runId);
  host.sendState({ runDir, state: 'started' });
  const localModels = [config.llm, config.slm]
    .filter((e) => e?.baseUrl === LOCAL_BASE_URL)
    .map((e) => e!.model);
  for (const model of localModels) host.sendLocalModel({ model, state: 'loading' });
  try {
    const result = await executeRun(resumeDir ? undefined : config, resumeDir, outDir, {
      // A resume scores with the scoring models set now, as `mcpo run --resume` with their flags.
      scoring: resumeDir
        ? {
            embedModel: settings.scoringEmbedModel || undefined,
            multilingualEmbedModel: settings.scoringMultilingualEmbedModel || undefined,
          }
        : undefined,
      onModelProgress: (p) => {
        for (const model of localModels)
          host.sendLocalModel({
            model,
            state: 'loading',
            percent: p.total > 0 ? Math.floor((100 * p.loaded) / p.total) : undefined,
          });
      },
      cacheDir: settings.cacheDir,
      llmApiKey: secrets.llmApiKey || undefined,
      slmApiKey: secrets.slmApiKey || undefined,
      signal,
      beforeAppend: patch,
      onStart: (_dir, pending, total) => {
        // Endpoints (local models included) are checked, so loaded, before the first question.
        for (const model of localModels)
          host.sendLocalModel({
            model,
            state: 'ready',
            rssMb: Math.round(process.memoryUsage().rss / 1e6),
          });
        progress.reporter.report(
          progress.from,
          progressMessage(progress.prefix, total - pending, total),
        );
      },
      onEndpointDown: (down) => host.warn(`run ${config.runId}: ${down.message}`),
      onRecord: (record, done, total) => {
        // "Show Logs" after a run must show why its questions failed (the toast names only one).
        // A question whose endpoint went down is covered by the one onEndpointDown line.
        if (record.status === 'failed' && !record.error?.endpointDown)
          host.warn(failedQuestionLine(config, record));
        host.sendRecord({ runDir, record, done, total });
        progress.reporter.report(
          Math.round(progress.from + (progress.span * done) / total),
          progressMessage(progress.prefix, done, total),
        );
      },
    });
    const state = result.cancelled ? 'cancelled' : 'finished';
    host.sendState({
      runDir,
      state,
      message: `${result.done} done, ${result.failed} failed${result.cancelled ? ', cancelled' : ''}`,
    });
    return {
      runDir,
      done: result.done,
      failed: result.failed,
      cancelled: result.cancelled,
      ...(result.rerun ? { rerun: result.rerun } : {}),
      ...(result.cancelled ? { toResume: toResume(runDir) } : {}),
    };
  } catch (err) {
    // Cancelling during the endpoint check surfaces as a setup error: it is still a cancellation.
    if (signal.aborted) {
      host.sendState({ runDir, state: 'cancelled' });
      return { runDir, done: 0, failed: 0, cancelled: true };
    }
    host.sendState({
      runDir,
      state: 'failed',
      message: (err as Error).message,
      fixes: [...fixesOf(err)],
    });
    throw err;
  }
}

/** What a resume of the run in `runDir` runs, as `mcpo run`'s footer counts it. */
function toResume(runDir: string): NonNullable<RunDatasetResult['toResume']> {
  const store = RunStore.open(runDir);
  try {
    const s = summarizeRun(store);
    return {
      never: Math.max(0, s.expected - s.questions),
      failed: s.failed,
      notScored: s.notScored ?? 0,
    };
  } finally {
    store.close();
  }
}

function readRunConfig(runDir: string): RunConfig {
  const store = RunStore.open(runDir);
  store.close();
  return store.config;
}

/**
 * One log line per failed question: run, question (1-based, as the views name it), stage, the
 * endpoint that stage used (model@host: no path, no credentials), and the error.
 */
export function failedQuestionLine(config: RunConfig, record: RunRecord): string {
  const stage = record.error?.stage ?? 'unknown stage';
  const endpoint =
    stage === 'answer'
      ? config.llm
      : stage === 'cot'
        ? config.cot.mode === 'slm' && config.slm
          ? config.slm
          : config.llm
        : undefined;
  const on = endpoint
    ? ` on ${endpointLabel(endpoint)}`
    : stage === 'similarity'
      ? ` on M_V ${config.embedModel}`
      : '';
  const message = record.error?.message ?? 'no reason recorded';
  // The endpoint's error already says "after 5 attempts": say it once.
  const attempts =
    record.error?.attempts && !/\bafter \d+ attempts?\b/.test(message)
      ? ` (after ${plural(record.error.attempts, 'attempt')})`
      : '';
  return `run ${config.runId}: Q${record.index + 1} (${record.task_name}) failed at ${stage}${on}: ${message}${attempts}`;
}

/** The rows to run, copied from the document as the editor shows it, and the file they came from. */
async function snapshotDocument(
  host: RunHost,
  params: { uri: string; rows?: number[]; settings: PipelineSettings },
): Promise<{ input: RunInput; source: NonNullable<RunOptions['source']> }> {
  const text = await host.documentText(params.uri);
  const input = writeRunInput(params.settings.runsDir, params.uri, text, params.rows);
  const source = await editorSource(params.uri, text);
  if (source.unsaved)
    host.log(`${source.file}: the run reads the editor's unsaved contents, not the file on disk`);
  return { input, source };
}

export async function runDataset(
  host: RunHost,
  params: RunDatasetParams,
  signal: AbortSignal,
  reporter: WorkDoneProgressReporter,
): Promise<RunDatasetResult> {
  const { input, source } = await snapshotDocument(host, params);
  if (input.invalid.length > 0)
    host.log(`${source.file}: ${plural(input.invalid.length, 'invalid row')} left out of the run`);
  const config = await buildRunConfig(
    runOptionsFromSettings(params.settings, input.file, params.label, source),
  );
  // The views label a run over a selection as such, not as an incomplete run of the file.
  if (params.rows !== undefined) config.data.selected = input.rows.length;
  reporter.begin('MCPO run', 0, `0/${input.rows.length}`, true);
  try {
    const result = await runOne(host, config, params.settings, params.secrets, signal, {
      reporter,
      from: 0,
      span: 100,
    });
    // The toast says so: a run of 5 of 12 rows must not read as the whole file.
    const invalid = input.invalid.length;
    return invalid > 0
      ? { ...result, invalidRows: { count: invalid, of: invalid + input.rows.length } }
      : result;
  } finally {
    reporter.done();
  }
}

/**
 * Finishes the run in `params.runDir` as `mcpo run --resume` does: its failed and missing
 * questions (and its answered but not scored ones) run again with its saved configuration (the
 * current settings give only the cache folder, the keys and the scoring models).
 */
export async function resumeRun(
  host: RunHost,
  params: ResumeRunParams,
  signal: AbortSignal,
  reporter: WorkDoneProgressReporter,
): Promise<RunDatasetResult> {
  reporter.begin('MCPO run (resumed)', 0, undefined, true);
  try {
    return await runOne(
      host,
      { resumeDir: params.runDir },
      params.settings,
      params.secrets,
      signal,
      {
        reporter,
        from: 0,
        span: 100,
      },
    );
  } finally {
    reporter.done();
  }
}

export async function runQuestion(
  host: RunHost,
  params: RunQuestionParams,
  signal: AbortSignal,
  reporter: WorkDoneProgressReporter,
): Promise<RunDatasetResult> {
  if (params.question.trim() === '') throw new UserError('the question is empty');
  const file = writeQuestionInput(params.settings.runsDir, params.question, params.taskType);
  const config = await buildRunConfig(runOptionsFromSettings(params.settings, file, 'free-form'));
  // Without truth there is nothing to score: the record says "not scored" (score null, no
  // truth), so reports list the task as unscored instead of averaging a placeholder's score.
  const notScored = (r: RunRecord): void => {
    if (!r.warnings.includes(FREE_FORM_WARNING)) r.warnings.unshift(FREE_FORM_WARNING);
    r.score = null;
    delete r.truth;
    delete r.dtype;
  };
  reporter.begin('MCPO question', 0, '0/1', true);
  try {
    const result = await runOne(
      host,
      config,
      params.settings,
      params.secrets,
      signal,
      { reporter, from: 0, span: 100 },
      undefined,
      notScored,
    );
    return result;
  } finally {
    reporter.done();
  }
}

export async function runAblation(
  host: RunHost,
  params: RunAblationParams,
  signal: AbortSignal,
  reporter: WorkDoneProgressReporter,
): Promise<RunAblationResult> {
  const { input, source } = await snapshotDocument(host, params);
  // The arms set their own templates, CoT and hints, as `mcpo ablate` (which has no flags for
  // them) does: the rest (models, preset, M_V) comes from the settings.
  const base: RunOptions = {
    ...runOptionsFromSettings(params.settings, input.file, undefined, source),
    templates: undefined,
    cot: undefined,
    cotTaskTypes: undefined,
    similarityK: undefined,
  };
  const outDir = path.join(params.settings.runsDir, `ablation-${newRunId()}`);
  // As `mcpo ablate --similarity-k`: 3 unless set; 0 leaves the hints arm out.
  const k = params.settings.similarityK ?? 3;
  const armCount = ablationPlan(base, k).arms.length;
  reporter.begin('MCPO ablation', 0, `arm 1/${armCount}`, true);
  try {
    const outcome = await runAblationArms(base, k, async (config, arm, i, n) => {
      const prefix = `arm ${i + 1}/${n} ${arm.name}`;
      reporter.report(Math.round((100 * i) / n), prefix);
      if (signal.aborted)
        return { dir: path.join(outDir, config.runId), failed: 0, cancelled: true };
      const result = await runOne(
        host,
        config,
        params.settings,
        params.secrets,
        signal,
        { reporter, from: (100 * i) / n, span: 100 / n, prefix },
        outDir,
      );
      return { dir: result.runDir, failed: result.failed, cancelled: result.cancelled };
    });
    return { runDirs: outcome.runDirs, tables: outcome.tables };
  } finally {
    reporter.done();
  }
}
