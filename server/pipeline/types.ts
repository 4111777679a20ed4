/**
 * What the MCPO pipeline produces for one question: the final prompt and the provenance of every
 * segment a stage inserted or replaced, with exact offsets. Views render from these spans; nothing
 * re-diffs strings to guess what was inserted.
 */
import type { TaskType } from '../dataset/shopbench';

// The prompt and its provenance spans are what the views render: their home is the protocol.
export type { AssembledPrompt, OptionScore, ProvenanceSpan, Stage } from '../protocol/runs';

/** Which prompt-template preset frames questions. */
export type TemplatePreset = 'paper' | 'none';

/** The text around the question and the chain of thought in the final prompt. */
export interface CotLayout {
  /** Before the question (reference: "[Question]\n"). */
  question: string;
  /** Between the question and the chain of thought (reference: "\n\n[Chain of Thought]\n"). */
  chain: string;
  /** After the chain of thought, ending where the model answers (reference: "\n\n[Answer]\nTherefore, the answer is "). */
  answer: string;
}

export interface CotConfig {
  mode: 'off' | 'self' | 'slm';
  /** Task types that get a chain of thought (configuration, not the reference code's accidental condition). */
  taskTypes: TaskType[];
  /** The request sent to the CoT model; `{question}` is replaced by the question without its answer cue. */
  request: string;
  /** The final prompt's layout around the chain of thought. */
  layout: CotLayout;
  /** Sampling of the CoT call (reference: self 150 tokens, temperature 0, top_p 0.9; SLM 50 / 0.5; see cot.ts). */
  maxTokens: number;
  temperature: number;
  /** Absent in runs made before it was recorded (they sent 0.9). */
  topP?: number;
}

export interface SimilarityConfig {
  /** How many top options to insert; 0 turns the stage off. */
  k: number;
  taskTypes: TaskType[];
  /** The hint's lead sentence (paper wording by default). */
  wording: string;
  /** How options are scored against the question body (reference process_similarity: dot); absent in older runs: cosine. */
  score?: SimilarityScore;
  /**
   * What goes before the question body when M_V embeds it: 'model' = the model's own query prompt
   * (config_sentence_transformers.json: prompts.query, else its default_prompt_name), 'none', or a
   * text; absent in older runs: 'none'.
   */
  queryPrompt?: QueryPrompt;
}

export type SimilarityScore = 'dot' | 'cosine';
export type QueryPrompt = 'model' | 'none' | { text: string };
