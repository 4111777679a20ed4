/** `mcpo validate`: every problem of a dataset file with file:line:column, and how many rows are valid. */
import { formatProblem, validateDataset } from '../dataset/load';
import { requireOption, type Command } from './command';

export const validate: Command = {
  usage: 'mcpo validate --data <dataset.jsonl|.json>',
  options: { data: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  help: 'Exit code 0 when every row is valid, 1 when some row has an error (warnings alone do not fail).',
  async run(v) {
    const data = requireOption(v, 'data', 'validate', validate.usage);
    const dataset = await validateDataset(data);
    for (const p of dataset.problems) process.stderr.write(`${formatProblem(p)}\n`);
    const errors = dataset.rowCount - dataset.validCount;
    process.stdout.write(
      `${dataset.validCount} of ${dataset.rowCount} rows valid${errors > 0 ? `, ${errors} with errors` : ''}\n`,
    );
    return errors > 0 ? 1 : 0;
  },
};
