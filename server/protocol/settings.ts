/**
 * The pipeline settings a run request carries (from the `mcpo.*` settings in VS Code, from flags
 * in the CLI) and the secrets that travel beside them.
 */
import type { TaskType } from './shopBench';

/** Endpoint settings as the client holds them (keys travel separately, in memory only). */
export interface EndpointSettings {
  url: string;
  model: string;
  mode: 'chat' | 'completions';
  concurrency: number;
}

/** The pipeline configuration a run uses, from the `mcpo.*` settings. */
export interface PipelineSettings {
  /** A named preset (`paper`): the settings below that the user did not set come from it. */
  preset?: 'paper';
  /** With a preset: the `mcpo.*` keys the user set explicitly (they override the preset's pieces). */
  explicit?: string[];
  llm?: EndpointSettings;
  slm?: EndpointSettings;
  embedModel: string;
  templates: string;
  cot: 'off' | 'self' | 'slm';
  cotTaskTypes: TaskType[];
  similarityK: number;
  constrained: boolean;
  runsDir: string;
  cacheDir: string;
  scoringEmbedModel?: string;
  scoringMultilingualEmbedModel?: string;
}

/** API keys from SecretStorage, sent with each run request, never stored or logged by the server. */
export interface Secrets {
  llmApiKey?: string;
  slmApiKey?: string;
}
