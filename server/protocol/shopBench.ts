/**
 * The ShopBench facts that cross the wire: task types, metrics and the truth's shape. The
 * engine's dataset module re-exports them (server/dataset/shopbench.ts); the views and the
 * settings read the same constants from here.
 */

export const TASK_TYPES = [
  'multiple-choice',
  'retrieval',
  'ranking',
  'generation',
  'named_entity_recognition',
] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export const METRICS = [
  'accuracy',
  'hit rate@3',
  'ndcg',
  'rougel',
  'bleu',
  'jp-bleu',
  'micro f1',
  'sent-transformer',
  'multilingual-sent-transformer',
] as const;
export type Metric = (typeof METRICS)[number];

/** The truth types the metrics accept (what `output_field` holds). */
export type Truth = number | number[] | string | string[];
