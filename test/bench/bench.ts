/**
 * `npm run bench`: measured figures for the closing notes (never asserted in tests).
 *   node dist/bench.js [section ...]   sections: scoring dataset runs hover engine pipeline local lsp vscode
 *                                      (default: all)
 * Runs are measured side by side in one invocation and reported as ratios (see runBench.ts):
 * the machine is shared, so absolute times are noisy.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadDataset, validateDataset } from '../../server/dataset/load';
import { feedRowTexts, type RowText } from '../../server/dataset/rowTexts';
import type { Metric, ShopBenchRow } from '../../server/dataset/shopbench';
import { aggregate, scoreSamples, type SampleInput } from '../../server/scoring/evaluate';
import { loadJapaneseTokenizer } from '../../server/scoring/official/japaneseTokenizer';
import { engineBench } from './engineBench';
import { localLlamaBench } from './localLlamaBench';
import { lspBench } from './lspBench';
import { pipelineBench } from './pipelineBench';
import { benchChild, inChild, runBench, type ChildJob } from './runBench';
import { median, spawnedWallTimes } from './spawned';

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
      // A varying word, so rows do not repeat exactly.
      return i % 2 === 0
        ? String(truth)
        : `${words.slice(1).concat(words[0]).join(' ')} v${i % 977}`;
    }
  }
}

/** Wall and CPU time (this process, all threads) of one task. */
async function timed<T>(task: () => Promise<T>): Promise<{ value: T; ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const value = await task();
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return { value, ms, cpuMs: (used.user + used.system) / 1000 };
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

async function scoringBench(dev: ShopBenchRow[], figures: Record<string, string>): Promise<void> {
  const dictCache = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-dict-'));
  try {
    const job: ChildJob = { kind: 'dictionary', cacheDir: dictCache };
    const first = await inChild(job);
    const later = await inChild(job);
    figures['Japanese dictionary, first load (builds the cache) / later load, own process'] =
      `${first.wallMs.toFixed(0)} ms, peak RSS ${first.maxRssMb.toFixed(0)} MB / ${later.wallMs.toFixed(0)} ms, peak RSS ${later.maxRssMb.toFixed(0)} MB`;
  } finally {
    fs.rmSync(dictCache, { recursive: true, force: true });
  }
  // jp-bleu last, its dictionary loaded just before: once resident, every full collection
  // traces its ~100 MB, which the other metrics' figures would pay for (BLEU's by a third).
  const metrics = [...new Set(dev.map((r) => r.metric))]
    .filter((m) => !m.includes('sent-transformer'))
    .sort((a, b) => Number(a === 'jp-bleu') - Number(b === 'jp-bleu')) as Metric[];
  for (const metric of metrics) {
    if (metric === 'jp-bleu') await loadJapaneseTokenizer();
    const pool = dev.filter((r) => r.metric === metric);
    const rows = metric === 'jp-bleu' ? ROWS / 10 : ROWS;
    const inputs: SampleInput[] = [];
    for (let i = 0; i < rows; i++) {
      const row = pool[i % pool.length];
      inputs.push({ index: i, row, response: responseFor(row, i) });
    }
    const {
      value: scored,
      ms,
      cpuMs,
    } = await timed(() => scoreSamples(inputs, { japaneseTokenizer: loadJapaneseTokenizer }));
    figures[`scoring throughput, ${metric} (${rows} rows over ${pool.length} dev rows, inline)`] =
      `${Math.round(rows / (ms / 1000))} rows/s, ${Math.round(rows / (cpuMs / 1000))} rows per CPU second (mean ${aggregate(scored).overall?.toFixed(4)})`;
  }
}

async function datasetBench(sample: string, figures: Record<string, string>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-bench-'));
  try {
    const big = path.join(dir, 'big.jsonl');
    const lines = fs.readFileSync(sample, 'utf8').trim().split('\n');
    const out: string[] = [];
    for (let i = 0; i < ROWS; i++) out.push(lines[i % lines.length]);
    fs.writeFileSync(big, `${out.join('\n')}\n`);
    // The floor: read, split, decode and JSON.parse every row with validate's own reader, no checks.
    const floorResult = await timed(async () => {
      let parsed = 0;
      const parse = (raw: RowText): void => void (parsed += JSON.parse(raw.text) ? 1 : 0);
      for await (const _ of feedRowTexts(big, parse));
      return parsed;
    });
    // What `mcpo validate` runs (no rows kept), then what a run loads (rows kept).
    const validate = await timed(() => validateDataset(big));
    const load = await timed(() => loadDataset(big));
    const size = (fs.statSync(big).size / 1e6).toFixed(0);
    figures[`mcpo validate of ${ROWS} rows (${size} MB; validateDataset, streamed, no rows kept)`] =
      `${s(validate.ms)} (CPU ${s(validate.cpuMs)}), ${validate.value.validCount} valid; read, split + JSON.parse alone (same reader) ${s(floorResult.ms)} (CPU ${s(floorResult.cpuMs)}, ${floorResult.value} rows): ${(validate.ms / floorResult.ms).toFixed(2)}x that floor (CPU ${(validate.cpuMs / floorResult.cpuMs).toFixed(2)}x)`;
    figures[`load ${ROWS} rows for a run (loadDataset, rows kept)`] =
      `${s(load.ms)} (CPU ${s(load.cpuMs)}), ${load.value.rows.length} valid: ${(load.ms / floorResult.ms).toFixed(2)}x the floor`;
    // What the user meets: the real CLI in a new process, start-up included.
    const cli = path.join(__dirname, 'cli.js');
    const load1 = os.loadavg()[0];
    const [floor, startUp, user] = spawnedWallTimes(
      [
        ['-e', '0'],
        [cli, '--help'],
        [cli, 'validate', '--data', big],
      ],
      CLI_RUNS,
    ).map(median);
    figures[
      `mcpo validate of ${ROWS} rows as the user runs it (node dist/cli.js validate --data FILE, a new process; median of ${CLI_RUNS}, load ${load1.toFixed(1)})`
    ] = `${s(user)} wall; start-up alone (mcpo --help) ${s(startUp)}; node -e 0 ${s(floor)}`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Rounds of the spawned-CLI figure. */
const CLI_RUNS = 5;

async function main(): Promise<void> {
  if (process.argv[2] === '--bench-child')
    return benchChild(JSON.parse(process.argv[3]) as ChildJob);
  const wanted = new Set(process.argv.slice(2));
  const on = (section: string): boolean => wanted.size === 0 || wanted.has(section);
  const sample = path.join(__dirname, '..', 'server', 'dataset', 'sample', 'shopbench-dev.jsonl');
  const dev = (await loadDataset(sample)).rows.map((r) => r.row);
  const figures: Record<string, string> = {};
  if (on('scoring')) await scoringBench(dev, figures);
  if (on('dataset')) await datasetBench(sample, figures);
  if (on('runs') || on('hover'))
    await runBench(sample, figures, { runs: on('runs'), hover: on('hover') });
  if (on('engine')) await engineBench(sample, figures);
  if (on('pipeline')) await pipelineBench(sample, figures);
  if (on('local')) await localLlamaBench(figures);
  if (on('lsp')) await lspBench(figures);
  // Imported here: playwright-core would otherwise load in every bench child, adding its memory
  // to the run process's peak RSS that the bench reports.
  if (on('vscode')) await (await import('./vscodeBench')).vscodeBench(sample, figures);
  const dist = path.join(__dirname);
  for (const bundle of ['extension.js', 'main.js', 'engineWorker.js', 'media/panel.js']) {
    figures[`bundle size dist/${bundle}`] =
      `${(fs.statSync(path.join(dist, bundle)).size / 1024).toFixed(0)} KB`;
  }
  figures['peak resident memory (whole bench process)'] = `${peakRssMb().toFixed(0)} MB`;
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`${k}: ${v}\n`);
}

void main();
