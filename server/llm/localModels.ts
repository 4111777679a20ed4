/**
 * The process-wide registry of local GGUF models on node-llama-cpp (llama.cpp's prebuilt CPU
 * binary): one Llama instance per process and one loaded model per (file, threads, context
 * size), memoised, so every client of the same model shares its weights and its context. Model
 * references are resolved to files once (a hub model is downloaded once into the model cache).
 *
 * One sequence per model, requests queued FIFO (Semaphore(1)). On a CPU the sequence is
 * compute-bound anyway; correctness (no interleaved KV state) comes first.
 *
 * node-llama-cpp is ESM-only and heavy, so it is imported lazily: code that never runs a local
 * model never loads the native binary.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type {
  ChatWrapper,
  Llama,
  LlamaChat,
  LlamaCompletion,
  LlamaContext,
  LlamaGrammar,
  LlamaModel,
} from 'node-llama-cpp';
import { defaultModelCacheDir } from '../models/modelCache';
import { NativePartError } from '../native/nativePart';
import { Semaphore } from './semaphore';
import { LlmError } from './types';
import { fixedBy } from '../userError';

type NodeLlamaCpp = typeof import('node-llama-cpp');

/**
 * Context size when none is given: enough for the longest ShopBench prompt plus CoT, while the KV
 * cache of a small model stays small (Qwen2.5-0.5B: ~48 MB at 4096).
 */
const DEFAULT_CONTEXT_SIZE = 4096;

/** Below this file size, one thread is fastest: syncing threads costs more than tiny matmuls (measured 1,600 vs 33 tokens/s). */
const TINY_MODEL_BYTES = 64 * 1024 * 1024;

const NO_MODEL_HINT =
  'set --llm-url to an OpenAI-compatible server, or --llm-model to a local .gguf file';

/** What identifies a loaded model, and how to fetch it. */
export interface LocalModelOptions {
  /** A .gguf path, or a model URI node-llama-cpp resolves (e.g. hf:user/repo:quant, https://...gguf). */
  model: string;
  /** CPU threads for evaluation; default 1 for tiny models, else min(cores, 4). */
  threads?: number;
  /** Tokens of context (prompt + answer); default 4096, capped at the model's training context. */
  contextSize?: number;
  /** Where downloaded models go; default ~/.cache/mcpo/models (MCPO_MODEL_CACHE). */
  cacheDir?: string;
  onProgress?: (p: { loaded: number; total: number; file: string }) => void;
}

export interface LoadedModel {
  file: string;
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  chat: LlamaChat;
  completion: LlamaCompletion;
  chatWrapper: ChatWrapper;
  /** One request at a time on the one sequence. */
  queue: Semaphore;
  grammars: Map<string, Promise<LlamaGrammar>>;
}

const importRealNodeLlamaCpp = (): Promise<NodeLlamaCpp> => import('node-llama-cpp');
let importNodeLlamaCpp = importRealNodeLlamaCpp;
let nodeLlamaCpp: Promise<NodeLlamaCpp> | undefined;
let llamaInstance: Promise<Llama> | undefined;
const loadedModels = new Map<string, Promise<LoadedModel>>();
/** Model references already resolved to files, so a second client does not re-resolve (or re-download). */
const resolvedFiles = new Map<string, Promise<string>>();

function loadModule(): Promise<NodeLlamaCpp> {
  nodeLlamaCpp ??= importNodeLlamaCpp();
  return nodeLlamaCpp;
}

/**
 * Replaces how node-llama-cpp is imported (none: the real package) after releasing every loaded
 * model. Tests use it to play a machine whose llama.cpp binary cannot load.
 */
export async function setNodeLlamaCppImport(load?: () => Promise<NodeLlamaCpp>): Promise<void> {
  await disposeLocalModels();
  importNodeLlamaCpp = load ?? importRealNodeLlamaCpp;
  nodeLlamaCpp = undefined;
}

