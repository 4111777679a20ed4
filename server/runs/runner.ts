/**
 * Runs questions through the MCPO pipeline and appends one record per question as it finishes:
 * template → similarity hints → chain of thought → final answer → official parse and score.
 *
 * Nothing waits for what it does not need: each question's similarity texts are embedded as soon
 * as the question starts (alongside its CoT call), batched with whatever other questions asked in
 * the same turn of the event loop, so the first answer requests go out at once instead of after
 * one pass over the whole dataset. Embedding and scoring run in the engine worker
 * (server/workers); a score already computed for the same row, response and scorer is reused.
 *
 * A question whose model call fails after its retries is recorded as failed with the error;
 * cancelling stops new questions and aborts in-flight calls, whose questions stay missing for
 * `--resume`. Endpoint concurrency is enforced inside each client; here a worker pool keeps
 * enough questions in flight to fill every endpoint.
 */
import { setMaxListeners } from 'node:events';
import type { LoadedRow } from '../dataset/load';
import type { ShopBenchRow, TaskType } from '../dataset/shopbench';
import { queryPromptText, type Embedder } from '../embed/embedder';
import { EMBED_BATCH, embedInBatches } from '../embed/scoringEmbeddings';
import type { LlmClient, LlmRequest, StructuredOutput } from '../llm/types';
import { LlmError } from '../llm/types';
import { EndpointDownError } from '../llm/retry';
import { resumeHint, watchEndpoint, type EndpointDown } from './endpointWatch';
import { assemblePrompt } from '../pipeline/assemble';
import { cotRequestPrompt, DEFAULT_COT_SAMPLING, questionWithoutCue } from '../pipeline/cot';
import { rankOptions, similarityBlock, splitQuestion } from '../pipeline/similarity';
import { applyTemplate, type TemplatedQuestion, type UserTemplates } from '../pipeline/templates';
import type { CotLayout, OptionScore } from '../pipeline/types';
import type { SampleInput, SampleScore } from '../scoring/evaluate';
import { ScoreCache, type StoredScore } from '../scoring/scoreCache';
import { scoreInWorker } from '../workers/enginePool';
import type { ScorerWarmUp, ScoringModels } from '../workers/tasks';
import { findNumberedOptions } from '../dataset/options';
import type { CallRecord, RunConfig, RunRecord } from './runTypes';
import type { RunStore } from './runStore';

export interface RunnerDeps {
  store: RunStore;
  llm: LlmClient;
  slm?: LlmClient;
  /** M_V (possibly still loading); required when similarity hints are on. */
  vectorModel?: Embedder | Promise<Embedder>;
  userTemplates?: UserTemplates;
  /** Scores answers; default: the engine worker, with the run's scoring models. */
  score?: (samples: SampleInput[], models: ScoringModels) => Promise<SampleScore[]>;
  /** Scores of earlier runs, reused for an unchanged row, response and scorer. */
  scoreCache?: ScoreCache;
  signal?: AbortSignal;
  onRecord?: (record: RunRecord) => void;
  /** Amends a finished question's record before it is written (e.g. a warning for free-form runs). */
  beforeAppend?: (record: RunRecord) => void;
  /** An endpoint stopped answering: its remaining questions fail without being sent. */
  onEndpointDown?: (down: EndpointDown) => void;
  /** Called once the first wave of questions has been handed to the endpoints' slots. */
  onFirstWave?: () => void;
}

export interface RunOutcome {
  done: number;
  failed: number;
  cancelled: boolean;
  /** Endpoints that stopped answering during the run (each said once). */
  endpointsDown?: EndpointDown[];
}

interface SimilarityResult {
  block?: string;
  scores?: OptionScore[];
  queryPrompt?: string;
  skipped?: string;
}

