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

export interface BadRow {
  line: number;
  column: number;
  message: string;
}

export interface SelectResult {
  /** Rows written, per task and split (only "train" and "val" are ever selected). */
  counts: Record<string, { train: number; val: number }>;
  train: number;
  val: number;
  badRows: BadRow[];
  /** Rows read before both halves were full (the rest of the file is never read). */
  rowsRead: number;
}

/** The split names ECInstruct uses for the two halves. */
export const TRAIN_SPLIT = 'train';
export const VAL_SPLIT = 'val';

/** A selection that cannot be made (too few rows, bad N): the message names the counts. */
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

/** Checks one row's fields; returns the problem as text so it can carry the row's position. */
export function parseEcInstructRow(text: string): EcRow | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'expected a JSON object per row';
  const row = value as Record<string, unknown>;
  for (const key of ['split', 'task', 'instruction', 'output'] as const) {
    if (typeof row[key] !== 'string')
      return `field "${key}" must be a string (found ${describe(row[key])})`;
  }
  if (row.input !== undefined && row.input !== null && typeof row.input !== 'string')
    return `field "input" must be a string (found ${describe(row.input)})`;
  if (row.setting !== undefined && typeof row.setting !== 'string')
    return `field "setting" must be a string (found ${describe(row.setting)})`;
  let options: string[] | undefined;
  if (row.options !== undefined && row.options !== null) {
    if (!Array.isArray(row.options) || row.options.some((o) => typeof o !== 'string'))
      return `field "options" must be a list of strings (found ${describe(row.options)})`;
    options = row.options as string[];
  }
  return {
    split: row.split as string,
    setting: row.setting as string | undefined,
    task: row.task as string,
    alpaca: {
      instruction: row.instruction as string,
      input: foldOptions(typeof row.input === 'string' ? row.input : '', options),
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

export async function selectData(options: SelectOptions): Promise<SelectResult> {
  const { n } = options;
  if (!Number.isInteger(n) || n < 2 || n % 2 !== 0) {
    throw new SelectionError(
      `--n must be an even number of rows of at least 2 (N/2 from "${TRAIN_SPLIT}" + N/2 from "${VAL_SPLIT}"), got ${n}`,
    );
  }
  const half = n / 2;
  const tasks = options.tasks && options.tasks.length > 0 ? new Set(options.tasks) : undefined;
  const counts: SelectResult['counts'] = {};
  const badRows: BadRow[] = [];
  const taken = { train: 0, val: 0 };
  let rowsRead = 0;

  // Written to a temporary file first: a failed selection never leaves a half-written dataset
  // where a training job would pick it up.
  fs.mkdirSync(path.dirname(path.resolve(options.out)), { recursive: true });
  const tmp = `${options.out}.partial-${process.pid}`;
  const out = fs.createWriteStream(tmp, { encoding: 'utf8' });
  const outDone = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  let ok = false;
  try {
    for await (const r of readRowTexts(options.from, 'ECInstruct rows')) {
      rowsRead++;
      const row = parseEcInstructRow(r.text);
      if (typeof row === 'string') {
        badRows.push({ line: r.line, column: r.column, message: row });
        continue;
      }
      if (options.setting !== undefined && row.setting !== options.setting) continue;
      if (tasks && !tasks.has(row.task)) continue;
      const split =
        row.split === TRAIN_SPLIT ? 'train' : row.split === VAL_SPLIT ? 'val' : undefined;
      if (!split || taken[split] >= half) continue;
      taken[split]++;
      (counts[row.task] ??= { train: 0, val: 0 })[split]++;
      // Backpressure: wait when the writer's buffer is full instead of growing memory.
      if (!out.write(`${JSON.stringify(row.alpaca)}\n`))
        await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      if (taken.train >= half && taken.val >= half) break;
    }
    if (taken.train < half || taken.val < half) {
      const filters = [
        options.setting !== undefined ? `setting ${options.setting}` : '',
        tasks ? `tasks ${[...tasks].join(',')}` : '',
      ]
        .filter(Boolean)
        .join(' and ');
      throw new SelectionError(
        `--n ${n} needs ${half} "${TRAIN_SPLIT}" + ${half} "${VAL_SPLIT}" rows, but ${options.from} has only ${taken.train} "${TRAIN_SPLIT}" and ${taken.val} "${VAL_SPLIT}" rows` +
          `${filters ? ` matching ${filters}` : ''}${badRows.length > 0 ? ` (${badRows.length} bad rows skipped)` : ''}`,
      );
    }
    ok = true;
  } finally {
    out.end();
    await outDone;
    if (ok) fs.renameSync(tmp, options.out);
    else fs.rmSync(tmp, { force: true });
  }
  return { counts, train: taken.train, val: taken.val, badRows, rowsRead };
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
  return lines.join('\n');
}
