/**
 * Sentence embeddings as the official scorer computes them, for the "sent-transformer" metrics
 * and the pipeline's similarity hints (M_V).
 *
 * The official scorer calls `SentenceTransformer(model).encode(texts)`: tokenize (truncated to the
 * model's max_seq_length), run the transformer, pool the token vectors (mean pooling for the
 * models used here), optionally L2-normalise, return float32. This module reproduces that on
 * transformers.js + onnxruntime-node (CPU, fp32 ONNX export of the same weights); the model's
 * settings come from sentenceConfig.ts, pooling from pooling.ts, loading from
 * transformersRuntime.ts.
 *
 * `model` is either a Hugging Face hub id (downloaded once into the model cache) or a folder on
 * disk (absolute or relative; loaded fully offline; see modelSource.ts). Loaded models are
 * shared by every caller in the process.
 */
import type { FeatureExtractionPipeline } from '@huggingface/transformers';
import { defaultModelCacheDir } from '../models/modelCache';
import {
  checkFolder,
  loadError,
  missingModelFiles,
  resolveSource,
  shortReason,
  sourceFolder,
  type ModelSource,
} from './modelSource';
import { DEFAULT_REMOTE_HOST } from './hubReachable';
import { poolBatch, type ModelOutputs } from './pooling';
import { hubSettings, localSettings, type SentenceSettings } from './sentenceConfig';
import {
  createPipeline,
  downloadBlockedReason,
  hubFailureReason,
  type EmbedLoadProgress,
  type PipelineOptions,
} from './transformersRuntime';

// The default models are settings the extension shows too: their home is the protocol.
export { DEFAULT_EMBED_MODEL, DEFAULT_MULTILINGUAL_EMBED_MODEL } from '../protocol/settings';

/** The paper's M_V (reference process_similarity). */
export const PAPER_EMBED_MODEL = 'Snowflake/snowflake-arctic-embed-m';

export interface Embedder {
  readonly modelId: string;
  /** The model's named prompts (config_sentence_transformers.json `prompts`), e.g. { query: "Represent ..." }. */
  readonly prompts: Readonly<Record<string, string>>;
  /** config_sentence_transformers.json `default_prompt_name`: the prompt encode() uses when none is named. */
  readonly defaultPromptName?: string;
  /**
   * One float32 vector per text, in order; all texts go through the model in one batch. `prompt`
   * goes before every text (sentence-transformers' encode(prompt=...)); without it, the model's
   * default prompt, if it names one, as sentence-transformers does.
   */
  embed(texts: readonly string[], options?: { prompt?: string }): Promise<Float32Array[]>;
  /** Releases this handle; the model is freed when the last handle for it is disposed. */
  dispose(): Promise<void>;
}

export interface LoadEmbedderOptions {
  /** Where hub models are downloaded; default `defaultModelCacheDir()`. */
  cacheDir?: string;
  onProgress?: (p: EmbedLoadProgress) => void;
  /** Allow downloads from the hub (default true). A cached hub model still loads when false. */
  allowRemote?: boolean;
  /** Where downloads come from; default the Hugging Face hub (transformers.js's own default). */
  remoteHost?: string;
}

/**
 * One batched forward pass. The tokenizer and model are called directly rather than through the
 * pipeline's `_call` because the pipeline truncates at the tokenizer's limit (512 for MiniLM),
 * whereas sentence-transformers truncates at max_seq_length (256 / 128): long answers would
 * embed differently from the official scorer.
 */
async function embedTexts(
  pipe: FeatureExtractionPipeline,
  settings: SentenceSettings,
  texts: readonly string[],
  prompt?: string,
): Promise<Float32Array[]> {
  if (texts.length === 0) return [];
  const prefix =
    prompt ?? (settings.defaultPromptName ? settings.prompts[settings.defaultPromptName] : '');
  // sentence-transformers puts the prompt before the text, then lower-cases if the model says so.
  const prepared = texts.map((t) => (settings.lowercase ? (prefix + t).toLowerCase() : prefix + t));
  const inputs = pipe.tokenizer(prepared, {
    padding: true,
    truncation: true,
    max_length: settings.maxSeqLength ?? null,
  });
  const outputs: ModelOutputs = await pipe.model(inputs);
  return poolBatch(outputs, inputs.attention_mask, settings);
}

// ---------------------------------------------------------------------------------------------
// Public loader with per-process memoisation
// ---------------------------------------------------------------------------------------------

interface LoadedModel {
  pipe: FeatureExtractionPipeline;
  settings: SentenceSettings;
}

interface SharedModel {
  loaded: Promise<LoadedModel>;
  handles: number;
}

/** Loaded models by model id (absolute folder path for local models). */
const models = new Map<string, SharedModel>();

