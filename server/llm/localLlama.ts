/**
 * LlmClient that runs a GGUF model in-process through node-llama-cpp (llama.cpp's prebuilt CPU
 * binary), so MCPO runs on a fresh machine with no server, and a small local model can be M_S
 * while M_L stays remote.
 *
 * Design notes:
 * - One Llama instance per process and one loaded model per (file, threads, context size),
 *   memoised: every client of the same model shares its weights and its context.
 * - One sequence per model, requests queued FIFO (Semaphore(1)). On a CPU the sequence is
 *   compute-bound anyway; correctness (no interleaved KV state) comes first. Consecutive prompts
 *   that share a prefix reuse the evaluated tokens, which LlamaChat does by itself.
 * - The chat template comes from the GGUF (`resolveChatWrapper(model)`), and each request is one
 *   user message, like openaiClient's chat mode; `completions` mode sends the raw prompt.
 * - `structured` becomes a GBNF grammar (choice: alternatives; regex: the small regex subset the
 *   runner produces, converted by regexToGbnf below).
 * - node-llama-cpp is ESM-only and heavy, so it is imported lazily: code that never runs a local
 *   model never loads the native binary.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type {
  ChatHistoryItem,
  ChatWrapper,
  Llama,
  LlamaChat,
  LlamaCompletion,
  LlamaContext,
  LlamaGrammar,
  LlamaModel,
} from 'node-llama-cpp';
import { defaultModelCacheDir } from '../embed/embedder';
import { NativePartError } from '../native/nativePart';
import {
  CACHE_KEY_VERSION,
  samplingKey,
  type CachedResponse,
  type ResponseCache,
} from './responseCache';
import { abortError, Semaphore } from './semaphore';
import {
  LlmError,
  type EndpointConfig,
  type JsonValue,
  type LlmClient,
  type LlmRequest,
  type LlmResponse,
  type StructuredOutput,
} from './types';

import { DEFAULT_LOCAL_MODEL, LOCAL_BASE_URL } from '../protocol/settings';

type NodeLlamaCpp = typeof import('node-llama-cpp');

// The default model (Qwen2.5 0.5B Instruct, Q4_K_M: ~398 MB, 491 M parameters, multilingual, ChatML
// template) and the URL that selects this backend are settings the extension shows too: their
// home is the protocol.
export { DEFAULT_LOCAL_MODEL, LOCAL_BASE_URL };

/** Bumped when the key recipe or the meaning of a cached entry changes. */

/**
 * Context size when none is given: enough for the longest ShopBench prompt plus CoT, while the KV
 * cache of a small model stays small (Qwen2.5-0.5B: ~48 MB at 4096).
 */
const DEFAULT_CONTEXT_SIZE = 4096;

/** Below this file size, one thread is fastest: syncing threads costs more than tiny matmuls (measured 1,600 vs 33 tokens/s). */
const TINY_MODEL_BYTES = 64 * 1024 * 1024;

const NO_MODEL_HINT =
  'set --llm-url to an OpenAI-compatible server, or --llm-model to a local .gguf file';

export interface LocalLlamaOptions {
  /** A .gguf path, or a model URI node-llama-cpp resolves (e.g. hf:user/repo:quant, https://...gguf). */
  model: string;
  /** CPU threads for evaluation; default 1 for tiny models, else min(cores, 4). */
  threads?: number;
  /** Tokens of context (prompt + answer); default 4096, capped at the model's training context. */
  contextSize?: number;
  /** Where downloaded models go; default ~/.cache/mcpo/models (MCPO_MODEL_CACHE). */
  cacheDir?: string;
  onProgress?: (p: { loaded: number; total: number; file: string }) => void;
  /** On-disk response cache; hits make no generation and take no queue slot. */
  responseCache?: ResponseCache;
  /** The endpoint this client stands for (records, config); default a chat endpoint for `model`. */
  endpoint?: EndpointConfig;
}

// ---------------------------------------------------------------------------------------------
// Process-wide model registry
// ---------------------------------------------------------------------------------------------

interface LoadedModel {
  file: string;
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
    throw new LlmError(
      `local model ${model} is unavailable: ${native.message}. ${native.instead}`,
      1,
    );
  }
}

/** True when `model` is a URI node-llama-cpp downloads (hf:user/repo:quant, a URL), not a file. */
export function isModelUri(model: string): boolean {
  return /^(hf:|huggingface:|https?:\/\/)/i.test(model);
}

