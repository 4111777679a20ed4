/**
 * Sentence-embedding loader for the "sent-transformer" metric (and later the pipeline).
 *
 * The official scorer calls `SentenceTransformer(model).encode(texts)`: tokenize (truncated to the
 * model's max_seq_length), run the transformer, pool the token vectors (mean pooling for the
 * models used here), optionally L2-normalise, return float32. This module reproduces that on
 * transformers.js + onnxruntime-node (CPU, fp32 ONNX export of the same weights).
 *
 * `model` is either a Hugging Face hub id (downloaded once into the model cache) or a folder on
 * disk (absolute or relative; loaded fully offline). transformers.js is imported lazily so code
 * that never embeds does not pay for loading onnxruntime.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FeatureExtractionPipeline, ProgressInfo, Tensor } from '@huggingface/transformers';
import { NativePartError } from '../native/nativePart';
import { expandHome, looksLikePath, modelName, type ModelSource } from './modelSource';

type Transformers = typeof import('@huggingface/transformers');

// The default models are settings the extension shows too: their home is the protocol.
export { DEFAULT_EMBED_MODEL, DEFAULT_MULTILINGUAL_EMBED_MODEL } from '../protocol/settings';

/** Files a local model folder must hold for transformers.js to load and run it on the CPU. */
export const REQUIRED_MODEL_FILES: readonly string[] = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/model.onnx',
];

/** Where the model is named differs by caller, so the hint names each place. */
const LOCAL_COPY_HINT = `give a folder with a local copy (${REQUIRED_MODEL_FILES.join(', ')}) instead: mcpo score --embed-model, mcpo run --embed-model (M_V) or --scoring-embed-model, or the mcpo.* model settings in VS Code`;

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

/** transformers.js load events; `file` is '' for the aggregate 'progress_total' and 'ready'. */
export interface EmbedLoadProgress {
  file: string;
  loaded: number;
  total: number;
  status: string;
}

export interface LoadEmbedderOptions {
  /** Where hub models are downloaded; default `defaultModelCacheDir()`. */
  cacheDir?: string;
  onProgress?: (p: EmbedLoadProgress) => void;
  /** Allow downloads from the hub (default true). A cached hub model still loads when false. */
  allowRemote?: boolean;
}

/** `$MCPO_MODEL_CACHE`, else `~/.cache/mcpo/models` (on Windows `%USERPROFILE%\.cache\mcpo\models`). */
export function defaultModelCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  home: string = os.homedir(),
  paths: path.PlatformPath = path,
): string {
  const fromEnv = env.MCPO_MODEL_CACHE;
  return fromEnv && fromEnv.length > 0 ? fromEnv : paths.join(home, '.cache', 'mcpo', 'models');
}

// ---------------------------------------------------------------------------------------------
// What sentence-transformers does after the transformer: pooling, normalisation, truncation
// ---------------------------------------------------------------------------------------------

type Pooling = 'mean' | 'cls';

interface SentenceSettings {
  pooling: Pooling;
  /** True when the model's module list ends in a Normalize module. */
  normalize: boolean;
  /** sentence_bert_config.json max_seq_length; undefined = the tokenizer's own limit. */
  maxSeqLength: number | undefined;
  /** sentence_bert_config.json do_lower_case: sentence-transformers lower-cases the text itself. */
  lowercase: boolean;
  /** config_sentence_transformers.json `prompts` and `default_prompt_name`. */
  prompts: Record<string, string>;
  defaultPromptName?: string;
}

const DEFAULT_SETTINGS: SentenceSettings = {
  pooling: 'mean',
  normalize: false,
  maxSeqLength: undefined,
  lowercase: false,
  prompts: {},
};

/**
 * The sentence-transformers configs of the default models (modules.json, sentence_bert_config.json
 * of sentence-transformers/all-MiniLM-L6-v2 and paraphrase-multilingual-MiniLM-L12-v2). The Xenova
 * ONNX conversions are not guaranteed to carry those files, and the tokenizer's own limit (512) is
 * longer than what the official encoder keeps, so the values are pinned here. The paper's M_V,
 * Snowflake/snowflake-arctic-embed-m, is pinned too (CLS pooling, Normalize, 512, its query
 * prompt) so the reference's similarity holds even where its config files cannot be fetched.
 */
