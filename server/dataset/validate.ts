/**
 * Validation of one ShopBench row, with problems a user can act on: each names the field and
 * where it is. The checks are the ones that would otherwise surface as a wrong score or a crash
 * in the official scorer (an unknown metric, a truth of the wrong shape, an empty retrieval
 * truth that makes hit rate@3 divide by zero, a multiple-choice truth no option carries).
 */
import { findNumberedOptions } from './options';
import { topLevelFieldPositions, type FieldPosition } from './jsonPositions';
import {
  METRICS,
  METRICS_FOR_TASK_TYPE,
  type Metric,
  TASK_TYPES,
  isMetric,
  isTaskType,
  type ShopBenchRow,
  type Truth,
} from './shopbench';

export type Severity = 'error' | 'warning';

/** A problem found in a dataset, positioned for the CLI (file:line:column) and the editor. */
export interface DatasetProblem {
  severity: Severity;
  message: string;
  file: string;
  /** 1-based line of the problem. */
  line: number;
  /** 1-based column of the problem. */
  column: number;
  /** The field the problem is about, when there is one. */
  field?: string;
  /** 0-based ordinal of the row in the file (valid or not). */
  rowIndex: number;
  /** Length in characters of the text the problem is about (for editor ranges). */
  length?: number;
}

/** Where a row's JSON text starts in its file. */
export interface RowSource {
  file: string;
  rowIndex: number;
  /** 1-based line and column of the row's first character. */
  line: number;
  column: number;
  /** The row's JSON text (to locate fields in it). */
  text: string;
}

export interface RowValidation {
  row?: ShopBenchRow;
  problems: DatasetProblem[];
}

/** Validates a parsed JSON value as a ShopBench row. A row with any error is not returned. */
export function validateRow(value: unknown, source: RowSource): RowValidation {
  const problems: DatasetProblem[] = [];
  let positions: Map<string, FieldPosition> | undefined;
  const report = (severity: Severity, message: string, field?: string): void => {
    positions ??= topLevelFieldPositions(source.text);
    problems.push(problemAt(source, positions, severity, message, field));
  };
  const error = (message: string, field?: string): void => report('error', message, field);

  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    error(
      `row ${source.rowIndex + 1} is ${describe(value)}, expected a JSON object with the ShopBench fields`,
    );
    return { problems };
  }
  const obj = value as Record<string, unknown>;

  requireString(obj, 'input_field', error);
  requireString(obj, 'task_name', error);
  const taskType = obj.task_type;
  if (!('task_type' in obj)) error('missing field "task_type"');
  else if (!isTaskType(taskType)) {
    error(
      `unknown task_type ${JSON.stringify(taskType)}; expected one of ${TASK_TYPES.join(', ')}`,
      'task_type',
    );
  }
  const metric = obj.metric;
  if (!('metric' in obj)) error('missing field "metric"');
  else if (!isMetric(metric)) {
    error(
      `unknown metric ${JSON.stringify(metric)}; expected one of ${METRICS.map((m) => `"${m}"`).join(', ')}`,
      'metric',
    );
  }
  if (
    isTaskType(taskType) &&
    isMetric(metric) &&
    !METRICS_FOR_TASK_TYPE[taskType].includes(metric)
  ) {
    error(
      `metric "${metric}" does not score task_type "${taskType}"; use ${METRICS_FOR_TASK_TYPE[taskType].map((m) => `"${m}"`).join(' or ')}`,
      'metric',
    );
  }
  if (!('output_field' in obj)) error('missing field "output_field" (the truth)');
  else if (isMetric(metric)) {
    const truthProblem = checkTruthShape(metric, obj.output_field);
    if (truthProblem) error(truthProblem, 'output_field');
    else if (metric === 'ndcg') {
      positions ??= topLevelFieldPositions(source.text);
      const at = positions.get('output_field');
      const weightProblem = at && integerWeightProblem(source.text, at.valueOffset);
      if (weightProblem) error(weightProblem, 'output_field');
    } else if (
      Array.isArray(obj.output_field) &&
      obj.output_field.length === 0 &&
      (metric === 'sent-transformer' || metric === 'multilingual-sent-transformer')
    ) {
      // The official metric does not raise here: the mean of no cosines is NaN, and so is the task.
      report(
        'warning',
        `output_field is an empty list: the official ${metric} score of this row is NaN, which makes its task's score NaN`,
        'output_field',
      );
    }
  }
  if ('is_multiple_choice' in obj && typeof obj.is_multiple_choice !== 'boolean') {
    error(
      `field "is_multiple_choice" must be true or false, got ${describe(obj.is_multiple_choice)}`,
      'is_multiple_choice',
    );
  } else if (
    isTaskType(taskType) &&
    typeof obj.is_multiple_choice === 'boolean' &&
    obj.is_multiple_choice !== (taskType === 'multiple-choice')
  ) {
    report(
      'warning',
      `is_multiple_choice is ${obj.is_multiple_choice} but task_type is "${taskType}"`,
      'is_multiple_choice',
    );
  }
  if ('track' in obj && typeof obj.track !== 'string') {
    error(`field "track" must be a string, got ${describe(obj.track)}`, 'track');
  } else if (!('track' in obj)) {
    report('warning', 'missing field "track": the row counts in the overall score but in no track');
  }

  if (problems.some((p) => p.severity === 'error')) return { problems };

  const row = obj as unknown as ShopBenchRow;
  checkAgainstPrompt(row, error);
  if (problems.some((p) => p.severity === 'error')) return { problems };
  return { row, problems };
}

