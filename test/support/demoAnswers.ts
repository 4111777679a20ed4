/**
 * What the stand-alone test server answers: a short reasoning to a chain-of-thought request, "1"
 * to anything else. A CoT request is told by the reference's request wording ("chain of thought
 * step-by-step" / "step-bystep"), not by the words "chain of thought" alone: the final prompt of a
 * CoT run carries a "[Chain of Thought]" heading and must get an answer, not more reasoning.
 */
export const DEMO_REASONING = 'Because the first option fits.';

export function demoAnswer(prompt: string): string {
  return /chain of thought step/i.test(prompt) ? DEMO_REASONING : '1';
}
