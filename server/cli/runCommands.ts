/** `mcpo run` and `mcpo ablate`: the pipeline over a dataset, each question recorded as it finishes. */
import * as path from 'node:path';
import { formatProblem, validateDataset } from '../dataset/load';
import { buildTinyLlamaGguf, DEMO_CONTEXT_SIZE } from '../llm/demoGguf';
import { createLocalLlamaClient, DEFAULT_LOCAL_MODEL, LOCAL_BASE_URL } from '../llm/localLlama';
import { disposeLocalModels } from '../llm/localModels';
import { runAblationArms } from '../runs/ablation';
import { summarizeRun } from '../runs/report';
import { formatRunsTable } from '../runs/runReportText';
import { newRunId, RunStore } from '../runs/runStore';
import { buildRunConfig, describeArm, executeRun, type RunContext } from '../runs/startRun';
import type { RunRecord } from '../runs/runTypes';
import { intOption, type Command } from './command';
import { percent, ProgressLine } from './progress';
import {
  API_KEYS_HELP,
  definedOnly,
  ENDPOINT_OPTIONS,
  FLAG_HELP,
  helpGroup,
  sharedHelpGroups,
  localOptions,
  pipelineOptionsFrom,
  PIPELINE_OPTIONS,
  runOptionsFrom,
} from './runOptions';
import { plural, questionOutcome, rerunNote } from '../protocol/runLabels';
import { cliMessage } from './fixText';
import { scoringModelFix } from '../protocol/scoringModelFix';

export const run: Command = {
  usage:
    'mcpo run --data <file> [--preset paper] [--out <runs dir>] [--llm-url URL|local --llm-model NAME|FILE] [--slm-url URL --slm-model NAME] [--embed-model <hub id|folder>] [--templates paper|none|<file>] [--cot off|self|slm] [--similarity-k N|0] [--concurrency N] [--limit N] [--resume <run dir>]',
  options: {
    ...PIPELINE_OPTIONS,
    resume: { type: 'string' },
    'demo-fallback': { type: 'boolean' },
  },
  help: [
    helpGroup('Data and output', [
      FLAG_HELP.data,
      FLAG_HELP.out,
      FLAG_HELP.limit,
      `  --label TEXT                the run's name in reports`,
      `  --resume DIR                finish a run: only its missing and failed questions run (and answered ones not scored),
                              with its saved configuration; --scoring-embed-model / --multilingual-embed-model
                              replace its scoring models (recorded in its config.json)`,
    ]),
    helpGroup('Pipeline (what each question goes through)', [
      FLAG_HELP.preset,
      `  --templates paper|none|FILE  prompt templates: the paper's (parts: --prompt-parts), the raw prompt (official
                              baseline), or a JSON file ({"ranking": {"parts": [1, 2, 3]}, "generation": {"system": "..."}})`,
      FLAG_HELP['prompt-parts'],
      `  --cot off|self|slm          chain of thought written by M_L (self) or M_S (slm), inserted before the answer`,
      `  --cot-task-types T,T        task types that get a CoT (default multiple-choice, as the paper's Table 1)`,
      `  --cot-request TEXT          the CoT request, with {question} (default: the reference code's, per mode)`,
      `  --cot-layout JSON           {"question", "chain", "answer"}: the text around question and CoT in the final prompt`,
      `  --similarity-k N            insert the top N options by M_V similarity (0: off; the paper used 3)`,
      `  --similarity-task-types T,T  task types that get hints (default ranking, as the paper's Table 2)`,
      `  --similarity-wording TEXT   the hint's lead sentence`,
    ]),
    ...sharedHelpGroups().map((group, i) =>
      i === 0
        ? `${group}\n  --demo-fallback             when the default local model cannot be downloaded (no network), run on the built-in
                              tiny demo model instead (random weights: proves the pipeline, its scores mean nothing)`
        : group,
    ),
    `${API_KEYS_HELP}

Each question is appended to DIR/records.jsonl as soon as it finishes; killing the process loses
no finished question. Exit code 0 when every question ran; 1 when some failed, the run was
cancelled, or invalid rows were left out (the valid rows still run); 2 for usage errors.`,
  ].join('\n\n'),
  async run(v) {
    const replayCachedFrom = v['no-cache'] === true ? Date.now() : undefined;
    const cacheDir = (v.cache as string | undefined) ?? path.join('.mcpo', 'cache');
    const outDir = (v.out as string | undefined) ?? path.join('.mcpo', 'runs');
    let config;
    let demo = false;
    const resume = v.resume as string | undefined;
    if (!resume) {
      const options = pipelineOptionsFrom(v, 'run', run.usage);
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
      await reportInvalidRows(config, options.data);
    } else {
      const ignored = Object.keys(v).filter((k) => v[k] !== undefined && !RESUME_FLAGS.has(k));
      if (ignored.length > 0)
        process.stderr.write(
          `--resume keeps the run's saved configuration: ignoring ${ignored.map((k) => `--${k}`).join(', ')}\n`,
        );
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
      resume
        ? {
            embedModel: v['scoring-embed-model'] as string | undefined,
            multilingualEmbedModel: v['multilingual-embed-model'] as string | undefined,
          }
        : undefined,
    );
    const store = RunStore.open(result.dir);
    const summary = summarizeRun(store);
    process.stdout.write(formatRunsTable([summary]));
    // `mcpo score --embed-model` is its scoring model: copied here, it changed M_V instead.
    if (
      !resume &&
      v['embed-model'] !== undefined &&
      scoringModelFix(summary.report.unscored, 'run')
    )
      process.stdout.write(`${EMBED_MODEL_IS_MV}\n`);
    const invalid = store.config.data.invalid?.length ?? 0;
    // Said last, where a script's author looks for why the exit code is 1 (the rows were listed first).
    if (invalid > 0)
      process.stderr.write(
        `exit code 1: ${invalid} of ${store.config.data.rowCount} rows of ${store.config.data.file} are invalid and were left out; the valid rows ran and their results are kept\n`,
      );
    return result.failed > 0 || result.cancelled || invalid > 0 ? 1 : 0;
  },
};

