/**
 * `npm run bench`: measured figures for the closing notes (never asserted in tests).
 * Scoring throughput on 100,000 rows of the non-embedding metrics, dataset streaming, peak memory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadDataset } from '../../server/dataset/load';
import type { ShopBenchRow } from '../../server/dataset/shopbench';
import { aggregate, scoreSamples, type SampleInput } from '../../server/scoring/evaluate';
import { loadJapaneseTokenizer } from '../../server/scoring/japaneseTokenizer';
import { localLlamaBench } from './localLlamaBench';
import { lspBench } from './lspBench';
import { pipelineBench } from './pipelineBench';
import { vscodeBench } from './vscodeBench';

const ROWS = 100_000;

/** A plausible raw response for a row: right, slightly wrong, or badly formatted, in rotation. */
function responseFor(row: ShopBenchRow, i: number): string {
  const truth = row.output_field;
  switch (row.task_type) {
    case 'multiple-choice':
      return i % 3 === 0
        ? String(truth)
        : i % 3 === 1
          ? `${(Number(truth) + 1) % 4}`
          : `Answer: ${String(truth)}`;
    case 'retrieval':
    case 'ranking':
      return i % 2 === 0
        ? (truth as number[]).map((_, k) => k + 1).join(', ')
        : `[${(truth as number[])
            .map((_, k) => k + 1)
            .reverse()
            .join(', ')}]`;
    case 'named_entity_recognition':
      return i % 2 === 0 ? JSON.stringify(truth) : `${(truth as string[]).join(', ')}, extra`;
    case 'generation': {
      const words = String(truth).split(' ');
      return i % 2 === 0 ? String(truth) : words.slice(1).concat(words[0]).join(' ');
    }
  }
}

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

async function main(): Promise<void> {
  const sample = path.join(__dirname, '..', 'server', 'dataset', 'sample', 'shopbench-dev.jsonl');
  const dev = (await loadDataset(sample)).rows.map((r) => r.row);
  const noModel = dev.filter(
    (r) => r.metric !== 'sent-transformer' && r.metric !== 'multilingual-sent-transformer',
  );
  const figures: Record<string, string> = {};
  const tLoad = performance.now();
  await loadJapaneseTokenizer();
  figures['Japanese tokenizer first load (IPA dictionary)'] =
    `${(performance.now() - tLoad).toFixed(0)} ms`;

  for (const [label, pool] of [
    ['non-embedding metrics without jp-bleu', noModel.filter((r) => r.metric !== 'jp-bleu')],
    ['non-embedding metrics including jp-bleu', noModel],
  ] as const) {
    const inputs: SampleInput[] = [];
    for (let i = 0; i < ROWS; i++) {
      const row = pool[i % pool.length];
      inputs.push({ index: i, row, response: responseFor(row, i) });
    }
    const t0 = performance.now();
    const scored = await scoreSamples(inputs, { japaneseTokenizer: loadJapaneseTokenizer });
    const report = aggregate(scored);
    const ms = performance.now() - t0;
    figures[`score ${ROWS} rows, ${label}`] =
      `${(ms / 1000).toFixed(2)} s (${Math.round(ROWS / (ms / 1000))} rows/s), overall ${report.overall?.toFixed(4)}`;
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-bench-'));
  const big = path.join(dir, 'big.jsonl');
  const lines = fs.readFileSync(sample, 'utf8').trim().split('\n');
  const out = fs.createWriteStream(big);
  for (let i = 0; i < ROWS; i++) out.write(`${lines[i % lines.length]}\n`);
  await new Promise<void>((resolve) => out.end(resolve));
  const t2 = performance.now();
  const ds = await loadDataset(big);
  figures[`stream + validate ${ROWS} rows (${(fs.statSync(big).size / 1e6).toFixed(0)} MB)`] =
    `${((performance.now() - t2) / 1000).toFixed(2)} s, ${ds.rows.length} valid`;
  fs.rmSync(dir, { recursive: true, force: true });

  figures['peak resident memory after scoring (whole bench process)'] =
    `${peakRssMb().toFixed(0)} MB`;
  await pipelineBench(sample, figures);
  await localLlamaBench(figures);
  await lspBench(figures);
  await vscodeBench(sample, figures);
  const dist = path.join(__dirname);
  for (const bundle of ['extension.js', 'main.js', 'media/panel.js']) {
    figures[`bundle size dist/${bundle}`] =
      `${(fs.statSync(path.join(dist, bundle)).size / 1024).toFixed(0)} KB`;
  }
  figures['peak resident memory (whole bench process)'] = `${peakRssMb().toFixed(0)} MB`;
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`${k}: ${v}\n`);
}

void main();
