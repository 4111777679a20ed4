import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ShopBenchRow } from '../../server/dataset/shopbench';
import { repoRoot } from './paths';

/** The bundled 96 ShopBench development questions. */
export const SAMPLE_FILE = path.join(
  repoRoot,
  'server',
  'dataset',
  'sample',
  'shopbench-dev.jsonl',
);

let rows: ShopBenchRow[] | undefined;

/** The sample's rows, parsed once (they are valid: the dataset tests check that). */
export function sampleRows(): ShopBenchRow[] {
  rows ??= fs
    .readFileSync(SAMPLE_FILE, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ShopBenchRow);
  return rows;
}

/**
 * Writes the first `count` sample lines whose text contains `marker` (e.g. '"multiple-choice"')
 * to `file`, as they are in the sample; returns the lines written.
 */
export function writeSampleLines(file: string, marker: string, count = Infinity): string[] {
  const lines = fs
    .readFileSync(SAMPLE_FILE, 'utf8')
    .split('\n')
    .filter((l) => l.includes(marker))
    .slice(0, count);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return lines;
}