function pipelineOptions(options: LoadEmbedderOptions): PipelineOptions {
  return {
    cacheDir: options.cacheDir ?? defaultModelCacheDir(),
    allowRemote: options.allowRemote !== false,
    remoteHost: options.remoteHost,
    onProgress: options.onProgress,
  };
}

/**
 * A hub model that must be downloaded where no download can work (downloads disabled, the hub
 * unreachable) fails before transformers.js and onnxruntime load: a re-run whose scoring model
 * cannot be had then costs milliseconds, not half a second. Undefined: only a load can tell.
 */
async function hubFailureFoundEarly(
  id: string,
  pipeline: PipelineOptions,
): Promise<Error | undefined> {
  if (missingModelFiles(sourceFolder({ kind: 'hub', id }, pipeline.cacheDir)).length === 0)
    return undefined;
  const blocked = await downloadBlockedReason(pipeline);
  return blocked === undefined ? undefined : loadError(id, blocked);
}

/**
 * The error `loadEmbedder(model, options)` would end with, when it shows without loading
 * transformers.js (a folder that does not exist or lacks files, a hub model that is not in the
 * cache and cannot be downloaded); undefined when only loading the model can tell.
 */
export async function loadFailureFoundEarly(
  model: string,
  options: LoadEmbedderOptions = {},
): Promise<Error | undefined> {
  try {
    const source = resolveSource(model);
    if (source.kind === 'hub')
      return await hubFailureFoundEarly(source.id, pipelineOptions(options));
    checkFolder(source.folder);
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

async function loadModel(source: ModelSource, options: LoadEmbedderOptions): Promise<LoadedModel> {
  const pipeline = pipelineOptions(options);
  if (source.kind === 'folder') {
    checkFolder(source.folder);
    try {
      const settings = localSettings(source.folder);
      return { pipe: await createPipeline(source, pipeline), settings };
    } catch (error) {
      throw loadError(source.folder, shortReason(error), error);
    }
  }
  const early = await hubFailureFoundEarly(source.id, pipeline);
  if (early) throw early;
  let pipe: FeatureExtractionPipeline;
  try {
    pipe = await createPipeline(source, pipeline);
  } catch (error) {
    throw loadError(source.id, hubFailureReason(error, pipeline), error);
  }
  try {
    const settings = await hubSettings(
      pipeline.remoteHost ?? DEFAULT_REMOTE_HOST,
      source.id,
      pipeline.cacheDir,
      pipeline.allowRemote,
    );
    return { pipe, settings };
  } catch (error) {
    await pipe.dispose();
    throw loadError(source.id, shortReason(error), error);
  }
}

function makeHandle(modelId: string, shared: SharedModel, loaded: LoadedModel): Embedder {
  let disposed = false;
  return {
    modelId,
    prompts: loaded.settings.prompts,
    defaultPromptName: loaded.settings.defaultPromptName,
    async embed(texts, options) {
      if (disposed) throw new Error(`embedder for "${modelId}" was disposed`);
      return embedTexts(loaded.pipe, loaded.settings, texts, options?.prompt);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      shared.handles--;
      if (shared.handles === 0 && models.get(modelId) === shared) {
        models.delete(modelId);
        await loaded.pipe.dispose();
      }
    },
  };
}

/**
 * Loads (or reuses) a sentence-embedding model. Throws an Error naming the model, the reason and
 * the fix (a local folder via --embed-model) when it cannot be loaded.
 */
export async function loadEmbedder(
  model: string,
  options: LoadEmbedderOptions = {},
): Promise<Embedder> {
  const source = resolveSource(model);
  const modelId = source.kind === 'folder' ? source.folder : source.id;
  let shared = models.get(modelId);
  if (!shared) {
    const created: SharedModel = { loaded: loadModel(source, options), handles: 0 };
    models.set(modelId, created);
    // A failed load is forgotten so a later call (e.g. with a cache now filled) can retry.
    created.loaded.catch(() => {
      if (models.get(modelId) === created) models.delete(modelId);
    });
    shared = created;
  }
  shared.handles++;
  try {
    return makeHandle(modelId, shared, await shared.loaded);
  } catch (error) {
    shared.handles--;
    throw error;
  }
}

/**
 * The text put before a query when `embedder` embeds the query side: `choice` 'model' = the
 * model's "query" prompt (what the reference asks for with prompt_name="query"), else its default
 * prompt; 'none' = nothing (then the default prompt, if any, still applies as in encode()).
 */
export function queryPromptText(
  embedder: Pick<Embedder, 'prompts' | 'defaultPromptName'>,
  choice: 'model' | 'none' | { text: string },
): string | undefined {
  if (typeof choice === 'object') return choice.text;
  if (choice === 'none') return undefined;
  if (Object.hasOwn(embedder.prompts, 'query')) return embedder.prompts.query;
  return embedder.defaultPromptName ? embedder.prompts[embedder.defaultPromptName] : undefined;
}
