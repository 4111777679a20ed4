/**
 * How many tasks a run covers, answered or not: what "overall and track means cover 5 of 18
 * tasks" counts. Every question a run asked has a record (a failed one too, with its task), so a
 * run with a record per question in scope needs nothing else. A run that stopped early (Ctrl-C,
 * a crash) has no record for the questions it never asked: their tasks come from its dataset.
 */
import * as fs from 'node:fs';
import { splitRowTexts } from '../dataset/rowTexts';
import type { RunConfig, RunRecord } from './runTypes';
import { inRunScope, questionsInScope } from './runScope';
import { runInputFile } from './runData';

/**
 * The number of distinct tasks among the run's rows; undefined when the run stopped early and
 * its dataset can no longer be read as it was (moved, or edited: another row count).
 */
export function runTaskCount(
  config: Pick<RunConfig, 'data'>,
  records: ReadonlyMap<number, Pick<RunRecord, 'task_name'>>,
): number | undefined {
  const names = new Set<string>();
  for (const r of records.values()) names.add(r.task_name);
  if (records.size >= questionsInScope(config.data)) return names.size;
  const file = runInputFile(config.data);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let rows;
  try {
    rows = splitRowTexts(file, text);
  } catch {
    return undefined; // a file edited into something else since the run
  }
  if (rows.length !== config.data.rowCount) return undefined;
  const invalid = new Set(config.data.invalid ?? []);
  for (const row of rows) {
    const index = row.rowIndex;
    if (records.has(index) || invalid.has(index) || !inRunScope(index, config.data)) continue;
    const task = taskNameOf(row.text);
    if (task === undefined) return undefined;
    names.add(task);
  }
  return names.size;
}

function taskNameOf(text: string): string | undefined {
  try {
    const value = JSON.parse(text) as { task_name?: unknown };
    return typeof value.task_name === 'string' ? value.task_name : undefined;
  } catch {
    return undefined;
  }
}
