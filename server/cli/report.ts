/** `mcpo report`: scores of runs, differences from the first with bootstrap intervals, the paper's tables. */
import * as path from 'node:path';
import { checkpointTablesText, runDirsOf } from '../jobs/checkpoint';
import { compareRunRecords, sameDataset, summarizeRun } from '../runs/report';
import { formatDifferences, formatRunsTable } from '../runs/runReportText';
import { RunStore } from '../runs/runStore';
import {
  datasetsDiffer,
  nothingComparable,
  notScoredInBoth,
  shortRunLabel,
} from '../protocol/runLabels';
import { UsageError } from '../userError';
import { intOption, type Command } from './command';

export const report: Command = {
  positionals: true,
  usage: 'mcpo report <run dir | pipeline id> [...] [--resamples N] [--runs-dir DIR]',
  options: {
    resamples: { type: 'string' },
    'runs-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  help: `The first run is the baseline; every other run is compared with it over the questions both answered.
A pipeline id (pipeline-...) stands for the runs its eval steps recorded in --runs-dir (default .mcpo/runs).
Runs of different models print the paper's Table 3 (model selection); runs of checkpoints fine-tuned on
different N, and their SLERP merge, print Table 4 (data size N and the merge).`,
  async run(v, positionals) {
    if (positionals.length === 0)
      throw new UsageError(`mcpo report: give at least one run folder\nusage: ${report.usage}`);
    const runsDir = (v['runs-dir'] as string | undefined) ?? path.join('.mcpo', 'runs');
    const dirs = positionals.flatMap((p) => runDirsOf(p, runsDir));
    const stores = dirs.map((dir) => RunStore.open(dir));
    const summaries = stores.map((s) => summarizeRun(s));
    process.stdout.write(formatRunsTable(summaries));
    const resamples = intOption(v, 'resamples', 'report', 10) ?? 1000;
    const base = stores[0];
    // Named as the table's columns and legend name them: two runs of one configuration share a
    // label, their numbers tell them apart.
    const name = (i: number): string => `[${i + 1}] ${shortRunLabel(stores[i].config.label)}`;
    for (const [i, other] of stores.entries()) {
      if (i === 0) continue;
      const comparison = compareRunRecords(
        base.records.values(),
        other.records.values(),
        resamples,
      );
      const datasets = sameDataset(base.config.data, other.config.data)
        ? ''
        : `${datasetsDiffer(
            { file: base.config.data.file, questions: base.records.size },
            { file: other.config.data.file, questions: other.records.size },
            comparison.paired,
          )}\n`;
      if (comparison.paired === 0) {
        const why =
          comparison.notScored > 0
            ? nothingComparable(comparison.notScored)
            : 'no question answered by both (same index, task and truth)';
        process.stdout.write(`\n${datasets}${name(i)}: not compared with ${name(0)}: ${why}\n`);
        continue;
      }
      const left = [
        ...(comparison.mismatched > 0
          ? [`${comparison.mismatched} questions left out: same index, different task or truth`]
          : []),
        ...(comparison.notScored > 0 ? [`${notScoredInBoth(comparison.notScored)}, left out`] : []),
      ];
      const note = left.length > 0 ? ` (${left.join('; ')})` : '';
      process.stdout.write(
        `\n${datasets}${formatDifferences(name(0), name(i), comparison.differences)}over ${comparison.paired} paired questions${note}\n`,
      );
    }
    process.stdout.write(checkpointTablesText(stores, resamples));
    return 0;
  },
};
