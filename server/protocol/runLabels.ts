/**
 * How a run is named, dated and counted wherever a person reads it: the Results side bar and the
 * report (media/), the pickers and toasts (extension/) and the `mcpo` tables (server/runs/). One
 * wording everywhere, so a run is recognisable from one view to the next. Pure functions, no
 * Node, no DOM.
 */

import { MIN_PAIRED, type Rerun, type RunRecord } from './runs';

/** Longest run label shown as is in a heading; a longer one is summarised (full text on hover). */
export const SHORT_LABEL_MAX = 32;

/**
 * A run's label as a header at a side bar's width. The engine names a run by its configuration
 * ("preset=paper templates=paper parts=mcq=1,2 retrieval=1,2 ... cot=self k=3", 100+ characters
 * with the paper preset): that becomes "paper · P1+2 · CoT self · top-3". A label the user or an
 * ablation arm gave is kept when short, else cut with an ellipsis. The full label stays on hover
 * (title) and in the report.
 */
export function shortRunLabel(label: string): string {
  const text = label.trim();
  const summary = configurationSummary(text);
  if (summary !== undefined) return summary;
  return text.length <= SHORT_LABEL_MAX ? text : `${text.slice(0, SHORT_LABEL_MAX - 1).trimEnd()}…`;
}

/** Prompt-part keys of the label (server/pipeline/templates.ts describePromptParts). */
const PART_KEYS = ['mcq', 'retrieval', 'ranking', 'generation', 'ner'];

/** The summary of a configuration label, or undefined when the label is not one. */
function configurationSummary(label: string): string | undefined {
  const tokens = label.split(/\s+/);
  const fields = new Map<string, string>();
  const parts = new Map<string, string>();
  let inParts = false;
  for (const token of tokens) {
    const match = /^([a-z]+)=(.*)$/.exec(token);
    if (!match) return undefined;
    const [, key, value] = match;
    if (key === 'parts') {
      inParts = true;
      const first = /^([a-z]+)=(.*)$/.exec(value);
      if (!first) return undefined;
      parts.set(first[1], first[2]);
    } else if (inParts && PART_KEYS.includes(key) && !parts.has(key)) parts.set(key, value);
    else if (['preset', 'templates', 'cot', 'k'].includes(key) && !fields.has(key)) {
      inParts = false;
      fields.set(key, value);
    } else return undefined;
  }
  if (!fields.has('templates')) return undefined;
  const pieces: string[] = [];
  const preset = fields.get('preset');
  if (preset) pieces.push(preset);
  const templates = fields.get('templates');
  if (templates === 'none') pieces.push('raw prompt');
  else if (templates === 'file') pieces.push('own templates');
  else if (!preset) pieces.push(`${templates} prompts`);
  if (parts.size > 0) pieces.push(partsSummary(parts));
  const cot = fields.get('cot');
  if (cot) pieces.push(`CoT ${cot === 'slm' ? 'M_S' : cot}`);
  const k = fields.get('k');
  if (k) pieces.push(`top-${k}`);
  return pieces.join(' · ');
}

/** "P1+2" when every task type with parts has the same ones (NER has none), else "mixed parts". */
function partsSummary(parts: ReadonlyMap<string, string>): string {
  const sets = new Set([...parts].filter(([key]) => key !== 'ner').map(([, value]) => value));
  if (sets.size !== 1) return 'mixed parts';
  const [only] = sets;
  return only === '-' ? 'no prompt parts' : `P${only.split(',').join('+')}`;
}

/**
 * A ShopBench track as a person reads it: the official names share a long prefix
 * ("amazon-kdd-cup-24-understanding-shopping-concepts"); the rest tells them apart. Every table,
 * card, filter and detail shows this; files written for the official tools keep the full name.
 */
export function shortTrack(track: string): string {
  return track.replace(/^amazon-kdd-cup-24-/, '');
}

/** A difference's scope as a person reads it: "track shopping-knowledge-reasoning", "task3". */
export function scopeName(scope: string): string {
  return scope.startsWith('track ') ? `track ${shortTrack(scope.slice(6))}` : scope;
}