/** Said when --embed-model was given and a task is NOT SCORED for want of its scoring model. */
export const EMBED_MODEL_IS_MV =
  "Note: in mcpo run, --embed-model is M_V (the similarity hints' vector model), not the model that scores sent-transformer tasks: that one is --scoring-embed-model <folder> (mcpo score takes the same name).";

/** The flags a resume reads; it ignores the others (its pipeline configuration is saved). */
const RESUME_FLAGS = new Set([
  'resume',
  'cache',
  'no-cache',
  'threads',
  'ctx-size',
  'scoring-embed-model',
  'multilingual-embed-model',
]);

/**
 * Rows that are not valid ShopBench rows cannot run: say which and why, as `mcpo validate` does,
 * before the valid rows run (the run's exit code is then 1).
 */
async function reportInvalidRows(
  config: Awaited<ReturnType<typeof buildRunConfig>>,
  /** The --data path as typed: named so, as mcpo validate names it. */
  file: string,
): Promise<void> {
  const invalid = config.data.invalid?.length ?? 0;
  if (invalid === 0) return;
  const checked = await validateDataset(file);
  for (const p of checked.problems)
    if (p.severity === 'error') process.stderr.write(`${formatProblem(p)}\n`);
  process.stderr.write(
    `${invalid} of ${config.data.rowCount} rows are invalid and left out of this run: fix them and start a new run (mcpo validate --data ${file} lists them)\n`,
  );
}

