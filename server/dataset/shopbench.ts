/**
 * The ShopBench row format (Amazon KDD Cup 2024) and the facts about it that the rest of the
 * engine relies on: which task types exist, which metric scores each, and the truth's shape.
 */

import { METRICS, TASK_TYPES, type Metric, type TaskType, type Truth } from '../protocol/shopBench';

// The task types, metrics and truth shape cross the wire: their one home is the protocol.
export { METRICS, TASK_TYPES, type Metric, type TaskType, type Truth };

/** The five official tracks, in the order the competition lists them. */
export const TRACKS = [
  'amazon-kdd-cup-24-understanding-shopping-concepts',
  'amazon-kdd-cup-24-shopping-knowledge-reasoning',
  'amazon-kdd-cup-24-user-behavior-alignment',
  'amazon-kdd-cup-24-multi-lingual-abilities',
] as const;

/** Which metrics the official evaluation pairs with each task type. */
export const METRICS_FOR_TASK_TYPE: Readonly<Record<TaskType, readonly Metric[]>> = {
  'multiple-choice': ['accuracy'],
  retrieval: ['hit rate@3'],
  ranking: ['ndcg'],
  generation: ['rougel', 'bleu', 'jp-bleu', 'sent-transformer', 'multilingual-sent-transformer'],
  named_entity_recognition: ['micro f1'],
};

/** One validated ShopBench question. */
export interface ShopBenchRow {
  input_field: string;
  output_field: Truth;
  task_name: string;
  task_type: TaskType;
  metric: Metric;
  is_multiple_choice?: boolean;
  track?: string;
}

export function isTaskType(value: unknown): value is TaskType {
  return typeof value === 'string' && (TASK_TYPES as readonly string[]).includes(value);
}

export function isMetric(value: unknown): value is Metric {
  return typeof value === 'string' && (METRICS as readonly string[]).includes(value);
}

export function isEmbeddingMetric(
  metric: Metric,
): metric is 'sent-transformer' | 'multilingual-sent-transformer' {
  return metric === 'sent-transformer' || metric === 'multilingual-sent-transformer';
}
