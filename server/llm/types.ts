/**
 * The engine's view of a language model endpoint: any OpenAI-compatible server (vLLM,
 * llama.cpp's server, Ollama, ...). Plain types only; the client lives in openaiClient.ts.
 */
import { UserError } from '../userError';

export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** How to reach one model. API keys are never stored with it: they come from the environment or SecretStorage. */
export interface EndpointConfig {
  /** e.g. http://gpu-box:8000/v1 */
  baseUrl: string;
  /** The model name the server serves (checked against /v1/models before a run). */
  model: string;
  /** chat: /v1/chat/completions with one user message; completions: /v1/completions with the prompt. */
  mode: 'chat' | 'completions';
  /** Extra request body fields passed through as-is (e.g. vLLM's `repetition_penalty`). */
  extraBody?: Record<string, JsonValue>;
  /** Requests in flight at once (vLLM batches concurrent requests: keep it full). */
  concurrency: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** Retries after the first attempt, for 429, 5xx, resets, timeouts, truncated or garbled responses. */
  maxRetries: number;
}

export const DEFAULT_ENDPOINT_SETTINGS = {
  mode: 'chat',
  concurrency: 8,
  timeoutMs: 120_000,
  maxRetries: 4,
} as const;

export interface Sampling {
  temperature: number;
  top_p: number;
  max_tokens: number;
  seed?: number;
}

/** Constrained decoding for servers that support it (vLLM structured outputs). */
export interface StructuredOutput {
  choice?: string[];
  regex?: string;
}

/** One generation request: the prompt text and how to sample. Everything here is part of the cache key. */
export interface LlmRequest {
  prompt: string;
  sampling: Sampling;
  structured?: StructuredOutput;
}

// Token counts are recorded in run records: their home is the protocol.
import type { TokenUsage } from '../protocol/runs';
export type { TokenUsage };

export interface LlmResponse {
  text: string;
  usage?: TokenUsage;
  finishReason?: string;
  /** Served from the on-disk response cache: no request was made. */
  cached: boolean;
  /** Attempts made (0 when cached). */
  attempts: number;
  latencyMs: number;
}

/** A model the pipeline can call. Implementations: OpenAI-compatible HTTP and local llama.cpp. */
export interface LlmClient {
  readonly endpoint: EndpointConfig;
  /** A short name for records and spans, e.g. "qwen2.5-7b@gpu-box:8000". */
  readonly label: string;
  complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse>;
  /** Fails with a clear message when the server is unreachable or does not serve the model. */
  check(signal?: AbortSignal): Promise<void>;
}

/** A request that failed after its retries (or could not be retried); the message names the endpoint. */
export class LlmError extends UserError {
  constructor(
    message: string,
    readonly attempts: number,
    readonly status?: number,
  ) {
    super(message);
  }
}
