/**
 * Picks the backend for an endpoint: `baseUrl: 'local'` runs the GGUF named by `model` in-process
 * (localLlama.ts); anything else is an OpenAI-compatible server (openaiClient.ts).
 */
import { LOCAL_BASE_URL, createLocalLlamaClient } from './localLlama';
import { createOpenAiClient, type OpenAiClientOptions } from './openaiClient';
import type { EndpointConfig, LlmClient } from './types';

export interface CreateClientOptions extends OpenAiClientOptions {
  /** Local backend only: CPU threads (default: 1 for tiny models, else min(cores, 4)). */
  threads?: number;
  /** Local backend only: context size in tokens. */
  contextSize?: number;
  /** Local backend only: where hub models are downloaded (default ~/.cache/mcpo/models). */
  modelCacheDir?: string;
  /** Local backend only: download progress of a hub model. */
  onModelProgress?: (p: { loaded: number; total: number; file: string }) => void;
}

export function isLocalEndpoint(endpoint: Pick<EndpointConfig, 'baseUrl'>): boolean {
  return endpoint.baseUrl === LOCAL_BASE_URL;
}

export function createClient(
  endpoint: EndpointConfig,
  options: CreateClientOptions = {},
): LlmClient {
  if (!isLocalEndpoint(endpoint)) return createOpenAiClient(endpoint, options);
  return createLocalLlamaClient({
    model: endpoint.model,
    endpoint,
    threads: options.threads,
    contextSize: options.contextSize,
    cacheDir: options.modelCacheDir,
    onProgress: options.onModelProgress,
    responseCache: options.cache,
  });
}