/** Runs `rows` (those still pending in the store) and returns how many finished. */
export async function runQuestions(
  rows: readonly LoadedRow[],
  deps: RunnerDeps,
): Promise<RunOutcome> {
  const config = deps.store.config;
  // Without its vector model the run cannot give what was asked: stop it, like a failed endpoint check.
  const stop = new AbortController();
  const signal = deps.signal ? AbortSignal.any([deps.signal, stop.signal]) : stop.signal;
  setMaxListeners(0, signal); // every in-flight request listens to it
  let fatal: unknown;
  const fail = (err: unknown): void => {
    fatal ??= err;
    stop.abort();
  };
  const similarity = similarityStage(rows, config, deps, fail);
  const outcome: RunOutcome = { done: 0, failed: 0, cancelled: false };
  const onDown = (down: EndpointDown): void => {
    (outcome.endpointsDown ??= []).push(down);
    deps.onEndpointDown?.(down);
  };
  const resume = resumeHint(deps.store.dir);
  const running: RunningDeps = {
    ...deps,
    signal,
    llm: watchEndpoint(deps.llm, resume, onDown),
    slm: deps.slm && watchEndpoint(deps.slm, resume, onDown),
    scorer: new ScoreBatcher(deps.score ?? scoreInWorker, scoringModels(config)),
  };
  const queue = [...rows];
  const write = (record: RunRecord | undefined): void => {
    if (!record) return; // cancelled mid-question: left for --resume
    running.beforeAppend?.(record);
    try {
      running.store.append(record);
    } catch (err) {
      // A record that cannot be written (disk full) must stop every worker, not only this one.
      fail(err);
      return;
    }
    running.onRecord?.(record);
    if (record.status === 'ok') outcome.done++;
    else outcome.failed++;
  };
  // Twice the endpoints' slots: while one question assembles or is written, another is already
  // queued for the slot it frees, so the servers never wait on the engine. A slot is freed as
  // soon as its answer is in: scoring (in the worker, perhaps behind a model load) and writing
  // the record finish on their own, without holding back the next question's requests.
  const workers = Math.max(1, 2 * (config.llm.concurrency + (config.slm?.concurrency ?? 0)));
  const finishing: Promise<void>[] = [];
  const startWorker = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      if (running.signal?.aborted) break;
      let answered!: () => void;
      const slotFree = new Promise<void>((resolve) => (answered = resolve));
      const finished = runOne(next, similarity, running, answered).then(write);
      finishing.push(finished);
      await Promise.race([slotFree, finished]);
    }
  };
  // The workers start one event-loop turn apart: started together, the first questions' prompts,
  // cache keys and requests (64 at c=32) run as one long stretch of microtasks, and an editor
  // request (a hover, a cancel) waits behind all of them. Between turns, I/O is served.
  const started: Promise<void>[] = [];
  for (let w = Math.min(workers, queue.length); w > 0 && queue.length > 0; w--) {
    if (started.length > 0) await nextTurn();
    started.push(startWorker());
  }
  running.onFirstWave?.();
  await Promise.all(started);
  await Promise.all(finishing);
  // Scores are appended in the background; the next run (maybe in this process) reads them.
  await running.scoreCache?.flushed();
  if (fatal !== undefined) throw fatal;
  outcome.cancelled = signal.aborted;
  return outcome;
}

/** Resolves on a later turn of the event loop, after pending I/O has been served. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Hints for one question, or undefined when the question gets none. */
type SimilarityStage = (row: ShopBenchRow) => Promise<SimilarityResult> | undefined;

function wantsHints(row: ShopBenchRow, config: RunConfig): boolean {
  return config.similarity.k > 0 && config.similarity.taskTypes.includes(row.task_type);
}

/** Some of `rows` get similarity hints and have options to rank: M_V must load for them. */
export function needsVectorModel(rows: readonly LoadedRow[], config: RunConfig): boolean {
  return rows.some(
    (r) => wantsHints(r.row, config) && !('reason' in splitQuestion(r.row.input_field)),
  );
}

/**
 * The similarity stage: per question, split it, embed its body and options (batched with other
 * questions' texts by EmbedBatcher) and rank. A vector model that fails to load or embed stops the
 * run through `fail`.
 */
