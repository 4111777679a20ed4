/**
 * Everything between "the user asked for a run" and the runner: the configuration, the run
 * folder (new or resumed), the dataset (checked unchanged on resume), model clients that are
 * checked before any question runs, the vector model, and the shared response cache.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDataset, type LoadedDataset } from '../dataset/load';
import type { TaskType } from '../dataset/shopbench';
import { DEFAULT_EMBED_MODEL, DEFAULT_MULTILINGUAL_EMBED_MODEL } from '../embed/embedder';
import { modelOnDisk } from '../embed/modelSource';
import { createClient } from '../llm/createClient';
import { ResponseCache } from '../llm/responseCache';
import type { OpenAiClientOptions } from '../llm/openaiClient';
import {
  DEFAULT_ENDPOINT_SETTINGS,
  type EndpointConfig,
  type JsonValue,
  type LlmClient,
} from '../llm/types';
import { COT_LAYOUT, DEFAULT_COT_REQUESTS, DEFAULT_COT_SAMPLING } from '../pipeline/cot';
import { DEFAULT_SIMILARITY_WORDING } from '../pipeline/similarity';
import {
  clonePromptParts,
  describePromptParts,
  loadUserTemplates,
  NO_PROMPT_PARTS,
  PAPER_PROMPT_PARTS,
  type PromptParts,
  type UserTemplates,
} from '../pipeline/templates';
import type {
  CotConfig,
  CotLayout,
  QueryPrompt,
  SimilarityScore,
  TemplatePreset,
} from '../pipeline/types';
import { ScoreCache } from '../scoring/scoreCache';
import { loadWorkerEmbedder, warmScorersInWorker } from '../workers/enginePool';
import { applyPreset, PAPER_SEED, type PresetName } from './presets';
import { inRunScope } from './runScope';
import {
  needsVectorModel,
  paperAnswerSampling,
  runQuestions,
  scorersToWarm,
  type RunnerDeps,
  type RunOutcome,
} from './runner';
import { fileSha256, newRunId, RunStore } from './runStore';
import { answeredNotScored } from '../protocol/runLabels';
import type { RunConfig, RunRecord } from './runTypes';
import type { Rerun } from '../protocol/runs';
import { runInputFile } from './runData';
import { UserError } from '../userError';
import type { Fix } from '../protocol/fixHints';
import { DEFAULT_COT_TASK_TYPES } from '../protocol/settings';

export class RunSetupError extends UserError {}

// Its home is the protocol (VS Code's input boxes check URLs too); the engine's importers keep this path.
export { endpointUrlProblem } from '../protocol/settings';

/** What a user chooses for a run (CLI flags, VS Code settings). */
export interface RunOptions {
  /** The dataset file the run reads. */
  data: string;
  /**
   * The user's file when `data` is a copy of it (VS Code runs a snapshot of the editor's rows):
   * config.json and every view name this file, and say when the copy held unsaved edits.
   */
  source?: { file: string; unsaved: boolean };
  /** A named preset (`paper`); every option set explicitly overrides its piece of the preset. */
  preset?: PresetName;
  /** Folder that holds runs (default .mcpo/runs). */
  out?: string;
  label?: string;
  llm: {
    url: string;
    model: string;
    mode?: 'chat' | 'completions';
    concurrency?: number;
    timeoutMs?: number;
    maxRetries?: number;
  };
  slm?: { url: string; model: string; mode?: 'chat' | 'completions'; concurrency?: number };
  embedModel?: string;
  templates?: TemplatePreset | string;
  /** With the paper templates: the prompt parts per task type (default Prompt1 + Prompt2). */
  promptParts?: PromptParts;
  cot?: CotConfig['mode'];
  cotTaskTypes?: TaskType[];
  /** The CoT request with a {question} placeholder (default: the reference text for the mode). */
  cotRequest?: string;
  cotLayout?: CotLayout;
  similarityWording?: string;
  /** Extra request body fields for M_L (e.g. vLLM sampling extensions). */
  llmExtraBody?: Record<string, JsonValue>;
  similarityK?: number;
  similarityTaskTypes?: TaskType[];
  similarityScore?: SimilarityScore;
  /** M_V's query prompt for the question side (default: the model's own, if it has one). */
  queryPrompt?: QueryPrompt;
  constrained?: boolean;
  limit?: number;
  seed?: number;
  scoringEmbedModel?: string;
  scoringMultilingualEmbedModel?: string;
}

