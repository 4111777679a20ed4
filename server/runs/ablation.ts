/**
 * `mcpo ablate`: the MCPO stages switched on one at a time over one dataset, every arm its own run
 * folder, all sharing the response cache (an arm never re-asks what another already asked), and
 * the paper's tables rebuilt from the user's own data, each with the paper's published numbers
 * beside ours and paired bootstrap CIs of each arm against the table's first row:
 * - Table 1 (multiple choice): Prompt1+2 without CoT, self CoT, other (small model) CoT;
 * - Table 2 (ranking): without vs with the top-k similarity hints;
 * - Table 5 (per task type): baseline, +Prompt1, +Prompt1+2, +Prompt1+2+3.
 * Every arm takes the rest of its configuration (models, transport, sampling, M_V) from the
 * options, so `--preset paper` ablates the paper's configuration.
 */
import { fixesOf, isUserFacing, userMessage } from '../userError';
import type { Fix } from '../protocol/fixHints';
import { TASK_TYPES, type TaskType } from '../dataset/shopbench';
import {
  AVAILABLE_PARTS,
  PAPER_PROMPT_PARTS,
  type PromptPart,
  type PromptParts,
} from '../pipeline/templates';
import type { ScoresReport } from '../scoring/evaluate';
import { numpyMean } from '../scoring/python/numpyMean';
import { compareRunRecords, summarizeRun, type RunSummary } from './report';
import { MIN_PAIRED } from '../protocol/runs';
import { noInterval } from '../protocol/runLabels';
import { formatRunsTable } from './runReportText';
import { RunStore } from './runStore';
import type { RunConfig, RunRecord } from './runTypes';
import { applyPreset } from './presets';
import { buildRunConfig, describeArm, type RunOptions } from './startRun';

export interface AblationArm {
  name: string;
  options: Pick<RunOptions, 'templates' | 'promptParts' | 'cot' | 'similarityK'>;
}

/** Parts 1..n of every task type that has them (Table 5's cumulative rows). */
function partsUpTo(n: PromptPart): PromptParts {
  return Object.fromEntries(
    TASK_TYPES.map((t) => [t, AVAILABLE_PARTS[t].filter((p) => p <= n)]),
  ) as PromptParts;
}

export const ARM = {
  baseline: 'baseline',
  prompt1: '+Prompt1',
  prompt12: '+Prompt1+2',
  prompt123: '+Prompt1+2+3',
  selfCot: '+self CoT',
  otherCot: '+other CoT',
  hints: '+top-k hints',
  all: 'all',
} as const;

/**
 * The matrix: baseline (raw prompt), +Prompt1, +Prompt1+2, +Prompt1+2+3 (no CoT, no hints);
 * on Prompt1+2: +self CoT, +other CoT (when a small model is configured), +top-k hints; and
 * `all`, the options' own full configuration (for --preset paper: the paper's submission).
 */
export function ablationArms(
  k: number,
  hasSlm: boolean,
  all?: AblationArm['options'],
): AblationArm[] {
  const p12 = partsUpTo(2);
  const arms: AblationArm[] = [
    { name: ARM.baseline, options: { templates: 'none', cot: 'off', similarityK: 0 } },
    {
      name: ARM.prompt1,
      options: { templates: 'paper', promptParts: partsUpTo(1), cot: 'off', similarityK: 0 },
    },
    {
      name: ARM.prompt12,
      options: { templates: 'paper', promptParts: p12, cot: 'off', similarityK: 0 },
    },
    {
      name: ARM.prompt123,
      options: { templates: 'paper', promptParts: partsUpTo(3), cot: 'off', similarityK: 0 },
    },
    {
      name: ARM.selfCot,
      options: { templates: 'paper', promptParts: p12, cot: 'self', similarityK: 0 },
    },
  ];
  if (hasSlm)
    arms.push({
      name: ARM.otherCot,
      options: { templates: 'paper', promptParts: p12, cot: 'slm', similarityK: 0 },
    });
  // k = 0 leaves the hints arm out (e.g. no vector model at hand); the rest still compare.
  if (k > 0)
    arms.push({
      name: ARM.hints.replace('k', String(k)),
      options: { templates: 'paper', promptParts: p12, cot: 'off', similarityK: k },
    });
  arms.push({
    name: ARM.all,
    options: all ?? {
      templates: 'paper',
      promptParts: p12,
      cot: hasSlm ? 'slm' : 'self',
      similarityK: k,
    },
  });
  return arms;
}