/** A problem at `field` of the row (at the row's start when the field is absent). */
function problemAt(
  source: RowSource,
  positions: ReadonlyMap<string, FieldPosition>,
  severity: Severity,
  message: string,
  field?: string,
): DatasetProblem {
  const at = field === undefined ? undefined : positions.get(field);
  const where = at ? locate(source, at.keyOffset) : { line: source.line, column: source.column };
  return {
    severity,
    message,
    file: source.file,
    line: where.line,
    column: where.column,
    field,
    rowIndex: source.rowIndex,
    length: at ? Math.max(1, field!.length + 2) : undefined,
  };
}

/**
 * The official evaluation groups rows by task_name and aggregates each task by its FIRST row's
 * metric: micro F1 unpacks every sample score as a [tp, fp, fn] triple, any other metric takes
 * np.mean of the sample scores. A task mixing micro f1 with another metric therefore raises
 * (TypeError: cannot unpack a number; ValueError: np.mean of a triple among numbers). Other
 * mixes are averaged together and reported under the first row's metric, which we do too, with
 * a warning unless both are one measure (bleu and jp-bleu). Feed it the valid rows of one file
 * in order.
 */
export class TaskMetricCheck {
  private readonly first = new Map<string, { metric: Metric; rowIndex: number; line: number }>();

  check(row: ShopBenchRow, source: RowSource): DatasetProblem | undefined {
    const first = this.first.get(row.task_name);
    if (!first) {
      this.first.set(row.task_name, {
        metric: row.metric,
        rowIndex: source.rowIndex,
        line: source.line,
      });
      return undefined;
    }
    // The official development set mixes these in one task (task17: bleu and jp-bleu rows).
    if (metricFamily(first.metric) === metricFamily(row.metric)) return undefined;
    const positions = topLevelFieldPositions(source.text);
    const firstRow = `row ${first.rowIndex + 1} (line ${first.line})`;
    if ((first.metric === 'micro f1') !== (row.metric === 'micro f1')) {
      const official =
        first.metric === 'micro f1'
          ? `sums [tp, fp, fn] triples for micro f1 and raises TypeError on this row's number`
          : `takes np.mean of the task's scores and raises ValueError on this row's [tp, fp, fn] triple`;
      return problemAt(
        source,
        positions,
        'error',
        `metric "${row.metric}" differs from "${first.metric}" of ${firstRow}, the first row of task "${row.task_name}": the official evaluation aggregates a task by its first row's metric, so it ${official}; give every row of a task the same metric, or another task_name`,
        'metric',
      );
    }
    return problemAt(
      source,
      positions,
      'warning',
      `metric "${row.metric}" differs from "${first.metric}" of ${firstRow}, the first row of task "${row.task_name}": as the official evaluation does, the task's score is the mean of all its rows' scores, reported as "${first.metric}"`,
      'metric',
    );
  }
}

/** BLEU with either tokenizer, or cosine with either embedding model: one measure. */
function metricFamily(metric: Metric): string {
  if (metric === 'jp-bleu') return 'bleu';
  if (metric === 'multilingual-sent-transformer') return 'sent-transformer';
  return metric;
}

function requireString(
  obj: Record<string, unknown>,
  field: string,
  error: (m: string, f?: string) => void,
): void {
  if (!(field in obj)) error(`missing field "${field}"`);
  else if (typeof obj[field] !== 'string')
    error(`field "${field}" must be a string, got ${describe(obj[field])}`, field);
}

