/**
 * A first guess at a free-form question's task type, with the reason, for the user to confirm.
 *
 * The guess reads what the question shows: numbered options mean a choice among them (multiple
 * choice), an ordering of them (ranking) or a few of them (retrieval); without options it is an
 * entity extraction, a rating on a scale (ShopBench scores ratings as multiple choice) or an open
 * answer. The rules are data, first match wins, and live in taskTypeRules.ts, the one home the
 * exported Python model reads them from too. On the 96 public ShopBench development questions the
 * guess agrees with `task_type` on every row (test/unit/lsp/inferTaskType.test.ts measures it).
 */
import { findNumberedOptions } from '../dataset/options';
import type { TaskType } from '../dataset/shopbench';
import type { InferTaskTypeResult } from '../protocol/runs';
import { INFERENCE_RULES, type InferenceRule } from './taskTypeRules';

export { INFERENCE_RULES, type InferenceRule };

export function inferTaskType(
  question: string,
  rules: readonly InferenceRule[] = INFERENCE_RULES,
): InferTaskTypeResult {
  const options = findNumberedOptions(question).length;
  for (const rule of rules) {
    if (rule.options !== undefined && rule.options !== options > 0) continue;
    let match = '';
    if (rule.pattern !== undefined) {
      const m = new RegExp(rule.pattern, 'i').exec(question);
      if (!m) continue;
      match = m[0];
    }
    return {
      taskType: rule.taskType,
      reason: rule.reason.replace('{match}', match).replace('{options}', String(options)),
    };
  }
  // The last rule matches everything; this is only reached with a custom rule list.
  return { taskType: 'generation', reason: 'no rule matched: an open answer' };
}

/**
 * The task type as the exported submission infers it (mcpo_prompt.py's infer_task_type is this
 * function in Python): the official evaluator passes only is_multiple_choice, which settles
 * multiple choice; the rules settle the rest, skipping those that answer multiple choice.
 */
export function inferSubmissionTaskType(
  question: string,
  isMultipleChoice: boolean,
  rules: readonly InferenceRule[] = INFERENCE_RULES,
): TaskType {
  if (isMultipleChoice) return 'multiple-choice';
  return inferTaskType(
    question,
    rules.filter((r) => r.taskType !== 'multiple-choice'),
  ).taskType;
}
