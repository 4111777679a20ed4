/** The terminal view of a scores report: per task, per track, overall. */
import { coverageLine, shortTrack } from '../protocol/runLabels';
import { scoringModelFix } from '../protocol/scoringModelFix';
import type { ScoresReport } from './evaluate';

export function formatScoreTable(report: ScoresReport): string {
  const rows: string[][] = [['task', 'type', 'metric', 'track', 'n', 'score']];
  for (const t of report.tasks) {
    rows.push([
      t.task_name,
      t.task_type,
      t.metric,
      shortTrack(t.track ?? ''),
      String(t.num_samples),
      formatScoreCell(t.score),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]): string =>
    r
      .map((cell, c) => (c >= 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const out = [
    line(rows[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
    '',
  ];
  for (const [track, score] of Object.entries(report.tracks))
    out.push(`track ${shortTrack(track)}: ${formatScoreCell(score)}`);
  out.push(`overall: ${formatScoreCell(report.overall)}`);
  for (const u of report.unscored ?? []) {
    out.push(`NOT SCORED ${u.task_name}: ${u.reason}`);
  }
  // Worded as `mcpo run` and `mcpo report` word it: every task of a predictions file has answers.
  const coverage = coverageLine({
    answered: report.tasks.length,
    unscored: report.unscored?.length ?? 0,
  });
  if (coverage) out.push(coverage);
  // `mcpo score` names its scoring models as `mcpo run` does: --scoring-embed-model / --multilingual-embed-model.
  const fix = scoringModelFix(report.unscored, 'score');
  if (fix) out.push(fix);
  return `${out.join('\n')}\n`;
}

/** A score as the CLI's tables print it; null is a task (or every task of a mean) NOT SCORED, as the line under the table names it. */
export function formatScoreCell(score: number | null): string {
  return score === null ? 'NOT SCORED' : Number.isNaN(score) ? 'nan' : score.toFixed(4);
}
