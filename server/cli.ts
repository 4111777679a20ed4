/**
 * The `mcpo` command line: the same engine the VS Code extension drives, headless.
 * Every subcommand has --help; errors are one clear line on stderr, never a stack trace.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { formatProblem, validateDataset } from './dataset/load';
import { runAblationArms } from './runs/ablation';
import { checkpointTablesText, runDirsOf } from './jobs/checkpoint';
import { compareRunRecords, summarizeRun } from './runs/report';
import { formatDifferences, formatRunsTable } from './runs/runReportText';
import { newRunId, RunStore } from './runs/runStore';
import { buildRunConfig, describeArm, executeRun, type RunOptions } from './runs/startRun';
import { exportOptions, exportSubmission, formatAgreement } from './export/submission';
import { VLLM_DTYPES, type VllmDtype } from './protocol/export';
import type { JsonValue } from './llm/types';
import { buildTinyLlamaGguf, DEMO_CONTEXT_SIZE } from './llm/demoGguf';
import { createLocalLlamaClient, DEFAULT_LOCAL_MODEL, LOCAL_BASE_URL } from './llm/localLlama';
import { disposeLocalModels, isModelUri } from './llm/localModels';
import { TASK_TYPES, type TaskType } from './dataset/shopbench';
import type { CotLayout } from './pipeline/types';
import { PAPER_PROMPT_PARTS, parsePromptParts } from './pipeline/templates';
import { isPresetName, PAPER_SEED, PRESETS } from './runs/presets';
import {
  DEFAULT_EMBED_MODEL,
  DEFAULT_MULTILINGUAL_EMBED_MODEL,
  PAPER_EMBED_MODEL,
} from './embed/embedder';
import { formatScoreTable } from './scoring/scoreTable';
import { scoreFiles } from './scoring/scoreFiles';
import {
  JOB_HELP,
  JOB_OPTIONS,
  JOB_USAGE,
  runJob,
  runSelect,
  SELECT_HELP,
  SELECT_OPTIONS,
  SELECT_USAGE,
} from './jobs/jobCommands';
import { isUserFacing, UsageError, UserError, userMessage } from './userError';

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  help: string;
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number>;
}

const ENDPOINT_OPTIONS = {
  preset: { type: 'string' },
  'prompt-parts': { type: 'string' },
  'similarity-score': { type: 'string' },
  'query-prompt': { type: 'string' },
  'llm-url': { type: 'string' },
  'llm-model': { type: 'string' },
  'llm-mode': { type: 'string' },
  'slm-url': { type: 'string' },
  'slm-model': { type: 'string' },
  'slm-mode': { type: 'string' },
  'embed-model': { type: 'string' },
  concurrency: { type: 'string' },
  'timeout-ms': { type: 'string' },
  'max-retries': { type: 'string' },
  threads: { type: 'string' },
  'ctx-size': { type: 'string' },
  constrained: { type: 'boolean' },
  cache: { type: 'string' },
  'no-cache': { type: 'boolean' },
  'scoring-embed-model': { type: 'string' },
  'multilingual-embed-model': { type: 'string' },
  'llm-extra-body': { type: 'string' },
  seed: { type: 'string' },
  limit: { type: 'string' },
  out: { type: 'string' },
  data: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const ENDPOINT_HELP = `  --preset paper              MCPO as in the paper: templates Prompt1+2 (Prompt3 off, NER untouched), CoT on
                              multiple choice only (M_S if given, else M_L), top-3 similarity hints on ranking only,
                              M_V ${PAPER_EMBED_MODEL} with its query prompt and dot product, raw-text
                              completions, temperature 0, top_p 0.9, seed ${PAPER_SEED}; any flag below overrides its piece
  --prompt-parts SPEC         the paper's prompt parts per task type, e.g. "mcq=1,2;retrieval=1,2,3;ranking=1"
                              (task types not named keep Prompt1+2; "paper" = Prompt1+2, "none" = all off)
  --data FILE                 ShopBench rows (JSON Lines or a JSON array)
  --out DIR                   where run folders go (default .mcpo/runs)
  --llm-url URL --llm-model NAME   M_L: any OpenAI-compatible server (vLLM, llama.cpp, Ollama), e.g. http://gpu:8000/v1
                              or --llm-url local: run a GGUF in-process with llama.cpp (no server); --llm-model is then
                              a .gguf file or a hub reference. Without --llm-url: local ${DEFAULT_LOCAL_MODEL}
                              (~400 MB, downloaded once into ~/.cache/mcpo/models; MCPO_MODEL_CACHE overrides)
  --llm-mode chat|completions  how to send the prompt: one chat message, or raw text (/v1/completions; a local GGUF
                              without its chat template). Default chat; --preset paper: completions
  --slm-url URL|local --slm-model NAME|FILE   M_S for --cot slm (local: a .gguf file or hub reference)
  --threads N                 CPU threads for local models (default 1 for tiny models, else min(cores, 4))
  --ctx-size N                context of local models in tokens, prompt + answer (default 4096, at most
                              what the model was trained for)
  --embed-model ID|DIR        M_V for similarity hints (default ${DEFAULT_EMBED_MODEL}; --preset paper: ${PAPER_EMBED_MODEL})
  --query-prompt model|none|TEXT  what M_V puts before the question body: the model's own query prompt
                              (config_sentence_transformers.json; default), nothing, or this text
  --similarity-score dot|cosine   how options are scored against the question (default cosine; --preset paper: dot)
  --concurrency N             requests in flight per endpoint (default 8)
  --timeout-ms N --max-retries N   per request (defaults 120000, 4; 429 honours Retry-After)
  --llm-extra-body JSON       extra request fields for M_L, e.g. '{"repetition_penalty": 1.05}'
  --constrained               vLLM structured outputs: option numbers for multiple choice, number lists for ranking/retrieval
  --cache DIR                 response cache (default .mcpo/cache); unchanged requests are never sent twice
  --no-cache                  replay no answer cached before this command started (fresh answers are still stored)
  --limit N                   only the first N rows
  --seed N                    sampling seed (default ${PAPER_SEED}, the reference's)
  --scoring-embed-model ID|DIR / --multilingual-embed-model ID|DIR   models for the sent-transformer metrics
API keys come from MCPO_LLM_API_KEY and MCPO_SLM_API_KEY (never from flags, never logged).`;

/** The run options shared by run and ablate. */
function runOptionsFrom(
  v: Record<string, string | boolean | undefined>,
  command: string,
): RunOptions {
  const data = requireOption(v, 'data', command);
  // No --llm-url: run in-process with llama.cpp, so a fresh machine needs no server.
  const url = typeof v['llm-url'] === 'string' ? v['llm-url'] : LOCAL_BASE_URL;
  const rawModel = v['llm-model'];
  if (url !== LOCAL_BASE_URL && typeof rawModel !== 'string') {
    throw new UsageError(
      `mcpo ${command}: --llm-url and --llm-model are required together for a server (e.g. --llm-url http://localhost:8000/v1 --llm-model my-model); omit --llm-url to run a local model (default ${DEFAULT_LOCAL_MODEL})`,
    );
  }
  const model = localModelRef(url, typeof rawModel === 'string' ? rawModel : DEFAULT_LOCAL_MODEL);
  const slmUrl = v['slm-url'];
  const rawSlmModel = v['slm-model'];
  if ((typeof slmUrl === 'string') !== (typeof rawSlmModel === 'string'))
    throw new UsageError(`mcpo ${command}: --slm-url and --slm-model go together`);
  const slmModel =
    typeof slmUrl === 'string' && typeof rawSlmModel === 'string'
      ? localModelRef(slmUrl, rawSlmModel)
      : undefined;
  const preset = v.preset;
  if (preset !== undefined && !isPresetName(preset))
    throw new UsageError(
      `mcpo ${command}: --preset must be one of ${PRESETS.join(', ')}, got ${JSON.stringify(preset)}`,
    );
  const score = v['similarity-score'];
  if (score !== undefined && score !== 'dot' && score !== 'cosine')
    throw new UsageError(
      `mcpo ${command}: --similarity-score must be dot or cosine, got ${JSON.stringify(score)}`,
    );
  const queryPrompt = v['query-prompt'];
  return {
    data,
    preset,
    promptParts:
      typeof v['prompt-parts'] === 'string'
        ? parsePromptParts(
            v['prompt-parts'],
            PAPER_PROMPT_PARTS,
            (m) => new UsageError(`mcpo ${command}: --prompt-parts: ${m}`),
          )
        : undefined,
    similarityScore: score,
    queryPrompt:
      typeof queryPrompt !== 'string'
        ? undefined
        : queryPrompt === 'model' || queryPrompt === 'none'
          ? queryPrompt
          : { text: queryPrompt },
    out: v.out as string | undefined,
    llm: {
      url,
      model,
      mode: modeOption(v['llm-mode'], command),
      concurrency: intOption(v, 'concurrency', command, 1),
      timeoutMs: intOption(v, 'timeout-ms', command, 1),
      maxRetries: intOption(v, 'max-retries', command, 0),
    },
    slm:
      typeof slmUrl === 'string' && slmModel !== undefined
        ? {
            url: slmUrl,
            model: slmModel,
            mode: modeOption(v['slm-mode'], command),
            concurrency: intOption(v, 'concurrency', command, 1),
          }
        : undefined,
    embedModel: v['embed-model'] as string | undefined,
    llmExtraBody:
      v['llm-extra-body'] === undefined
        ? undefined
        : jsonObjectOption(v['llm-extra-body'], 'llm-extra-body', command),
    constrained: v.constrained === true,
    limit: intOption(v, 'limit', command, 1),
    seed: intOption(v, 'seed', command, 0),
    scoringEmbedModel: v['scoring-embed-model'] as string | undefined,
    scoringMultilingualEmbedModel: v['multilingual-embed-model'] as string | undefined,
  };
}