/** The .gguf file for `model`: the path itself, or the cached/downloaded file for a URI. */
async function resolveFile(options: LocalLlamaOptions): Promise<string> {
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
  onProgress: LocalLlamaOptions['onProgress'],
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

async function loadModel(options: LocalLlamaOptions): Promise<LoadedModel> {
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

// ---------------------------------------------------------------------------------------------
// Structured output → GBNF
// ---------------------------------------------------------------------------------------------

/** A GBNF string literal. */
function gbnfLiteral(text: string): string {
  let out = '"';
  for (const ch of text) {
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else out += ch;
  }
  return `${out}"`;
}

/** `choice` → `root ::= "a" | "b" | ...`. */
export function choiceToGbnf(choices: readonly string[]): string {
  if (choices.length === 0) throw new Error('structured choice needs at least one alternative');
  return `root ::= ${choices.map(gbnfLiteral).join(' | ')}`;
}

/** llama.cpp refuses repetition counts above this. */
const MAX_REPEAT = 1000;

/**
 * A regex subset → GBNF: literals (with `\` escapes), character classes with ranges (`[0-9]`,
 * `[^,]`), `\d`, groups `( )`, alternation `|`, and the quantifiers `{n}`, `{m,n}`, `{m,}`, `?`,
 * `*`, `+`. That covers what the runner sends (`[1-5](, [1-5]){4}`, `[0-9]{1,3}, ...`); anything
 * else (`.`, `\w`, anchors inside, lookarounds, backreferences) is rejected with the position, as
 * silently loosening a constraint would change the answers.
 */
export function regexToGbnf(regex: string): string {
  let source = regex;
  // Servers treat the whole output as matched, so a leading ^ / trailing $ mean nothing extra.
  const offset = source.startsWith('^') ? 1 : 0;
  source = source.slice(offset);
  if (source.endsWith('$') && !source.endsWith('\\$')) source = source.slice(0, -1);
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(
      `regex ${JSON.stringify(regex)}: ${what} at position ${pos + offset}; supported: literals, [classes], \\d, (groups), |, {n}, {m,n}, ?, *, +`,
    );
  };

  const parseAlternation = (): string => {
    const branches = [parseSequence()];
    while (source[pos] === '|') {
      pos++;
      branches.push(parseSequence());
    }
    return branches.length === 1 ? branches[0] : branches.join(' | ');
  };

  const parseSequence = (): string => {
    const items: string[] = [];
    while (pos < source.length && source[pos] !== '|' && source[pos] !== ')') {
      const atom = parseAtom();
      items.push(atom + parseQuantifier());
    }
    // An empty branch matches the empty string.
    return items.length === 0 ? '""' : items.join(' ');
  };

  const parseAtom = (): string => {
    const ch = source[pos];
    if (ch === '(') {
      pos++;
      if (source[pos] === '?') fail('group modifiers (?...)');
      const inner = parseAlternation();
      if (source[pos] !== ')') fail('unclosed group');
      pos++;
      return `(${inner})`;
    }
    if (ch === '[') return parseClass();
    if (ch === '\\') {
      const next = source[pos + 1];
      if (next === undefined) fail('trailing backslash');
      pos += 2;
      if (next === 'd') return '[0-9]';
      if (/[\\^$.|?*+()[\]{}\-/"'\s,:]/.test(next)) return gbnfLiteral(next);
      if (next === 'n') return gbnfLiteral('\n');
      if (next === 't') return gbnfLiteral('\t');
      pos -= 2;
      return fail(`unsupported escape \\${next}`);
    }
    if ('.^$*+?{'.includes(ch)) return fail(`unsupported ${JSON.stringify(ch)}`);
    // Consecutive plain characters become one literal: "foo" rather than "f" "o" "o", but a
    // quantifier binds to the last character only, so stop one short of it.
    let text = '';
    while (pos < source.length && !'()[]\\|.^$*+?{}'.includes(source[pos])) {
      const following = source[pos + 1];
      if (text.length > 0 && following !== undefined && '*+?{'.includes(following)) break;
      text += source[pos++];
    }
    if (text === '') return fail(`unexpected ${JSON.stringify(source[pos])}`);
    return gbnfLiteral(text);
  };

  const parseClass = (): string => {
    const start = pos;
    pos++; // [
    let out = '[';
    if (source[pos] === '^') {
      out += '^';
      pos++;
    }
    let first = true;
    while (pos < source.length && (source[pos] !== ']' || first)) {
      first = false;
      let ch = source[pos++];
      if (ch === '\\') {
        const next = source[pos++];
        if (next === undefined) fail('trailing backslash');
        if (next === 'd') {
          out += '0-9';
          continue;
        }
        if (!/[\\\][^\-.]/.test(next)) {
          pos -= 2;
          fail(`unsupported escape \\${next} in a class`);
        }
        ch = next;
      }
      // GBNF classes need \ ] [ escaped; '-' stays a range operator exactly as in the regex.
      out += ch === '\\' || ch === ']' || ch === '[' ? `\\${ch}` : ch;
    }
    if (source[pos] !== ']') {
      pos = start;
      fail('unclosed character class');
    }
    pos++;
    return `${out}]`;
  };

  const parseQuantifier = (): string => {
    const ch = source[pos];
    if (ch === '?' || ch === '*' || ch === '+') {
      pos++;
      if (source[pos] === '?' || source[pos] === '+') fail('lazy or possessive quantifiers');
      return ch;
    }
    if (ch !== '{') return '';
    const match = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(pos));
    if (match === null) return fail('malformed {m,n} repeat');
    const min = Number(match[1]);
    const max = match[2] === undefined ? min : match[3] === '' ? undefined : Number(match[3]);
    if (max !== undefined && max < min) fail(`repeat {${min},${max}} with max < min`);
    if (Math.max(min, max ?? 0) > MAX_REPEAT) fail(`repeat count above ${MAX_REPEAT}`);
    pos += match[0].length;
    if (max === undefined) return `{${min},}`;
    return max === min ? `{${min}}` : `{${min},${max}}`;
  };

  const body = parseAlternation();
  if (pos < source.length) fail(`unexpected ${JSON.stringify(source[pos])}`);
  return `root ::= ${body}`;
}

/** The GBNF for a request's constraint, or undefined when unconstrained. */
export function structuredToGbnf(structured: StructuredOutput | undefined): string | undefined {
  if (structured === undefined) return undefined;
  if (structured.choice !== undefined) return choiceToGbnf(structured.choice);
  if (structured.regex !== undefined) return regexToGbnf(structured.regex);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

export function createLocalLlamaClient(options: LocalLlamaOptions): LlmClient {
  return new LocalLlamaClient(options);
}

/** "local:<file name>" for a path, "local:<uri>" for a hub reference. */
export function localLabel(model: string, paths: path.PlatformPath = path): string {
  return `local:${isModelUri(model) ? model : paths.basename(model)}`;
}

class LocalLlamaClient implements LlmClient {
  readonly endpoint: EndpointConfig;
  readonly label: string;

  constructor(private readonly options: LocalLlamaOptions) {
    this.endpoint = options.endpoint ?? {
      baseUrl: LOCAL_BASE_URL,
      model: options.model,
      mode: 'chat',
      concurrency: 1,
      timeoutMs: 600_000,
      maxRetries: 0,
    };
    this.label = localLabel(options.model);
  }

  async check(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw abortError(signal);
    await loadModel(this.options);
  }

  async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
    const started = Date.now();
    if (signal?.aborted) throw abortError(signal);
    const loaded = await loadModel(this.options);
    const cache = this.options.responseCache;
    const key = cache?.key(this.cacheKeyParts(loaded.file, request));
    if (cache !== undefined && key !== undefined) {
      const hit = await cache.get(key);
      if (hit !== undefined)
        return { ...hit, cached: true, attempts: 0, latencyMs: Date.now() - started };
    }
    let grammar: LlamaGrammar | undefined;
    try {
      grammar = await this.grammarFor(loaded, request.structured);
    } catch (err) {
      throw new LlmError(`${this.label}: ${errorMessage(err)}`, 1);
    }
    const release = await loaded.queue.acquire(signal);
    let value: CachedResponse;
    try {
      value = await this.generate(loaded, request, grammar, signal);
    } finally {
      release();
    }
    if (cache !== undefined && key !== undefined) await cache.put(key, value).catch(() => {});
    return { ...value, cached: false, attempts: 1, latencyMs: Date.now() - started };
  }

  /**
   * Like openaiClient's key, plus what makes a local answer differ: the model file (its path,
   * size and mtime, since a re-downloaded file may hold other weights), the context size and the
   * mode. Threads are left out: they change speed, not the greedy answer.
   */
  private cacheKeyParts(file: string, request: LlmRequest): JsonValue {
    let fileId: JsonValue = null;
    try {
      const stat = fs.statSync(file);
      fileId = { size: stat.size, mtimeMs: Math.floor(stat.mtimeMs) };
    } catch {
      // vanished since loading: the path alone still keys it
    }
    const { sampling, structured } = request;
    return {
      v: CACHE_KEY_VERSION,
      backend: 'llama.cpp',
      model: file,
      file: fileId,
      contextSize: this.options.contextSize ?? null,
      mode: this.endpoint.mode,
      prompt: request.prompt,
      sampling: samplingKey(sampling),
      structured:
        structured === undefined
          ? null
          : {
              choice: structured.choice ? [...structured.choice] : null,
              regex: structured.regex ?? null,
            },
    };
  }

  private async grammarFor(
    loaded: LoadedModel,
    structured: StructuredOutput | undefined,
  ): Promise<LlamaGrammar | undefined> {
    const gbnf = structuredToGbnf(structured);
    if (gbnf === undefined) return undefined;
    let pending = loaded.grammars.get(gbnf);
    if (pending === undefined) {
      pending = getSharedLlama().then((llama) => llama.createGrammar({ grammar: gbnf }));
      loaded.grammars.set(gbnf, pending);
      pending.catch(() => loaded.grammars.delete(gbnf));
    }
    try {
      return await pending;
    } catch (err) {
      throw new Error(
        `llama.cpp rejected the grammar for ${JSON.stringify(structured)} (${errorMessage(err)}): ${gbnf}`,
        { cause: err },
      );
    }
  }

  private async generate(
    loaded: LoadedModel,
    request: LlmRequest,
    grammar: LlamaGrammar | undefined,
    signal: AbortSignal | undefined,
  ): Promise<CachedResponse> {
    const { temperature, top_p, max_tokens, seed } = request.sampling;
    let completionTokens = 0;
    const common = {
      maxTokens: max_tokens,
      temperature,
      topP: top_p,
      seed,
      signal,
      // Throw on abort (stopOnAbortSignal false): a cut-off answer must never be cached or scored.
      stopOnAbortSignal: false,
      onToken: (tokens: readonly unknown[]) => (completionTokens += tokens.length),
    };
    try {
      if (this.endpoint.mode === 'completions') {
        const promptTokens = loaded.model.tokenize(request.prompt, false).length;
        this.checkFits(loaded, promptTokens, max_tokens);
        const result = await loaded.completion.generateCompletionWithMeta(request.prompt, {
          ...common,
          ...(grammar ? { grammar } : {}),
        });
        return {
          text: wellFormed(result.response),
          usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens },
          finishReason: finishReason(result.metadata.stopReason),
        };
      }
      // One user message and an empty model turn to complete, as an OpenAI chat request does.
      const history: ChatHistoryItem[] = [
        { type: 'user', text: request.prompt },
        { type: 'model', response: [] },
      ];
      const promptTokens = loaded.chatWrapper
        .generateContextState({ chatHistory: history })
        .contextText.tokenize(loaded.model.tokenizer).length;
      this.checkFits(loaded, promptTokens, max_tokens);
      const result = await loaded.chat.generateResponse(history, {
        ...common,
        ...(grammar ? { grammar } : {}),
      });
      return {
        text: wellFormed(result.response),
        usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens },
        finishReason: finishReason(result.metadata.stopReason),
      };
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      if (err instanceof LlmError) throw err;
      throw new LlmError(`${this.label}: generation failed: ${errorMessage(err)}`, 1);
    }
  }

  /**
   * The prompt and the longest answer must fit the context. Past it, llama.cpp's context shift
   * either fails ("Failed to compress chat history ...") or silently drops the start of the
   * prompt, so the answer would not be to this question: refuse with the numbers instead.
   */
  private checkFits(loaded: LoadedModel, promptTokens: number, maxTokens: number): void {
    const size = loaded.context.contextSize;
    if (promptTokens + maxTokens <= size) return;
    const trained = loaded.model.trainContextSize;
    const raise =
      size < trained
        ? `raise it with --ctx-size ${Math.min(trained, nextPowerOfTwo(promptTokens + maxTokens))} (this model was trained for up to ${trained})`
        : `that is already the most this model was trained for`;
    throw new LlmError(
      `${this.label}: the prompt has ${promptTokens} tokens and the answer may take ${maxTokens} more, but the model's context holds ${size} tokens: ${raise}; or use a shorter template (--templates none), no chain of thought or fewer similarity hints, or a model with a longer context`,
      1,
    );
  }
}

function nextPowerOfTwo(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, n)));
}

/** OpenAI's names for why generation stopped. */
function finishReason(stopReason: string): string {
  return stopReason === 'maxTokens' ? 'length' : stopReason === 'abort' ? 'abort' : 'stop';
}

/**
 * Lone surrogates replaced by U+FFFD. node-llama-cpp already decodes invalid UTF-8 bytes to
 * U+FFFD, but a half-emitted character at maxTokens can still leave a lone surrogate, which
 * JSON-encodes badly into records and the cache.
 */
export function wellFormed(text: string): string {
  return text.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '\uFFFD',
  );
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
