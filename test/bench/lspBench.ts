/**
 * Language server figures (measured, never asserted): diagnostics of a 100,000-row dataset from
 * scratch, and after typing into one row (the incremental path the editor takes on every pause).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineDocument } from '../../server/lsp/lineDocument';
import { DatasetDocument } from '../../server/lsp/datasetDocument';

const ROWS = 100_000;

function sampleFile(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return path.join(dir, 'server', 'dataset', 'sample', 'shopbench-dev.jsonl');
}

export async function lspBench(figures: Record<string, string>): Promise<void> {
  const sample = fs
    .readFileSync(sampleFile(), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  // Every row distinct (as in a real file), so the cache cannot make the first pass cheap.
  const lines: string[] = [];
  for (let i = 0; i < ROWS; i++)
    lines.push(
      sample[i % sample.length]
        .replace('"task_name": "', `"task_name": "b${i}-`)
        .replace('"task_name":"', `"task_name":"b${i}-`),
    );
  lines[500] = lines[500].replace('"metric"', '"metrik"');
  const text = `${lines.join('\n')}\n`;
  const uri = 'file:///bench/dataset.jsonl';

  const t0 = performance.now();
  const dataset = new DatasetDocument(new LineDocument(uri, 'jsonl', 1, text));
  const first = dataset.diagnostics();
  const full = performance.now() - t0;
  figures[`LSP diagnostics, ${ROWS} rows (${(text.length / 1e6).toFixed(0)} MB) from scratch`] =
    `${full.toFixed(0)} ms (${first.length} problems)`;

  // Type one character into the value of a row in the middle, then a whole-row replacement.
  const line = 50_000;
  const at = lines[line].indexOf('"task_type"');
  const times: number[] = [];
  for (let k = 0; k < 5; k++) {
    const t1 = performance.now();
    dataset.applyChanges(
      [
        {
          range: { start: { line, character: at + 1 }, end: { line, character: at + 1 } },
          text: 'x',
        },
      ],
      2 + k,
    );
    dataset.diagnostics();
    times.push(performance.now() - t1);
  }
  times.sort((a, b) => a - b);
  figures['LSP one-row edit (apply change + re-validate + all diagnostics), median of 5'] =
    `${times[2].toFixed(1)} ms`;
}
