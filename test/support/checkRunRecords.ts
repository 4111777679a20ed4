/**
 * CI's check of a finished run: every question of the dataset recorded once, none failed, every
 * one scored. The exit code of `mcpo run` alone would not show a run that silently skipped
 * questions or recorded failures as answers.
 *
 *   node out/test/support/checkRunRecords.js <run dir | folder holding one run> <expected questions>
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_FILE, RunStore } from '../../server/runs/runStore';

/** The run folder itself, or the only run folder inside `dir`. */
export function findRunDir(dir: string): string {
  if (fs.existsSync(path.join(dir, CONFIG_FILE))) return dir;
  const runs = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(dir, e.name, CONFIG_FILE)))
    .map((e) => path.join(dir, e.name));
  if (runs.length !== 1) throw new Error(`${dir} holds ${runs.length} runs, expected exactly one`);
  return runs[0];
}

/** Problems with the run's records (empty when all `expected` questions are recorded, ok and scored). */
export function checkRunRecords(runDir: string, expected: number): string[] {
  const store = RunStore.open(runDir);
  const problems: string[] = [];
  if (store.config.data.rowCount !== expected)
    problems.push(`the run's dataset has ${store.config.data.rowCount} rows, expected ${expected}`);
  const missing = [...Array(expected).keys()].filter((i) => !store.records.has(i));
  if (missing.length > 0)
    problems.push(
      `${missing.length} of ${expected} questions not recorded (first: ${missing
        .slice(0, 5)
        .map((i) => i + 1)
        .join(', ')})`,
    );
  for (const r of store.records.values()) {
    if (r.index < 0 || r.index >= expected)
      problems.push(`question ${r.index + 1} is not in the dataset`);
    else if (r.status !== 'ok')
      problems.push(`question ${r.index + 1} failed at ${r.error?.stage}: ${r.error?.message}`);
    else if (r.score === null)
      problems.push(`question ${r.index + 1} was not scored: ${r.error?.message ?? 'no score'}`);
  }
  return problems;
}

if (require.main === module) {
  const [dir, count] = process.argv.slice(2);
  const expected = Number(count);
  if (!dir || !Number.isInteger(expected) || expected < 1) {
    console.error('usage: node checkRunRecords.js <run dir> <expected questions>');
    process.exit(2);
  }
  const runDir = findRunDir(dir);
  const problems = checkRunRecords(runDir, expected);
  for (const p of problems.slice(0, 20)) console.error(`${runDir}: ${p}`);
  if (problems.length > 20) console.error(`... and ${problems.length - 20} more`);
  if (problems.length > 0) process.exit(1);
  console.log(`${runDir}: all ${expected} questions recorded, none failed, every one scored`);
}