const KNOWN_SETTINGS: Readonly<Record<string, SentenceSettings>> = {
  'all-MiniLM-L6-v2': {
    pooling: 'mean',
    normalize: true,
    maxSeqLength: 256,
    lowercase: false,
    prompts: {},
  },
  'paraphrase-multilingual-MiniLM-L12-v2': {
    pooling: 'mean',
    normalize: false,
    maxSeqLength: 128,
    lowercase: false,
    prompts: {},
  },
  'snowflake-arctic-embed-m': {
    pooling: 'cls',
    normalize: true,
    maxSeqLength: 512,
    lowercase: false,
    prompts: { query: 'Represent this sentence for searching relevant passages: ' },
  },
};

/** The paper's M_V (reference process_similarity). */
export const PAPER_EMBED_MODEL = 'Snowflake/snowflake-arctic-embed-m';

/** Known settings by the last path segment, so a local copy named like the hub repo also matches. */
function knownSettings(model: string): SentenceSettings | undefined {
  const name = modelName(model);
  return Object.hasOwn(KNOWN_SETTINGS, name) ? KNOWN_SETTINGS[name] : undefined;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface ModuleEntry {
  type: string;
  path: string;
}

function readModules(folder: string): ModuleEntry[] | undefined {
  const raw = readJson(path.join(folder, 'modules.json'));
  if (!Array.isArray(raw)) return undefined;
  return raw
    .filter(isRecord)
    .map((m) => ({ type: String(m.type ?? ''), path: String(m.path ?? '') }));
}

function poolingFromConfig(folder: string, modulePath: string): Pooling {
  const config = readJson(path.join(folder, modulePath, 'config.json'));
  if (!isRecord(config) || config.pooling_mode_mean_tokens === true) return 'mean';
  if (config.pooling_mode_cls_token === true) return 'cls';
  throw new Error(
    `unsupported pooling in ${path.join(modulePath, 'config.json')} (only mean and CLS pooling are implemented)`,
  );
}

/** config_sentence_transformers.json: the named prompts and the default prompt's name. */
function promptSettings(folder: string): Pick<SentenceSettings, 'prompts' | 'defaultPromptName'> {
  const config = readJson(path.join(folder, 'config_sentence_transformers.json'));
  if (!isRecord(config)) return { prompts: {} };
  const prompts: Record<string, string> = {};
  if (isRecord(config.prompts))
    for (const [name, text] of Object.entries(config.prompts))
      if (typeof text === 'string') prompts[name] = text;
  const name = config.default_prompt_name;
  if (typeof name === 'string' && !Object.hasOwn(prompts, name))
    throw new Error(
      `config_sentence_transformers.json names default_prompt_name "${name}", which is not one of its prompts (${Object.keys(prompts).join(', ') || 'none'})`,
    );
  return typeof name === 'string' ? { prompts, defaultPromptName: name } : { prompts };
}

/** A local folder's sentence-transformers files, falling back to known models, then defaults. */
function localSettings(folder: string): SentenceSettings {
  const modules = readModules(folder);
  const stConfig = readJson(path.join(folder, 'sentence_bert_config.json'));
  const prompts = promptSettings(folder);
  if (!modules && !isRecord(stConfig)) {
    const known = knownSettings(folder) ?? DEFAULT_SETTINGS;
    return Object.keys(prompts.prompts).length > 0 ? { ...known, ...prompts } : known;
  }
  const poolingModule = modules?.find((m) => m.type.endsWith('.Pooling'));
  const maxSeq = isRecord(stConfig) ? stConfig.max_seq_length : undefined;
  return {
    pooling: poolingModule ? poolingFromConfig(folder, poolingModule.path) : 'mean',
    normalize: modules?.some((m) => m.type.endsWith('.Normalize')) ?? false,
    maxSeqLength: typeof maxSeq === 'number' && maxSeq > 0 ? maxSeq : undefined,
    lowercase: isRecord(stConfig) && stConfig.do_lower_case === true,
    ...prompts,
  };
}

/** The sentence-transformers files fetched next to a hub model's cached files. */
const SENTENCE_FILES = [
  'modules.json',
  'sentence_bert_config.json',
  'config_sentence_transformers.json',
];

/**
 * A hub model's sentence-transformers settings: pinned ones for known models, else its own
 * modules.json / pooling / prompts files, fetched into the model cache next to the files
 * transformers.js downloaded (a file the repo does not have is simply absent).
 */
async function hubSettings(
  t: Transformers,
  id: string,
  options: LoadEmbedderOptions,
): Promise<SentenceSettings> {
  const known = knownSettings(id);
  if (known) return known;
  const folder = path.join(options.cacheDir ?? defaultModelCacheDir(), id);
  const fetchFile = async (file: string): Promise<void> => {
    const target = path.join(folder, file);
    if (fs.existsSync(target) || options.allowRemote === false) return;
    const url = `${t.env.remoteHost.replace(/\/+$/, '')}/${id}/resolve/main/${file}`;
    const response = await fetch(url).catch(() => undefined);
    if (!response?.ok) return;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, Buffer.from(await response.arrayBuffer()));
  };
  await Promise.all(SENTENCE_FILES.map(fetchFile));
  const pooling = readModules(folder)?.find((m) => m.type.endsWith('.Pooling'));
  if (pooling) await fetchFile(path.join(pooling.path, 'config.json'));
  return localSettings(folder);
}