/**
 * The shared Llama: the prebuilt CPU binary, never a source build (no compiler, no GPU here).
 * Where it cannot load, a NativePartError says so; a later call tries again.
 */
function getSharedLlama(): Promise<Llama> {
  llamaInstance ??= loadModule()
    .then((m) =>
      m.getLlama({
        gpu: false,
        build: 'never',
        // llama.cpp is chatty on load; warnings and errors are still shown.
        logLevel: m.LlamaLogLevel.warn,
      }),
    )
    .catch((err: unknown) => {
      throw new NativePartError('llama.cpp', err);
    });
  llamaInstance.catch(() => (llamaInstance = undefined));
  return llamaInstance;
}

/** Starts llama.cpp for `model`, or says why the local model is unavailable on this machine. */
export async function startLlama(model: string): Promise<Llama> {
  try {
    return await getSharedLlama();
  } catch (err) {
    const native = err instanceof NativePartError ? err : new NativePartError('llama.cpp', err);
    throw fixedBy(
      new LlmError(`local model ${model} is unavailable: ${native.message}. ${native.instead}`, 1),
      native.fixes,
    );
  }
}

/**
 * How a hub reference starts, as node-llama-cpp reads it: hf:, hf:// or huggingface:. The one
 * pattern behind both questions asked of a model reference: is it a download (isModelUri: the
 * CLI keeps it as given, the backend resolves it) and which repository (hubRepository: the
 * health check asks the hub's model API about it).
 */
const HUB_SCHEME = String.raw`(?:hf:(?:\/\/)?|huggingface:)`;
/** A hub reference: hf:user/repo[:quant] or hf:user/repo/file.gguf (user and repo captured). */
const HUB_REFERENCE = new RegExp(String.raw`^${HUB_SCHEME}([^/:]+)\/([^/:#]+)`, 'i');
const MODEL_URI = new RegExp(String.raw`^(?:${HUB_SCHEME}|https?:\/\/)`, 'i');

/** True when `model` is a URI node-llama-cpp downloads (a hub reference, a URL), not a file. */
export function isModelUri(model: string): boolean {
  return MODEL_URI.test(model);
}

/** The hub repository a hub reference names, or undefined for a URL or a file. */
export function hubRepository(model: string): { user: string; repo: string } | undefined {
  const m = HUB_REFERENCE.exec(model);
  return m ? { user: m[1], repo: m[2] } : undefined;
}

/** The .gguf file for `model`: the path itself, or the cached/downloaded file for a URI. */
async function resolveFile(options: LocalModelOptions): Promise<string> {
  const model = options.model;
  if (!isModelUri(model)) {
    const file = path.resolve(model);
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(file);
    } catch {
      throw new LlmError(`local model ${model}: no such file; ${NO_MODEL_HINT}`, 1);
    }
    if (!stat.isFile()) throw new LlmError(`local model ${model}: not a file; ${NO_MODEL_HINT}`, 1);
    return file;
  }
  const cacheDir = options.cacheDir ?? defaultModelCacheDir();
  const key = `${cacheDir}\u0000${model}`;
  let pending = resolvedFiles.get(key);
  if (pending === undefined) {
    pending = downloadModel(model, cacheDir, options.onProgress);
    resolvedFiles.set(key, pending);
    pending.catch(() => resolvedFiles.delete(key));
  }
  return pending;
}

async function downloadModel(
  model: string,
  cacheDir: string,
  onProgress: LocalModelOptions['onProgress'],
): Promise<string> {
  const m = await loadModule();
  try {
    await fs.promises.mkdir(cacheDir, { recursive: true });
    return await m.resolveModelFile(model, {
      directory: cacheDir,
      // Our own progress callback instead of node-llama-cpp's terminal UI, which would fight the CLI's progress line.
      cli: false,
      onProgress:
        onProgress &&
        (({ totalSize, downloadedSize }) =>
          onProgress({ loaded: downloadedSize, total: totalSize, file: model })),
    });
  } catch (err) {
    throw new LlmError(
      `cannot download local model ${model} into ${cacheDir} (${errorMessage(err)}); ${NO_MODEL_HINT}`,
      1,
    );
  }
}

