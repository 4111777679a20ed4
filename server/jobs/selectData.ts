/**
 * MCPO's instruction data selection (reference: "Model-level parameter optimization"): the first
 * N/2 rows of ECInstruct's training split and the first N/2 of its validation split, optionally
 * restricted to one setting and some tasks, written as alpaca JSON Lines for axolotl.
 *
 * The source is streamed (JSON Lines line by line, a JSON array element by element) and reading
 * stops as soon as both halves are full, so a multi-gigabyte ECInstruct file costs one pass over
 * its head only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRowTexts } from '../dataset/rowTexts';
import { parsePythonListOfStr } from '../scoring/python/pythonLiteral';
import { UserError } from '../userError';

export interface SelectOptions {
  from: string;
  n: number;
  out: string;
  /** Keep only rows of this ECInstruct setting, e.g. IND_Diverse_Instruction. */
  setting?: string;
  /** Keep only rows of these tasks. */
  tasks?: string[];
}

export interface AlpacaRow {
  instruction: string;
  input: string;
  output: string;
}

/** A row of the selection window that cannot be used: where it is, which field, and why. */
export interface BadRow {
  /** 0-based position of the row in the file (array element or non-blank line). */
  index: number;
  line: number;
  column: number;
  /** The field at fault; absent when the row itself is not a JSON object. */
  field?: string;
  reason: string;
  /** `row <index>: field "<field>" <reason>`, for one-line reports. */
  message: string;
}

export interface SelectResult {
  /** Rows written, per task and split (only "train" and "val" are ever selected). */
  counts: Record<string, { train: number; val: number }>;
  train: number;
  val: number;
  /** Malformed rows met while reading (excluded, never replaced by later rows). */
  badRows: BadRow[];
  /** Rows read before both halves were full (the rest of the file is never read). */
  rowsRead: number;
  /**
   * Set when malformed rows were excluded: the output is then not exactly the first N/2 + N/2
   * rows of the file, and this says by how much.
   */
  note?: string;
}

/** The split names ECInstruct uses for the two halves. */
export const TRAIN_SPLIT = 'train';
export const VAL_SPLIT = 'val';

/** A selection that cannot be made (too few rows, bad N, unwritable output): the message names the counts. */
export class SelectionError extends UserError {}

/**
 * Options become part of the input the way ECInstruct's prompt template shows them: the input,
 * a line "Options:", then one option per line. Without options the input is kept unchanged.
 */
export function foldOptions(input: string, options: readonly string[] | undefined): string {
  if (!options || options.length === 0) return input;
  const list = `Options:\n${options.join('\n')}`;
  return input.length > 0 ? `${input}\n${list}` : list;
}

interface EcRow {
  split: string;
  setting?: string;
  task: string;
  alpaca: AlpacaRow;
}

/** What could be read of a malformed row: enough to decide whether it was in the selection window. */
export interface RowProblem {
  field?: string;
  reason: string;
  split?: string;
  setting?: string;
  task?: string;
}

/**
 * ECInstruct's `options`: the string "None" (or nothing) for no options, else a list written as
 * JSON (`["A: x"]`) or as a Python literal (`['A: x']`) inside a string. A real list of strings
 * (a converted copy of the dataset) is accepted too.
 */
export function parseOptions(v: unknown): { options?: string[] } | { reason: string } {
  if (v === undefined || v === null) return {};
  if (Array.isArray(v)) {
    if (v.every((o) => typeof o === 'string')) return { options: v as string[] };
    return { reason: 'must be a list of strings (found a list holding a non-string)' };
  }
  if (typeof v !== 'string')
    return { reason: `must be "None" or a list of options in a string (found ${describe(v)})` };
  const text = v.trim();
  if (text === '' || text === 'None') return {};
  if (text.startsWith('[')) {
    try {
      const list: unknown = JSON.parse(text);
      if (Array.isArray(list) && list.every((o) => typeof o === 'string'))
        return { options: list as string[] };
    } catch {
      // Not JSON: ECInstruct writes most lists as Python literals.
    }
    const py = parsePythonListOfStr(text);
    if (py.ok) return { options: py.items };
  }
  return {
    reason: `must be "None" or a list of strings written as JSON or as a Python literal (found ${JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)})`,
  };
}

