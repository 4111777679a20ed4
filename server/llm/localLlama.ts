/**
 * LlmClient that runs a GGUF model in-process (localModels.ts loads and shares it), so MCPO runs
 * on a fresh machine with no server, and a small local model can be M_S while M_L stays remote.
 *
 * - The chat template comes from the GGUF (`resolveChatWrapper(model)`), and each request is one
 *   user message, like openaiClient's chat mode; `completions` mode sends the raw prompt.
 * - Consecutive prompts that share a prefix reuse the evaluated tokens, which LlamaChat does by
 *   itself.
 * - `structured` becomes a GBNF grammar (gbnf.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChatHistoryItem, LlamaGrammar } from 'node-llama-cpp';
import { structuredToGbnf } from './gbnf';
import {
  errorMessage,
  isModelUri,
  loadModel,
  sharedGrammar,
  type LoadedModel,
  type LocalModelOptions,
} from './localModels';
import {
  CACHE_KEY_VERSION,
  samplingKey,
  type CachedResponse,
  type ResponseCache,
} from './responseCache';
import { abortError } from './semaphore';
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

// The default model (Qwen2.5 0.5B Instruct, Q4_K_M: ~398 MB, 491 M parameters, multilingual, ChatML
// template) and the URL that selects this backend are settings the extension shows too: their
// home is the protocol.
export { DEFAULT_LOCAL_MODEL, LOCAL_BASE_URL };

export interface LocalLlamaOptions extends LocalModelOptions {
  /** On-disk response cache; hits make no generation and take no queue slot. */
  responseCache?: ResponseCache;
  /** The endpoint this client stands for (records, config); default a chat endpoint for `model`. */
  endpoint?: EndpointConfig;
}

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
    try {
      return await sharedGrammar(loaded, gbnf);
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
