/** `mcpo score`: predictions scored exactly as the official ShopBench scorer does. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatProblem } from '../dataset/load';
import { DEFAULT_EMBED_MODEL, DEFAULT_MULTILINGUAL_EMBED_MODEL } from '../embed/embedder';
import type { SampleScore } from '../scoring/evaluate';
import { scoreFiles } from '../scoring/scoreFiles';
import { formatScoreTable } from '../scoring/scoreTable';
import { requireOption, type Command, type OptionValues } from './command';
import { UsageError } from '../userError';
import { percent, ProgressLine } from './progress';

export const score: Command = {
  usage:
    'mcpo score --data <dataset.jsonl|.json> --predictions <predictions.jsonl> [--out scores.json] [--per-sample per-sample.jsonl] [--scoring-embed-model <hub id|folder>] [--multilingual-embed-model <hub id|folder>] [--strict]',
  options: {
    data: { type: 'string' },
    predictions: { type: 'string' },
    out: { type: 'string' },
    'per-sample': { type: 'string' },
    'scoring-embed-model': { type: 'string' },
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
  --scoring-embed-model ID|DIR     model for "sent-transformer" rows (default ${DEFAULT_EMBED_MODEL}); the same
                                   flag as mcpo run's. --embed-model is an older name for it here only (in mcpo run
                                   --embed-model is M_V, the similarity hints' vector model)
  --multilingual-embed-model ID|DIR  model for "multilingual-sent-transformer" rows (default ${DEFAULT_MULTILINGUAL_EMBED_MODEL})
  --strict                         exit with code 3 when any task could not be scored (e.g. no embedding model)

Hub models download once into ~/.cache/mcpo/models (MCPO_MODEL_CACHE overrides). Rows that fail
validation are reported with file:line:column and left out; the rest are scored (exit code 1).
A bad predictions line, or fewer or more predictions than rows, scores nothing (exit code 1): one
missing or extra line would shift every prediction after it onto the wrong row.`,
  async run(v) {
    const data = requireOption(v, 'data', 'score', score.usage);
    const predictions = requireOption(v, 'predictions', 'score', score.usage);
    const progress = new ProgressLine();
    const result = await scoreFiles({
      data,
      predictions,
      embedModel: scoringEmbedModel(v),
      multilingualEmbedModel: v['multilingual-embed-model'] as string | undefined,
      onModelProgress: (model, file, loaded, total) =>
        progress.show(`downloading ${model}: ${file} ${percent(loaded, total)}`),
    });
    progress.clear();
    for (const p of result.dataset.problems) process.stderr.write(`${formatProblem(p)}\n`);
    if (typeof v['per-sample'] === 'string') {
      writeLines(
        v['per-sample'],
        result.samples.map((s) => perSampleLine(s)),
      );
    }
    if (typeof v.out === 'string') writeFile(v.out, `${toJson(result.report, 2)}\n`);
    process.stdout.write(formatScoreTable(result.report));
    const warned = result.samples.filter((s) => s.warnings.length > 0).length;
    if (warned > 0) {
      process.stderr.write(
        `${warned} of ${result.samples.length} responses parsed with warnings (see --per-sample)\n`,
      );
    }
    if (result.dataset.problems.some((p) => p.severity === 'error')) return 1;
    if (result.report.unscored && v.strict) return 3;
    return 0;
  },
};

/** --scoring-embed-model, or its older name here, --embed-model (not both, unless they agree). */
function scoringEmbedModel(v: OptionValues): string | undefined {
  const [named, older] = [v['scoring-embed-model'], v['embed-model']] as (string | undefined)[];
  if (named !== undefined && older !== undefined && named !== older)
    throw new UsageError(
      'mcpo score: --scoring-embed-model and --embed-model name the same model: give one',
    );
  return named ?? older;
}

/** JSON with NaN written as "NaN" (the parity vectors' spelling); JSON.stringify would write null. */
function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v),
    indent,
  );
}

function perSampleLine(s: SampleScore): string {
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

function writeFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, text);
}

function writeLines(file: string, lines: string[]): void {
  writeFile(file, lines.length > 0 ? `${lines.join('\n')}\n` : '');
}
