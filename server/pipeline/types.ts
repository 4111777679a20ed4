/**
 * What the MCPO pipeline produces for one question: the final prompt and the provenance of every
 * segment a stage inserted or replaced, with exact offsets. Views render from these spans; nothing
 * re-diffs strings to guess what was inserted.
 */
import type { TaskType } from '../dataset/shopbench';

export type Stage = 'template' | 'cot' | 'similarity';

export interface OptionScore {
  /** The option's number as written in the prompt. */
  number: number;
  text: string;
  /** Similarity between the question body and the option (M_V embeddings; dot product or cosine). */
  score: number;
}

export interface ProvenanceSpan {
  /** [start, end) offsets in the final prompt (UTF-16 code units, as JavaScript and VS Code count). */
  start: number;
  end: number;
  stage: Stage;
  /** inserted: new text; replaced: `original` text of the question was replaced by this span. */
  kind: 'inserted' | 'replaced';
  /** For replaced spans: the original text that this span stands for. */
  original?: string;
  /** The model that produced the text (CoT: M_L or M_S; similarity: M_V); absent for fixed template text. */
  model?: string;
  /** For similarity spans: every option's score, best first. */
  scores?: OptionScore[];
  /**
   * 'scaffold': fixed layout text a stage wraps around its output (the CoT layout's "[Question]",
   * "[Chain of Thought]" and "[Answer]" headings), so views can tell it from model-written text.
   * Absent for text the stage produced. Scaffold spans carry no model.
   */
  role?: 'scaffold';
}

export interface AssembledPrompt {
  original: string;
  final: string;
  spans: ProvenanceSpan[];
}

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
