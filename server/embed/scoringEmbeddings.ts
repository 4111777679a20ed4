/**
 * The embedding models behind the sent-transformer metrics, loaded on first use only (a dataset
 * without such rows never loads one) and fed in bounded batches.
 */
import type { EmbeddingSource } from '../scoring/evaluate';
import { defaultModelCacheDir } from '../models/modelCache';
import {
  DEFAULT_EMBED_MODEL,
  DEFAULT_MULTILINGUAL_EMBED_MODEL,
  loadEmbedder,
  type Embedder,
} from './embedder';
import { modelOnDisk } from './modelSource';
import type { EmbedLoadProgress } from './transformersRuntime';
import type { ScoringModels } from '../workers/tasks';

/** Texts per forward pass: one pass over thousands of texts would hold gigabytes of activations. */
export const EMBED_BATCH = 32;

export interface ScoringEmbeddingOptions {
  embedModel?: string;
  multilingualEmbedModel?: string;
  /** Model download progress (hub models only). */
  onModelProgress?: (model: string, file: string, loaded: number, total: number) => void;
  /** Where hub models are downloaded; default `defaultModelCacheDir()`. */
  cacheDir?: string;
  /** Where downloads come from; default the Hugging Face hub. */
  remoteHost?: string;
}

/** The model a sent-transformer metric is scored with. */
export function scoringModel(metric: EmbeddingMetric, models: ScoringModels): string {
  return metric === 'sent-transformer'
    ? (models.embedModel ?? DEFAULT_EMBED_MODEL)
    : (models.multilingualEmbedModel ?? DEFAULT_MULTILINGUAL_EMBED_MODEL);
}

/** The metrics scored with an embedding model. */
export type EmbeddingMetric = Parameters<EmbeddingSource['embed']>[0];

/**
 * `attempt` once per model, its outcome reused, except that a failure is attempted again once
 * the model's files are all on disk where they were not before. Every row of a run would
 * otherwise retry a model that cannot be had; and the engine's worker lives as long as the
 * editor, so a model copied in (or downloaded by another process) scores the next rows without
 * a restart.
 */
export function memoUntilOnDisk<T>(
  cacheDir: string,
  attempt: (model: string) => Promise<T>,
): (model: string) => Promise<T> {
  const tries = new Map<string, { result: Promise<T>; onDisk: boolean; failed: boolean }>();
  return (model) => {
    const tried = tries.get(model);
    if (tried && !(tried.failed && !tried.onDisk && modelOnDisk(model, cacheDir)))
      return tried.result;
    const onDisk = modelOnDisk(model, cacheDir);
    const started = { result: attempt(model), onDisk, failed: false };
    started.result.catch(() => (started.failed = true));
    tries.set(model, started);
    return started.result;
  };
}

export function scoringEmbeddings(options: ScoringEmbeddingOptions): EmbeddingSource {
  const cacheDir = options.cacheDir ?? defaultModelCacheDir();
  const load = memoUntilOnDisk(cacheDir, (model) =>
    loadEmbedder(model, {
      cacheDir,
      remoteHost: options.remoteHost,
      onProgress: (p: EmbedLoadProgress) =>
        options.onModelProgress?.(model, p.file, p.loaded, p.total),
    }),
  );
  return {
    async embed(metric, texts) {
      return embedInBatches(await load(scoringModel(metric, options)), texts);
    },
  };
}

/** Embeds texts EMBED_BATCH at a time, in order (`prompt`: see Embedder.embed). */
export async function embedInBatches(
  embedder: Embedder,
  texts: readonly string[],
  options?: { prompt?: string },
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += EMBED_BATCH)
    out.push(...(await embedder.embed(texts.slice(i, i + EMBED_BATCH), options)));
  return out;
}
