/**
 * Chain of thought (MCPO reference code): the question, without its answer cue, is sent to a CoT
 * model (the large model itself, M_L, or a small one, M_S); its reasoning is laid out between the
 * question and a "Therefore, the answer is " lead-in (see assemble.ts).
 */
import type { CotConfig, CotLayout } from './types';
import { findAnswerCue } from './templates';

/** The reference code's requests, verbatim (including its "step-bystep" typo, which the SLM saw). */
export const DEFAULT_COT_REQUESTS: Readonly<Record<'self' | 'slm', string>> = {
  self: 'Provide your chain of thought step-by-step for this question: {question}',
  slm: '{question}\nChain of thought step-bystep in 50 words: \n',
};

/**
 * Sampling of the reference CoT calls, the one place these numbers live: self = vllm_generate
 * (150 tokens, temperature 0, top_p 0.9); small model = little_model_cot / generate_small
 * (50 new tokens, temperature 0.5; it sets no top_p, so transformers' default 1.0).
 */
export const DEFAULT_COT_SAMPLING: Readonly<
  Record<'self' | 'slm', Required<Pick<CotConfig, 'maxTokens' | 'temperature' | 'topP'>>>
> = {
  self: { maxTokens: 150, temperature: 0, topP: 0.9 },
  slm: { maxTokens: 50, temperature: 0.5, topP: 1 },
};

/** The text around the question and the chain of thought in the final prompt. */
export const COT_LAYOUT: CotLayout = {
  question: '[Question]\n',
  chain: '\n\n[Chain of Thought]\n',
  answer: '\n\n[Answer]\nTherefore, the answer is ',
};

const PLACEHOLDER = '{question}';

/**
 * The prompt sent to the CoT model. `question` is used verbatim: pass `questionWithoutCue(...)`
 * of the prompt (stripping is not idempotent: task15 ends "Output:\nAnswer: ").
 */
export function cotRequestPrompt(config: CotConfig, question: string): string {
  if (config.mode === 'off') throw new Error('cotRequestPrompt: chain of thought is off');
  if (!config.request.includes(PLACEHOLDER))
    throw new Error(`the CoT request has no ${PLACEHOLDER} placeholder`);
  // split/join rather than replace(): a question containing "$&" must not be expanded.
  return config.request.split(PLACEHOLDER).join(question);
}

/** The prompt without its trailing "Answer:"/"Output:" cue line and without trailing whitespace. */
export function questionWithoutCue(prompt: string): string {
  const cue = findAnswerCue(prompt);
  return (cue ? prompt.slice(0, cue.start) : prompt).trimEnd();
}