/** The run options plus the pipeline's stages (templates, CoT, similarity hints): run and export. */
const PIPELINE_OPTIONS = {
  ...ENDPOINT_OPTIONS,
  templates: { type: 'string' },
  cot: { type: 'string' },
  'similarity-k': { type: 'string' },
  'cot-task-types': { type: 'string' },
  'cot-request': { type: 'string' },
  'cot-layout': { type: 'string' },
  'similarity-task-types': { type: 'string' },
  'similarity-wording': { type: 'string' },
  label: { type: 'string' },
} as const;

function pipelineOptionsFrom(
  v: Record<string, string | boolean | undefined>,
  command: string,
): RunOptions {
  const options = runOptionsFrom(v, command);
  options.templates = v.templates as string | undefined;
  options.cot = cotOption(v.cot);
  options.similarityK = intOption(v, 'similarity-k', command, 0);
  options.cotTaskTypes = taskTypesOption(v['cot-task-types'], 'cot-task-types');
  options.similarityTaskTypes = taskTypesOption(
    v['similarity-task-types'],
    'similarity-task-types',
  );
  options.cotRequest = v['cot-request'] as string | undefined;
  options.cotLayout = v['cot-layout'] === undefined ? undefined : cotLayoutOption(v['cot-layout']);
  options.similarityWording = v['similarity-wording'] as string | undefined;
  options.label = v.label as string | undefined;
  return options;
}

