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
import { nodeHttpFetch } from './nodeHttpFetch';
import { RetryableError, abortError, rootCause, withRetries, type RetryOptions } from './retry';

// Its home is retry.ts (a failed request's words); importers of the client keep this path.
export { rootCause } from './retry';
import { Semaphore } from './semaphore';
import { fixedBy } from '../userError';
import type { Fix } from '../protocol/fixHints';
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
  /** Which endpoint this is (default llm): an unreachable one's fix names its flag and setting. */
  role?: 'llm' | 'slm';
  /** On-disk response cache; hits make no request and take no concurrency slot. */
  cache?: ResponseCache;
  /** Shared by every client of one endpoint so their requests in flight add up to one limit. */
  semaphore?: Semaphore;
  /** Backoff tuning (tests inject a zero-delay sleep); limits come from the endpoint. */
  retry?: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'sleep' | 'random'>;
}

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
 * What produced an answer, as far as the server lets us know: vLLM's `root` in /v1/models names
 * the weights behind a served name (a hub id or a path), so the same weights moved to another
 * box, or served under another name, keep their cache. Servers that do not say (llama.cpp's
 * server, Ollama) are keyed by where and what was asked: other weights behind the same name at
 * another URL never replay these answers.
 */
export type WeightsIdentity = { root: string } | { url: string; model: string };

/** The fields of a /v1/models entry the identity reads (vLLM adds `root` and `parent`). */
export interface ServedModel {
  id: string;
  root?: unknown;
}

export function weightsIdentity(
  endpoint: Pick<EndpointConfig, 'baseUrl' | 'model'>,
  served: readonly ServedModel[] | undefined,
): WeightsIdentity {
  const root = served?.find((m) => m.id === endpoint.model)?.root;
  if (typeof root === 'string' && root.trim() !== '') return { root };
  return { url: endpoint.baseUrl.replace(/\/+$/, ''), model: endpoint.model };
}

/**
 * The cache key parts: everything that determines the answer (the weights, the request, the
 * sampling) and nothing that does not (the API key; the URL and served name when the server
 * names the weights). Keys made before weights were part of them had a `model` field instead of
 * `weights`, so they can never collide with these.
 */
export function cacheKeyParts(
  endpoint: EndpointConfig,
  request: LlmRequest,
  weights: WeightsIdentity,
): JsonValue {
  const { sampling } = request;
  return {
    v: CACHE_KEY_VERSION,
    weights,
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
  /** The weights' identity, once /v1/models has been read (by check() or the first cached call). */
  private identity: Promise<WeightsIdentity> | undefined;
  /** `identity`'s value once it is known. */
  private knownIdentity: WeightsIdentity | undefined;

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
      // node:http, not the built-in fetch: see nodeHttpFetch.ts for what undici costs us.
      fetch: nodeHttpFetch,
    });
    this.semaphore = options.semaphore ?? new Semaphore(endpoint.concurrency);
  }

  async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
    const started = Date.now();
    const cache = this.options.cache;
    const key =
      cache === undefined
        ? undefined
        : cache.key(
            cacheKeyParts(
              this.endpoint,
              request,
              // Known after the first call: no abort listener and no promise per request then.
              this.knownIdentity ?? (await untilAborted(this.weightsIdentity(), signal)),
            ),
          );
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
    const served = await this.servedModels(signal);
    this.knownIdentity = weightsIdentity(this.endpoint, served);
    this.identity = Promise.resolve(this.knownIdentity);
    if (!served.some((m) => m.id === this.endpoint.model)) {
      const list = served.length === 0 ? '(no models)' : served.map((m) => m.id).join(', ');
      throw new LlmError(
        `${baseUrl} does not serve model "${this.endpoint.model}"; it serves: ${list}`,
        1,
        404,
      );
    }
  }

  /**
   * Runs check() first, so this normally costs nothing. Without it, /v1/models is read once; a
   * server that cannot list its models is keyed by URL and model, which never replays another
   * server's answers. No caller's signal: one cancelled question must not decide the identity.
   */
  private weightsIdentity(): Promise<WeightsIdentity> {
    this.identity ??= this.servedModels(undefined)
      .then(
        (served) => weightsIdentity(this.endpoint, served),
        () => weightsIdentity(this.endpoint, undefined),
      )
      .then((identity) => (this.knownIdentity = identity));
    return this.identity;
  }

  private async servedModels(signal: AbortSignal | undefined): Promise<ServedModel[]> {
    const served: ServedModel[] = [];
    try {
      for await (const model of this.openai.models.list({
        signal,
        timeout: this.endpoint.timeoutMs,
      }))
        // vLLM's extra fields (root, parent) are in the parsed JSON but not in the SDK's type.
        served.push({ id: model.id, root: (model as { root?: unknown }).root });
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      throw checkError(this.endpoint.baseUrl, err, this.options.role ?? 'llm');
    }
    return served;
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

/** The promise's value, or the abort error as soon as `signal` aborts (the promise runs on). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (err: unknown) => (signal.removeEventListener('abort', onAbort), reject(err)),
    );
  });
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

/**
 * OpenAI-compatible servers (vLLM, llama.cpp, Ollama) serve under /v1: a 404 on a URL without it
 * is almost always that. The hint to append to the error ('' when it does not apply); the
 * endpoint check and VS Code's model picker (server/lsp/listModels.ts) both give it.
 */
export function missingV1Hint(baseUrl: string, status: number | undefined): string {
  return status === 404 && !/\/v\d+$/.test(baseUrl)
    ? `; OpenAI-compatible servers answer under /v1: try ${baseUrl}/v1`
    : '';
}

/**
 * The way to another address for an endpoint nothing answers at: the CLI's --llm-url (or
 * --slm-url), VS Code's Configure Endpoints (it lists the models the new address serves).
 */
export function endpointAddressFixes(role: 'llm' | 'slm'): Fix[] {
  const to = 'use another address';
  return [
    { kind: 'option', to, flag: `--${role}-url`, placeholder: 'url' },
    { kind: 'command', to, command: 'mcpo.configureEndpoints', title: 'Configure Endpoints' },
  ];
}

/** "cannot reach URL: cause", and for a refused connection what that means: no server listens there. */
function unreachable(baseUrl: string, err: unknown, role: 'llm' | 'slm'): LlmError {
  const cause = rootCause(err);
  const refused = /ECONNREFUSED/.test(cause)
    ? ': is the server running at that address? Start it there'
    : '';
  return fixedBy(
    new LlmError(`cannot reach ${baseUrl}: ${cause}${refused}`, 1),
    endpointAddressFixes(role),
  );
}

function checkError(baseUrl: string, err: unknown, role: 'llm' | 'slm'): LlmError {
  if (err instanceof OpenAI.APIConnectionError) return unreachable(baseUrl, err, role);
  if (err instanceof OpenAI.APIError && typeof err.status === 'number') {
    if (err.status === 401 || err.status === 403) {
      return new LlmError(
        `${baseUrl} refused GET /models with HTTP ${err.status}: the API key is missing or wrong (set MCPO_LLM_API_KEY)`,
        1,
        err.status,
      );
    }
    return new LlmError(
      `${baseUrl}: GET /models failed with HTTP ${err.status}: ${err.message}${missingV1Hint(baseUrl, err.status)}`,
      1,
      err.status,
    );
  }
  // A non-JSON or garbled models list means this is probably not an OpenAI-compatible server.
  return unreachable(baseUrl, err, role);
}
