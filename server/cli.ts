/**
 * The `mcpo` command line: the same engine the VS Code extension drives, headless.
 * Every subcommand has --help; errors are one clear line on stderr, never a stack trace.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { formatProblem, loadDataset } from './dataset/load';
import { DatasetStructureError } from './dataset/rowTexts';
import { DEFAULT_EMBED_MODEL, DEFAULT_MULTILINGUAL_EMBED_MODEL } from './embed/embedder';
import { ScoringError } from './scoring/evaluate';
import { PredictionsError } from './scoring/predictions';
import { formatScoreTable } from './scoring/scoreTable';
import { scoreFiles } from './scoring/scoreFiles';

/** A user-facing failure: printed as one line, exit code 1 (2 for usage). */
class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  help: string;
  run(values: Record<string, string | boolean | undefined>): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  score: {
    summary: 'score predictions exactly as the official ShopBench scorer does',
    usage:
      'mcpo score --data <dataset.jsonl|.json> --predictions <predictions.jsonl> [--out scores.json] [--per-sample per-sample.jsonl] [--embed-model <hub id|folder>] [--multilingual-embed-model <hub id|folder>] [--strict]',
    options: {
      data: { type: 'string' },
      predictions: { type: 'string' },
      out: { type: 'string' },
      'per-sample': { type: 'string' },
      'embed-model': { type: 'string' },
      'multilingual-embed-model': { type: 'string' },
      strict: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    help: `Options:
  --data FILE                      ShopBench rows: JSON Lines, or a JSON array of objects
  --predictions FILE               one line per dataset row, in order: {"response": "<raw output>"} or a JSON string
  --out FILE                       write {tasks, tracks, overall} as JSON
  --per-sample FILE                write one JSON line per row: index, task_name, task_type, metric, parsed, score, warnings
  --embed-model ID|DIR             model for "sent-transformer" rows (default ${DEFAULT_EMBED_MODEL})
  --multilingual-embed-model ID|DIR  model for "multilingual-sent-transformer" rows (default ${DEFAULT_MULTILINGUAL_EMBED_MODEL})
  --strict                         exit with code 3 when any task could not be scored (e.g. no embedding model)

Hub models download once into ~/.cache/mcpo/models (MCPO_MODEL_CACHE overrides). Rows that fail
validation are reported with file:line:column and left out; the rest are scored (exit code 1).`,
    async run(v) {
      const data = requireOption(v, 'data', 'score');
      const predictions = requireOption(v, 'predictions', 'score');
      const progress = new ProgressLine();
      const result = await scoreFiles({
        data,
        predictions,
        embedModel: v['embed-model'] as string | undefined,
        multilingualEmbedModel: v['multilingual-embed-model'] as string | undefined,
        onModelProgress: (model, file, loaded, total) => progress.show(`downloading ${model}: ${file} ${percent(loaded, total)}`),
      });
      progress.clear();
      for (const p of result.dataset.problems) process.stderr.write(`${formatProblem(p)}\n`);
      if (typeof v['per-sample'] === 'string') {
        writeLines(v['per-sample'], result.samples.map((s) => perSampleLine(s)));
      }
      if (typeof v.out === 'string') writeFile(v.out, `${toJson(result.report, 2)}\n`);
      process.stdout.write(formatScoreTable(result.report));
      const warned = result.samples.filter((s) => s.warnings.length > 0).length;
      if (warned > 0) {
        process.stderr.write(`${warned} of ${result.samples.length} responses parsed with warnings (see --per-sample)\n`);
      }
      if (result.dataset.problems.some((p) => p.severity === 'error')) return 1;
      if (result.report.unscored && v.strict) return 3;
      return 0;
    },
  },
  validate: {
    summary: 'check a ShopBench dataset and list every problem with file:line:column',
    usage: 'mcpo validate --data <dataset.jsonl|.json>',
    options: { data: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    help: 'Exit code 0 when every row is valid, 1 when some row has an error (warnings alone do not fail).',
    async run(v) {
      const data = requireOption(v, 'data', 'validate');
      const dataset = await loadDataset(data);
      for (const p of dataset.problems) process.stderr.write(`${formatProblem(p)}\n`);
      const errors = dataset.rowCount - dataset.rows.length;
      process.stdout.write(`${dataset.rows.length} of ${dataset.rowCount} rows valid${errors > 0 ? `, ${errors} with errors` : ''}\n`);
      return errors > 0 ? 1 : 0;
    },
  },
};

/** JSON with NaN written as "NaN" (the parity vectors' spelling); JSON.stringify would write null. */
function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v), indent);
}

function perSampleLine(s: import('./scoring/evaluate').SampleScore): string {
  const line: Record<string, unknown> = {
    index: s.index,
    task_name: s.task_name,
    task_type: s.task_type,
    metric: s.metric,
    parsed: s.parsed,
    score: s.score,
    warnings: s.warnings,
  };
  if (s.error) line.error = s.error;
  return toJson(line);
}

function requireOption(v: Record<string, string | boolean | undefined>, name: string, command: string): string {
  const value = v[name];
  if (typeof value !== 'string' || value === '') {
    throw new CliError(`mcpo ${command}: --${name} is required\nusage: ${COMMANDS[command].usage}`, 2);
  }
  return value;
}

function writeFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, text);
}

function writeLines(file: string, lines: string[]): void {
  writeFile(file, lines.length > 0 ? `${lines.join('\n')}\n` : '');
}

function percent(loaded: number, total: number): string {
  return total > 0 ? `${Math.floor((100 * loaded) / total)}%` : `${(loaded / 1e6).toFixed(1)} MB`;
}

/** A single self-overwriting stderr line, only on a terminal. */
class ProgressLine {
  private shown = false;
  show(text: string): void {
    if (!process.stderr.isTTY) return;
    process.stderr.write(`\r${text.slice(0, (process.stderr.columns || 80) - 1).padEnd(this.shown ? 40 : 0)}`);
    this.shown = true;
  }
  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}

function mainHelp(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `mcpo — MCPO Workbench command line\n\nUsage: mcpo <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "mcpo <command> --help" for a command's options.\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new CliError(`mcpo: unknown command "${name}"\n\n${mainHelp()}`, 2);
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: rest, options: command.options, allowPositionals: false, strict: true }) as {
      values: Record<string, string | boolean | undefined>;
    });
  } catch (err) {
    throw new CliError(`mcpo ${name}: ${(err as Error).message}\nusage: ${command.usage}`, 2);
  }
  if (values.help) {
    process.stdout.write(`${command.summary}\n\nUsage: ${command.usage}\n\n${command.help}\n`);
    return 0;
  }
  return command.run(values);
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

/** Errors the user can act on print as one line; anything else is a bug and keeps its stack. */
function isUserError(err: unknown): err is Error {
  return (
    err instanceof CliError ||
    err instanceof PredictionsError ||
    err instanceof ScoringError ||
    err instanceof DatasetStructureError ||
    (err instanceof Error && ['ENOENT', 'EACCES', 'EISDIR'].includes((err as NodeJS.ErrnoException).code ?? ''))
  );
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (isUserError(err)) {
        process.stderr.write(`${err.message}\n`);
        process.exitCode = err instanceof CliError ? err.exitCode : 1;
      } else {
        process.stderr.write(`mcpo: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exitCode = 70;
      }
    },
  );
}
