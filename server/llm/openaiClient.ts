/**
 * LlmClient for any OpenAI-compatible server (vLLM, llama.cpp's server, Ollama, ...), built
 * on the official `openai` package. The SDK's own retries are off: retry.ts retries so that
 * attempts are counted in records and Retry-After is honoured with our cap.
 */
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { CompletionCreateParamsNonStreaming } from 'openai/resources/completions';
import {
  CACHE_KEY_VERSION,
  type ResponseCache,
  samplingKey,
  type CachedResponse,
} from './responseCache';
import { RetryableError, abortError, withRetries, type RetryOptions } from './retry';
import { Semaphore } from './semaphore';
import {
  LlmError,
  type EndpointConfig,
  type JsonValue,
  type LlmClient,
  type LlmRequest,
  type LlmResponse,
  type TokenUsage,
} from './types';

export interface OpenAiClientOptions {
  /** Bearer token; local servers usually need none, but the SDK insists on a non-empty key. */
  apiKey?: string;
  /** On-disk response cache; hits make no request and take no concurrency slot. */
  cache?: ResponseCache;
  /** Shared by every client of one endpoint so their requests in flight add up to one limit. */
  semaphore?: Semaphore;
  /** Backoff tuning (tests inject a zero-delay sleep); limits come from the endpoint. */
  retry?: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'sleep' | 'random'>;
}

/** Bumped when the key recipe or the meaning of a cached entry changes. */

export function createOpenAiClient(
  endpoint: EndpointConfig,
  options: OpenAiClientOptions = {},
): LlmClient {
  return new OpenAiLlmClient(endpoint, options);
}

/** "model@host:port", short enough for spans and records. */
export function endpointLabel(endpoint: Pick<EndpointConfig, 'baseUrl' | 'model'>): string {
  let host: string;
  try {
    host = new URL(endpoint.baseUrl).host;
  } catch {
    host = endpoint.baseUrl;
  }
  return `${endpoint.model}@${host}`;
}

/**
 * The cache key parts: everything that determines the answer, and nothing that does not
 * (base URL and key are excluded so the same model moved to another box keeps its cache).
 */
export function cacheKeyParts(endpoint: EndpointConfig, request: LlmRequest): JsonValue {
  const { sampling } = request;
  return {
    v: CACHE_KEY_VERSION,
    model: endpoint.model,
    mode: endpoint.mode,
    prompt: request.prompt,
    sampling: samplingKey(sampling),
    structured: structuredOutputs(request) ?? null,
    extraBody: endpoint.extraBody ?? null,
  };
}

/** vLLM's `structured_outputs` body field, or undefined when the request is unconstrained. */
function structuredOutputs(request: LlmRequest): Record<string, JsonValue> | undefined {
  const structured = request.structured;
  if (structured === undefined) return undefined;
  const result: Record<string, JsonValue> = {};
  if (structured.choice !== undefined) result['choice'] = [...structured.choice];
  if (structured.regex !== undefined) result['regex'] = structured.regex;
  return Object.keys(result).length === 0 ? undefined : result;
}

/**
 * The request body. The SDK posts the params object as the JSON body verbatim, so vendor
 * fields (structured_outputs, extraBody) travel by being spread in; the intersection type
 * admits them. extraBody goes first so it can never override fields the engine controls.
 */
function requestBody(endpoint: EndpointConfig, request: LlmRequest): Record<string, unknown> {
  const { temperature, top_p, max_tokens, seed } = request.sampling;
  const body: Record<string, unknown> = {
    ...(endpoint.extraBody ?? {}),
    model: endpoint.model,
    temperature,
    top_p,
    max_tokens,
  };
  if (seed !== undefined) body['seed'] = seed;
  const structured = structuredOutputs(request);
  if (structured !== undefined) body['structured_outputs'] = structured;
  return body;
}

class OpenAiLlmClient implements LlmClient {
  readonly label: string;
  private readonly openai: OpenAI;
  private readonly semaphore: Semaphore;

  constructor(
    readonly endpoint: EndpointConfig,
    private readonly options: OpenAiClientOptions,
  ) {
    this.label = endpointLabel(endpoint);
    this.openai = new OpenAI({
      baseURL: endpoint.baseUrl,
      apiKey: options.apiKey ?? 'not-needed',
      maxRetries: 0,
      timeout: endpoint.timeoutMs,
    });
    this.semaphore = options.semaphore ?? new Semaphore(endpoint.concurrency);
  }

