/** Terminal text for run reports: scores of several runs side by side, and differences with CIs. */
import { MIN_PAIRED } from '../protocol/runs';
import { coverageLine, resumeRuns, shortRunLabel } from '../protocol/runLabels';
import { scoringModelFix } from '../protocol/scoringModelFix';
import type { Difference, RunSummary } from './report';

const SHORT_TRACK = /^amazon-kdd-cup-24-/;

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
      tasks.get(key)![i] = fmt(t.score);
    }
  });
  const rows: string[][] = [...tasks].map(([k, v]) => [k, ...v.map((x) => x ?? '-')]);
  const trackNames = [...new Set(runs.flatMap((r) => Object.keys(r.report.tracks)))];
  for (const track of trackNames)
    rows.push([
      `track ${track.replace(SHORT_TRACK, '')}`,
      ...runs.map((r) => fmt(r.report.tracks[track] ?? null)),
    ]);
  rows.push(['overall', ...runs.map((r) => fmt(r.report.overall))]);
  rows.push([
    'questions (failed)',
    ...runs.map(
      (r) => `${r.questions}${r.questions < r.expected ? ` of ${r.expected}` : ''} (${r.failed})`,
    ),
  ]);
  // A replayed answer came from the cache, keyed by the weights that produced it.
  rows.push(['answers from cache', ...runs.map((r) => String(r.cached))]);
  const widths = header.map((_, c) => Math.max(...[header, ...rows].map((r) => r[c].length)));
  const line = (r: string[]): string =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  const out = [line(header), ...rows.map(line)];
  runs.forEach((r, i) => out.push(`[${i + 1}] ${r.label}: ${r.dir}`));
  // Notes name a run by its legend number: the full label is on its legend line above.
  for (const [i, r] of runs.entries()) {
    const name = `[${i + 1}]`;
    // A run stopped early (Ctrl+C, a crash, a setup error) scores only what it answered. The
    // last of these lines says what a resume runs, counted as the resume will count it.
    const never = Math.max(0, r.expected - r.questions);
    const resume = resumeRuns(`"mcpo run --resume ${r.dir}"`, {
      never,
      failed: r.failed,
      notScored: r.notScored ?? 0,
    });
    if (never > 0)
      out.push(
        `${name} INCOMPLETE, ${never} of ${r.expected} question(s) never ran and are not in these scores${r.failed > 0 ? '' : `; ${resume}`}`,
      );
    if (r.failed > 0)
      out.push(`${name} ${r.failed} question(s) failed and are not scored; ${resume}`);
    for (const u of r.report.unscored ?? [])
      out.push(`${name} NOT SCORED ${u.task_name}: ${u.reason}`);
    const coverage = coverageLine(r.report.tasks.length, r.report.unscored?.length ?? 0);
    if (coverage) out.push(`${name} ${coverage}`);
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
    d.scope.replace(SHORT_TRACK, '').replace('track amazon-kdd-cup-24-', 'track '),
    String(d.n),
    fmt(d.baseline),
    fmt(d.candidate),
    d.delta === null ? 'n/a' : signed(d.delta),
    d.low === null || d.high === null
      ? d.n < MIN_PAIRED
        ? `n < ${MIN_PAIRED}: no CI`
        : ''
      : `[${signed(d.low)}, ${signed(d.high)}]`,
  ]);
  const header = ['', 'n', 'baseline', 'candidate', 'delta', '95% CI (paired bootstrap)'];
  const widths = header.map((_, c) => Math.max(...[header, ...rows].map((r) => r[c].length)));
  const line = (r: string[]): string =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return `${candidate} vs ${baseline}\n${[header, ...rows].map(line).join('\n')}\n`;
}

function fmt(x: number | null): string {
  return x === null ? 'n/a' : Number.isNaN(x) ? 'nan' : x.toFixed(4);
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
}
