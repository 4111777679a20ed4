/** The terminal view of a scores report: per task, per track, overall. */
import { scoringModelFix } from '../protocol/scoringModelFix';
import type { ScoresReport } from './evaluate';

const SHORT_TRACK = /^amazon-kdd-cup-24-/;

export function formatScoreTable(report: ScoresReport): string {
  const rows: string[][] = [['task', 'type', 'metric', 'track', 'n', 'score']];
  for (const t of report.tasks) {
    rows.push([
      t.task_name,
      t.task_type,
      t.metric,
      (t.track ?? '').replace(SHORT_TRACK, ''),
      String(t.num_samples),
      fmt(t.score),
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
    out.push(`track ${track.replace(SHORT_TRACK, '')}: ${fmt(score)}`);
  out.push(`overall: ${fmt(report.overall)}`);
  for (const u of report.unscored ?? []) {
    out.push(`NOT SCORED ${u.task_name}: ${u.reason}`);
  }
  if (report.unscored)
    out.push(
      `overall and track means cover only the ${report.tasks.length - report.unscored.length} scored tasks of ${report.tasks.length}`,
    );
  // `mcpo score` names its scoring models with --embed-model / --multilingual-embed-model.
  const fix = scoringModelFix(report.unscored, 'score');
  if (fix) out.push(fix);
  return `${out.join('\n')}\n`;
}

function fmt(score: number | null): string {
  return score === null ? 'n/a' : Number.isNaN(score) ? 'nan' : score.toFixed(4);
}
