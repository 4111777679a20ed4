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
