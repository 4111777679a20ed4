/**
 * The task-type inference rules, in their one home: plain data that both languages read. The
 * engine interprets them in inferTaskType.ts; `mcpo export submission` writes them, as JSON, into
 * the exported model's models/mcpo_config.json, where mcpo_prompt.py's infer_task_type interprets
 * them the same way (test/unit/export checks the two agree row by row).
 *
 * First match wins. A pattern is matched case-insensitively and is written in the part of the
 * regular-expression syntax JavaScript (no flags but `i`) and Python's `re` (IGNORECASE | ASCII,
 * with `\s` spelled out as JavaScript's Unicode spaces) read alike: literals, groups `(?:...)`,
 * alternation, classes, quantifiers, and the escapes `\b`, `\d`, `\s` and escaped punctuation;
 * no `.`, `$`, `\w`, `\S`, lookbehind or named groups, ASCII only.
 * test/unit/export/taskTypeRules.test.ts enforces that subset.
 */
import type { TaskType } from '../dataset/shopbench';

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
