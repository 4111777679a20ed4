/**
 * Numbers and answers as people read them in toasts, quick picks and lenses: a fixed number of
 * decimals, "correct"/"wrong" rather than "true"/"false", "not scored" rather than 0 or null.
 * Plain functions without `vscode`, unit-tested in test/unit/promptView.
 */
import type {
  RunDatasetResult,
  RunListItem,
  SampleValue,
  ScoresReport,
} from '../server/protocol/runs';
import {
  coverageLine,
  failedCount,
  formatRunTime,
  missingLine,
  plural,
  questionCount,
  rerunNote,
  resumeRetries,
  runIdTail,
  shortRunLabel,
} from '../server/protocol/runLabels';
import type { Fix } from '../server/protocol/fixHints';
import { scoringModelFixes } from '../server/protocol/scoringModelFix';
import { fixAction } from './errorActions';

/** A score or mean: 4 decimals, "not scored" when there is none. */
export function formatScore(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value)
    ? 'not scored'
    : value.toFixed(4);
}

/** One question's official per-sample value (accuracy true/false, a number, or [tp, fp, fn]). */
export function formatSampleValue(value: SampleValue | null | undefined): string {
  if (value === null || value === undefined) return 'not scored';
  if (typeof value === 'boolean') return value ? 'correct' : 'wrong';
  if (typeof value === 'number') return value.toFixed(4);
  const [tp, fp, fn] = value;
  return `tp ${tp} · fp ${fp} · fn ${fn}`;
}

/** A parsed answer or truth, short: lists joined, strings quoted and cut. */
export function formatAnswer(value: unknown, max = 60): string {
  if (value === undefined || value === null || value === '') return '—';
  if (Array.isArray(value)) return `[${value.map((v) => formatAnswer(v, max)).join(', ')}]`;
  if (typeof value === 'string') {
    const flat = value.replace(/\s+/g, ' ').trim();
    return JSON.stringify(flat.length > max ? `${flat.slice(0, max - 1)}…` : flat);
  }
  return String(value);
}

/**
 * What a headline overall leaves out, for a toast: "; overall and track means cover 5 of 18
 * tasks (12 have no answers; task1 not scored, the report says why)", '' when every task of the
 * run (`runTasks`, GetRunResult's) is in the means. A toast has no room for the reasons (a model
 * that could not load, ...): the report shows them per task.
 */
export function coverageNote(
  report: Pick<ScoresReport, 'tasks' | 'unscored'>,
  runTasks?: number,
  /** Why the tasks are not scored, when one reason covers them (a scoring model that did not load). */
  why = 'the report says why',
): string {
  const unscored = report.unscored ?? [];
  const names = unscored.slice(0, 3).map((u) => u.task_name);
  const more = unscored.length > 3 ? ` and ${unscored.length - 3} more` : '';
  const line = coverageLine(
    { tasks: runTasks, answered: report.tasks.length, unscored: unscored.length },
    `${names.join(', ')}${more} not scored, ${why}`,
  );
  return line === '' ? '' : `; ${line}`;
}

/**
 * The toast after a run. With failures it counts every question asked, says as the CLI's
 * INCOMPLETE line does that the failed ones are not in the scores, and what the overall covers:
 * the questions of the tasks in its mean ("not scored" is kept for answers that could not be
 * scored, which are in no mean either).
 */
export function runEndMessage(
  counts: {
    /** Questions this run (or resume) answered. */
    done: number;
    /** Questions this run (or resume) asked that failed: they are not scored. */
    failed: number;
    resumed: boolean;
    /** The run's tasks, answered or not (GetRunResult's): what the coverage counts. */
    runTasks?: number;
    /** Why its unscored tasks are not scored, when one reason covers them (see coverageNote). */
    unscoredWhy?: string;
  } & Pick<RunDatasetResult, 'rerun' | 'invalidRows'>,
  report: Pick<ScoresReport, 'overall' | 'tasks' | 'unscored'>,
  notScored: string,
): string {
  const asked = counts.done + counts.failed;
  const failed =
    counts.failed > 0
      ? `; Incomplete: ${missingLine({ expected: asked, failed: counts.failed, never: 0 })}`
      : '';
  // The whole run's questions in the overall: those of its scored tasks.
  const inMean = report.tasks.reduce((n, t) => n + (t.score === null ? 0 : t.num_samples), 0);
  const covers = counts.failed > 0 ? ` over the ${inMean} scored` : '';
  const overall =
    report.overall !== null
      ? `overall ${formatScore(report.overall)}${covers}${coverageNote(report, counts.runTasks, counts.unscoredWhy)}`
      : notScored;
  const invalid = counts.invalidRows
    ? `; ${counts.invalidRows.count} of ${counts.invalidRows.of} rows invalid and left out (see Problems)`
    : '';
  return `MCPO: ${counts.resumed ? 'resumed, ' : ''}${plural(asked, 'question')}${rerunNote(asked, counts.rerun)}${failed}; ${overall}${invalid}.`;
}

/**
 * The failure toast when an endpoint stopped answering, for VS Code: the engine's message says
 * what failed and why; the toast has a Resume Run button, so it names Resume Run once, with what
 * it will run.
 */
export function endpointDownMessage(failed: number, downText: string, notScored: number): string {
  const how = resumeRetries('Resume Run', failed, notScored);
  const text = downText.replace(/^not sent: /, '');
  return `MCPO: ${plural(failed, 'question')} failed: ${text} Once the server is back, ${how}.`;
}

/**
 * A run as a quick-pick item, named as the side bar and the report name it (short label, local
 * time); the full label is the detail's tail. A run that mostly failed or stopped short says so
 * first, with a warning icon: its overall covers only what it answered.
 */
export function runPickItem(run: RunListItem): {
  label: string;
  description: string;
  detail: string;
} {
  const label = run.label || run.runId;
  const problem = runProblem(run);
  return {
    label: `${problem ? '$(warning) ' : ''}${shortRunLabel(label)}`,
    // The id's tail, as the side bar and the report show it: two runs of one minute differ.
    description: `${formatRunTime(run.createdAt)} · ${runIdTail(run.runId)}`,
    detail: `overall ${formatScore(run.overall)} · ${questionCount(run)} · ${failedCount(run)}${label !== shortRunLabel(label) ? ` · ${label}` : ''}`,
  };
}

/**
 * What is wrong with exporting this run, or undefined when nothing is: some questions failed
 * ("64 of 96 questions failed") or never ran ("49 of 96 questions (incomplete)").
 */
export function runProblem(run: RunListItem): string | undefined {
  const problems: string[] = [];
  if (run.failed > 0) problems.push(`${run.failed} of ${plural(run.questions, 'question')} failed`);
  if (run.expected !== undefined && run.questions < run.expected)
    problems.push(`only ${questionCount(run)} ran`);
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/** Why a run's tasks are not scored, when it is their scoring models, and the fixes (settings) for it. */
export function notScoredFixes(unscored: ScoresReport['unscored']): {
  why?: string;
  fixes: Fix[];
} {
  const fixes = scoringModelFixes(unscored);
  return fixes.length > 0 ? { why: 'its scoring model did not load', fixes } : { fixes };
}

/** The run-end toast's buttons: a fix's (its setting), then Open Report unless it opened itself. */
export function runEndActions(fixes: readonly Fix[], reportOpened: boolean): string[] {
  const actions = fixes.map(fixAction).filter((a): a is string => a !== undefined);
  return [...new Set(actions), ...(reportOpened ? [] : ['Open Report'])];
}
