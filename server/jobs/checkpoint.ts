/**
 * What an eval run evaluated, and the paper's Tables 3 and 4 built from such runs.
 *
 * An eval step writes `checkpoint.json` into the run folder it produces: the model's lineage
 * through the pipeline (base model, rows N each fine-tune saw, SLERP, AWQ). `mcpo report` (and
 * the report panel) then lays the runs out as the paper does:
 * - Table 3, model selection: one row per evaluated model, labelled by its base model;
 * - Table 4, data size N and the merge: one row per fine-tune size, then the SLERP merges;
 * each as task-type scores with every row's delta from the first and its 95% paired bootstrap
 * interval (the ablation tables' layout and statistics).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TASK_TYPES, type TaskType } from '../dataset/shopbench';
import { formatPaperTable, taskTypeDelta, taskTypeScore, type PaperTable } from '../runs/ablation';
import { summarizeRun } from '../runs/report';
import type { RunStore } from '../runs/runStore';
import type { RunConfig, RunRecord } from '../runs/runTypes';
import type { ScoresReport } from '../scoring/evaluate';
import { UserError } from '../userError';

export const CHECKPOINT_FILE = 'checkpoint.json';

export interface Checkpoint {
  /** The model the fine-tunes started from (absent: the evaluated model is itself the base). */
  base_model?: string;
  /** Rows each fine-tune on the way was trained on: one for a fine-tune, two for a SLERP of two. */
  n?: number[];
  /** How two checkpoints were combined ("slerp"). */
  merge?: string;
  /** How the weights were quantized for serving, e.g. "awq (autoawq)". */
  quantization?: string;
  /** The pipeline and its steps the model came through, oldest first. */
  pipeline?: string;
  steps?: string[];
}

