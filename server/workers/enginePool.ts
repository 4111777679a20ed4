/**
 * The main thread's side of the engine worker (engineWorker.ts): scoring and embedding go to a
 * worker thread, so HTTP requests, record writes and the editor's requests never wait behind
 * them. The CLI, the language server and the bench all score and embed through here.
 *
 * Piscina runs the pool (a task queue over worker_threads, abortable tasks, a crashed worker
 * replaced, transfer lists); one thread by default: on the 2-core machines this targets, the
 * main thread and one worker fill the cores, and every extra thread would load its own copy of
 * the models. MCPO_WORKER_THREADS overrides it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import type { Embedder } from '../embed/embedder';
import { ScoringError, scoredRow, type SampleInput, type SampleScore } from '../scoring/evaluate';
import { scoreAroundUnloadableModels } from '../scoring/unloadableModels';
import { UserError } from '../userError';
import type { ModelProgress, ScorerWarmUp, ScoringModels, WorkerReply, WorkerTask } from './tasks';

/** The worker's file name: dist/engineWorker.js beside the bundles, out/server/workers/ in tests. */
export const ENGINE_WORKER_FILE = 'engineWorker.js';

/** Where the worker's entry is: next to this module's code, bundled (dist/) or not (out/). */
export function engineWorkerPath(dir: string = __dirname): string {
  return path.join(dir, ENGINE_WORKER_FILE);
}

function workerThreads(): number {
  const fromEnv = Number(process.env.MCPO_WORKER_THREADS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 1;
}

let pool: Piscina<WorkerTask, WorkerReply> | undefined;

function enginePool(): Piscina<WorkerTask, WorkerReply> {
  if (!pool) {
    const filename = engineWorkerPath();
    if (!fs.existsSync(filename))
      throw new Error(`the engine worker ${filename} is missing from this build`);
    const threads = workerThreads();
    // Several tasks per thread: while one awaits a model load (onnxruntime loads off-thread),
    // the others (a BLEU score, an M_V batch whose model is loaded) run.
    // Required here, not at the top: a run answered and scored from the caches (and every
    // command that scores nothing) never starts the pool, and need not load piscina either.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Piscina: Pool } = require('piscina') as typeof import('piscina');
    pool = new Pool({
      filename,
      minThreads: threads,
      maxThreads: threads,
      concurrentTasksPerWorker: 8,
      // Piscina times every task into histograms (run and wait time) that nothing here reads:
      // off, that is main-thread work saved on each of a run's hand-offs.
      recordTiming: false,
    });
  }
  return pool;
}

/** Stops the worker threads (models loaded there are freed); the next task starts new ones. */
export async function closeEnginePool(): Promise<void> {
  const closing = pool;
  pool = undefined;
  await closing?.destroy();
}

async function perform(
  task: WorkerTask,
  onProgress?: (p: ModelProgress) => void,
  signal?: AbortSignal,
): Promise<WorkerReply> {
  let channel: MessageChannel | undefined;
  if (onProgress) {
    channel = new MessageChannel();
    channel.port1.on('message', onProgress);
    task = { ...task, progress: channel.port2 };
  }
  try {
    const reply = await enginePool().run(task, {
      transferList: channel ? [channel.port2] : undefined,
      signal,
    });
    if (reply.kind === 'userError')
      throw reply.name === 'ScoringError'
        ? new ScoringError(reply.message)
        : new UserError(reply.message);
    return reply;
  } finally {
    channel?.port1.close();
  }
}

function unexpected(reply: WorkerReply): never {
  throw new Error(`the engine worker answered ${reply.kind} to the wrong request`);
}

/** `scoreSamples` in the worker, with the sent-transformer models named by `models`. */
export async function scoreInWorker(
  samples: SampleInput[],
  models: ScoringModels = {},
  onProgress?: (p: ModelProgress) => void,
): Promise<SampleScore[]> {
  // A model known not to load fails here: no worker starts (and loads transformers.js) for it.
  return scoreAroundUnloadableModels(samples, models, async (rest) => {
    const reply = await perform(
      {
        kind: 'score',
        samples: rest.map(({ index, row, response }) => ({ index, row: scoredRow(row), response })),
        models,
      },
      onProgress,
    );
    return reply.kind === 'scores' ? reply.scores : unexpected(reply);
  });
}

/**
 * Loads the scorers in the worker now, so the first jp-bleu or sent-transformer answer (perhaps
 * in a run's last wave) does not wait for them. A scorer that fails to load fails again, with
 * its reason, on the answers that need it; here the failure is only a missed head start.
 */
export async function warmScorersInWorker(scorers: ScorerWarmUp): Promise<void> {
  if (!scorers.japanese && scorers.embeddingMetrics.length === 0) return;
  try {
    await perform({ kind: 'warmScorers', scorers });
  } catch {
    // Reported by the scoring that needs the scorer.
  }
}

/**
 * A vector model (M_V) loaded in the worker, behind the same `Embedder` interface as
 * `loadEmbedder`: load errors surface here, embedding runs off the main thread.
 */
export async function loadWorkerEmbedder(
  model: string,
  onProgress?: (p: ModelProgress) => void,
): Promise<Embedder> {
  const loaded = await perform({ kind: 'loadVectorModel', model }, onProgress);
  if (loaded.kind !== 'loaded') unexpected(loaded);
  return {
    modelId: loaded.modelId,
    prompts: loaded.prompts,
    defaultPromptName: loaded.defaultPromptName,
    async embed(texts, options) {
      const reply = await perform({
        kind: 'embed',
        model,
        texts: [...texts],
        ...(options?.prompt !== undefined ? { prompt: options.prompt } : {}),
      });
      return reply.kind === 'vectors' ? reply.vectors : unexpected(reply);
    },
    // The worker keeps the model for later runs; closeEnginePool frees it.
    dispose: async () => undefined,
  };
}