/** A local model file as an absolute path, so the run config (and --resume) works from any folder; hub references stay as given. */
function localModelRef(url: string, model: string): string {
  if (url !== LOCAL_BASE_URL || isModelUri(model)) return model;
  return path.resolve(model);
}

function intOption(
  v: Record<string, string | boolean | undefined>,
  name: string,
  command: string,
  min: number,
): number | undefined {
  const raw = v[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(
      `mcpo ${command}: --${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`,
    );
  return n;
}

function modeOption(
  raw: string | boolean | undefined,
  command: string,
): 'chat' | 'completions' | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'chat' || raw === 'completions') return raw;
  throw new UsageError(
    `mcpo ${command}: mode must be chat or completions, got ${JSON.stringify(raw)}`,
  );
}

/** Ctrl-C cancels the run: finished questions stay recorded, in-flight ones are left for --resume. */
function cancelOnSigint(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ncancelling (Ctrl-C again to quit at once)...\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  return {
    signal: controller.signal,
    dispose: () => (process.off('SIGINT', onSigint), process.off('SIGTERM', onSigint)),
  };
}

/** --threads and --ctx-size: how the local backend runs (not part of the run config). */
/** The fields of `o` that are set, so spreading it never overwrites a default with undefined. */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as Partial<T>;
}

function localOptions(
  v: Record<string, string | boolean | undefined>,
  command: string,
): { threads?: number; contextSize?: number } {
  return {
    threads: intOption(v, 'threads', command, 1),
    contextSize: intOption(v, 'ctx-size', command, 16),
  };
}

