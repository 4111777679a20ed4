/** `mcpo select` and `mcpo job`: fine-tuning data and the jobs that fine-tune, merge and quantize. */
import * as path from 'node:path';
import {
  JOB_HELP,
  JOB_OPTIONS,
  JOB_USAGE,
  runJob,
  runSelect,
  SELECT_HELP,
  SELECT_OPTIONS,
  SELECT_USAGE,
} from '../jobs/jobCommands';
import type { Command } from './command';

export const select: Command = {
  usage: SELECT_USAGE,
  options: SELECT_OPTIONS,
  help: SELECT_HELP,
  run: (v) =>
    runSelect(
      v,
      (s) => process.stdout.write(s),
      (s) => process.stderr.write(`${s}\n`),
    ),
};

export const job: Command = {
  positionals: true,
  usage: JOB_USAGE,
  options: JOB_OPTIONS,
  help: JOB_HELP,
  // The job script of a sweep calls this same CLI to select its data.
  run: (v, positionals) =>
    runJob(v, positionals, (s) => process.stdout.write(s), [
      process.execPath,
      path.resolve(process.argv[1] ?? __filename),
    ]),
};
