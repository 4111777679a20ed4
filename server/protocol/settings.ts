/**
 * The pipeline settings a run request carries (from the `mcpo.*` settings in VS Code, from flags
 * in the CLI) and the secrets that travel beside them.
 */
import type { TaskType } from './shopBench';

/** The endpoint URL that means "run the model in-process with llama.cpp" instead of asking a server. */
export const LOCAL_BASE_URL = 'local';

/**
 * What is wrong with an endpoint URL, worded to follow its name (a flag or a setting); undefined
 * when it is http(s) or `local`. Without this, "127.0.0.1:8000/v1" fails later as an unreachable
 * endpoint ("Invalid URL") although the value itself is wrong. Here (pure) so the CLI, the engine
 * and VS Code's Configure Endpoints input boxes apply one rule.
 */
export function endpointUrlProblem(url: string): string | undefined {
  if (url === LOCAL_BASE_URL || /^https?:\/\/[^/\s]/i.test(url)) return undefined;
  const host = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '') || 'localhost:8000/v1';
  return `${JSON.stringify(url)} needs http:// or https:// (e.g. http://${host}), or "local" for an in-process model`;
}

/** The GGUF a local endpoint runs when no model is named (~398 MB download). */
export const DEFAULT_LOCAL_MODEL = 'hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M';

/** M_V and the scorer's "sent-transformer" model when none is set (package.json declares the same). */
export const DEFAULT_EMBED_MODEL = 'Xenova/all-MiniLM-L6-v2';

/** The scorer's "multilingual-sent-transformer" model when none is set. */
export const DEFAULT_MULTILINGUAL_EMBED_MODEL = 'Xenova/paraphrase-multilingual-MiniLM-L12-v2';

/**
 * Task types that get a chain of thought when none are set, in the CLI (`--cot-task-types`), in
 * VS Code (`mcpo.cot.taskTypes`, package.json declares the same) and in the paper preset: the
 * paper writes one for multiple-choice questions only.
 */
export const DEFAULT_COT_TASK_TYPES: readonly TaskType[] = ['multiple-choice'];

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
  /**
   * Top k similarity hints; absent when `mcpo.similarity.k` is not set: the preset's k (paper: 3),
   * else 0, as `mcpo run` without `--similarity-k` (and 3 for an ablation, as `mcpo ablate`).
   */
  similarityK?: number;
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
