/**
 * A first guess at a free-form question's task type, with the reason, for the user to confirm.
 *
 * The guess reads what the question shows: numbered options mean a choice among them (multiple
 * choice), an ordering of them (ranking) or a few of them (retrieval); without options it is an
 * entity extraction, a rating on a scale (ShopBench scores ratings as multiple choice) or an open
 * answer. The rules are data, first match wins, so they can be ported as they are (issue 15 moves
 * them to Python): patterns use only syntax JavaScript and Python's `re` read alike, and are
 * matched case-insensitively. On the 96 public ShopBench development questions the guess agrees
 * with `task_type` on every row (test/unit/lsp/inferTaskType.test.ts measures it).
 */
import { findNumberedOptions } from '../dataset/options';
import type { TaskType } from '../dataset/shopbench';
import type { InferTaskTypeResult } from '../protocol';

export interface InferenceRule {
  taskType: TaskType;
  /** true: only when the question lists numbered options; false: only when it lists none. */
  options?: boolean;
  /** A case-insensitive regular expression the question must match (absent: always). */
  pattern?: string;
  /** Why, for the user; `{match}` is the matched text, `{options}` the number of options. */
  reason: string;
}

const COUNT = '(?:[2-9]|1[0-9]|two|three|four|five|six|seven|eight|nine|ten)';

export const INFERENCE_RULES: readonly InferenceRule[] = [
  {
    taskType: 'ranking',
    options: true,
    pattern: '\\bpermutation\\b|\\bre-?rank|\\brank\\s+(?:the|all|these|them|each|every)\\b',
    reason: 'it lists {options} numbered items and asks to order them ("{match}")',
  },
  {
    taskType: 'retrieval',
    options: true,
    pattern: `\\b(?:select|choose|pick|retrieve|output)\\s+${COUNT}\\b|\\b${COUNT}\\s+(?:comma-separated\\s+)?numbers\\b|\\btop[- ]?${COUNT}\\b`,
    reason: 'it lists {options} numbered items and asks for several of them ("{match}")',
  },
  {
    taskType: 'multiple-choice',
    options: true,
    reason: 'it lists {options} numbered options and asks for one of them',
  },
  {
    taskType: 'named_entity_recognition',
    options: false,
    pattern: '\\bentit(?:y|ies)\\b',
    reason: 'it asks for the phrases of an entity type ("{match}")',
  },
  {
    taskType: 'multiple-choice',
    options: false,
    pattern: '\\bon\\s+a\\s+scale\\s+(?:of|from)\\s+\\d+\\s+to\\s+\\d+',
    reason: 'it asks for a rating ("{match}"), which is scored as a choice of a number',
  },
  {
    taskType: 'generation',
    reason:
      'it lists no numbered options and asks for neither entities nor a rating: an open answer',
  },
];

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
