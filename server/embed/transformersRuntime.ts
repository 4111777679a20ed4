/**
 * transformers.js (and onnxruntime-node under it) as the embedder uses it: imported lazily, once
 * per process, and its global download settings (`env`) set for each load and restored after.
 */
import type { FeatureExtractionPipeline, ProgressInfo } from '@huggingface/transformers';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultModelCacheDir } from '../models/modelCache';
import { NativePartError } from '../native/nativePart';
import { requireWithCodeCache } from '../util/requireWithCodeCache';
import { DEFAULT_REMOTE_HOST, hubUnreachableReason } from './hubReachable';
import { leanModelFolder } from './leanWeights';
import { missingModelFiles, shortReason, sourceFolder, type ModelSource } from './modelSource';

type Transformers = typeof import('@huggingface/transformers');

/** transformers.js load events; `file` is '' for the aggregate 'progress_total' and 'ready'. */
export interface EmbedLoadProgress {
  file: string;
  loaded: number;
  total: number;
  status: string;
}

/**
 * The built engine (dist/) ships transformers.js bundled beside it as one minified CommonJS file
 * without sharp (package.json build:cli), loaded with a V8 code cache in the model cache folder:
 * about 0.3 s less CPU per process than importing the package's ES module, which the first
 * answers of a run share the cores with. Run from sources (the unit tests), it is the package.
 */
const BUNDLED_TRANSFORMERS = path.join(__dirname, 'transformers.js');

async function importRealTransformers(): Promise<Transformers> {
  if (!fs.existsSync(BUNDLED_TRANSFORMERS)) return import('@huggingface/transformers');
  const cacheDir = path.join(defaultModelCacheDir(), 'code-cache');
  return requireWithCodeCache(BUNDLED_TRANSFORMERS, cacheDir).exports as Transformers;
}

let importTransformersModule = importRealTransformers;
let transformersModule: Promise<Transformers> | undefined;

/**
 * Lazy, once per process: onnxruntime-node is only loaded by code that embeds. transformers.js
 * loads onnxruntime's binary as it is imported, so a machine without a working one fails here,
 * with a NativePartError.
 */
export function importTransformers(): Promise<Transformers> {
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
  remoteHost: string;
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
    remoteHost: t.env.remoteHost,
  };
  Object.assign(t.env, settings);
  try {
    return await task();
  } finally {
    Object.assign(t.env, saved);
  }
}

function progressAdapter(
  onProgress: ((p: EmbedLoadProgress) => void) | undefined,
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

export interface PipelineOptions {
  /** Where hub models are downloaded. */
  cacheDir: string;
  /** Allow downloads from the hub. A cached hub model still loads without. */
  allowRemote: boolean;
  /** Where downloads come from (transformers.js's `env.remoteHost`); default the Hugging Face hub. */
  remoteHost?: string;
  onProgress?: (p: EmbedLoadProgress) => void;
}

/** The feature-extraction pipeline of a folder or a hub model, on the CPU in fp32. */
export async function createPipeline(
  source: ModelSource,
  options: PipelineOptions,
): Promise<FeatureExtractionPipeline> {
  const t = await importTransformers();
  const { cacheDir } = options;
  // A model on disk loads from its lean mirror (weights in their own file: see leanWeights.ts);
  // if that fails for any reason, from its own files, as before.
  const folder = sourceFolder(source, cacheDir);
  const onDisk = source.kind === 'folder' || missingModelFiles(folder).length === 0;
  const lean = onDisk ? leanModelFolder(folder, cacheDir) : undefined;
  if (lean !== undefined) {
    try {
      return await loadPipeline(t, { kind: 'folder', folder: lean }, options);
    } catch {
      // The model's own files decide what the user sees.
    }
  }
  return loadPipeline(t, source, options);
}

async function loadPipeline(
  t: Transformers,
  source: ModelSource,
  options: PipelineOptions,
): Promise<FeatureExtractionPipeline> {
  const { cacheDir, remoteHost = DEFAULT_REMOTE_HOST } = options;
  const offline = source.kind === 'folder' || !options.allowRemote;
  // A folder is loaded by absolute path with remote access off: transformers.js then reads the
  // files directly (local_files_only alone still lets some lookups go to the hub).
  const modelRef = source.kind === 'folder' ? source.folder : source.id;
  return serialized(() =>
    withEnv(t, { allowRemoteModels: !offline, allowLocalModels: true, cacheDir, remoteHost }, () =>
      t.pipeline('feature-extraction', modelRef, {
        cache_dir: cacheDir,
        device: 'cpu',
        dtype: 'fp32',
        progress_callback: progressAdapter(options.onProgress),
      }),
    ),
  );
}

/** Why a hub model did not load, in words a user can act on. */
export function hubFailureReason(error: unknown, options: PipelineOptions): string {
  if (error instanceof NativePartError) return error.message;
  // A plain "file not found" from transformers.js names an internal path; our wording is clearer.
  const notFound = error instanceof Error && error.name === 'ModelFileNotFoundError';
  if (!options.allowRemote) return notCachedReason(options, notFound ? '' : shortReason(error));
  if (notFound) return `the hub has no such model or file (${shortReason(error)})`;
  return noHubReason(options, shortReason(error));
}

function notCachedReason(options: PipelineOptions, detail: string): string {
  const why = detail === '' ? '' : ` (${detail})`;
  return `it is not in the model cache ${options.cacheDir} and remote downloads are disabled${why}`;
}

function noHubReason(options: PipelineOptions, detail: string): string {
  return `download into ${options.cacheDir} failed, no network access to the Hugging Face hub? (${detail})`;
}

/**
 * Why a hub model that is not in the model cache cannot be downloaded, found out without loading
 * transformers.js (downloads disabled, or the hub cannot be reached); undefined when a download
 * may work, and then only transformers.js can tell.
 */
export async function downloadBlockedReason(options: PipelineOptions): Promise<string | undefined> {
  // Without a runtime no download would help: the import says so (NativePartError), not the hub.
  if (!onnxruntimeBuildPresent()) return undefined;
  if (!options.allowRemote) return notCachedReason(options, '');
  const unreachable = await hubUnreachableReason(options.remoteHost ?? DEFAULT_REMOTE_HOST);
  return unreachable === undefined ? undefined : noHubReason(options, unreachable);
}

/**
 * onnxruntime-node ships its binary per OS and CPU (bin/napi-vN/<platform>/<arch>/); false when
 * there is none for this machine (e.g. Intel macOS) or the package is missing.
 */
export function onnxruntimeBuildPresent(
  platform: string = process.platform,
  arch: string = process.arch,
): boolean {
  try {
    const bin = path.join(path.dirname(require.resolve('onnxruntime-node')), '..', 'bin');
    return fs
      .readdirSync(bin)
      .some((napi) =>
        fs.existsSync(path.join(bin, napi, platform, arch, 'onnxruntime_binding.node')),
      );
  } catch {
    return false;
  }
}