async function runAndReport(
  config: Awaited<ReturnType<typeof buildRunConfig>> | undefined,
  resume: string | undefined,
  outDir: string,
  cacheDir: string,
  local: { threads?: number; contextSize?: number } = {},
  replayCachedFrom?: number,
): Promise<{ dir: string; failed: number; cancelled: boolean }> {
  const cancel = cancelOnSigint();
  const progress = new ProgressLine();
  try {
    const result = await executeRun(config, resume, outDir, {
      cacheDir,
      replayCachedFrom,
      localThreads: local.threads,
      localContextSize: local.contextSize,
      onModelProgress: (p) => progress.show(`downloading ${p.file}: ${percent(p.loaded, p.total)}`),
      llmApiKey: process.env.MCPO_LLM_API_KEY,
      slmApiKey: process.env.MCPO_SLM_API_KEY,
      signal: cancel.signal,
      onStart: (dir, pending, total) =>
        process.stderr.write(`run ${dir}: ${pending} of ${total} questions to run\n`),
      onRecord: (record, done, total) => {
        progress.show(
          `${done}/${total} ${record.task_name} ${record.status}${record.error ? `: ${record.error.message}` : ''}`,
        );
        if (!process.stderr.isTTY && record.status === 'failed')
          process.stderr.write(
            `question ${record.index + 1} failed at ${record.error?.stage}: ${record.error?.message}\n`,
          );
      },
    });
    progress.clear();
    if (result.cancelled)
      process.stderr.write(
        `cancelled; finished questions are saved. Resume with: mcpo run --resume ${result.dir}\n`,
      );
    return { dir: result.dir, failed: result.failed, cancelled: result.cancelled };
  } finally {
    cancel.dispose();
    // Local models hold native memory (and handles that keep the process alive); free them per run.
    await disposeLocalModels();
  }
}

