/** What the main thread sends the engine worker and what comes back (structured-clone data only). */
import type { MessagePort } from 'node:worker_threads';
import type { SampleInput, SampleScore } from '../scoring/evaluate';

/** The models behind the sent-transformer metrics (undefined: the official defaults). */
export interface ScoringModels {
  embedModel?: string;
  multilingualEmbedModel?: string;
}

/** A hub model's download progress, posted back while a model loads. */
export interface ModelProgress {
  model: string;
  file: string;
  loaded: number;
  total: number;
}

export type WorkerTask =
  | { kind: 'score'; samples: SampleInput[]; models: ScoringModels; progress?: MessagePort }
  | { kind: 'loadVectorModel'; model: string; progress?: MessagePort }
  | { kind: 'embed'; model: string; texts: string[]; prompt?: string; progress?: MessagePort }
  /** Loads, ahead of the first answer that needs them, the scorers a run's rows will use. */
  | { kind: 'warmScorers'; scorers: ScorerWarmUp; progress?: MessagePort };

/** What loads before a metric can score: the Japanese dictionary and the embedding models. */
export interface ScorerWarmUp {
  japanese: boolean;
  embeddingMetrics: ('sent-transformer' | 'multilingual-sent-transformer')[];
  models: ScoringModels;
}

export type WorkerReply =
  | { kind: 'scores'; scores: SampleScore[] }
  | {
      kind: 'loaded';
      modelId: string;
      prompts: Record<string, string>;
      defaultPromptName?: string;
    }
  | { kind: 'vectors'; vectors: Float32Array[] }
  | { kind: 'warmed' }
  /** A UserError thrown in the worker: rebuilt on the main thread so it stays user-facing. */
  | { kind: 'userError'; name: string; message: string };
