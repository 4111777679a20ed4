/**
 * `mcpo ablate`: the MCPO stages switched on one at a time over one dataset, every arm its own run
 * folder, all sharing the response cache (an arm never re-asks what another already asked), and
 * the paper's tables rebuilt from the user's own data:
 * - Table 1 (multiple choice): no CoT vs self CoT vs small-model CoT;
 * - Table 2 (ranking): without vs with similarity hints;
 * - Table 5 (per task type): baseline, +templates, +templates and hints (and CoT where configured).
 */
import type { TaskType } from '../dataset/shopbench';
import type { ScoresReport } from '../scoring/evaluate';
import { numpyMean } from '../scoring/numpyMean';
import { summarizeRun, type RunSummary } from './report';
import { formatRunsTable } from './runReportText';
import { RunStore } from './runStore';
import type { RunConfig } from './runTypes';
import { buildRunConfig, type RunOptions } from './startRun';

export interface AblationArm {
  name: string;
  options: Pick<RunOptions, 'templates' | 'cot' | 'similarityK'>;
}

/** The matrix: baseline, +templates, +self CoT, +SLM CoT (when an SLM is configured), +similarity, all. */
export function ablationArms(k: number, hasSlm: boolean): AblationArm[] {
  const arms: AblationArm[] = [
    { name: 'baseline', options: { templates: 'none', cot: 'off', similarityK: 0 } },
    { name: '+templates', options: { templates: 'paper', cot: 'off', similarityK: 0 } },
    { name: '+self CoT', options: { templates: 'paper', cot: 'self', similarityK: 0 } },
  ];
  if (hasSlm)
    arms.push({ name: '+SLM CoT', options: { templates: 'paper', cot: 'slm', similarityK: 0 } });
  arms.push({ name: '+similarity', options: { templates: 'paper', cot: 'off', similarityK: k } });
  arms.push({
    name: 'all',
    options: { templates: 'paper', cot: hasSlm ? 'slm' : 'self', similarityK: k },
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

export interface PaperTable {
  title: string;
  columns: string[];
  rows: { arm: string; values: (number | null)[] }[];
}

export function paperTables(reports: ReadonlyMap<string, ScoresReport>): PaperTable[] {
  const row = (
    arm: string,
    types: TaskType[],
  ): { arm: string; values: (number | null)[] } | undefined => {
    const report = reports.get(arm);
    return report ? { arm, values: types.map((t) => taskTypeScore(report, t)) } : undefined;
  };
  const keep = <T>(xs: (T | undefined)[]): T[] => xs.filter((x): x is T => x !== undefined);
  const types5: TaskType[] = ['multiple-choice', 'retrieval', 'generation', 'ranking'];
  return [
    {
      title: 'Table 1 — chain-of-thought supplement (multiple choice)',
      columns: ['multiple-choice'],
      rows: keep([
        row('+templates', ['multiple-choice']),
        row('+self CoT', ['multiple-choice']),
        row('+SLM CoT', ['multiple-choice']),
      ]),
    },
    {
      title: 'Table 2 — similarity hints (ranking)',
      columns: ['ranking'],
      rows: keep([row('+templates', ['ranking']), row('+similarity', ['ranking'])]),
    },
    {
      title: 'Table 5 — prompt engineering per task type',
      columns: types5,
      rows: keep([
        row('baseline', types5),
        row('+templates', types5),
        row('+similarity', types5),
        row('all', types5),
      ]),
    },
  ];
}

export function formatPaperTable(table: PaperTable): string {
  const header = ['arm', ...table.columns];
  const body = table.rows.map((r) => [
    r.arm,
    ...r.values.map((v) => (v === null ? 'n/a' : v.toFixed(4))),
  ]);
  const widths = header.map((_, c) => Math.max(...[header, ...body].map((r) => r[c].length)));
  const line = (r: string[]): string =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [table.title, line(header), ...body.map(line)].join('\n');
}

export interface AblationOutcome {
  runDirs: string[];
  failed: number;
  cancelled: boolean;
  /** The runs side by side, then the paper's tables; empty when no arm finished. */
  tables: string;
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
  const arms = ablationArms(k, base.slm !== undefined);
  const outcome: AblationOutcome = { runDirs: [], failed: 0, cancelled: false, tables: '' };
  const summaries: RunSummary[] = [];
  const reports = new Map<string, ScoresReport>();
  for (const [i, arm] of arms.entries()) {
    const config = await buildRunConfig({ ...base, ...arm.options, label: arm.name });
    const result = await runArm(config, arm, i, arms.length);
    outcome.runDirs.push(result.dir);
    if (result.cancelled) {
      outcome.cancelled = true;
      break;
    }
    outcome.failed += result.failed;
    const summary = summarizeRun(RunStore.open(result.dir));
    summaries.push(summary);
    reports.set(arm.name, summary.report);
  }
  if (summaries.length > 0)
    outcome.tables = [
      formatRunsTable(summaries),
      ...paperTables(reports).map(formatPaperTable),
    ].join('\n');
  return outcome;
}