/** The checkpoint a spec or a file describes; anything else is an error naming the field. */
export function parseCheckpoint(value: unknown, where: string): Checkpoint {
  const fail = (field: string, what: string): never => {
    throw new CheckpointError(`${where}: field "${field}" ${what}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail('checkpoint', 'must be a mapping {base_model, n, merge, quantization, pipeline, steps}');
  const v = value as Record<string, unknown>;
  const out: Checkpoint = {};
  for (const [k, x] of Object.entries(v)) {
    const field = `checkpoint.${k}`;
    if (k === 'base_model' || k === 'merge' || k === 'quantization' || k === 'pipeline') {
      if (typeof x !== 'string' || x === '') fail(field, 'must be a non-empty string');
      out[k] = x as string;
    } else if (k === 'n') {
      const list = typeof x === 'number' ? [x] : x;
      if (
        !Array.isArray(list) ||
        list.length === 0 ||
        list.some((n) => typeof n !== 'number' || !Number.isInteger(n) || n < 1)
      )
        fail(field, 'must be a whole number of rows, or a list of them (one per fine-tune)');
      out.n = list as number[];
    } else if (k === 'steps') {
      if (!Array.isArray(x) || x.some((s) => typeof s !== 'string'))
        fail(field, 'must be a list of step ids');
      out.steps = x as string[];
    } else fail(field, 'is unknown (known: base_model, n, merge, quantization, pipeline, steps)');
  }
  return out;
}

/** A checkpoint description that is not one (spec field or file). */
export class CheckpointError extends UserError {}

/** The checkpoint.json of a run folder, if the run came from an eval step. */
export function readCheckpoint(runDir: string): Checkpoint | undefined {
  const file = path.join(runDir, CHECKPOINT_FILE);
  if (!fs.existsSync(file)) return undefined;
  try {
    return parseCheckpoint(JSON.parse(fs.readFileSync(file, 'utf8')), file);
  } catch {
    // A damaged description must not hide the run's scores: the run is reported without it.
    return undefined;
  }
}

/** The run folders under `runsDir` that an eval step of `pipelineId` wrote, oldest first. */
export function runsOfPipeline(runsDir: string, pipelineId: string): string[] {
  if (!fs.existsSync(runsDir)) return [];
  return fs
    .readdirSync(runsDir)
    .sort()
    .map((d) => path.join(runsDir, d))
    .filter((d) => readCheckpoint(d)?.pipeline === pipelineId);
}

/**
 * A report argument as run folders: a pipeline id (not a folder) stands for the runs its eval
 * steps recorded; anything else is a run folder.
 */
export function runDirsOf(arg: string, runsDir: string): string[] {
  if (!/^pipeline-/.test(arg) || fs.existsSync(arg)) return [arg];
  const dirs = runsOfPipeline(runsDir, arg);
  if (dirs.length === 0)
    throw new CheckpointError(
      `no run in ${runsDir} was recorded by an eval step of ${arg} (give --runs-dir if the runs are elsewhere)`,
    );
  return dirs;
}

/** Rows in a JSON Lines training file (undefined when it is not there yet or not JSON Lines). */
export function countRows(file: string): number | undefined {
  if (!/\.jsonl$/i.test(file) || !fs.existsSync(file)) return undefined;
  const text = fs.readFileSync(file, 'utf8');
  let n = 0;
  for (const line of text.split('\n')) if (line.trim() !== '') n++;
  return n;
}

/** What the tables need of a run. */
export interface EvaluatedRun {
  dir: string;
  config: RunConfig;
  records: readonly RunRecord[];
  report: ScoresReport;
  checkpoint?: Checkpoint;
}

function sizes(n: readonly number[]): string {
  return n.map((x) => `N=${x}`).join(' + ');
}

/** The model a run evaluated, as Table 3 names it. */
export function modelLabel(run: EvaluatedRun): string {
  const c = run.checkpoint;
  const base = c?.base_model ?? run.config.llm.model;
  const how = [
    c?.n ? `${c.merge ? `${c.merge.toUpperCase()} ` : 'fine-tuned '}${sizes(c.n)}` : '',
    c?.quantization ?? '',
  ].filter(Boolean);
  return how.length > 0 ? `${base} (${how.join(', ')})` : base;
}

/** Table 4's row name: the data size, or the merge of two sizes; then how it was served. */
function sizeLabel(c: Checkpoint & { n: number[] }): string {
  const what = c.merge ? `${c.merge.toUpperCase()} of ${sizes(c.n)}` : sizes(c.n);
  return c.quantization ? `${what}, ${c.quantization}` : what;
}

function table(
  title: string,
  rows: { name: string; run: EvaluatedRun }[],
  resamples: number,
): PaperTable {
  const present = new Set(rows.flatMap((r) => r.run.records.map((x) => x.task_type)));
  const columns = TASK_TYPES.filter((t) => present.has(t)) as TaskType[];
  const first = rows[0];
  return {
    title,
    columns,
    rows: rows.map((r, i) => ({
      arm: r.name,
      values: columns.map((t) => taskTypeScore(r.run.report, t)),
      paper: columns.map(() => null),
      deltas: columns.map((t) =>
        i === 0 ? null : taskTypeDelta(first.run.records, r.run.records, t, resamples),
      ),
    })),
  };
}

/**
 * Table 3 when the runs evaluated at least two different base models; Table 4 when at least two
 * runs carry a data size (fine-tunes on different N, or a fine-tune and a merge). Rows keep the
 * order the runs were given in, except Table 4's: by N, merges last.
 */
export function checkpointTables(runs: readonly EvaluatedRun[], resamples = 1000): PaperTable[] {
  const out: PaperTable[] = [];
  const bases = new Set(runs.map((r) => r.checkpoint?.base_model ?? r.config.llm.model));
  if (bases.size >= 2)
    out.push(
      table(
        'Table 3 — model selection (score per task type)',
        runs.map((run) => ({ name: modelLabel(run), run })),
        resamples,
      ),
    );
  const sized = runs
    .filter((r): r is EvaluatedRun & { checkpoint: Checkpoint & { n: number[] } } =>
      Boolean(r.checkpoint?.n),
    )
    .sort(
      (a, b) =>
        Number(Boolean(a.checkpoint.merge)) - Number(Boolean(b.checkpoint.merge)) ||
        a.checkpoint.n[0] - b.checkpoint.n[0],
    );
  if (sized.length >= 2)
    out.push(
      table(
        'Table 4 — data size N and the merge (score per task type)',
        sized.map((run) => ({ name: sizeLabel(run.checkpoint), run })),
        resamples,
      ),
    );
  return out;
}

/** Tables 3 and 4 for `mcpo report`, as text ('' when the runs make neither). */
export function checkpointTablesText(stores: readonly RunStore[], resamples = 1000): string {
  const runs = stores.map((s): EvaluatedRun => ({
    dir: s.dir,
    config: s.config,
    records: [...s.records.values()],
    report: summarizeRun(s).report,
    checkpoint: readCheckpoint(s.dir),
  }));
  return checkpointTables(runs, resamples)
    .map((t) => `\n${formatPaperTable(t)}\n`)
    .join('');
}