/** Mean of the task scores of one task type (null when the run has none scored). */
export function taskTypeScore(report: ScoresReport, taskType: TaskType): number | null {
  const scores = report.tasks
    .filter((t) => t.task_type === taskType && t.score !== null)
    .map((t) => t.score as number);
  return scores.length > 0 ? numpyMean(scores) : null;
}

/** The paper's published numbers (reference note: Table 1 round 1 with ecellm-M; Table 5). */
export const PAPER_NUMBERS: Readonly<Record<string, Partial<Record<TaskType, number>>>> = {
  'table1:baseline': { 'multiple-choice': 0.607 },
  'table1:self': { 'multiple-choice': 0.658 },
  'table1:other': { 'multiple-choice': 0.69 },
  'table5:baseline': {
    'multiple-choice': 0.697,
    retrieval: 0.811,
    generation: 0.496,
    ranking: 0.888,
  },
  'table5:p1': { 'multiple-choice': 0.704, retrieval: 0.834, generation: 0.608, ranking: 0.901 },
  'table5:p12': { 'multiple-choice': 0.71, retrieval: 0.838, generation: 0.622, ranking: 0.905 },
  'table5:p123': { retrieval: 0.84, ranking: 0.918 },
};

export interface PaperTableRow {
  arm: string;
  /** Ours per column (null: nothing scored). */
  values: (number | null)[];
  /** The paper's number per column (null: the paper has none). */
  paper: (number | null)[];
  /** Delta from the table's first row per column, with its 95% paired bootstrap interval. */
  deltas: ({ delta: number; low: number | null; high: number | null; n?: number } | null)[];
}

export interface PaperTable {
  title: string;
  columns: TaskType[];
  rows: PaperTableRow[];
  /** Printed under the table: why a row is missing. */
  note?: string;
}

const HINTS_TABLE = 'Table 2 — similarity hints (ranking)';

/** Under Table 2 when k = 0: its hints row is missing on purpose, not by a failure. */
export const NO_HINTS_NOTE =
  'no hints row: similarity k is 0, so the similarity-hints arm was left out (a k above 0 compares it)';

/** What the tables need of a finished arm. */
export interface ArmResult {
  report: ScoresReport;
  records: readonly RunRecord[];
}

export function paperTables(arms: ReadonlyMap<string, ArmResult>, resamples = 1000): PaperTable[] {
  const types5: TaskType[] = ['multiple-choice', 'retrieval', 'generation', 'ranking'];
  const hintsArm = [...arms.keys()].find((name) => /^\+top-\d+ hints$/.test(name));
  const table = (
    title: string,
    columns: TaskType[],
    rows: [arm: string | undefined, paperKey: string | undefined][],
  ): PaperTable => {
    const present = rows.filter(
      (r): r is [string, string | undefined] => r[0] !== undefined && arms.has(r[0]),
    );
    const first = present[0] ? arms.get(present[0][0]) : undefined;
    return {
      title,
      columns,
      rows: present.map(([arm, paperKey], i) => {
        const result = arms.get(arm)!;
        return {
          arm,
          values: columns.map((t) => taskTypeScore(result.report, t)),
          paper: columns.map((t) => (paperKey ? (PAPER_NUMBERS[paperKey][t] ?? null) : null)),
          deltas: columns.map((t) =>
            i === 0 || !first ? null : taskTypeDelta(first.records, result.records, t, resamples),
          ),
        };
      }),
    };
  };
  return [
    table(
      'Table 1 — chain-of-thought supplement (multiple choice)',
      ['multiple-choice'],
      [
        [ARM.prompt12, 'table1:baseline'],
        [ARM.selfCot, 'table1:self'],
        [ARM.otherCot, 'table1:other'],
      ],
    ),
    table(
      HINTS_TABLE,
      ['ranking'],
      [
        [ARM.prompt12, undefined],
        [hintsArm, undefined],
      ],
    ),
    table('Table 5 — prompt engineering per task type', types5, [
      [ARM.baseline, 'table5:baseline'],
      [ARM.prompt1, 'table5:p1'],
      [ARM.prompt12, 'table5:p12'],
      [ARM.prompt123, 'table5:p123'],
    ]),
  ];
}

