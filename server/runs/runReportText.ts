/** Terminal text for run reports: scores of several runs side by side, and differences with CIs. */
import { formatScoreCell } from '../scoring/scoreTable';
import { MIN_PAIRED } from '../protocol/runs';
import {
  compareTaskNames,
  coverageLine,
  missingLine,
  missingOf,
  noInterval,
  resumeRuns,
  scopeName,
  shortRunLabel,
  shortTrack,
} from '../protocol/runLabels';
import { scoringModelFix } from '../protocol/scoringModelFix';
import type { Difference, RunSummary } from './report';

export function formatRunsTable(runs: readonly RunSummary[]): string {
  // The short label, as VS Code shows it: a configuration label is 100+ characters wide. The
  // full one is in the legend under the table.
  const header = ['', ...runs.map((r, i) => `[${i + 1}] ${shortRunLabel(r.label)}`)];
  const tasks = new Map<string, (string | null)[]>();
  runs.forEach((run, i) => {
    for (const t of run.report.tasks) {
      const key = `${t.task_name} (${t.metric})`;
      if (!tasks.has(key))
        tasks.set(
          key,
          runs.map(() => null),
        );
      tasks.get(key)![i] = formatScoreCell(t.score);
    }
  });
  // task1, task2, …, task10 as people count them, whichever run answered which first.
  const rows: string[][] = [...tasks]
    .sort(([a], [b]) => compareTaskNames(a, b))
    .map(([k, v]) => [k, ...v.map((x) => x ?? '-')]);
  const trackNames = [...new Set(runs.flatMap((r) => Object.keys(r.report.tracks)))];
  for (const track of trackNames)
    rows.push([
      `track ${shortTrack(track)}`,
      ...runs.map((r) => formatScoreCell(r.report.tracks[track] ?? null)),
    ]);
  rows.push(['overall', ...runs.map((r) => formatScoreCell(r.report.overall))]);
  rows.push([
    'questions (failed)',
    ...runs.map(
      (r) => `${r.questions}${r.questions < r.expected ? ` of ${r.expected}` : ''} (${r.failed})`,
    ),
  ]);
  // As VS Code's cards and report header count them: answered, but in no score.
  if (runs.some((r) => (r.notScored ?? 0) > 0))
    rows.push(['answered, not scored', ...runs.map((r) => String(r.notScored ?? 0))]);
  // A replayed answer came from the cache, keyed by the weights that produced it.
  rows.push(['answers from cache', ...runs.map((r) => String(r.cached))]);
  const widths = header.map((_, c) => Math.max(...[header, ...rows].map((r) => r[c].length)));
  const line = (r: string[]): string =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  const out = [line(header), ...rows.map(line)];
  // The legend names each run as its column does; a configuration label follows in full.
  for (const [i, r] of runs.entries()) {
    const name = shortRunLabel(r.label);
    out.push(`[${i + 1}] ${name}: ${r.dir}`);
    if (name !== r.label.trim()) out.push(`    ${r.label}`);
  }
  // Notes name a run by its legend number: the full label is on its legend line above.
  for (const [i, r] of runs.entries()) {
    const name = `[${i + 1}]`;
    // A run stopped early (Ctrl+C, a crash, a setup error) or with failures scores only what it
    // answered: one INCOMPLETE line, with what a resume runs, counted as the resume will count it.
    const missing = missingOf(r);
    const incomplete = missingLine(missing);
    if (incomplete)
      out.push(
        `${name} INCOMPLETE: ${incomplete}; ${resumeRuns(`"mcpo run --resume ${r.dir}"`, {
          never: missing.never,
          failed: r.failed,
          notScored: r.notScored ?? 0,
        })}`,
      );
  }
  // A reason shared by several runs (the same missing model) is said once, naming them all.
  const reasons = new Map<string, { task: string; reason: string; runs: string[] }>();
  for (const [i, r] of runs.entries())
    for (const u of r.report.unscored ?? []) {
      const key = JSON.stringify([u.task_name, u.reason]);
      const entry = reasons.get(key) ?? { task: u.task_name, reason: u.reason, runs: [] };
      entry.runs.push(`[${i + 1}]`);
      reasons.set(key, entry);
    }
  for (const u of reasons.values())
    out.push(`${u.runs.join(' ')} NOT SCORED ${u.task}: ${u.reason}`);
  for (const [i, r] of runs.entries()) {
    const coverage = coverageLine({
      tasks: r.tasks,
      answered: r.report.tasks.length,
      unscored: r.report.unscored?.length ?? 0,
    });
    if (coverage) out.push(`[${i + 1}] ${coverage}`);
  }
  // How to have the missing scoring models: once for the table, not once per run or task.
  const fix = scoringModelFix(
    runs.flatMap((r) => r.report.unscored ?? []),
    'run',
  );
  if (fix) out.push(fix);
  return `${out.join('\n')}\n`;
}

export function formatDifferences(
  baseline: string,
  candidate: string,
  diffs: readonly Difference[],
): string {
  const rows = diffs.map((d) => [
    scopeName(d.scope),
    String(d.n),
    formatScoreCell(d.baseline),
    formatScoreCell(d.candidate),
    d.delta === null ? 'n/a' : signed(d.delta),
    d.low === null || d.high === null
      ? d.n === 0
        ? 'not scored in both'
        : d.n < MIN_PAIRED
          ? noInterval()
          : ''
      : `[${signed(d.low)}, ${signed(d.high)}]`,
  ]);
  const header = ['', 'n', 'baseline', 'candidate', 'delta', '95% CI (paired bootstrap)'];
  const widths = header.map((_, c) => Math.max(...[header, ...rows].map((r) => r[c].length)));
  const line = (r: string[]): string =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return `${candidate} vs ${baseline}\n${[header, ...rows].map(line).join('\n')}\n`;
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
}