// ---------------------------------------------------------------------------------------------
// Model location
// ---------------------------------------------------------------------------------------------

/** An existing folder wins (even if it also looks like a hub id); otherwise a hub id. */
function resolveSource(model: string): ModelSource {
  const candidate = path.resolve(expandHome(model));
  if (fs.existsSync(candidate) && fs.statSync(candidate).isDirectory())
    return { kind: 'folder', folder: candidate };
  if (looksLikePath(model)) throw loadError(model, `folder ${candidate} does not exist`);
  return { kind: 'hub', id: model };
}

function loadError(model: string, reason: string, cause?: unknown): Error {
  // No local copy helps when the runtime itself cannot load: say what still works instead.
  const next =
    cause instanceof NativePartError ? `${cause.instead}.` : `To fix: ${LOCAL_COPY_HINT}.`;
  return new Error(`Could not load embedding model "${model}": ${reason}. ${next}`, { cause });
}

function checkFolder(folder: string): void {
  const missing = REQUIRED_MODEL_FILES.filter((f) => !fs.existsSync(path.join(folder, f)));
  if (missing.length > 0) throw loadError(folder, `missing ${missing.join(', ')} in ${folder}`);
}

/** The first line of an error, trimmed to a readable length. */
function shortReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n')[0].trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

// ---------------------------------------------------------------------------------------------
// transformers.js loading
// ---------------------------------------------------------------------------------------------

const importRealTransformers = (): Promise<Transformers> => import('@huggingface/transformers');
let importTransformersModule = importRealTransformers;
let transformersModule: Promise<Transformers> | undefined;

/**
 * Lazy, once per process: onnxruntime-node is only loaded by code that embeds. transformers.js
 * loads onnxruntime's binary as it is imported, so a machine without a working one fails here,
 * with a NativePartError.
 */
function importTransformers(): Promise<Transformers> {
  transformersModule ??= importTransformersModule().catch((err: unknown) => {
    throw new NativePartError('onnxruntime', err);
  });
  return transformersModule;
}

/**
 * Replaces how transformers.js is imported (none: the real package). Tests use it to play a
 * machine whose onnxruntime binary cannot load; models already loaded are kept.
 */
export function setTransformersImport(load?: () => Promise<Transformers>): void {
  importTransformersModule = load ?? importRealTransformers;
  transformersModule = undefined;
}

/**
 * transformers.js reads download/offline settings from its global `env`, and some of its lookups
 * ignore per-call options (e.g. the pipeline's file listing uses `env.cacheDir`), so each load sets
 * `env` and restores it after. Loads are serialised so two loads never see each other's settings.
 */
let loadQueue: Promise<unknown> = Promise.resolve();

function serialized<T>(task: () => Promise<T>): Promise<T> {
  const run = loadQueue.then(task, task);
  loadQueue = run.catch(() => undefined);
  return run;
}

interface EnvSettings {
  allowRemoteModels: boolean;
  allowLocalModels: boolean;
  cacheDir: string | null;
}

async function withEnv<T>(
  t: Transformers,
  settings: EnvSettings,
  task: () => Promise<T>,
): Promise<T> {
  const saved: EnvSettings = {
    allowRemoteModels: t.env.allowRemoteModels,
    allowLocalModels: t.env.allowLocalModels,
    cacheDir: t.env.cacheDir,
  };
  Object.assign(t.env, settings);
  try {
    return await task();
  } finally {
    Object.assign(t.env, saved);
  }
}

function progressAdapter(
  onProgress: LoadEmbedderOptions['onProgress'],
): ((p: ProgressInfo) => void) | undefined {
  if (!onProgress) return undefined;
  return (p) => {
    onProgress({
      file: 'file' in p ? p.file : '',
      loaded: 'loaded' in p ? p.loaded : 0,
      total: 'total' in p ? p.total : 0,
      status: p.status,
    });
  };
}