/** The truth shapes the official metrics accept; undefined when `truth` fits `metric`. */
export function checkTruthShape(
  metric: (typeof METRICS)[number],
  truth: unknown,
): string | undefined {
  switch (metric) {
    case 'accuracy':
      return Number.isInteger(truth)
        ? undefined
        : `output_field must be the correct option's number (an integer) for accuracy, got ${describe(truth)}`;
    case 'hit rate@3':
      if (!Array.isArray(truth) || !truth.every((x) => Number.isInteger(x))) {
        return `output_field must be a list of item numbers for hit rate@3, got ${describe(truth)}`;
      }
      // The official metric divides by len(truth).
      return truth.length === 0
        ? 'output_field is an empty list: hit rate@3 divides by the number of true items'
        : undefined;
    case 'ndcg':
      if (
        !Array.isArray(truth) ||
        !truth.every((x) => typeof x === 'number' && Number.isFinite(x))
      ) {
        return `output_field must be a list of relevance weights (numbers) for ndcg, got ${describe(truth)}`;
      }
      return truth.length === 0
        ? 'output_field is an empty list: ndcg needs one relevance weight per listed item'
        : undefined;
    case 'micro f1':
      return Array.isArray(truth) && truth.every((x) => typeof x === 'string')
        ? undefined
        : `output_field must be a list of entity strings for micro f1, got ${describe(truth)}`;
    case 'sent-transformer':
    case 'multilingual-sent-transformer':
      if (typeof truth === 'string') return undefined;
      if (Array.isArray(truth) && truth.every((x) => typeof x === 'string')) {
        return undefined;
      }
      return `output_field must be a reference text or a list of them for ${metric}, got ${describe(truth)}`;
    case 'rougel':
    case 'bleu':
    case 'jp-bleu':
      return typeof truth === 'string'
        ? undefined
        : `output_field must be the reference text (a string) for ${metric}, got ${describe(truth)}`;
  }
}

/**
 * The official NDCG computes `np.power(2, weight)`. For a weight written as an integer (no '.'
 * or exponent: Python's json gives an int), numpy works in int64: a negative integer raises
 * ValueError ("Integers to negative integer powers are not allowed"), one of 2**63 or more raises
 * OverflowError, and one from 64 up silently wraps 2**w to 0. Every weight goes through it (the
 * ideal DCG sums them all), whatever the prediction. JSON.parse cannot tell 1 from 1.0, so this
 * reads the literals of the list starting at `offset` in the row's text.
 */
export function integerWeightProblem(text: string, offset: number): string | undefined {
  if (text[offset] !== '[') return undefined;
  const literals = /\s*(-?[0-9][0-9.eE+-]*)\s*([,\]])/y;
  literals.lastIndex = offset + 1;
  for (let i = 0; ; i++) {
    const m = literals.exec(text);
    if (!m) return undefined;
    const literal = m[1];
    if (/^-?[0-9]+$/.test(literal)) {
      const value = BigInt(literal);
      if (value < 0n)
        return `output_field[${i}] is ${literal}, a negative integer relevance weight: the official ndcg computes np.power(2, ${literal}) on integers and raises ValueError ("Integers to negative integer powers are not allowed"); write it as a float (${literal}.0) or use weights of 0 or more`;
      if (value >= 64n) {
        const official =
          value >= 2n ** 63n
            ? 'raises OverflowError (the integer does not fit in int64)'
            : 'does not raise but wraps 2**' + literal + ' to 0 in int64, a meaningless score';
        return `output_field[${i}] is ${literal}, an integer relevance weight of 64 or more: the official ndcg computes np.power(2, ${literal}) in 64-bit integers and ${official}; write it as a float (${literal}.0) or use smaller weights`;
      }
    }
    if (m[2] === ']') return undefined;
  }
}

function checkAgainstPrompt(row: ShopBenchRow, error: (m: string, f?: string) => void): void {
  if (row.task_type === 'multiple-choice') {
    const options = findNumberedOptions(row.input_field);
    // Some multiple-choice prompts have no numbered options (a 1-to-5 rating); nothing to check.
    if (options.length > 0 && !options.some((o) => o.number === (row.output_field as number))) {
      error(
        `output_field ${row.output_field} is not one of the numbered options in input_field (${options[0].number}..${options[options.length - 1].number})`,
        'output_field',
      );
    }
  } else if (row.task_type === 'ranking') {
    const options = findNumberedOptions(row.input_field);
    const truth = row.output_field as number[];
    if (options.length > 0 && options.length !== truth.length) {
      error(
        `output_field has ${truth.length} relevance weights but input_field lists ${options.length} items`,
        'output_field',
      );
    }
  }
}

export function locate(
  source: { line: number; column: number; text: string },
  offset: number,
): { line: number; column: number } {
  let line = source.line;
  let column = source.column;
  for (let i = 0; i < offset && i < source.text.length; i++) {
    if (source.text.charCodeAt(i) === 10) {
      line++;
      column = 1;
    } else column++;
  }
  return { line, column };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value))
    return value.length === 0 ? 'an empty list' : `a list (${truncate(JSON.stringify(value))})`;
  if (typeof value === 'string') return `the string ${truncate(JSON.stringify(value))}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function truncate(s: string, max = 60): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export type { Truth };