/** Checks one row's fields; a problem names the field and keeps what could be read. */
export function parseEcInstructRow(text: string): EcRow | RowProblem {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { reason: `not JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { reason: `expected a JSON object per row (found ${describe(value)})` };
  const row = value as Record<string, unknown>;
  const known = {
    split: typeof row.split === 'string' ? row.split : undefined,
    setting: typeof row.setting === 'string' ? row.setting : undefined,
    task: typeof row.task === 'string' ? row.task : undefined,
  };
  for (const key of ['split', 'task', 'instruction', 'output'] as const) {
    if (typeof row[key] !== 'string')
      return { ...known, field: key, reason: `must be a string (found ${describe(row[key])})` };
  }
  for (const key of ['input', 'setting'] as const) {
    if (row[key] !== undefined && row[key] !== null && typeof row[key] !== 'string')
      return { ...known, field: key, reason: `must be a string (found ${describe(row[key])})` };
  }
  const options = parseOptions(row.options);
  if ('reason' in options) return { ...known, field: 'options', reason: options.reason };
  return {
    split: row.split as string,
    setting: known.setting,
    task: row.task as string,
    alpaca: {
      instruction: row.instruction as string,
      input: foldOptions(typeof row.input === 'string' ? row.input : '', options.options),
      output: row.output as string,
    },
  };
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return `a ${typeof v}`;
}

function isRow(r: EcRow | RowProblem): r is EcRow {
  return 'alpaca' in r;
}

/** Opens the temporary output; a path that cannot be written is the user's to fix, not a crash. */
function openOutput(out: string, tmp: string): number {
  try {
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    if (fs.existsSync(out) && fs.statSync(out).isDirectory())
      throw Object.assign(new Error('it is a folder'), { code: 'EISDIR' });
    return fs.openSync(tmp, 'w');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new SelectionError(
      `cannot write --out ${out}: ${e.code === 'EISDIR' ? 'it is a folder' : e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied' : e.code === 'EROFS' ? 'read-only file system' : e.message}`,
    );
  }
}