export interface RunContext {
  cacheDir: string;
  /** Replay only cached answers stored from this time on (ms since the epoch; `--no-cache`). */
  replayCachedFrom?: number;
  llmApiKey?: string;
  slmApiKey?: string;
  signal?: AbortSignal;
  onRecord?: (record: RunRecord, done: number, total: number) => void;
  /** Amends each record before it is written and reported. */
  beforeAppend?: (record: RunRecord) => void;
  /**
   * Called once the endpoints answered their check, before the first question. On a resume,
   * `rerun` says how many of the pending questions ran before (the rest never ran).
   */
  onStart?: (dir: string, pending: number, total: number, rerun?: Rerun) => void;
  /** Local (`url: 'local'`) endpoints only: CPU threads; speed only, so not part of the run config. */
  localThreads?: number;
  /** Local endpoints only: context size in tokens (default 4096, capped at the model's). */
  localContextSize?: number;
  /** Local endpoints only: download progress of a hub model. */
  onModelProgress?: (p: { loaded: number; total: number; file: string }) => void;
  /** An endpoint stopped answering mid-run (said once; its questions' records say so too). */
  onEndpointDown?: RunnerDeps['onEndpointDown'];
  /**
   * A resume only: the scoring models from now on (a model may be there now that was not), set
   * in the run's config.json; the pipeline's configuration stays as saved.
   */
  scoring?: Partial<RunConfig['scoring']>;
  /** Backoff tuning for the endpoints' retries (tests shorten it). */
  retry?: OpenAiClientOptions['retry'];
}

export interface RunResult extends RunOutcome {
  dir: string;
  total: number;
  /** A resume: the questions it ran again (the rest of `done + failed` never ran before). */
  rerun?: Rerun;
}

/**
 * The dataset each configuration was built from, for executeRun to reuse: a 100,000-row file
 * takes most of a second to read and check, and every caller runs the configuration it just
 * built. Keyed by the configuration object, so an unused one is collected with it.
 */
const builtFrom = new WeakMap<RunConfig, LoadedDataset>();

/**
 * The configuration a set of options means: the preset's choices where one is named, then the
 * plain defaults (README "Defaults"): the paper's templates (Prompt1 + Prompt2), no CoT and no
 * similarity hints unless asked for (they cost calls and a model download), CoT and hints on the
 * task types the paper found them to help (multiple choice; ranking), chat transport (every
 * server and chat model takes it), the reference's seed.
 */
export async function buildRunConfig(requested: RunOptions): Promise<RunConfig> {
  const options = applyPreset(requested);
  // config.json keeps the absolute path (a resume starts anywhere); messages name the file as
  // the user gave it, as `mcpo validate` does (K2 of the s22 try).
  const dataFile = path.resolve(options.data);
  const [dataset, sha256] = await Promise.all([
    loadDataset(options.data),
    fileSha256(options.data),
  ]);
  const cotMode = options.cot ?? 'off';
  const templates: RunConfig['templates'] =
    options.templates === undefined || options.templates === 'paper' || options.templates === 'none'
      ? (options.templates ?? 'paper')
      : { file: path.resolve(options.templates) };
  const cotSampling = DEFAULT_COT_SAMPLING[cotMode === 'slm' ? 'slm' : 'self'];
  const config: RunConfig = {
    version: 1,
    runId: newRunId(),
    createdAt: new Date().toISOString(),
    label: options.label ?? describeArm(options),
    preset: options.preset ?? null,
    data: {
      ...(options.source
        ? {
            file: options.source.file,
            input: dataFile,
            ...(options.source.unsaved ? { unsaved: true } : {}),
          }
        : { file: dataFile }),
      sha256,
      rowCount: dataset.rowCount,
      limit: options.limit,
      ...invalidRows(dataset),
    },
    llm: {
      ...endpoint(options.llm),
      ...(options.llmExtraBody ? { extraBody: options.llmExtraBody } : {}),
    },
    slm: options.slm ? endpoint(options.slm) : undefined,
    embedModel: options.embedModel ?? DEFAULT_EMBED_MODEL,
    templates,
    promptParts:
      templates === 'none'
        ? clonePromptParts(NO_PROMPT_PARTS)
        : clonePromptParts(options.promptParts ?? PAPER_PROMPT_PARTS),
    cot: {
      mode: cotMode,
      taskTypes: options.cotTaskTypes ?? [...DEFAULT_COT_TASK_TYPES],
      request:
        options.cotRequest ??
        (cotMode === 'slm' ? DEFAULT_COT_REQUESTS.slm : DEFAULT_COT_REQUESTS.self),
      layout: options.cotLayout ?? COT_LAYOUT,
      ...cotSampling,
    },
    similarity: {
      k: options.similarityK ?? 0,
      taskTypes: options.similarityTaskTypes ?? ['ranking'],
      wording: options.similarityWording ?? DEFAULT_SIMILARITY_WORDING,
      score: options.similarityScore ?? 'cosine',
      queryPrompt: options.queryPrompt ?? 'model',
    },
    answerSampling: paperAnswerSampling(options.seed ?? PAPER_SEED),
    constrained: options.constrained ?? false,
    scoring: {
      embedModel: options.scoringEmbedModel ?? DEFAULT_EMBED_MODEL,
      multilingualEmbedModel:
        options.scoringMultilingualEmbedModel ?? DEFAULT_MULTILINGUAL_EMBED_MODEL,
    },
  };
  config.data.taskCount = taskCountInScope(dataset, config.data);
  builtFrom.set(config, dataset);
  return config;
}