/**
 * The task-type score difference of `candidate` from `baseline` with a 95% paired bootstrap
 * interval: the runs' records of that task type compared as `mcpo report` compares runs
 * (tasks resampled within themselves, the official aggregation on each draw); a task type's
 * score is the mean of its tasks, so its interval is that of the track-free "overall" scope.
 */
export function taskTypeDelta(
  baseline: readonly RunRecord[],
  candidate: readonly RunRecord[],
  taskType: TaskType,
  resamples: number,
): { delta: number; low: number | null; high: number | null; n: number } | null {
  const ofType = (records: readonly RunRecord[]): RunRecord[] =>
    records.filter((r) => r.task_type === taskType).map((r) => ({ ...r, track: undefined }));
  const comparison = compareRunRecords(ofType(baseline), ofType(candidate), resamples);
  const overall = comparison.differences.find((d) => d.scope === 'overall');
  if (!overall || overall.delta === null) return null;
  return { delta: overall.delta, low: overall.low, high: overall.high, n: overall.n };
}

export function formatPaperTable(table: PaperTable): string {
  const hasPaper = table.rows.some((r) => r.paper.some((p) => p !== null));
  const header = ['arm'];
  for (const c of table.columns) {
    header.push(c, ...(hasPaper ? ['paper'] : []), 'delta [95% CI]');
  }
  const body = table.rows.map((r) => {
    const cells = [r.arm];
    r.values.forEach((v, c) => {
      cells.push(v === null ? 'n/a' : v.toFixed(4));
      if (hasPaper) cells.push(r.paper[c] === null ? '–' : r.paper[c]!.toFixed(3));
      const d = r.deltas[c];
      cells.push(
        d === null
          ? ''
          : `${signed(d.delta)}${d.low === null || d.high === null ? (d.n !== undefined && d.n < MIN_PAIRED ? ` (${noInterval()})` : '') : ` [${signed(d.low)}, ${signed(d.high)}]`}`,
      );
    });
    return cells;
  });
  const widths = header.map((_, c) => Math.max(...[header, ...body].map((r) => r[c].length)));
  const line = (r: string[]): string =>
    r
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
      .join('  ')
      .trimEnd();
  return [table.title, line(header), ...body.map(line), ...(table.note ? [table.note] : [])].join(
    '\n',
  );
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
}

export interface AblationOutcome {
  runDirs: string[];
  failed: number;
  cancelled: boolean;
  /** The runs side by side, then the paper's tables, then the arms that did not run; empty when no arm finished. */
  tables: string;
  /** Arms that stopped with an error a user can act on (e.g. the vector model would not load). */
  armErrors: { arm: string; message: string; fixes: readonly Fix[] }[];
}

/** The arms an ablation runs, and why any arm of the matrix is not among them. */
export interface AblationPlan {
  arms: AblationArm[];
  /** One line per arm left out, said under the tables (e.g. k = 0: no hints arm). */
  leftOut: string[];
}

