/**
 * How many tasks a run covers, answered or not: what "overall and track means cover 5 of 18
 * tasks" counts. Every question a run asked has a record (a failed one too, with its task), so a
 * run with a record per question in scope needs nothing else. A run that stopped early (Ctrl-C,
 * a crash) has no record for the questions it never asked: their tasks were counted when it was
 * made (config.json's data.taskCount), or for an older run come from its dataset.
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
  // Counted when the run was made; only older runs read their dataset again.
  const counted = config.data.taskCount;
  if (counted !== undefined) return Math.max(counted, names.size);
  const rows = rowTaskNames(runInputFile(config.data), config.data.rowCount);
  if (rows === undefined) return undefined;
  const invalid = new Set(config.data.invalid ?? []);
  for (const [index, task] of rows.entries()) {
    if (records.has(index) || invalid.has(index) || !inRunScope(index, config.data)) continue;
    if (task === undefined) return undefined;
    names.add(task);
  }
  return names.size;
}

/**
 * Each row's task name, kept per file while its size and time are the same: the side bar lists
 * runs on every change, and a 100,000-row file takes most of a second to split.
 */
const cache = new Map<string, { size: number; mtimeMs: number; names: (string | undefined)[] }>();
const CACHED_FILES = 8;

function rowTaskNames(file: string, rowCount: number): (string | undefined)[] | undefined {
  let stat: fs.Stats;
  let text: string;
  try {
    stat = fs.statSync(file);
    const hit = cache.get(file);
    if (hit && hit.size === stat.size && hit.mtimeMs === stat.mtimeMs)
      return hit.names.length === rowCount ? hit.names : undefined;
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let names: (string | undefined)[];
  try {
    names = splitRowTexts(file, text).map((row) => taskNameOf(row.text));
  } catch {
    return undefined; // a file edited into something else since the run
  }
  cache.delete(file);
  cache.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, names });
  if (cache.size > CACHED_FILES) cache.delete(cache.keys().next().value as string);
  // Another row count: the file was edited since the run, its rows are not the run's.
  return names.length === rowCount ? names : undefined;
}

/** A top-level "task_name" string never appears unescaped inside a JSON string: no full parse. */
const TASK_NAME = /"task_name"\s*:\s*"([^"\\]*)"/;

function taskNameOf(text: string): string | undefined {
  const quick = TASK_NAME.exec(text);
  if (quick) return quick[1];
  try {
    const value = JSON.parse(text) as { task_name?: unknown };
    return typeof value.task_name === 'string' ? value.task_name : undefined;
  } catch {
    return undefined;
  }
}
