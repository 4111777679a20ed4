/** Small ShopBench rows for the scoring tests: one multiple-choice, one of a text metric. */
import type { ShopBenchRow } from '../../../server/dataset/shopbench';

export function scoringRow(task_name: string, metric: ShopBenchRow['metric']): ShopBenchRow {
  return metric === 'accuracy'
    ? { input_field: 'Pick.', output_field: 1, task_name, task_type: 'multiple-choice', metric }
    : {
        input_field: 'Say.',
        output_field: 'a red bag',
        task_name,
        task_type: 'generation',
        metric,
      };
}