/** Default threads: see TINY_MODEL_BYTES; bigger models gain from up to 4 cores (more rarely helps on CPUs). */
export function defaultThreads(fileBytes: number): number {
  if (fileBytes < TINY_MODEL_BYTES) return 1;
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

export async function loadModel(options: LocalModelOptions): Promise<LoadedModel> {
  // llama.cpp first: a machine that cannot run the model never downloads it.
  await startLlama(options.model);
  const file = await resolveFile(options);
  const threads = options.threads ?? defaultThreads((await fs.promises.stat(file)).size);
  const key = JSON.stringify([file, threads, options.contextSize ?? null]);
  let pending = loadedModels.get(key);
  if (pending === undefined) {
    pending = openModel(file, threads, options.contextSize);
    loadedModels.set(key, pending);
    pending.catch(() => loadedModels.delete(key));
  }
  return pending;
}

async function openModel(
  file: string,
  threads: number,
  contextSize: number | undefined,
): Promise<LoadedModel> {
  const m = await loadModule();
  const llama = await startLlama(file);
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath: file });
  } catch (err) {
    throw new LlmError(
      `cannot load local model ${file}: ${errorMessage(err)}; ${NO_MODEL_HINT}`,
      1,
    );
  }
  try {
    const size = Math.min(contextSize ?? DEFAULT_CONTEXT_SIZE, model.trainContextSize);
    const context = await model.createContext({ contextSize: size, threads, sequences: 1 });
    const chatWrapper = m.resolveChatWrapper(model);
    const sequence = context.getSequence();
    // Both front ends share the one sequence; the queue guarantees only one uses it at a time.
    const chat = new m.LlamaChat({
      contextSequence: sequence,
      chatWrapper,
      autoDisposeSequence: false,
    });
    const completion = new m.LlamaCompletion({
      contextSequence: sequence,
      autoDisposeSequence: false,
    });
    return {
      file,
      llama,
      model,
      context,
      chat,
      completion,
      chatWrapper,
      queue: new Semaphore(1),
      grammars: new Map(),
    };
  } catch (err) {
    await model.dispose().catch(() => {});
    throw new LlmError(`cannot create a context for local model ${file}: ${errorMessage(err)}`, 1);
  }
}

/** Releases every loaded model, its context and the Llama instance; the next request loads again. */
export async function disposeLocalModels(): Promise<void> {
  const models = [...loadedModels.values()];
  loadedModels.clear();
  for (const pending of models) {
    let loaded: LoadedModel;
    try {
      loaded = await pending;
    } catch {
      continue; // a failed load holds nothing
    }
    // Wait for the request in flight (if any) so we never free memory under a running generation.
    const release = await loaded.queue.acquire();
    try {
      loaded.chat.dispose({ disposeSequence: false });
      loaded.completion.dispose({ disposeSequence: false });
      await loaded.context.dispose();
      await loaded.model.dispose();
    } finally {
      release();
    }
  }
  const llama = llamaInstance;
  llamaInstance = undefined;
  if (llama !== undefined) await (await llama.catch(() => undefined))?.dispose();
}

/** The grammar for `gbnf`, created once per loaded model; one llama.cpp refused is forgotten, so a later request tries again. */
export function sharedGrammar(loaded: LoadedModel, gbnf: string): Promise<LlamaGrammar> {
  let pending = loaded.grammars.get(gbnf);
  if (pending === undefined) {
    pending = loaded.llama.createGrammar({ grammar: gbnf });
    loaded.grammars.set(gbnf, pending);
    pending.catch(() => loaded.grammars.delete(gbnf));
  }
  return pending;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