const COMMANDS: Record<string, Command> = {
  select: {
    summary: 'select MCPO fine-tuning data from ECInstruct (first N/2 train + first N/2 val rows)',
    usage: SELECT_USAGE,
    options: SELECT_OPTIONS,
    help: SELECT_HELP,
    run: (v) =>
      runSelect(
        v,
        (s) => process.stdout.write(s),
        (s) => process.stderr.write(`${s}\n`),
      ),
  },
  job: {
    summary: 'fine-tune / sweep / merge / quantize jobs on Slurm (slurmrestd) or locally',
    usage: JOB_USAGE,
    options: JOB_OPTIONS,
    help: JOB_HELP,
    // The job script of a sweep calls this same CLI to select its data.
    run: (v, positionals) =>
      runJob(v, positionals, (s) => process.stdout.write(s), [
        process.execPath,
        path.resolve(process.argv[1] ?? __filename),
      ]),
  },
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
  },
  run: {
    summary:
      'run the MCPO pipeline over a dataset against OpenAI-compatible endpoints or a local GGUF model',
    usage:
      'mcpo run --data <file> [--preset paper] [--out <runs dir>] [--llm-url URL|local --llm-model NAME|FILE] [--slm-url URL --slm-model NAME] [--embed-model <hub id|folder>] [--templates paper|none|<file>] [--cot off|self|slm] [--similarity-k N|0] [--concurrency N] [--limit N] [--resume <run dir>]',
    options: {
      ...PIPELINE_OPTIONS,
      resume: { type: 'string' },
      'demo-fallback': { type: 'boolean' },
    },
    help: `${ENDPOINT_HELP}
  --templates paper|none|FILE  prompt templates: the paper's (parts: --prompt-parts), the raw prompt (official
                              baseline), or a JSON file ({"ranking": {"parts": [1, 2, 3]}, "generation": {"system": "..."}})
  --cot off|self|slm          chain of thought written by M_L (self) or M_S (slm), inserted before the answer
  --cot-task-types T,T        task types that get a CoT (default multiple-choice, as the paper's Table 1)
  --cot-request TEXT          the CoT request, with {question} (default: the reference code's, per mode)
  --cot-layout JSON           {"question", "chain", "answer"}: the text around question and CoT in the final prompt
  --similarity-k N            insert the top N options by M_V similarity (0: off; the paper used 3)
  --similarity-task-types T,T  task types that get hints (default ranking, as the paper's Table 2)
  --similarity-wording TEXT   the hint's lead sentence
  --resume DIR                finish a run: only its missing and failed questions run, with its saved configuration
  --label TEXT                the run's name in reports
  --demo-fallback             when the default local model cannot be downloaded (no network), run on the built-in
                              tiny demo model instead (random weights: proves the pipeline, its scores mean nothing)

Each question is appended to DIR/records.jsonl as soon as it finishes; killing the process loses
no finished question. Exit code 0 when every question ran, 1 when some failed, 2 for usage errors.`,
    async run(v) {
      const replayCachedFrom = v['no-cache'] === true ? Date.now() : undefined;
      const cacheDir = (v.cache as string | undefined) ?? path.join('.mcpo', 'cache');
      const outDir = (v.out as string | undefined) ?? path.join('.mcpo', 'runs');
      let config;
      let demo = false;
      const resume = v.resume as string | undefined;
      if (!resume) {
        const options = pipelineOptionsFrom(v, 'run');
        if (
          v['demo-fallback'] &&
          options.llm.url === LOCAL_BASE_URL &&
          options.llm.model === DEFAULT_LOCAL_MODEL
        ) {
          options.llm.model = await defaultOrDemoModel(cacheDir);
          demo = options.llm.model !== DEFAULT_LOCAL_MODEL;
          if (demo) options.label ??= 'DEMO model (random weights)';
        }
        config = await buildRunConfig(options);
      }
      const result = await runAndReport(
        config,
        resume,
        outDir,
        cacheDir,
        // The demo model's characters are mostly one token each: give it the context it was built with.
        {
          contextSize: demo ? DEMO_CONTEXT_SIZE : undefined,
          ...definedOnly(localOptions(v, 'run')),
        },
        replayCachedFrom,
      );
      const summary = summarizeRun(RunStore.open(result.dir));
      process.stdout.write(formatRunsTable([summary]));
      return result.failed > 0 || result.cancelled ? 1 : 0;
    },
  },
  report: {
    summary:
      'scores of one or more runs; with several, differences from the first with bootstrap CIs',
    usage: 'mcpo report <run dir | pipeline id> [...] [--resamples N] [--runs-dir DIR]',
    options: {
      resamples: { type: 'string' },
      'runs-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    help: `The first run is the baseline; every other run is compared with it over the questions both answered.
A pipeline id (pipeline-...) stands for the runs its eval steps recorded in --runs-dir (default .mcpo/runs).
Runs of different models print the paper's Table 3 (model selection); runs of checkpoints fine-tuned on
different N, and their SLERP merge, print Table 4 (data size N and the merge).`,
    async run(v, positionals) {
      if (positionals.length === 0)
        throw new UsageError(
          `mcpo report: give at least one run folder\nusage: ${COMMANDS.report.usage}`,
        );
      const runsDir = (v['runs-dir'] as string | undefined) ?? path.join('.mcpo', 'runs');
      const dirs = positionals.flatMap((p) => runDirsOf(p, runsDir));
      const stores = dirs.map((dir) => RunStore.open(dir));
      const summaries = stores.map((s) => summarizeRun(s));
      process.stdout.write(formatRunsTable(summaries));
      const resamples = intOption(v, 'resamples', 'report', 10) ?? 1000;
      const base = stores[0];
      for (const other of stores.slice(1)) {
        const comparison = compareRunRecords(
          base.records.values(),
          other.records.values(),
          resamples,
        );
        if (comparison.paired === 0) {
          process.stdout.write(
            `\n${other.config.label}: not compared with ${base.config.label}: no question answered by both (same index, task and truth)\n`,
          );
          continue;
        }
        const note =
          comparison.mismatched > 0
            ? ` (${comparison.mismatched} questions left out: same index, different task or truth)`
            : '';
        process.stdout.write(
          `\n${formatDifferences(base.config.label, other.config.label, comparison.differences)}over ${comparison.paired} paired questions${note}\n`,
        );
      }
      process.stdout.write(checkpointTablesText(stores, resamples));
      return 0;
    },
  },
  ablate: {
    summary: "run the paper's ablation matrix on one dataset and print its tables 1, 2 and 5",
    usage:
      'mcpo ablate --data <file> [--preset paper] --llm-url URL --llm-model NAME [--slm-url URL --slm-model NAME] [--similarity-k N] [...run options]',
    options: { ...ENDPOINT_OPTIONS, 'similarity-k': { type: 'string' } },
    help: `${ENDPOINT_HELP}
  --similarity-k N            k for the similarity arms (default 3, as in the paper; 0 leaves them out)

Arms: baseline (raw prompt), +Prompt1, +Prompt1+2, +Prompt1+2+3, then on Prompt1+2: +self CoT,
+other CoT (with --slm-url), +top-k hints, and all (the whole configuration; with --preset paper,
the paper's). Printed: every arm's scores, then the paper's Table 1 (multiple choice: no CoT, self,
other), Table 2 (ranking without/with hints) and Table 5 (baseline and the prompt parts per task
type), each with the paper's published numbers beside ours and deltas from the table's first row
with 95% paired bootstrap intervals. The arms share the response cache, so a request asked by one
arm is never sent again by another.`,
    async run(v) {
      const base = runOptionsFrom(v, 'ablate');
      const k = intOption(v, 'similarity-k', 'ablate', 0) ?? 3;
      // One start time for every arm: they still share what this ablation asks.
      const replayCachedFrom = v['no-cache'] === true ? Date.now() : undefined;
      const cacheDir = (v.cache as string | undefined) ?? path.join('.mcpo', 'cache');
      const outDir = path.join(
        (v.out as string | undefined) ?? path.join('.mcpo', 'runs'),
        `ablation-${newRunId()}`,
      );
      const outcome = await runAblationArms(base, k, async (config, arm) => {
        process.stderr.write(`arm ${arm.name} (${describeArm(arm.options)})\n`);
        return runAndReport(
          config,
          undefined,
          outDir,
          cacheDir,
          localOptions(v, 'ablate'),
          replayCachedFrom,
        );
      });
      if (outcome.cancelled) return 1;
      process.stdout.write(`${outcome.tables}\n`);
      if (outcome.runDirs.length === 0)
        for (const e of outcome.armErrors)
          process.stderr.write(`error: arm ${e.arm} did not run: ${e.message}\n`);
      return outcome.failed > 0 || outcome.armErrors.length > 0 ? 1 : 0;
    },
  },
  export: {
    summary: 'export the pipeline of a run (or a preset) as a ShopBench starter-kit submission',
    usage:
      'mcpo export submission (--run <run dir> | --data <file> --llm-model NAME [--preset paper] [pipeline options]) --out <dir> [--model-path P] [--slm-path P] [--embed-path P] [--tensor-parallel-size N] [--gpu-memory-utilization F] [--quantization awq|none] [--dtype float16|bfloat16|float32|auto] [--batch-size N]',
    options: {
      ...PIPELINE_OPTIONS,
      run: { type: 'string' },
      'model-path': { type: 'string' },
      'slm-path': { type: 'string' },
      'embed-path': { type: 'string' },
      'tensor-parallel-size': { type: 'string' },
      'gpu-memory-utilization': { type: 'string' },
      quantization: { type: 'string' },
      dtype: { type: 'string' },
      'batch-size': { type: 'string' },
    },
    help: `  --run DIR                   the run whose pipeline to export (its config.json); or, instead, --data and the
                              run options (--preset paper, --cot, --similarity-k, ... as for mcpo run) of a
                              pipeline that has not run yet
  --out DIR                   the submission folder: new, empty or an earlier export
  --model-path P              where M_L's weights are in the starter kit (default: the run's model name)
  --slm-path P --embed-path P   the same for M_S and M_V (default: the run's names)
  --tensor-parallel-size N    vLLM tensor parallel size (default 4: phase 2 ran on 4 T4s)
  --gpu-memory-utilization F  vLLM's share of each GPU's memory, in (0, 1] (default 0.85)
  --quantization awq|none     awq (default) for the paper's AWQ-quantized M_L, none for full weights
  --dtype float16|bfloat16|float32|auto   default float16: T4s have no bfloat16
  --batch-size N              what get_batch_size() returns, 1 to 16 (default 16)

Writes models/mcpo_model.py (the starter kit's model: get_batch_size, batch_predict(batch,
is_multiple_choice)), models/mcpo_prompt.py (the engine's prompt assembly in standard-library
Python, byte for byte), models/mcpo_config.json, models/user_config.py, requirements.txt and a
README with the run and its scores, then prints how often the task type the model infers (the
evaluator passes only the prompts and is_multiple_choice) agrees with task_type on the run's data.`,
    async run(v, positionals) {
      if (positionals.length !== 1 || positionals[0] !== 'submission')
        throw new UsageError(`mcpo export: say what to export\nusage: ${COMMANDS.export.usage}`);
      const out = requireOption(v, 'out', 'export');
      const runDir = v.run as string | undefined;
      if (!runDir && v['llm-model'] === undefined)
        throw new UsageError(
          `mcpo export: --data needs --llm-model NAME, the model vLLM loads in the submission (or export a run with --run DIR)\nusage: ${COMMANDS.export.usage}`,
        );
      const input = runDir
        ? { runDir }
        : {
            config: await buildRunConfig(pipelineOptionsFrom(v, 'export')),
            description: v.preset ? `--preset ${String(v.preset)}` : 'the run options',
          };
      const memory = v['gpu-memory-utilization'];
      const fraction = typeof memory === 'string' ? Number(memory) : undefined;
      if (fraction !== undefined && !(fraction > 0 && fraction <= 1))
        throw new UsageError(
          `mcpo export: --gpu-memory-utilization must be a number in (0, 1], got ${JSON.stringify(memory)}`,
        );
      const quantization = v.quantization;
      if (quantization !== undefined && quantization !== 'awq' && quantization !== 'none')
        throw new UsageError(
          `mcpo export: --quantization must be awq or none, got ${JSON.stringify(quantization)}`,
        );
      const dtype = v.dtype;
      if (dtype !== undefined && !VLLM_DTYPES.includes(dtype as VllmDtype))
        throw new UsageError(
          `mcpo export: --dtype must be one of ${VLLM_DTYPES.join(', ')}, got ${JSON.stringify(dtype)}`,
        );
      const result = await exportSubmission(
        input,
        out,
        exportOptions({
          // Exporting a pipeline that has not run: --llm-model names vLLM's model as given
          // (a run resolves a name without --llm-url as a local GGUF path instead).
          modelPath: (v['model-path'] ?? (runDir ? undefined : v['llm-model'])) as
            string | undefined,
          slmPath: v['slm-path'] as string | undefined,
          embedPath: v['embed-path'] as string | undefined,
          batchSize: intOption(v, 'batch-size', 'export', 1),
          tensorParallelSize: intOption(v, 'tensor-parallel-size', 'export', 1),
          gpuMemoryUtilization: fraction,
          quantization,
          dtype: dtype as VllmDtype | undefined,
        }),
      );
      process.stdout.write(`${result.files.map((f) => path.join(out, f)).join('\n')}\n`);
      process.stdout.write(`${formatAgreement(result.agreement)}\n`);
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
      const dataset = await validateDataset(data);
      for (const p of dataset.problems) process.stderr.write(`${formatProblem(p)}\n`);
      const errors = dataset.rowCount - dataset.validCount;
      process.stdout.write(
        `${dataset.validCount} of ${dataset.rowCount} rows valid${errors > 0 ? `, ${errors} with errors` : ''}\n`,
      );
      return errors > 0 ? 1 : 0;
    },
  },
};