/** Task names in the order people count them: task2 before task10 (compare for sort). */
export function compareTaskNames(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * `2026-11-27T15:38:39.000Z` → `2026-11-27 16:38` in the viewer's local time (here UTC+1): the
 * clock on the user's wall, as VS Code shows times elsewhere. Unparseable dates as given.
 */
export function formatRunTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** How many of a run's tasks its overall and track means take in. */
export interface TaskCoverage {
  /** The tasks of the run's rows, answered or not; undefined when not known (`answered` then). */
  tasks?: number;
  /** Tasks with at least one answer (the rows of the scores table). */
  answered: number;
  /** Answered tasks left out of the means because some rows could not be scored. */
  unscored: number;
}

/**
 * "overall and track means cover 5 of 18 tasks (12 have no answers; 1 not scored)" when the
 * means leave tasks out: a task none of whose questions was answered (they failed or never ran)
 * or one whose rows could not be scored; '' when every task of the run is in the means. The
 * count is of the run's tasks, not of those that got an answer: "5 of 6" on an 18-task run
 * would read as nearly complete. `notScored` words the not-scored part ("task1 not scored").
 */
export function coverageLine(coverage: TaskCoverage, notScored?: string): string {
  const tasks = Math.max(coverage.tasks ?? coverage.answered, coverage.answered);
  const scored = coverage.answered - coverage.unscored;
  if (scored >= tasks) return '';
  const noAnswers = tasks - coverage.answered;
  const why = [
    noAnswers > 0 ? `${noAnswers} ${noAnswers === 1 ? 'has no answers' : 'have no answers'}` : '',
    coverage.unscored > 0 ? (notScored ?? `${coverage.unscored} not scored`) : '',
  ].filter(Boolean);
  return `overall and track means cover ${scored} of ${plural(tasks, 'task')} (${why.join('; ')})`;
}

/** What a run left out of its scores, counted as a resume counts it. */
export interface MissingQuestions {
  /** Questions the run covers when complete. */
  expected: number;
  failed: number;
  /** Questions with no record (the run stopped before them). */
  never: number;
}

/**
 * "64 of 96 questions failed and are not in these scores", "56 of 96 questions never ran and
 * …", "59 of 96 questions (3 failed, 56 never ran) are not …"; '' for a complete run. The CLI
 * footer heads it "INCOMPLETE", the side bar and the report "Incomplete": a failed run is as
 * incomplete as a cancelled one, and its overall covers only what was answered.
 */
export function missingLine({ expected, failed, never }: MissingQuestions): string {
  const missing = failed + never;
  if (missing === 0) return '';
  const are = missing === 1 ? 'is' : 'are';
  const how =
    failed > 0 && never > 0
      ? ` (${failed} failed, ${never} never ran) ${are}`
      : `${failed > 0 ? ' failed' : ' never ran'} and ${are}`;
  return `${missing} of ${plural(expected, 'question')}${how} not in these scores`;
}

/** A run's missing questions from its listing counts (RunListItem's, RunSummary's). */
export function missingOf(run: RunCounts): MissingQuestions {
  const expected = Math.max(run.expected ?? run.questions, run.questions);
  return { expected, failed: run.failed, never: expected - run.questions };
}

/**
 * Answered, but its score could not be computed then (e.g. no scoring model): a resume asks it
 * again (from the cache, so for free) to score it once the model is there.
 */
export function answeredNotScored(r: Pick<RunRecord, 'status' | 'score' | 'error'>): boolean {
  return r.status === 'ok' && r.score === null && r.error?.stage === 'score';
}

/**
 * What resuming a run with `failed` failures does, after the words that resume it ("Resume Run",
 * "mcpo run --resume DIR"): it also asks the answered but not scored again, so say both numbers.
 */
export function resumeRetries(resume: string, failed: number, notScored: number): string {
  return resumeRuns(resume, { never: 0, failed, notScored });
}

/**
 * Everything a resume runs, counted as its start line counts it (rerunNote): "… finishes it and
 * asks the 4 answered but not scored again (60 questions in all)" after a Ctrl-C, "… retries
 * them, runs the 56 that never ran and asks …" after failures too.
 */
export function resumeRuns(resume: string, counts: Rerun & { never: number }): string {
  const { never, failed, notScored } = counts;
  const actions = [
    failed > 0 ? 'retries them' : 'finishes it',
    failed > 0 && never > 0 ? `runs the ${never} that never ran` : '',
    notScored > 0 ? `asks the ${notScored} answered but not scored again` : '',
  ].filter(Boolean);
  const last = actions.pop();
  const said = actions.length > 0 ? `${actions.join(', ')} and ${last}` : last;
  const all =
    actions.length > 0 ? ` (${plural(never + failed + notScored, 'question')} in all)` : '';
  return `${resume} ${said}${all}`;
}

/**
 * How many questions a resume asks, counted as its start line counts them: "Resume Run runs the
 * 68 questions that never ran", "Resume Run runs 72 questions (4 answered but not scored, 68
 * never run)".
 */
export function resumeCount(resume: string, counts: Rerun & { never: number }): string {
  const total = counts.never + counts.failed + counts.notScored;
  if (total === counts.never)
    return `${resume} runs the ${plural(total, 'question')} that never ran`;
  return `${resume} runs ${plural(total, 'question')}${rerunNote(total, counts)}`;
}

/** What a resume runs again: " (74 that failed, 4 answered but not scored)"; '' for none. */
export function rerunNote(pending: number, rerun: Rerun | undefined): string {
  if (rerun === undefined) return '';
  const never = pending - rerun.failed - rerun.notScored;
  const parts = [
    rerun.failed > 0 ? `${rerun.failed} that failed` : '',
    rerun.notScored > 0 ? `${rerun.notScored} answered but not scored` : '',
    never > 0 ? `${never} never run` : '',
  ].filter(Boolean);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/**
 * A run a resume has something to do for: questions that failed, never ran, or were answered but
 * not scored (the CLI's `--resume` asks those again too, to score them once the model is there).
 */
export function hasWorkToResume(run: RunCounts & { notScored?: number }): boolean {
  return (
    run.failed > 0 ||
    (run.notScored ?? 0) > 0 ||
    (run.expected !== undefined && run.questions < run.expected)
  );
}

/** A count with its noun: "1 question", "96 questions". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** The counts of a run the question wording reads (RunListItem's). */
export interface RunCounts {
  questions: number;
  expected?: number;
  failed: number;
  selection?: boolean;
}

/**
 * How many questions a run answered, in the words of its scope: "96 questions"; a run over a
 * selection (what the user asked for) "4 selected questions"; a run that stopped short of its
 * scope "49 of 96 questions (incomplete)"; a run still going "16 of 96 questions so far".
 */
export function questionCount(run: RunCounts, running = false): string {
  const noun = run.selection ? 'selected question' : 'question';
  if (run.expected === undefined || run.questions >= run.expected)
    return plural(run.questions, noun);
  return `${run.questions} of ${plural(run.expected, noun)} ${running ? 'so far' : '(incomplete)'}`;
}

/** The random tail of a run id, which tells runs of one minute apart: "…T13-36-14-1b16" → "1b16". */
export function runIdTail(runId: string): string {
  return /-([0-9a-f]{4})$/.exec(runId)?.[1] ?? runId;
}

/** What names a run where it is picked among others (RunListItem's fields). */
export interface NamedRun extends RunCounts {
  label: string;
  runId: string;
  createdAt: string;
}

/**
 * A run's name wherever one is picked among others (the report's baseline list, the side bar's
 * Δ line): "paper prompts · 8 selected questions · 2026-11-30 13:39 · 1b16". Every plain run is
 * "paper prompts": the count and the id's tail are what tell two of them apart.
 */
export function runName(run: NamedRun): string {
  const label = shortRunLabel(run.label || run.runId);
  return `${label} · ${questionCount(run)} · ${formatRunTime(run.createdAt)} · ${runIdTail(run.runId)}`;
}

/** "64 of 96 failed" (of the questions that ran), "0 failed" when none did. */
export function failedCount(run: RunCounts): string {
  return run.failed > 0 ? `${run.failed} of ${run.questions} failed` : '0 failed';
}

/**
 * Comparisons (`mcpo report`, the report's baseline, the side bar's Δ): questions both runs
 * answered but whose task one run could not score are in no difference, so they are named apart:
 * "4 answered by both but not scored in both".
 */
export function notScoredInBoth(notScored: number): string {
  return `${notScored} answered by both but not scored in both`;
}

/** A comparison with nothing to compare, and why: "no comparable questions (4 answered by both but not scored in both)". */
export function nothingComparable(notScored: number): string {
  return notScored > 0
    ? `no comparable questions (${notScoredInBoth(notScored)})`
    : 'no paired questions';
}

/** A run's dataset as a comparison names it: its file and how many questions the run has. */
export interface ComparedDataset {
  file: string;
  questions: number;
}

/**
 * Runs on different datasets pair only the questions with the same index, task and truth; the
 * comparison says so first: "datasets differ: dev.jsonl (96 questions) and x4.jsonl (384
 * questions): 92 of 384 questions paired".
 */
export function datasetsDiffer(
  baseline: ComparedDataset,
  candidate: ComparedDataset,
  paired: number,
): string {
  const base = (f: string): string => f.split(/[\\/]/).pop() ?? f;
  const sameName = base(baseline.file) === base(candidate.file);
  const name = (d: ComparedDataset): string =>
    `${sameName ? d.file : base(d.file)} (${plural(d.questions, 'question')})`;
  const of = Math.max(baseline.questions, candidate.questions);
  return `datasets differ: ${name(baseline)} and ${name(candidate)}: ${paired} of ${plural(of, 'question')} paired`;
}

/**
 * A finished question on the progress line: "ok", "answered, not scored" (the reason is said
 * once at the end, not cut at the terminal's width per question), or "failed: why".
 */
export function questionOutcome(r: Pick<RunRecord, 'status' | 'score' | 'error'>): string {
  if (r.status !== 'ok') return `failed${r.error ? `: ${r.error.message}` : ''}`;
  return r.score === null ? 'answered, not scored' : 'ok';
}

/** " · 4 not scored" after a run's "0 failed" (cards, report header), '' when all are scored. */
export function notScoredCount(run: { notScored?: number }): string {
  return run.notScored ? ` · ${run.notScored} not scored` : '';
}

/** Where a delta has no interval because too few questions pair: "n < 10: no CI" (report, ablation). */
export function noInterval(): string {
  return `n < ${MIN_PAIRED}: no CI`;
}
