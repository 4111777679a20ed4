/**
 * The shapes of a run folder: its configuration (exactly what ran, no secrets) and one record
 * per question. Plain data, read by the CLI, the language server and the side panel.
 */
import type { TaskType } from '../dataset/shopbench';
import type { EndpointConfig, Sampling } from '../llm/types';
import type { CotConfig, SimilarityConfig, TemplatePreset } from '../pipeline/types';
import type { PromptParts } from '../pipeline/templates';
import type { RunConfigSummary } from '../protocol/runs';
import type { PresetName } from './presets';

export interface RunConfig {
  version: 1;
  runId: string;
  createdAt: string;
  /** A name for reports (ablation arm, user label). */
  label: string;
  /** The preset the run was asked for (`--preset`), null for none; absent in older runs. */
  preset?: PresetName | null;
  /** The dataset as the wire type says (server/protocol/runs.ts). */
  data: RunConfigSummary['data'];
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
  /**
   * A `--no-cache` run's start (ms since the epoch): it and its resumes replay only answers cached
   * from then on. Absent: the run replays any cached answer (and so do older runs).
   */
  replayCachedFrom?: number;
}

// A question's record is appended to the run and sent to the views: its home is the protocol.
export type { CallRecord, RunRecord } from '../protocol/runs';