export const ablate: Command = {
  usage:
    'mcpo ablate --data <file> [--preset paper] --llm-url URL --llm-model NAME [--slm-url URL --slm-model NAME] [--similarity-k N] [...run options]',
  options: { ...ENDPOINT_OPTIONS, 'similarity-k': { type: 'string' } },
  help: `${[
    helpGroup('Data and output', [FLAG_HELP.data, FLAG_HELP.out, FLAG_HELP.limit]),
    helpGroup('Configuration (each arm sets its own templates, CoT and hints)', [
      FLAG_HELP.preset,
      FLAG_HELP['prompt-parts'],
      `  --similarity-k N            k for the similarity arms (default 3, as in the paper; 0 leaves them out)`,
    ]),
    ...sharedHelpGroups(),
    API_KEYS_HELP,
  ].join('\n\n')}

Arms: baseline (raw prompt), +Prompt1, +Prompt1+2, +Prompt1+2+3, then on Prompt1+2: +self CoT,
+other CoT (with --slm-url), +top-k hints, and all (the whole configuration; with --preset paper,
the paper's), which is left out when it is another arm's configuration (with k = 0: +self CoT,
or +other CoT with --slm-url); VS Code's Run Ablation runs the same arms. Printed: every arm's scores, then the paper's Table 1 (multiple choice: no CoT, self,
other), Table 2 (ranking without/with hints) and Table 5 (baseline and the prompt parts per task
type), each with the paper's published numbers beside ours and deltas from the table's first row
with 95% paired bootstrap intervals. The arms share the response cache, so a request asked by one
arm is never sent again by another.`,
  async run(v) {
    const base = runOptionsFrom(v, 'ablate', ablate.usage);
    const k = intOption(v, 'similarity-k', 'ablate', 0) ?? 3;
    // One start time for every arm: they still share what this ablation asks.
    const replayCachedFrom = v['no-cache'] === true ? Date.now() : undefined;
    const cacheDir = (v.cache as string | undefined) ?? path.join('.mcpo', 'cache');
    const outDir = path.join(
      (v.out as string | undefined) ?? path.join('.mcpo', 'runs'),
      `ablation-${newRunId()}`,
    );
    const outcome = await runAblationArms(base, k, async (config, arm, i, n) => {
      process.stderr.write(`arm ${i + 1} of ${n}: ${arm.name} (${describeArm(arm.options)})\n`);
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
    // The tables name the arms that did not run; how to fix that is worded here, as flags.
    const fixable = outcome.armErrors.filter((e) => e.fixes.length > 0);
    if (outcome.runDirs.length === 0)
      for (const e of outcome.armErrors)
        process.stderr.write(
          `error: arm ${e.arm} did not run: ${cliMessage(e.message, e.fixes)}\n`,
        );
    else if (fixable.length > 0)
      process.stderr.write(
        `${cliMessage(`arm ${fixable.map((e) => e.arm).join(', ')} did not run`, fixable[0].fixes)}\n`,
      );
    return outcome.failed > 0 || outcome.armErrors.length > 0 ? 1 : 0;
  },
};

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

async function runAndReport(
  config: Awaited<ReturnType<typeof buildRunConfig>> | undefined,
  resume: string | undefined,
  outDir: string,
  cacheDir: string,
  local: { threads?: number; contextSize?: number } = {},
  replayCachedFrom?: number,
  scoring?: RunContext['scoring'],
): Promise<{ dir: string; failed: number; cancelled: boolean }> {
  const cancel = cancelOnSigint();
  const progress = new ProgressLine();
  let answered = 0;
  let fromCache = 0;
  let endpointDown = false;
  try {
    const result = await executeRun(config, resume, outDir, {
      cacheDir,
      replayCachedFrom,
      scoring,
      localThreads: local.threads,
      localContextSize: local.contextSize,
      onModelProgress: (p) => progress.show(`downloading ${p.file}: ${percent(p.loaded, p.total)}`),
      llmApiKey: process.env.MCPO_LLM_API_KEY,
      slmApiKey: process.env.MCPO_SLM_API_KEY,
      signal: cancel.signal,
      onStart: (dir, pending, total, rerun) =>
        process.stderr.write(
          `run ${dir}: ${pending} of ${plural(total, 'question')} to run${rerunNote(pending, rerun)}\n`,
        ),
      onEndpointDown: (down) => {
        endpointDown = true;
        progress.clear();
        process.stderr.write(`error: ${cliMessage(down.message, down.fixes)}\n`);
      },
      onRecord: (record, done, total) => {
        if (record.status === 'ok') answered++;
        if (record.status === 'ok' && fromCacheOnly(record)) fromCache++;
        progress.show(`${done}/${total} ${record.task_name} ${questionOutcome(record)}`);
        // A question whose endpoint went down is covered by the one message onEndpointDown wrote,
        // and so is one still in flight then that fails after it (it would print out of order).
        if (
          !process.stderr.isTTY &&
          record.status === 'failed' &&
          !record.error?.endpointDown &&
          !endpointDown
        )
          process.stderr.write(
            `question ${record.index + 1} failed at ${record.error?.stage}: ${record.error?.message}\n`,
          );
      },
    });
    progress.clear();
    // "96 of 96 questions to run" on a re-run is true, but most may cost nothing: say so.
    if (fromCache > 0)
      process.stderr.write(
        `${fromCache} of ${plural(answered, 'answer')} came from the response cache (no request sent)\n`,
      );
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

/** Every model call of the question was replayed from the response cache. */
function fromCacheOnly(record: RunRecord): boolean {
  return record.answer?.cached === true && record.stages.cot?.cached !== false;
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
