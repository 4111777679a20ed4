/**
 * Runs read a dataset file, but the user runs what the editor shows (unsaved edits included) and
 * often only some rows. So the document's current text is written to a dataset file under the
 * runs folder, `<runsDir>/.inputs/<sha256>.jsonl`, and the user's file is never touched.
 *
 * Rows that were not selected are written as `null`: the loader reports and skips them, so the
 * selected rows keep their ordinal in the document. Records are keyed by that ordinal, which is
 * what pairs a one-row run with the same row of a full baseline run in reports.
 *
 * The snapshot is the engine's business only: the run's config.json names the user's file (see
 * editorSource), so the report, the export and a resume's messages point the user at their own
 * dataset, never at a hidden copy.
 */
import { UserError } from '../userError';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/writeFileAtomic';
import { checkRowText } from '../dataset/load';
import { findNumberedOptions } from '../dataset/options';
import { splitRowTexts, type RowText } from '../dataset/rowTexts';
import {
  METRICS_FOR_TASK_TYPE,
  type ShopBenchRow,
  type TaskType,
  type Truth,
} from '../dataset/shopbench';
import { FREE_FORM_TASK_NAME } from '../protocol/runs';

export const INPUTS_FOLDER = '.inputs';

/** An error whose message is meant for the user as is. */
export interface RunInput {
  file: string;
  /** Ordinals that will run. */
  rows: number[];
  /** Ordinals of rows left out because they are not valid (full runs only). */
  invalid: number[];
}

/** Writes the selected rows (all when `rows` is undefined) of `text` to a dataset file for a run. */
export function writeRunInput(
  runsDir: string,
  uri: string,
  text: string,
  rows: readonly number[] | undefined,
): RunInput {
  const all = splitRowTexts(uri, text);
  if (all.length === 0) throw new UserError('the dataset has no rows');
  const selected =
    rows === undefined ? all.map((_, i) => i) : [...new Set(rows)].sort((a, b) => a - b);
  for (const i of selected) {
    if (!Number.isInteger(i) || i < 0 || i >= all.length)
      throw new UserError(`row ${i + 1} does not exist: the dataset has ${all.length} rows`);
  }
  const invalid: number[] = [];
  const valid: number[] = [];
  for (const i of selected) {
    const { row, problems } = checkRowText(uri, all[i]);
    if (row) valid.push(i);
    else if (rows !== undefined)
      throw new UserError(
        `row ${i + 1} cannot run: ${problems.find((p) => p.severity === 'error')?.message ?? 'it is not a valid ShopBench row'}`,
      );
    else invalid.push(i);
  }
  if (valid.length === 0)
    throw new UserError('the dataset has no valid rows to run; see the Problems view');
  const chosen = new Set(valid);
  // Newlines inside a row's text are whitespace between JSON tokens (strings escape theirs), so
  // a multi-line JSON array element becomes one JSON Lines row by joining its lines.
  const body =
    all
      .map((r: RowText, i) => (chosen.has(i) ? r.text.replace(/\r?\n/g, ' ') : 'null'))
      .join('\n') + '\n';
  return { file: writeInputFile(runsDir, body), rows: valid, invalid };
}

/**
 * The user's file behind a document's text: its path (or the URI of a document that has none,
 * e.g. an untitled editor), and whether the text differs from what the file holds on disk.
 */
export async function editorSource(
  uri: string,
  text: string,
): Promise<{ file: string; unsaved: boolean }> {
  if (!uri.startsWith('file:')) return { file: uri, unsaved: true };
  const file = fileURLToPath(uri);
  try {
    return { file, unsaved: (await fs.promises.readFile(file, 'utf8')) !== text };
  } catch {
    return { file, unsaved: true }; // deleted or unreadable since it was opened
  }
}

/** Content-addressed, so running the same rows twice reuses one file. */
function writeInputFile(runsDir: string, body: string): string {
  const file = path.join(
    runsDir,
    INPUTS_FOLDER,
    `${crypto.createHash('sha256').update(body).digest('hex').slice(0, 32)}.jsonl`,
  );
  if (!fs.existsSync(file)) writeFileAtomic(file, body);
  return file;
}

export const FREE_FORM_WARNING =
  'free-form question: not scored, there is no reference answer (the parsed answer is kept)';

/**
 * A one-row dataset for a typed question; the truth is a placeholder the validator accepts. The
 * record is written unscored (see notScored in runs.ts): the placeholder never reaches a report.
 */
export function freeFormRow(question: string, taskType: TaskType): ShopBenchRow {
  const options = findNumberedOptions(question);
  const metric = METRICS_FOR_TASK_TYPE[taskType][0];
  let truth: Truth;
  switch (taskType) {
    case 'multiple-choice':
      truth = options[0]?.number ?? 0;
      break;
    case 'retrieval':
      truth = [options[0]?.number ?? 1];
      break;
    case 'ranking':
      truth = options.length > 0 ? options.map(() => 0) : [0];
      break;
    case 'named_entity_recognition':
      truth = [];
      break;
    case 'generation':
      truth = '(no reference answer)';
      break;
  }
  return {
    input_field: question,
    output_field: truth,
    task_name: FREE_FORM_TASK_NAME,
    task_type: taskType,
    metric,
    is_multiple_choice: taskType === 'multiple-choice',
  };
}

export function writeQuestionInput(runsDir: string, question: string, taskType: TaskType): string {
  return writeInputFile(runsDir, `${JSON.stringify(freeFormRow(question, taskType))}\n`);
}