export async function selectData(options: SelectOptions): Promise<SelectResult> {
  const { n } = options;
  if (!Number.isInteger(n) || n < 2 || n % 2 !== 0) {
    throw new SelectionError(
      `--n must be an even number of rows of at least 2 (N/2 from "${TRAIN_SPLIT}" + N/2 from "${VAL_SPLIT}"), got ${n}`,
    );
  }
  if (!fs.existsSync(options.from))
    throw new SelectionError(`--from ${options.from} does not exist`);
  const half = n / 2;
  const tasks = options.tasks && options.tasks.length > 0 ? new Set(options.tasks) : undefined;
  const counts: SelectResult['counts'] = {};
  const badRows: BadRow[] = [];
  const taken = { train: 0, val: 0 };
  // The first N/2 rows of each split in the file, malformed ones included: a malformed row uses
  // its place instead of letting a later row in, so the selection stays "the first N/2 rows".
  const window = { train: 0, val: 0 };
  const excluded = { train: 0, val: 0, unknown: 0 };
  let rowsRead = 0;

  // Written to a temporary file first: a failed selection never leaves a half-written dataset
  // where a training job would pick it up.
  const tmp = `${options.out}.partial-${process.pid}`;
  const out = fs.createWriteStream('', { fd: openOutput(options.out, tmp), encoding: 'utf8' });
  const outDone = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  const splitOf = (s: string | undefined): 'train' | 'val' | undefined =>
    s === TRAIN_SPLIT ? 'train' : s === VAL_SPLIT ? 'val' : undefined;
  const wanted = (r: { setting?: string; task?: string }): boolean =>
    (options.setting === undefined || r.setting === undefined || r.setting === options.setting) &&
    (!tasks || r.task === undefined || tasks.has(r.task));
  let ok = false;
  try {
    for await (const r of readRowTexts(options.from, 'ECInstruct rows')) {
      rowsRead++;
      const row = parseEcInstructRow(r.text);
      if (!isRow(row)) {
        if (row.split !== undefined) {
          const split = splitOf(row.split);
          // A malformed row outside the window (another split, another setting or task, or after
          // N/2) would not have been selected anyway.
          if (!split || !wanted(row) || window[split] >= half) continue;
          window[split]++;
          excluded[split]++;
        } else excluded.unknown++;
        badRows.push({
          index: r.rowIndex,
          line: r.line,
          column: r.column,
          field: row.field,
          reason: row.reason,
          message: `row ${r.rowIndex}: ${row.field ? `field "${row.field}" ` : ''}${row.reason}`,
        });
        continue;
      }
      if (options.setting !== undefined && row.setting !== options.setting) continue;
      if (tasks && !tasks.has(row.task)) continue;
      const split = splitOf(row.split);
      if (!split || window[split] >= half) continue;
      window[split]++;
      taken[split]++;
      (counts[row.task] ??= { train: 0, val: 0 })[split]++;
      // Backpressure: wait when the writer's buffer is full instead of growing memory.
      if (!out.write(`${JSON.stringify(row.alpaca)}\n`))
        await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      if (window.train >= half && window.val >= half) break;
    }
    if (window.train < half || window.val < half) {
      const filters = [
        options.setting !== undefined ? `setting ${options.setting}` : '',
        tasks ? `tasks ${[...tasks].join(',')}` : '',
      ]
        .filter(Boolean)
        .join(' and ');
      throw new SelectionError(
        `--n ${n} needs ${half} "${TRAIN_SPLIT}" + ${half} "${VAL_SPLIT}" rows, but ${options.from} has only ${window.train} "${TRAIN_SPLIT}" and ${window.val} "${VAL_SPLIT}" rows` +
          `${filters ? ` matching ${filters}` : ''}` +
          (badRows.length > 0
            ? ` (${badRows.length} of them malformed: ${badRows
                .slice(0, 3)
                .map((b) => b.message)
                .join('; ')}${badRows.length > 3 ? '; ...' : ''})`
            : ''),
      );
    }
    ok = true;
  } finally {
    out.end();
    await outDone;
    if (!ok) fs.rmSync(tmp, { force: true });
  }
  try {
    fs.renameSync(tmp, options.out);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new SelectionError(`cannot write --out ${options.out}: ${(err as Error).message}`);
  }
  let note: string | undefined;
  if (badRows.length > 0) {
    const parts = [
      excluded.train > 0 ? `${excluded.train} of the first ${half} "${TRAIN_SPLIT}" rows` : '',
      excluded.val > 0 ? `${excluded.val} of the first ${half} "${VAL_SPLIT}" rows` : '',
      excluded.unknown > 0 ? `${excluded.unknown} rows whose split could not be read` : '',
    ].filter(Boolean);
    note =
      `${badRows.length} malformed row${badRows.length === 1 ? '' : 's'} excluded (${parts.join(', ')}): the output holds ${taken.train} "${TRAIN_SPLIT}" + ${taken.val} "${VAL_SPLIT}" rows, ` +
      `so it is not exactly the first N/2 + N/2 = ${n} rows of the file; fix the rows to get the paper's "first N"`;
  }
  return { counts, train: taken.train, val: taken.val, badRows, rowsRead, note };
}

/** The table `mcpo select` prints: one line per task, then the totals. */
export function formatSelectCounts(result: SelectResult): string {
  const tasks = Object.keys(result.counts).sort();
  const width = Math.max(4, ...tasks.map((t) => t.length));
  const lines = [`${'task'.padEnd(width)}  ${TRAIN_SPLIT.padStart(6)}  ${VAL_SPLIT.padStart(6)}`];
  for (const t of tasks)
    lines.push(
      `${t.padEnd(width)}  ${String(result.counts[t].train).padStart(6)}  ${String(result.counts[t].val).padStart(6)}`,
    );
  lines.push(
    `${'total'.padEnd(width)}  ${String(result.train).padStart(6)}  ${String(result.val).padStart(6)}`,
  );
  if (result.note) lines.push(`note: ${result.note}`);
  return lines.join('\n');
}