/** The distinct tasks among the valid rows the run covers (see RunConfig's data.taskCount). */
function taskCountInScope(dataset: LoadedDataset, data: RunConfig['data']): number {
  const tasks = new Set<string>();
  for (const { index, row } of dataset.rows) if (inRunScope(index, data)) tasks.add(row.task_name);
  return tasks.size;
}

/** The indices of the rows that did not load (as `invalid`), or nothing when every row did. */
function invalidRows(dataset: LoadedDataset): { invalid?: number[] } {
  if (dataset.rows.length === dataset.rowCount) return {};
  const loaded = new Set(dataset.rows.map((r) => r.index));
  const invalid: number[] = [];
  for (let i = 0; i < dataset.rowCount; i++) if (!loaded.has(i)) invalid.push(i);
  return { invalid };
}

function endpoint(
  e: NonNullable<RunOptions['slm']> & { timeoutMs?: number; maxRetries?: number },
): EndpointConfig {
  return {
    baseUrl: e.url.replace(/\/+$/, ''),
    model: e.model,
    mode: e.mode ?? DEFAULT_ENDPOINT_SETTINGS.mode,
    concurrency: e.concurrency ?? DEFAULT_ENDPOINT_SETTINGS.concurrency,
    timeoutMs: e.timeoutMs ?? DEFAULT_ENDPOINT_SETTINGS.timeoutMs,
    maxRetries: e.maxRetries ?? DEFAULT_ENDPOINT_SETTINGS.maxRetries,
  };
}

/** A short name for what a configuration turns on. */
export function describeArm(
  options: Pick<RunOptions, 'preset' | 'templates' | 'promptParts' | 'cot' | 'similarityK'>,
): string {
  const templates =
    typeof options.templates === 'string' && !['paper', 'none'].includes(options.templates)
      ? 'file'
      : (options.templates ?? 'paper');
  const parts = options.preset ? [`preset=${options.preset}`] : [];
  parts.push(`templates=${templates}`);
  if (templates === 'paper' && options.promptParts)
    parts.push(`parts=${describePromptParts(options.promptParts)}`);
  if (options.cot && options.cot !== 'off') parts.push(`cot=${options.cot}`);
  if (options.similarityK) parts.push(`k=${options.similarityK}`);
  return parts.join(' ');
}