function similarityStage(
  rows: readonly LoadedRow[],
  config: RunConfig,
  deps: RunnerDeps,
  fail: (err: unknown) => void,
): SimilarityStage {
  const { k, wording } = config.similarity;
  const wanted = (row: ShopBenchRow): boolean => wantsHints(row, config);
  if (!rows.some((r) => wanted(r.row))) return () => undefined;
  const vectorModel = deps.vectorModel;
  const needsModel = needsVectorModel(rows, config);
  if (!vectorModel && needsModel)
    throw new Error('similarity hints are on but no vector model (M_V) was loaded');
  const model = vectorModel ? Promise.resolve(vectorModel) : undefined;
  // A vector model that will not load stops the run the moment it fails, not when the first
  // question that needs it comes up (perhaps the last of a long run).
  if (needsModel) model?.catch(fail);
  const queryPrompt = model?.then((m) =>
    queryPromptText(m, config.similarity.queryPrompt ?? 'none'),
  );
  queryPrompt?.catch(() => undefined); // a load failure reaches the run through the batchers
  const queries = model && queryPrompt ? new EmbedBatcher(model, queryPrompt) : undefined;
  const documents = model ? new EmbedBatcher(model) : undefined;
  return (row) => {
    if (!wanted(row)) return undefined;
    const split = splitQuestion(row.input_field);
    if ('reason' in split) return Promise.resolve({ skipped: split.reason });
    // The body is the query side (encoded with M_V's query prompt), the options the documents.
    const hints = Promise.all([
      queries!.embed([split.body]),
      documents!.embed(split.options.map((o) => o.text)),
      queryPrompt!,
    ]).then(([[body], optionVectors, prompt]) => {
      const scores = rankOptions(body, optionVectors, split.options, config.similarity.score);
      return { block: similarityBlock(scores, k, wording), scores, queryPrompt: prompt };
    });
    hints.catch(fail);
    return hints;
  };
}

/**
 * Collects the texts that questions ask to embed within one turn of the event loop (or until a
 * batch is full) and embeds them together: batches as large as the concurrency gives, without
 * holding any question back for questions that have not reached the stage yet.
 */
class EmbedBatcher {
  private waiting: {
    texts: string[];
    resolve: (v: Float32Array[]) => void;
    reject: (e: unknown) => void;
  }[] = [];
  private waitingTexts = 0;
  private scheduled = false;

  /** `prompt`: put before every text (the query side's prompt), see Embedder.embed. */
  constructor(
    private readonly embedder: Promise<Embedder>,
    private readonly prompt: Promise<string | undefined> = Promise.resolve(undefined),
  ) {}

  embed(texts: string[]): Promise<Float32Array[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ texts, resolve, reject });
      this.waitingTexts += texts.length;
      if (this.waitingTexts >= EMBED_BATCH) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const batch = this.waiting;
    this.waiting = [];
    this.waitingTexts = 0;
    if (batch.length === 0) return;
    Promise.all([this.embedder, this.prompt])
      .then(([embedder, prompt]) =>
        embedInBatches(
          embedder,
          batch.flatMap((b) => b.texts),
          { prompt },
        ),
      )
      .then(
        (vectors) => {
          let at = 0;
          for (const b of batch) b.resolve(vectors.slice(at, (at += b.texts.length)));
        },
        (err: unknown) => {
          for (const b of batch) b.reject(err);
        },
      );
  }
}

/** The scorers `rows` need loaded before their answers can be scored. */
export function scorersToWarm(rows: readonly LoadedRow[], config: RunConfig): ScorerWarmUp {
  const metrics = new Set<string>(rows.map((r) => r.row.metric));
  return {
    japanese: metrics.has('jp-bleu'),
    embeddingMetrics: EMBEDDING_METRICS.filter((m) => metrics.has(m)),
    models: scoringModels(config),
  };
}

const EMBEDDING_METRICS = ['sent-transformer', 'multilingual-sent-transformer'] as const;

/** The run's models for the sent-transformer metrics. */
function scoringModels(config: RunConfig): ScoringModels {
  return {
    embedModel: config.scoring.embedModel,
    multilingualEmbedModel: config.scoring.multilingualEmbedModel,
  };
}