  async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
    const started = Date.now();
    const cache = this.options.cache;
    const key = cache?.key(cacheKeyParts(this.endpoint, request));
    if (cache !== undefined && key !== undefined) {
      const hit = await cache.get(key);
      if (hit !== undefined)
        return { ...hit, cached: true, attempts: 0, latencyMs: Date.now() - started };
    }
    if (signal?.aborted) throw abortError(signal);
    const release = await this.semaphore.acquire(signal);
    let result: { value: CachedResponse; attempts: number };
    try {
      result = await withRetries(
        (_attempt, attemptSignal) => this.requestOnce(request, attemptSignal),
        {
          ...this.options.retry,
          maxRetries: this.endpoint.maxRetries,
          timeoutMs: this.endpoint.timeoutMs,
          signal,
          describe: this.label,
        },
      );
    } finally {
      release();
    }
    if (cache !== undefined && key !== undefined) {
      // The answer is good even if storing it is not: a full disk must not fail the question.
      await cache.put(key, result.value).catch(() => {});
    }
    return {
      ...result.value,
      cached: false,
      attempts: result.attempts,
      latencyMs: Date.now() - started,
    };
  }

  async check(signal?: AbortSignal): Promise<void> {
    const baseUrl = this.endpoint.baseUrl;
    const served: string[] = [];
    try {
      for await (const model of this.openai.models.list({
        signal,
        timeout: this.endpoint.timeoutMs,
      }))
        served.push(model.id);
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      throw checkError(baseUrl, err);
    }
    if (!served.includes(this.endpoint.model)) {
      const list = served.length === 0 ? '(no models)' : served.join(', ');
      throw new LlmError(
        `${baseUrl} does not serve model "${this.endpoint.model}"; it serves: ${list}`,
        1,
        404,
      );
    }
  }

  /** One HTTP request; throws for retry.ts to classify. */
  private async requestOnce(request: LlmRequest, signal: AbortSignal): Promise<CachedResponse> {
    const body = requestBody(this.endpoint, request);
    if (this.endpoint.mode === 'chat') {
      const params = {
        ...body,
        messages: [{ role: 'user', content: request.prompt }],
      } as ChatCompletionCreateParamsNonStreaming & Record<string, unknown>;
      const completion = await this.openai.chat.completions.create(params, { signal });
      const choice = completion.choices[0];
      // A 200 without choices is a broken server response, not an answer.
      if (choice === undefined) throw new RetryableError('response has no choices');
      return toCached(choice.message.content ?? '', completion.usage, choice.finish_reason);
    }
    const params = { ...body, prompt: request.prompt } as CompletionCreateParamsNonStreaming &
      Record<string, unknown>;
    const completion = await this.openai.completions.create(params, { signal });
    const choice = completion.choices[0];
    if (choice === undefined) throw new RetryableError('response has no choices');
    return toCached(choice.text, completion.usage, choice.finish_reason);
  }
}

function toCached(
  text: string,
  usage: OpenAI.CompletionUsage | undefined | null,
  finishReason: string | null | undefined,
): CachedResponse {
  const result: CachedResponse = { text };
  if (usage !== undefined && usage !== null) result.usage = tokenUsage(usage);
  if (finishReason !== undefined && finishReason !== null) result.finishReason = finishReason;
  return result;
}

function tokenUsage(usage: OpenAI.CompletionUsage): TokenUsage {
  return { prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens };
}

function checkError(baseUrl: string, err: unknown): LlmError {
  if (err instanceof OpenAI.APIConnectionError)
    return new LlmError(`cannot reach ${baseUrl}: ${rootCause(err)}`, 1);
  if (err instanceof OpenAI.APIError && typeof err.status === 'number') {
    if (err.status === 401 || err.status === 403) {
      return new LlmError(
        `${baseUrl} refused GET /models with HTTP ${err.status}: the API key is missing or wrong (set MCPO_LLM_API_KEY)`,
        1,
        err.status,
      );
    }
    return new LlmError(
      `${baseUrl}: GET /models failed with HTTP ${err.status}: ${err.message}`,
      1,
      err.status,
    );
  }
  // A non-JSON or garbled models list means this is probably not an OpenAI-compatible server.
  return new LlmError(`cannot reach ${baseUrl}: ${rootCause(err)}`, 1);
}

/** The innermost cause message, e.g. "connect ECONNREFUSED 127.0.0.1:9" rather than "Connection error.". */
function rootCause(err: unknown): string {
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    message = current.message || message;
    current = current.cause;
  }
  return message;
}
