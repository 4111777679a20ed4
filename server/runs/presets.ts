/**
 * Named presets: one flag that fills in every choice a configuration stands for. An explicit
 * option always wins over the preset, one piece at a time; the run's config.json records the
 * preset's name and every resolved value.
 */
import { PAPER_EMBED_MODEL } from '../embed/embedder';
import { PAPER_PROMPT_PARTS, clonePromptParts } from '../pipeline/templates';
import type { RunOptions } from './startRun';
import { DEFAULT_COT_TASK_TYPES } from '../protocol/settings';

export const PRESETS = ['paper'] as const;
export type PresetName = (typeof PRESETS)[number];

export function isPresetName(value: unknown): value is PresetName {
  return typeof value === 'string' && (PRESETS as readonly string[]).includes(value);
}

/** The reference's AICROWD_RUN_SEED default (model_best.py). */
export const PAPER_SEED = 773815;

/**
 * "MCPO as in the paper" (the reference note's "The paper's configuration, all in one place"):
 * - templates: Prompt1 + Prompt2 per task type, Prompt3 off, NER untouched (paper section 5);
 * - CoT on multiple choice only, by M_S when one is configured, else by M_L (Table 1);
 * - similarity hints on ranking only, top 3 (Table 2);
 * - M_V Snowflake/snowflake-arctic-embed-m, query side with its query prompt, dot product
 *   (reference process_similarity);
 * - the final prompt (and the CoT requests) as raw text: /v1/completions, or a plain completion
 *   without the chat template for a local GGUF (reference batch_predict: LLM.generate on strings);
 * - answer sampling temperature 0, top_p 0.9, seed 773815, 2 tokens for multiple choice, 70
 *   otherwise (reference batch_predict; see runner.ts paperAnswerSampling);
 * - CoT sampling as the reference (cot.ts DEFAULT_COT_SAMPLING).
 */
export function applyPreset(options: RunOptions): RunOptions {
  if (options.preset === undefined) return options;
  if (options.preset !== 'paper') throw new Error(`unknown preset ${String(options.preset)}`);
  return {
    ...options,
    templates: options.templates ?? 'paper',
    promptParts: options.promptParts ?? clonePromptParts(PAPER_PROMPT_PARTS),
    cot: options.cot ?? (options.slm ? 'slm' : 'self'),
    cotTaskTypes: options.cotTaskTypes ?? [...DEFAULT_COT_TASK_TYPES],
    similarityK: options.similarityK ?? 3,
    similarityTaskTypes: options.similarityTaskTypes ?? ['ranking'],
    embedModel: options.embedModel ?? PAPER_EMBED_MODEL,
    queryPrompt: options.queryPrompt ?? 'model',
    similarityScore: options.similarityScore ?? 'dot',
    llm: { ...options.llm, mode: options.llm.mode ?? 'completions' },
    slm: options.slm ? { ...options.slm, mode: options.slm.mode ?? 'completions' } : undefined,
    seed: options.seed ?? PAPER_SEED,
  };
}