type Scorer = NonNullable<RunnerDeps['score']>;

/** What a question runs with: the run's dependencies, its signal, and the shared batcher. */
type RunningDeps = RunnerDeps & { scorer: ScoreBatcher };

/**
 * Hands the answers that come in within one turn of the event loop to the scorer together: one
 * message to the engine worker instead of one per answer. A hand-off costs the main thread
 * 60-120 us however small it is; in batches of 8 it is about 20 us per answer (measured side by
 * side, 1,000 answers each). The answers of one wave tend to arrive together, since each
 * resumes when the response cache's write of that turn is done.
 */
class ScoreBatcher {
  private waiting: {
    sample: SampleInput;
    resolve: (score: SampleScore) => void;
    reject: (err: unknown) => void;
  }[] = [];

  constructor(
    private readonly scorer: Scorer,
    /** The run's scoring models: every answer of the run is scored (and cached) with them. */
    readonly models: ScoringModels,
  ) {}

  score(sample: SampleInput): Promise<SampleScore> {
    return new Promise((resolve, reject) => {
      if (this.waiting.push({ sample, resolve, reject }) === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.waiting;
    this.waiting = [];
    this.scorer(
      batch.map((b) => b.sample),
      this.models,
    ).then(
      (scores) => batch.forEach((b, i) => b.resolve(scores[i])),
      (err: unknown) => {
        // One answer the official scorer refuses fails the whole call: score the others alone,
        // so it fails only its own question.
        if (batch.length === 1) batch[0].reject(err);
        else
          for (const b of batch)
            this.scorer([b.sample], this.models).then(([score]) => b.resolve(score), b.reject);
      },
    );
  }
}

/** The official score of one answer: reused when this row and response were scored before. */
async function scoreAnswer(
  index: number,
  row: ShopBenchRow,
  response: string,
  deps: RunningDeps,
): Promise<StoredScore & Pick<SampleScore, 'error'>> {
  const key = deps.scoreCache ? ScoreCache.key(row, response, deps.scorer.models) : undefined;
  const stored = key === undefined ? undefined : deps.scoreCache!.get(key);
  if (stored) return stored;
  const scored = await deps.scorer.score({ index, row, response });
  if (key !== undefined) deps.scoreCache!.put(key, scored);
  return scored;
}

async function runOne(
  loaded: LoadedRow,
  similarity: SimilarityStage,
  deps: RunningDeps,
  answered: () => void,
): Promise<RunRecord | undefined> {
  const { row, index } = loaded;
  const config = deps.store.config;
  const started = performance.now();
  const record: RunRecord = {
    index,
    task_name: row.task_name,
    task_type: row.task_type,
    metric: row.metric,
    track: row.track,
    status: 'failed',
    truth: row.output_field,
    stages: {},
    score: null,
    warnings: [],
    timings: { totalMs: 0 },
  };
  let stage: NonNullable<RunRecord['error']>['stage'] = 'template';
  // Started now so the embedding overlaps this question's CoT call.
  const hints = similarity(row);
  try {
    const templated: TemplatedQuestion = applyTemplate(
      deps.userTemplates ?? (config.templates as 'paper' | 'none'),
      row,
      config.promptParts,
    );
    let cot: { text: string; model: string; layout?: CotLayout } | undefined;
    if (config.cot.mode !== 'off' && config.cot.taskTypes.includes(row.task_type)) {
      stage = 'cot';
      const client = config.cot.mode === 'self' ? deps.llm : deps.slm;
      if (!client)
        throw new Error('CoT mode "slm" needs a small model endpoint (--slm-url, --slm-model)');
      const prompt = cotRequestPrompt(config.cot, questionWithoutCue(row.input_field));
      const t = performance.now();
      const call = await callModel(
        client,
        {
          prompt,
          sampling: {
            temperature: config.cot.temperature,
            top_p: config.cot.topP ?? DEFAULT_COT_SAMPLING.self.topP,
            max_tokens: config.cot.maxTokens,
            seed: config.answerSampling[row.task_type].seed,
          },
        },
        deps.signal,
      );
      record.timings.cotMs = performance.now() - t;
      record.stages.cot = call;
      cot = { text: call.text.trim(), model: client.label, layout: config.cot.layout };
    }

    let similarity: SimilarityResult | undefined;
    if (hints) {
      stage = 'similarity';
      similarity = await hints;
      if (similarity.skipped) record.stages.similarity = { skipped: similarity.skipped };
      else if (similarity.scores)
        record.stages.similarity = {
          model: config.embedModel,
          k: config.similarity.k,
          scores: similarity.scores,
          ...(similarity.queryPrompt !== undefined ? { queryPrompt: similarity.queryPrompt } : {}),
        };
    }

    stage = 'answer';
    const prompt = assemblePrompt({
      row,
      templated,
      similarity: similarity?.block
        ? { block: similarity.block, model: config.embedModel, scores: similarity.scores ?? [] }
        : undefined,
      cot,
    });
    record.prompt = prompt;
    const request: LlmRequest = {
      prompt: prompt.final,
      sampling: config.answerSampling[row.task_type],
    };
    if (config.constrained) request.structured = structuredFor(row);
    const t = performance.now();
    const answer = await callModel(deps.llm, request, deps.signal);
    record.timings.answerMs = performance.now() - t;
    record.answer = answer;
    record.response = answer.text;
    answered();

    stage = 'score';
    const scored = await scoreAnswer(index, row, answer.text, deps);
    record.parsed = scored.parsed;
    record.score = scored.score;
    record.dtype = scored.dtype;
    record.warnings = scored.warnings;
    // Answered but not scorable here (e.g. no embedding model): the reason travels with the record.
    if (scored.error) record.error = { stage: 'score', message: scored.error };
    record.status = 'ok';
  } catch (err) {
    if (deps.signal?.aborted) return undefined;
    record.error = { stage, message: err instanceof Error ? err.message : String(err) };
    if (err instanceof LlmError) record.error.attempts = err.attempts;
    if (err instanceof EndpointDownError) record.error.endpointDown = true;
  }
  record.timings.totalMs = performance.now() - started;
  return record;
}

async function callModel(
  client: LlmClient,
  request: LlmRequest,
  signal?: AbortSignal,
): Promise<CallRecord> {
  const response = await client.complete(request, signal);
  return {
    model: client.label,
    prompt: request.prompt,
    text: response.text,
    usage: response.usage,
    cached: response.cached,
    attempts: response.attempts,
    latencyMs: response.latencyMs,
  };
}

/** vLLM structured outputs: the option numbers for multiple choice, a number list for ranking and retrieval. */
export function structuredFor(row: ShopBenchRow): StructuredOutput | undefined {
  const options = findNumberedOptions(row.input_field);
  if (row.task_type === 'multiple-choice' && options.length > 0)
    return { choice: options.map((o) => String(o.number)) };
  // A one-digit class only expresses lists of up to 9 items; longer ones go unconstrained rather than wrongly constrained.
  if (row.task_type === 'ranking' && options.length > 0 && options.length <= 9)
    return { regex: `[1-${options.length}](, [1-${options.length}]){${options.length - 1}}` };
  if (row.task_type === 'retrieval' && options.length > 0)
    return { regex: '[0-9]{1,3}, [0-9]{1,3}, [0-9]{1,3}' };
  return undefined;
}

/** The paper's answer sampling: temperature 0, top_p 0.9, a fixed seed; 2 tokens for multiple choice, 70 otherwise. */
export function paperAnswerSampling(
  seed = 42,
): Record<TaskType, { temperature: number; top_p: number; max_tokens: number; seed: number }> {
  const base = { temperature: 0, top_p: 0.9, seed };
  return {
    'multiple-choice': { ...base, max_tokens: 2 },
    retrieval: { ...base, max_tokens: 70 },
    ranking: { ...base, max_tokens: 70 },
    generation: { ...base, max_tokens: 70 },
    named_entity_recognition: { ...base, max_tokens: 70 },
  };
}
