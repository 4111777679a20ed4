/**
 * The shapes of a run folder: its configuration (exactly what ran, no secrets) and one record
 * per question. Plain data, read by the CLI, the language server and the side panel.
 */
import type { Metric, TaskType, Truth } from '../dataset/shopbench';
import type { EndpointConfig, Sampling, TokenUsage } from '../llm/types';
import type {
  AssembledPrompt,
  CotConfig,
  OptionScore,
  SimilarityConfig,
  TemplatePreset,
} from '../pipeline/types';
import type { PromptParts } from '../pipeline/templates';
import type { ParsedAnswer } from '../scoring/parsers';
import type { PresetName } from './presets';
import type { SampleValue } from '../scoring/evaluate';

export interface RunConfig {
  version: 1;
  runId: string;
  createdAt: string;
  /** A name for reports (ablation arm, user label). */
  label: string;
  /** The preset the run was asked for (`--preset`), null for none; absent in older runs. */
  preset?: PresetName | null;
  data: { file: string; sha256: string; rowCount: number; limit?: number };
  llm: EndpointConfig;
  slm?: EndpointConfig;
  /** M_V, the vector model for similarity hints. */
  embedModel: string;
  templates: TemplatePreset | { file: string };
  /** The paper's prompt parts per task type (with `templates: 'paper'`); absent in older runs (Prompt1 + Prompt2). */
  promptParts?: PromptParts;
  cot: CotConfig;
  similarity: SimilarityConfig;
  /** Final-answer sampling per task type (paper: temperature 0, top_p 0.9, fixed seed; 2 tokens for MCQ, 70 otherwise). */
  answerSampling: Record<TaskType, Sampling>;
  /** Constrained decoding (vLLM structured outputs) for multiple choice and ranking. */
  constrained: boolean;
  /** Models the scorer uses for the sent-transformer metrics. */
  scoring: { embedModel: string; multilingualEmbedModel: string };
}

export interface CallRecord {
  model: string;
  prompt: string;
  text: string;
  usage?: TokenUsage;
  cached: boolean;
  attempts: number;
  latencyMs: number;
}

export interface RunRecord {
  index: number;
  task_name: string;
  task_type: TaskType;
  metric: Metric;
  track?: string;
  status: 'ok' | 'failed';
  /** The row's truth (output_field), so a record can be read on its own. */
  truth?: Truth;
  stages: {
    cot?: CallRecord;
    similarity?:
      | {
          model: string;
          k: number;
          scores: OptionScore[];
          /** The text M_V put before the question body (its query prompt), when there was one. */
          queryPrompt?: string;
        }
      | { skipped: string };
  };
  prompt?: AssembledPrompt;
  answer?: CallRecord;
  response?: string;
  parsed?: ParsedAnswer;
  /** The official per-sample value; null when the question failed or could not be scored. */
  score: SampleValue | null;
  /** numpy dtype of the score for task means (see scoring/numpyMean.ts). */
  dtype?: 'float32' | 'float64';
  warnings: string[];
  timings: { totalMs: number; cotMs?: number; answerMs?: number };
  error?: {
    stage: 'template' | 'similarity' | 'cot' | 'answer' | 'score';
    message: string;
    attempts?: number;
  };
}
