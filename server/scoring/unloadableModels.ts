/**
 * Rows whose embedding model is known not to load are scored where they are (NOT SCORED, with
 * the reason the worker would give), not sent to the engine worker: starting it, and loading
 * transformers.js and onnxruntime there only to fail again, is most of a cached re-run's time
 * when its sent-transformer rows cannot be scored (no hub, no local copy). "Known" is what shows
 * without loading anything (see loadFailureFoundEarly); every other row goes to the worker.
 */
import { isEmbeddingMetric } from '../dataset/shopbench';
import { loadFailureFoundEarly } from '../embed/embedder';
import { memoUntilOnDisk, scoringModel, type EmbeddingMetric } from '../embed/scoringEmbeddings';
import { defaultModelCacheDir } from '../models/modelCache';
import type { ScoringModels } from '../workers/tasks';
import { scoreSamples, type EmbeddingSource, type SampleInput, type SampleScore } from './evaluate';

export interface UnloadableModelsOptions {
  /** Where hub models are cached; default `defaultModelCacheDir()`. */
  cacheDir?: string;
  /** Where downloads come from; default the Hugging Face hub. */
  remoteHost?: string;
}

/** Per process, as the worker's own loads: a verdict is checked again once the files appear. */
export function unloadableModels(
  options: UnloadableModelsOptions = {},
): (model: string) => Promise<Error | undefined> {
  const cacheDir = options.cacheDir ?? defaultModelCacheDir();
  const check = memoUntilOnDisk(cacheDir, async (model) => {
    const failure = await loadFailureFoundEarly(model, {
      cacheDir,
      remoteHost: options.remoteHost,
    });
    if (failure) throw failure;
  });
  return (model) =>
    check(model).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
}

let processWide: ReturnType<typeof unloadableModels> | undefined;

/**
 * `score(samples)`, except for rows whose embedding model is known not to load: those are
 * scored here, as unscored with that model's load error, and `score` gets the rest (if any).
 */
export async function scoreAroundUnloadableModels(
  samples: SampleInput[],
  models: ScoringModels,
  score: (samples: SampleInput[]) => Promise<SampleScore[]>,
  unloadable: (model: string) => Promise<Error | undefined> = (processWide ??= unloadableModels()),
): Promise<SampleScore[]> {
  const failures = new Map<EmbeddingMetric, Error>();
  const metrics = new Set(samples.map((s) => s.row.metric).filter(isEmbeddingMetric));
  await Promise.all(
    [...metrics].map(async (metric) => {
      const failure = await unloadable(scoringModel(metric, models));
      if (failure) failures.set(metric, failure);
    }),
  );
  if (failures.size === 0) return score(samples);
  const here = samples.filter((s) => failures.has(s.row.metric as EmbeddingMetric));
  const there = samples.filter((s) => !failures.has(s.row.metric as EmbeddingMetric));
  const failing: EmbeddingSource = {
    embed: (metric) => Promise.reject(failures.get(metric)!),
  };
  const scored = (
    await Promise.all([
      scoreSamples(here, { embeddings: failing }),
      there.length > 0 ? score(there) : [],
    ])
  ).flat();
  const byIndex = new Map(scored.map((s) => [s.index, s]));
  return samples.map((s) => byIndex.get(s.index)!);
}
