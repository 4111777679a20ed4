/** A first guess at a free-form question's task type, with the reason, for the user to confirm. */
import { findNumberedOptions } from '../dataset/options';
import type { InferTaskTypeResult } from '../protocol';

export function inferTaskType(question: string): InferTaskTypeResult {
  const options = findNumberedOptions(question);
  // Ranking and retrieval prompts also list numbered items and end with a cue, so their wording is checked first.
  const rank = /\b(re-?rank\w*|rank\w*|permutation)\b/i.exec(question);
  if (rank)
    return { taskType: 'ranking', reason: `the question asks for a ranking ("${rank[0]}")` };
  const pick =
    /\b(select|choose|pick|retrieve)\s+(3|three)\b|\bthree\s+numbers\b|\btop[- ]?(3|three)\b/i.exec(
      question,
    );
  if (pick)
    return { taskType: 'retrieval', reason: `the question asks for three items ("${pick[0]}")` };
  if (options.length > 0 && /\banswer\s*:/i.test(question)) {
    return {
      taskType: 'multiple-choice',
      reason: `the question lists ${options.length} numbered options and ends with "Answer:"`,
    };
  }
  const extract = /\b(extract\w*|entit(y|ies))\b/i.exec(question);
  if (extract)
    return {
      taskType: 'named_entity_recognition',
      reason: `the question asks to extract entities ("${extract[0]}")`,
    };
  return {
    taskType: 'generation',
    reason: 'no options, ranking, retrieval or extraction wording: an open answer',
  };
}