/** JSON with NaN written as "NaN" (the parity vectors' spelling); JSON.stringify would write null. */
function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v),
    indent,
  );
}

function taskTypesOption(raw: string | boolean | undefined, flag: string): TaskType[] | undefined {
  if (raw === undefined) return undefined;
  const list = String(raw)
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of list) {
    if (!(TASK_TYPES as readonly string[]).includes(t))
      throw new UsageError(
        `mcpo run: --${flag}: unknown task type "${t}"; expected ${TASK_TYPES.join(', ')}`,
      );
  }
  return list as TaskType[];
}

function jsonObjectOption(
  raw: string | boolean | undefined,
  flag: string,
  command: string,
): Record<string, JsonValue> {
  let value: unknown;
  try {
    value = JSON.parse(String(raw));
  } catch (err) {
    throw new UsageError(`mcpo ${command}: --${flag} is not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(`mcpo ${command}: --${flag} must be a JSON object`);
  return value as Record<string, JsonValue>;
}

function cotLayoutOption(raw: string | boolean | undefined): CotLayout {
  const value = jsonObjectOption(raw, 'cot-layout', 'run');
  for (const key of ['question', 'chain', 'answer'] as const) {
    if (typeof value[key] !== 'string')
      throw new UsageError(`mcpo run: --cot-layout needs a string "${key}"`);
  }
  return {
    question: value.question as string,
    chain: value.chain as string,
    answer: value.answer as string,
  };
}

/**
 * The default local model if it can be had, else the built-in demo GGUF, said loudly: the main job
 * must run on a fresh machine even without the model hub, and never pass random output off as a score.
 */
async function defaultOrDemoModel(cacheDir: string): Promise<string> {
  try {
    await createLocalLlamaClient({ model: DEFAULT_LOCAL_MODEL }).check();
    return DEFAULT_LOCAL_MODEL;
  } catch (err) {
    const demo = buildTinyLlamaGguf(path.join(cacheDir, 'demo', 'mcpo-demo-tiny-llama.gguf'));
    process.stderr.write(
      `\nWARNING: the default model ${DEFAULT_LOCAL_MODEL} could not be loaded (${(err as Error).message.split('\n')[0]}).\n` +
        `Running on the built-in DEMO model instead: random weights, so the answers and scores below are meaningless.\n` +
        `Use --llm-url <server> --llm-model <name>, or --llm-model <file.gguf>, for real scores.\n\n`,
    );
    return demo;
  }
}

function cotOption(raw: string | boolean | undefined): 'off' | 'self' | 'slm' | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'off' || raw === 'self' || raw === 'slm') return raw;
  throw new UsageError(`mcpo run: --cot must be off, self or slm, got ${JSON.stringify(raw)}`);
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

function requireOption(
  v: Record<string, string | boolean | undefined>,
  name: string,
  command: string,
): string {
  const value = v[name];
  if (typeof value !== 'string' || value === '') {
    throw new UsageError(
      `mcpo ${command}: --${name} is required\nusage: ${COMMANDS[command].usage}`,
    );
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
    process.stderr.write(
      `\r${text.slice(0, (process.stderr.columns || 80) - 1).padEnd(this.shown ? 40 : 0)}`,
    );
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
  if (!command) throw new UsageError(`mcpo: unknown command "${name}"\n\n${mainHelp()}`);
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      options: command.options,
      allowPositionals: name === 'report' || name === 'job' || name === 'export',
      strict: true,
    }) as {
      values: Record<string, string | boolean | undefined>;
      positionals: string[];
    });
  } catch (err) {
    throw new UsageError(`mcpo ${name}: ${(err as Error).message}\nusage: ${command.usage}`);
  }
  if (values.help) {
    process.stdout.write(`${command.summary}\n\nUsage: ${command.usage}\n\n${command.help}\n`);
    return 0;
  }
  return command.run(values, positionals);
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

/**
 * A bug's report: one line saying what happened and what to send, never a stack trace on the
 * terminal. The stack goes to a crash file (or to stderr with MCPO_DEBUG=1) for the report.
 */
export function internalErrorReport(err: unknown, argv = process.argv.slice(2)): string {
  const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const stack = err instanceof Error ? (err.stack ?? what) : what;
  const details =
    `mcpo ${packageVersion()}, node ${process.version}, ${process.platform}-${process.arch}\n` +
    `command: mcpo ${argv.join(' ')}\n\n${stack}\n`;
  if (process.env.MCPO_DEBUG) return `mcpo: internal error: ${what}\n${details}`;
  let where: string;
  try {
    const file = path.join(os.tmpdir(), `mcpo-crash-${Date.now()}-${process.pid}.txt`);
    fs.writeFileSync(file, details);
    where = `attach ${file}`;
  } catch {
    where = 'run it again with MCPO_DEBUG=1 and attach what it prints';
  }
  return (
    `mcpo: internal error: ${what}\n` +
    `This is a bug in mcpo, not a problem with your input. Please report it to the MCPO Workbench ` +
    `maintainers with the command you ran and the crash report (${where}).\n`
  );
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      // Errors the user can act on print as one line; anything else is a bug and keeps its stack.
      if (isUserFacing(err)) {
        process.stderr.write(`${userMessage(err)}\n`);
        process.exitCode = err instanceof UserError ? err.exitCode : 1;
      } else {
        process.stderr.write(internalErrorReport(err));
        process.exitCode = 70;
      }
    },
  );
}