/** Starts a new run of `config`, or resumes the run in `resumeDir`, and runs what is pending. */
export async function executeRun(
  config: RunConfig | undefined,
  resumeDir: string | undefined,
  outDir: string,
  context: RunContext,
): Promise<RunResult> {
  // A --no-cache run records its start, so that its resume keeps the choice.
  if (config && context.replayCachedFrom !== undefined)
    config.replayCachedFrom = context.replayCachedFrom;
  const store = resumeDir
    ? RunStore.open(resumeDir, { repair: true })
    : RunStore.create(path.join(outDir, config!.runId), config!);
  try {
    if (resumeDir && context.scoring) store.setScoring(context.scoring);
    const cfg = store.config;
    // A new run reads the rows its configuration was built from (and hashed in config.json).
    const built = resumeDir || !config ? undefined : builtFrom.get(config);
    if (config) builtFrom.delete(config);
    const input = runInputFile(cfg.data);
    const dataset = built ?? (await loadDataset(input));
    if (resumeDir && (await fileSha256(input)) !== cfg.data.sha256) {
      throw new RunSetupError(
        `${input} changed since the run started (sha256 differs); start a new run instead of resuming`,
      );
    }
    const rows = dataset.rows.filter((r) => inRunScope(r.index, cfg.data));
    // Every row invalid: nothing can run, and an empty run would sit in every run list.
    if (!resumeDir && rows.length === 0) {
      const shown = built && !cfg.data.input ? built.file : cfg.data.file;
      throw new RunSetupError(
        `no valid rows to run in ${shown}: fix the rows first (mcpo validate --data ${shown} lists the problems)`,
      );
    }
    const pendingIndices = new Set(store.pending(rows.map((r) => r.index)));
    const pending = rows.filter((r) => pendingIndices.has(r.index));
    const rerun = resumeDir ? rerunCounts(store, pending) : undefined;
    if (pending.length === 0)
      return { dir: store.dir, total: rows.length, done: 0, failed: 0, cancelled: false, rerun };

    // Once a request goes to a model (a cache miss) and the first wave of questions is out, the
    // scorers these rows need start loading, so a jp-bleu or sent-transformer answer in the last
    // wave does not wait for them. Not before the first wave is out: starting the worker thread
    // costs the main thread about 10 ms, which would hold back that wave's last requests. A
    // re-run answered from the cache reuses its scores and loads nothing.
    let missed = false;
    let firstWaveOut = false;
    let warming = false;
    const warmScorers = (): void => {
      if (warming || !missed || !firstWaveOut) return;
      warming = true;
      void warmScorersInWorker(scorersToWarm(pending, cfg));
    };
    const cache = new ResponseCache(context.cacheDir, {
      replayFrom: context.replayCachedFrom ?? cfg.replayCachedFrom,
      onMiss: () => {
        missed = true;
        warmScorers();
      },
    });
    // The answers' log is indexed while the endpoints are checked.
    void cache.preload();
    const local = {
      retry: context.retry,
      threads: context.localThreads,
      contextSize: context.localContextSize,
      onModelProgress: context.onModelProgress,
    };
    const llm = createClient(cfg.llm, { apiKey: context.llmApiKey, cache, role: 'llm', ...local });
    const slm = cfg.slm
      ? createClient(cfg.slm, { apiKey: context.slmApiKey, cache, role: 'slm', ...local })
      : undefined;
    // The vector model loads while the endpoints are checked. One that must be downloaded is
    // awaited before the first question: without the hub that download fails, and failing after
    // questions started would leave a partial run behind that looks like a run. One already on
    // disk keeps loading while the first questions go out; the runner awaits it where needed.
    const vectorModel = needsVectorModel(pending, cfg)
      ? loadVectorModel(cfg.embedModel)
      : undefined;
    vectorModel?.catch(() => undefined);
    await checkClients([llm, ...(slm && cfg.cot.mode === 'slm' ? [slm] : [])], context.signal);
    if (vectorModel && !modelOnDisk(cfg.embedModel)) await vectorModel;
    const userTemplates: UserTemplates | undefined =
      typeof cfg.templates === 'object' ? await loadUserTemplates(cfg.templates.file) : undefined;
    context.onStart?.(store.dir, pending.length, rows.length, rerun);
    let done = rows.length - pending.length;
    const outcome = await runQuestions(pending, {
      store,
      llm,
      slm,
      vectorModel,
      userTemplates,
      // Scoring models load in the engine worker when an answer first needs them.
      scoreCache: new ScoreCache(context.cacheDir),
      signal: context.signal,
      onRecord: (record) => context.onRecord?.(record, ++done, rows.length),
      beforeAppend: context.beforeAppend,
      onEndpointDown: context.onEndpointDown,
      onFirstWave: () => {
        firstWaveOut = true;
        warmScorers();
      },
    });
    return { dir: store.dir, total: rows.length, ...outcome, rerun };
  } catch (err) {
    store.close();
    // A new run that failed before any question finished (endpoint check, templates, data) holds
    // nothing but its config: remove the folder so reports and the panel do not list an empty run.
    if (!resumeDir && store.records.size === 0)
      fs.rmSync(store.dir, { recursive: true, force: true });
    throw err;
  } finally {
    store.close();
  }
}

function rerunCounts(store: RunStore, pending: readonly LoadedDataset['rows'][number][]): Rerun {
  const before = pending.map((r) => store.records.get(r.index));
  return {
    failed: before.filter((r) => r?.status === 'failed').length,
    notScored: before.filter((r) => r !== undefined && answeredNotScored(r)).length,
  };
}

async function checkClients(clients: LlmClient[], signal?: AbortSignal): Promise<void> {
  for (const client of clients) {
    try {
      await client.check(signal);
    } catch (err) {
      throw new RunSetupError(`endpoint check failed: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** The ways out when M_V does not load. */
export const MV_FIXES: readonly Fix[] = [
  {
    kind: 'option',
    to: 'run without hints',
    flag: '--similarity-k',
    value: '0',
    setting: 'mcpo.similarity.k',
  },
  {
    kind: 'option',
    to: 'use another M_V',
    flag: '--embed-model',
    placeholder: 'hub id or folder',
    setting: 'mcpo.embedModel',
  },
];

async function loadVectorModel(model: string) {
  try {
    return await loadWorkerEmbedder(model);
  } catch (err) {
    // Both ways out, as data: the CLI words them as flags, VS Code as settings it offers to open.
    throw new RunSetupError(
      `similarity hints need the vector model (M_V), which did not load: ${(err as Error).message}`,
      { fixes: MV_FIXES },
    );
  }
}