async function createPipeline(
  source: ModelSource,
  options: LoadEmbedderOptions,
): Promise<FeatureExtractionPipeline> {
  const t = await importTransformers();
  const cacheDir = options.cacheDir ?? defaultModelCacheDir();
  const offline = source.kind === 'folder' || options.allowRemote === false;
  // A folder is loaded by absolute path with remote access off: transformers.js then reads the
  // files directly (local_files_only alone still lets some lookups go to the hub).
  const modelRef = source.kind === 'folder' ? source.folder : source.id;
  return withEnv(t, { allowRemoteModels: !offline, allowLocalModels: true, cacheDir }, () =>
    t.pipeline('feature-extraction', modelRef, {
      cache_dir: cacheDir,
      device: 'cpu',
      dtype: 'fp32',
      progress_callback: progressAdapter(options.onProgress),
    }),
  );
}

function hubFailureReason(error: unknown, options: LoadEmbedderOptions): string {
  if (error instanceof NativePartError) return error.message;
  const cacheDir = options.cacheDir ?? defaultModelCacheDir();
  // A plain "file not found" from transformers.js names an internal path; our wording is clearer.
  const notFound = error instanceof Error && error.name === 'ModelFileNotFoundError';
  if (options.allowRemote === false) {
    const detail = notFound ? '' : ` (${shortReason(error)})`;
    return `it is not in the model cache ${cacheDir} and remote downloads are disabled${detail}`;
  }
  if (notFound) return `the hub has no such model or file (${shortReason(error)})`;
  return `download into ${cacheDir} failed, no network access to the Hugging Face hub? (${shortReason(error)})`;
}

// ---------------------------------------------------------------------------------------------
// Pooling (float32 results, as SentenceTransformer.encode returns)
// ---------------------------------------------------------------------------------------------

interface ModelOutputs {
  last_hidden_state?: Tensor;
}

function floatData(tensor: Tensor): Float32Array {
  if (!(tensor.data instanceof Float32Array))
    throw new Error(`expected float32 hidden states, got ${tensor.type}`);
  return tensor.data;
}

function maskValues(mask: Tensor): number[] {
  return Array.from(mask.data as ArrayLike<number | bigint>, (x) => Number(x));
}

/** sentence-transformers mean pooling: sum of attended token vectors / max(count, 1e-9). */
function meanPool(
  hidden: Float32Array,
  mask: number[],
  row: number,
  seq: number,
  dim: number,
): Float64Array {
  const out = new Float64Array(dim);
  let count = 0;
  for (let s = 0; s < seq; s++) {
    const m = mask[row * seq + s];
    if (m === 0) continue;
    count += m;
    const base = (row * seq + s) * dim;
    for (let d = 0; d < dim; d++) out[d] += hidden[base + d] * m;
  }
  const denom = Math.max(count, 1e-9);
  for (let d = 0; d < dim; d++) out[d] /= denom;
  return out;
}

function clsPool(hidden: Float32Array, row: number, seq: number, dim: number): Float64Array {
  const base = row * seq * dim;
  return Float64Array.from(hidden.subarray(base, base + dim));
}

/** torch.nn.functional.normalize: x / max(||x||, 1e-12). */
function l2Normalize(v: Float64Array): Float64Array {
  let sq = 0;
  for (const x of v) sq += x * x;
  const norm = Math.max(Math.sqrt(sq), 1e-12);
  return v.map((x) => x / norm);
}

function poolBatch(
  outputs: ModelOutputs,
  attentionMask: Tensor,
  settings: SentenceSettings,
): Float32Array[] {
  const hiddenState = outputs.last_hidden_state;
  if (!hiddenState) throw new Error('the model returned no last_hidden_state');
  const [batch, seq, dim] = hiddenState.dims;
  const hidden = floatData(hiddenState);
  const mask = maskValues(attentionMask);
  const vectors: Float32Array[] = [];
  for (let row = 0; row < batch; row++) {
    const pooled =
      settings.pooling === 'cls'
        ? clsPool(hidden, row, seq, dim)
        : meanPool(hidden, mask, row, seq, dim);
    vectors.push(Float32Array.from(settings.normalize ? l2Normalize(pooled) : pooled));
  }
  return vectors;
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

async function loadModel(source: ModelSource, options: LoadEmbedderOptions): Promise<LoadedModel> {
  if (source.kind === 'folder') {
    checkFolder(source.folder);
    try {
      const settings = localSettings(source.folder);
      return { pipe: await serialized(() => createPipeline(source, options)), settings };
    } catch (error) {
      throw loadError(source.folder, shortReason(error), error);
    }
  }
  let pipe: FeatureExtractionPipeline;
  try {
    pipe = await serialized(() => createPipeline(source, options));
  } catch (error) {
    throw loadError(source.id, hubFailureReason(error, options), error);
  }
  try {
    return { pipe, settings: await hubSettings(await importTransformers(), source.id, options) };
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
