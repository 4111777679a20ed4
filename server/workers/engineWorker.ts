/**
 * The engine's worker thread: the CPU-bound work (scoring with the official parsers and metrics,
 * the Japanese tokenizer's Viterbi, embedding models: tokenizer and onnxruntime) runs here so the
 * main thread only sends requests, writes records and answers the editor.
 *
 * Models are loaded on the first task that needs them and kept for the thread's lifetime; the
 * Japanese dictionary comes from its compact cache (see japaneseDictionary.ts).
 */
import type { MessagePort } from 'node:worker_threads';
import { loadEmbedder, type Embedder } from '../embed/embedder';
import { embedInBatches, scoringEmbeddings } from '../embed/scoringEmbeddings';
import { scoreSamples, type EmbeddingSource } from '../scoring/evaluate';
import { loadJapaneseTokenizer } from '../scoring/official/japaneseTokenizer';
import { UserError } from '../userError';
import type { ModelProgress, ScoringModels, WorkerReply, WorkerTask } from './tasks';
import { lowerThisThreadsPriority, workerNiceness } from './threadPriority';

lowerThisThreadsPriority(workerNiceness());

const scoringSources = new Map<string, EmbeddingSource>();
const vectorModels = new Map<string, Promise<Embedder>>();

function progressTo(port: MessagePort | undefined): ((p: ModelProgress) => void) | undefined {
  return port ? (p) => port.postMessage(p) : undefined;
}

function scoringSource(models: ScoringModels, port: MessagePort | undefined): EmbeddingSource {
  const key = JSON.stringify([models.embedModel ?? null, models.multilingualEmbedModel ?? null]);
  let source = scoringSources.get(key);
  if (!source) {
    // Progress goes to whoever asked first; later tasks reuse the loaded model.
    const onProgress = progressTo(port);
    source = scoringEmbeddings({
      ...models,
      onModelProgress: onProgress
        ? (model, file, loaded, total) => onProgress({ model, file, loaded, total })
        : undefined,
    });
    scoringSources.set(key, source);
  }
  return source;
}

function vectorModel(model: string): Promise<Embedder> {
  let loaded = vectorModels.get(model);
  if (!loaded) {
    loaded = loadEmbedder(model);
    vectorModels.set(model, loaded);
    // A failed load is forgotten so a later task can retry.
    loaded.catch(() => vectorModels.delete(model));
  }
  return loaded;
}

async function perform(task: WorkerTask): Promise<WorkerReply> {
  switch (task.kind) {
    case 'score':
      return {
        kind: 'scores',
        scores: await scoreSamples(task.samples, {
          embeddings: scoringSource(task.models, task.progress),
          japaneseTokenizer: loadJapaneseTokenizer,
        }),
      };
    case 'loadVectorModel': {
      const m = await vectorModel(task.model);
      return {
        kind: 'loaded',
        modelId: m.modelId,
        prompts: { ...m.prompts },
        ...(m.defaultPromptName !== undefined ? { defaultPromptName: m.defaultPromptName } : {}),
      };
    }
    case 'warmScorers': {
      const { japanese, embeddingMetrics, models } = task.scorers;
      const source = scoringSource(models, task.progress);
      // One short text per model: loading the weights alone leaves onnxruntime's first run cold.
      await Promise.all([
        japanese ? loadJapaneseTokenizer() : undefined,
        ...embeddingMetrics.map((metric) => source.embed(metric, ['warm up'])),
      ]);
      return { kind: 'warmed' };
    }
    case 'embed':
      return {
        kind: 'vectors',
        vectors: await embedInBatches(await vectorModel(task.model), task.texts, {
          prompt: task.prompt,
        }),
      };
  }
}

/** Piscina's entry point. A user error crosses the thread boundary as data so its class survives. */
export default async function run(task: WorkerTask): Promise<WorkerReply> {
  try {
    return await perform(task);
  } catch (err) {
    if (err instanceof UserError)
      return { kind: 'userError', name: err.constructor.name, message: err.message };
    throw err;
  } finally {
    task.progress?.close();
  }
}