/**
 * What an ablation of `base` with k hints runs, the same for `mcpo ablate` and VS Code's Run
 * Ablation: the matrix, without an `all` arm that would repeat another arm's configuration (with
 * k = 0, `--preset paper`'s whole configuration is exactly "+self CoT": running it twice would
 * only print the same row twice).
 */
export function ablationPlan(base: RunOptions, k: number): AblationPlan {
  const resolved = applyPreset(base);
  const hasSlm = base.slm !== undefined;
  const matrix = ablationArms(k, hasSlm, {
    templates: resolved.templates ?? 'paper',
    promptParts: resolved.promptParts,
    cot: resolved.cot ?? (hasSlm ? 'slm' : 'self'),
    similarityK: k,
  });
  const leftOut: string[] = [];
  const arms: AblationArm[] = [];
  for (const arm of matrix) {
    const same = arms.find((a) => sameConfiguration(base, a.options, arm.options));
    if (same)
      leftOut.push(`arm ${arm.name} left out: it is the same configuration as ${same.name}`);
    else arms.push(arm);
  }
  return { arms, leftOut };
}

/** Two arms' options configure the same run of `base` (missing pieces read as the run reads them). */
function sameConfiguration(
  base: RunOptions,
  a: AblationArm['options'],
  b: AblationArm['options'],
): boolean {
  const key = (o: AblationArm['options']): string => {
    const r = applyPreset({ ...base, ...o });
    return describeArm({
      templates: r.templates,
      promptParts: r.templates === 'none' ? undefined : (r.promptParts ?? PAPER_PROMPT_PARTS),
      cot: r.cot,
      similarityK: r.similarityK,
    });
  };
  return key(a) === key(b);
}

/**
 * Runs every arm in turn through `runArm` (the CLI and the language server differ only in how a
 * run is started and reported) and builds the tables from the arms that finished.
 */
export async function runAblationArms(
  base: RunOptions,
  k: number,
  runArm: (
    config: RunConfig,
    arm: AblationArm,
    index: number,
    count: number,
  ) => Promise<{ dir: string; failed: number; cancelled: boolean }>,
): Promise<AblationOutcome> {
  const { arms, leftOut } = ablationPlan(base, k);
  const outcome: AblationOutcome = {
    runDirs: [],
    failed: 0,
    cancelled: false,
    tables: '',
    armErrors: [],
  };
  const summaries: RunSummary[] = [];
  const results = new Map<string, ArmResult>();
  for (const [i, arm] of arms.entries()) {
    const config = await buildRunConfig({ ...base, ...arm.options, label: arm.name });
    let result: Awaited<ReturnType<typeof runArm>>;
    try {
      result = await runArm(config, arm, i, arms.length);
    } catch (err) {
      // One arm's failure (a model that will not load) must not throw away the arms that ran.
      if (!isUserFacing(err)) throw err;
      outcome.armErrors.push({ arm: arm.name, message: userMessage(err), fixes: fixesOf(err) });
      continue;
    }
    outcome.runDirs.push(result.dir);
    if (result.cancelled) {
      outcome.cancelled = true;
      break;
    }
    outcome.failed += result.failed;
    const store = RunStore.open(result.dir);
    const summary = summarizeRun(store);
    summaries.push(summary);
    results.set(arm.name, { report: summary.report, records: [...store.records.values()] });
  }
  const notRun = outcome.armErrors.map((e) => `arm ${e.arm} did not run: ${e.message}`);
  if (summaries.length > 0)
    outcome.tables = [
      formatRunsTable(summaries),
      ...paperTables(results)
        .map((t) => (t.title === HINTS_TABLE && k === 0 ? { ...t, note: NO_HINTS_NOTE } : t))
        .map(formatPaperTable),
      ...(notRun.length > 0 || leftOut.length > 0
        ? [`${[...leftOut, ...notRun].join('\n')}\n`]
        : []),
    ].join('\n');
  return outcome;
}
