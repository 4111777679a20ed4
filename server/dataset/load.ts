/**
 * Loads a ShopBench dataset: every row parsed and validated, every problem positioned. Invalid
 * rows are reported and left out; valid rows stay usable, and keep their ordinal in the file
 * so predictions (one per dataset row) still line up.
 */
import { jsonErrorOffset, jsonErrorReason } from './jsonPositions';
import {
  emitRowTexts,
  feedRowTexts,
  looksLikeJsonArray,
  splitRowTexts,
  type RowText,
} from './rowTexts';
import type { ShopBenchRow } from './shopbench';
import { locate, TaskMetricCheck, validateRow, type DatasetProblem } from './validate';
import { openForReading } from '../util/openForReading';

export interface LoadedRow {
  /** 0-based ordinal of the row in the file, counting invalid rows too. */
  index: number;
  /** 1-based line where the row starts. */
  line: number;
  row: ShopBenchRow;
}

export interface LoadedDataset {
  file: string;
  /** All rows seen, valid or not. */
  rowCount: number;
  rows: LoadedRow[];
  problems: DatasetProblem[];
}

/** Parses and validates one row's text. */
export function checkRowText(
  file: string,
  raw: RowText,
): { row?: LoadedRow; problems: DatasetProblem[] } {
  let value: unknown;
  try {
    value = JSON.parse(raw.text);
  } catch (err) {
    const offset = jsonErrorOffset(err) ?? 0;
    const { line, column } = locate(raw, offset);
    return {
      problems: [
        {
          severity: 'error',
          message: `row ${raw.rowIndex + 1} is not valid JSON: ${jsonErrorReason(err)}`,
          file,
          line,
          column,
          rowIndex: raw.rowIndex,
        },
      ],
    };
  }
  const { row, problems } = validateRow(value, {
    file,
    rowIndex: raw.rowIndex,
    line: raw.line,
    column: raw.column,
    text: raw.text,
  });
  return { row: row && { index: raw.rowIndex, line: raw.line, row }, problems };
}

/** Streams and validates a dataset file (JSON Lines or a JSON array). */
export async function loadDataset(file: string, options: ReadOptions = {}): Promise<LoadedDataset> {
  const out: LoadedDataset = { file, rowCount: 0, rows: [], problems: [] };
  await streamDataset(out, (row) => out.rows.push(row), options);
  return out;
}

/** What `mcpo validate` reports: the problems and how many rows are valid, no rows kept. */
export interface DatasetCheck {
  file: string;
  rowCount: number;
  validCount: number;
  problems: DatasetProblem[];
}

/**
 * Validates a dataset file without keeping its rows: each parsed row is garbage as soon as it
 * is checked, so a large file costs the garbage collector little (keeping 100,000 parsed rows
 * alive is what made validation slower than parsing).
 */
export async function validateDataset(
  file: string,
  options: ReadOptions = {},
): Promise<DatasetCheck> {
  const out: DatasetCheck = { file, rowCount: 0, validCount: 0, problems: [] };
  await streamDataset(out, () => out.validCount++, options);
  return out;
}

/**
 * Files up to this size are read in one call and split in memory. A run's first requests wait
 * for its dataset, and streaming costs one read per megabyte plus a second open to tell a JSON
 * array: for the 384-row bench file that was 2-3 times one read (2 cores, under load). Larger
 * files stream, so their text never sits in memory whole.
 */
const READ_WHOLE_UP_TO = 4 << 20;

export interface ReadOptions {
  /** Files up to this many bytes are read in one call (default 4 MB); -1 streams every file. */
  readWholeUpTo?: number;
}

async function streamDataset(
  out: { file: string; rowCount: number; problems: DatasetProblem[] },
  valid: (row: LoadedRow) => void,
  { readWholeUpTo = READ_WHOLE_UP_TO }: ReadOptions,
): Promise<void> {
  const { file } = out;
  const tasks = new TaskMetricCheck();
  const check = (raw: RowText): void => collect(out, tasks, raw, valid);
  const whole = readWholeUpTo < 0 ? undefined : await readWhole(file, readWholeUpTo);
  let jsonArray: boolean;
  if (whole !== undefined) jsonArray = emitRowTexts(file, whole, check).jsonArray;
  else {
    // Each row is checked as it is read (see feedRowTexts); nothing to do between reads.
    for await (const _ of feedRowTexts(file, check));
    jsonArray = await startsAsJsonArray(file);
  }
  if (jsonArray) {
    // We read both; the official local_evaluation.py reads pd.read_json(lines=True) only.
    out.problems.unshift({
      severity: 'warning',
      message:
        'this file is a JSON array: mcpo reads it, but the official local_evaluation.py loads datasets with pd.read_json(lines=True) and raises ValueError on it; write one JSON object per line to run it there',
      file,
      line: 1,
      column: 1,
      rowIndex: 0,
    });
  }
}

/** The file's bytes when it has at most `limit` of them; undefined for a larger file. */
async function readWhole(file: string, limit: number): Promise<Buffer | undefined> {
  const handle = await openForReading(file);
  try {
    return (await handle.stat()).size > limit ? undefined : await handle.readFile();
  } finally {
    await handle.close();
  }
}

async function startsAsJsonArray(file: string): Promise<boolean> {
  const handle = await openForReading(file);
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
    return looksLikeJsonArray(buffer.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await handle.close();
  }
}

/** Validates a dataset held in memory (an editor document). */
export function checkDatasetText(file: string, text: string): LoadedDataset {
  const out: LoadedDataset = { file, rowCount: 0, rows: [], problems: [] };
  const tasks = new TaskMetricCheck();
  for (const raw of splitRowTexts(file, text))
    collect(out, tasks, raw, (row) => out.rows.push(row));
  return out;
}

function collect(
  out: { file: string; rowCount: number; problems: DatasetProblem[] },
  tasks: TaskMetricCheck,
  raw: RowText,
  valid: (row: LoadedRow) => void,
): void {
  out.rowCount++;
  const { row, problems } = checkRowText(out.file, raw);
  // Rows are checked against the earlier rows of their task (the official aggregation's rule).
  const across = row && tasks.check(row.row, { file: out.file, ...raw });
  if (row && across?.severity !== 'error') valid(row);
  for (const p of problems) out.problems.push(p);
  if (across) out.problems.push(across);
}

/** `file:line:column: severity: message`, the format editors and terminals link. */
export function formatProblem(p: DatasetProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.severity}: ${p.message}`;
}
