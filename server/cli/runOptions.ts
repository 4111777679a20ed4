/** The flags of the commands that run the pipeline (run, ablate, export), read into RunOptions. */
import * as path from 'node:path';
import { PAPER_EMBED_MODEL, DEFAULT_EMBED_MODEL } from '../embed/embedder';
import type { JsonValue } from '../llm/types';
import { DEFAULT_LOCAL_MODEL, LOCAL_BASE_URL } from '../llm/localLlama';
import { isModelUri } from '../llm/localModels';
import { TASK_TYPES, type TaskType } from '../dataset/shopbench';
import type { CotLayout } from '../pipeline/types';
import { PAPER_PROMPT_PARTS, parsePromptParts } from '../pipeline/templates';
import { isPresetName, PAPER_SEED, PRESETS } from '../runs/presets';
import type { RunOptions } from '../runs/startRun';
import { UsageError } from '../userError';
import { endpointUrlProblem } from '../runs/startRun';
import { intOption, requireOption, type OptionValues } from './command';

export const ENDPOINT_OPTIONS = {
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

/**
 * Each flag's help (its first line starts with two spaces; continuation lines are indented to the
 * description column), so `mcpo run --help` and `mcpo ablate --help` list them in the same groups.
 */
export const FLAG_HELP = {
  preset: `  --preset paper              MCPO as in the paper: templates Prompt1+2 (Prompt3 off, NER untouched), CoT on
                              multiple choice only (M_S if given, else M_L), top-3 similarity hints on ranking only,
                              M_V ${PAPER_EMBED_MODEL} with its query prompt and dot product, raw-text
                              completions, temperature 0, top_p 0.9, seed ${PAPER_SEED}; any flag overrides its piece`,
  'prompt-parts': `  --prompt-parts SPEC         the paper's prompt parts per task type, e.g. "mcq=1,2;retrieval=1,2,3;ranking=1"
                              (task types not named keep Prompt1+2; "paper" = Prompt1+2, "none" = all off)`,
  data: `  --data FILE                 ShopBench rows (JSON Lines or a JSON array)`,
  out: `  --out DIR                   where run folders go (default .mcpo/runs)`,
  limit: `  --limit N                   only the first N rows`,
  llm: `  --llm-url URL --llm-model NAME   M_L: any OpenAI-compatible server (vLLM, llama.cpp, Ollama), e.g. http://gpu:8000/v1
                              or --llm-url local: run a GGUF in-process with llama.cpp (no server); --llm-model is then
                              a .gguf file or a hub reference. Without --llm-url: local ${DEFAULT_LOCAL_MODEL}
                              (~400 MB, downloaded once into ~/.cache/mcpo/models; MCPO_MODEL_CACHE overrides)`,
  'llm-mode': `  --llm-mode chat|completions  how to send the prompt: one chat message, or raw text (/v1/completions; a local GGUF
                              without its chat template). Default chat; --preset paper: completions`,
  slm: `  --slm-url URL|local --slm-model NAME|FILE   M_S for --cot slm (local: a .gguf file or hub reference)`,
  'slm-mode': `  --slm-mode chat|completions  as --llm-mode, for M_S`,
  'embed-model': `  --embed-model ID|DIR        M_V, the vector model of the similarity hints (default ${DEFAULT_EMBED_MODEL};
                              --preset paper: ${PAPER_EMBED_MODEL}). Not the scoring model: --scoring-embed-model`,
  'query-prompt': `  --query-prompt model|none|TEXT  what M_V puts before the question body: the model's own query prompt
                              (config_sentence_transformers.json; default), nothing, or this text`,
  'similarity-score': `  --similarity-score dot|cosine   how options are scored against the question (default cosine; --preset paper: dot)`,
  threads: `  --threads N                 CPU threads for local models (default 1 for tiny models, else min(cores, 4))`,
  'ctx-size': `  --ctx-size N                context of local models in tokens, prompt + answer (default 4096, at most
                              what the model was trained for)`,
  concurrency: `  --concurrency N             requests in flight per endpoint (default 8)`,
  retries: `  --timeout-ms N --max-retries N   per request (defaults 120000, 4; 429 honours Retry-After)`,
  'llm-extra-body': `  --llm-extra-body JSON       extra request fields for M_L, e.g. '{"repetition_penalty": 1.05}'`,
  constrained: `  --constrained               vLLM structured outputs: option numbers for multiple choice, number lists for ranking/retrieval`,
  seed: `  --seed N                    sampling seed (default ${PAPER_SEED}, the reference's)`,
  cache: `  --cache DIR                 response cache (default .mcpo/cache); unchanged requests are never sent twice`,
  'no-cache': `  --no-cache                  replay no answer cached before this command started (fresh answers are still stored)`,
  'scoring-embed-model': `  --scoring-embed-model ID|DIR   the model that scores sent-transformer rows (default ${DEFAULT_EMBED_MODEL});
                              mcpo score takes the same flag`,
  'multilingual-embed-model': `  --multilingual-embed-model ID|DIR   the model that scores multilingual-sent-transformer rows`,
} as const;

/** A titled group of flags' help. */
export function helpGroup(title: string, lines: readonly string[]): string {
  return `${title}:\n${lines.join('\n')}`;
}

/** The groups of flags run and ablate share: models, requests and cache, scoring. */
export function sharedHelpGroups(): string[] {
  const h = FLAG_HELP;
  return [
    helpGroup('Models', [
      h.llm,
      h['llm-mode'],
      h.slm,
      h['slm-mode'],
      h['embed-model'],
      h['query-prompt'],
      h['similarity-score'],
      h.threads,
      h['ctx-size'],
    ]),
    helpGroup('Requests and cache', [
      h.concurrency,
      h.retries,
      h['llm-extra-body'],
      h.constrained,
      h.seed,
      h.cache,
      h['no-cache'],
    ]),
    helpGroup('Scoring', [h['scoring-embed-model'], h['multilingual-embed-model']]),
  ];
}

/** Said once, after the options: keys are never flags. */
export const API_KEYS_HELP =
  'API keys come from the environment, MCPO_LLM_API_KEY and MCPO_SLM_API_KEY (never from flags, never logged).';

/** A server URL without http(s):// is a wrong flag value, not an unreachable endpoint (exit 2). */
function checkEndpointUrl(url: string, flag: string, command: string): void {
  const problem = endpointUrlProblem(url);
  if (problem) throw new UsageError(`mcpo ${command}: --${flag} ${problem}`);
}

/** The run options shared by run and ablate. */
export function runOptionsFrom(v: OptionValues, command: string, usage: string): RunOptions {
  const data = requireOption(v, 'data', command, usage);
  // No --llm-url: run in-process with llama.cpp, so a fresh machine needs no server.
  const url = typeof v['llm-url'] === 'string' ? v['llm-url'] : LOCAL_BASE_URL;
  checkEndpointUrl(url, 'llm-url', command);
  const rawModel = v['llm-model'];
  if (url !== LOCAL_BASE_URL && typeof rawModel !== 'string') {
    throw new UsageError(
      `mcpo ${command}: --llm-url and --llm-model are required together for a server (e.g. --llm-url http://localhost:8000/v1 --llm-model my-model); omit --llm-url to run a local model (default ${DEFAULT_LOCAL_MODEL})`,
    );
  }
  const model = localModelRef(url, typeof rawModel === 'string' ? rawModel : DEFAULT_LOCAL_MODEL);
  const slmUrl = v['slm-url'];
  if (typeof slmUrl === 'string') checkEndpointUrl(slmUrl, 'slm-url', command);
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
export const PIPELINE_OPTIONS = {
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

export function pipelineOptionsFrom(v: OptionValues, command: string, usage: string): RunOptions {
  const options = runOptionsFrom(v, command, usage);
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

/** The fields of `o` that are set, so spreading it never overwrites a default with undefined. */
export function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as Partial<T>;
}

/** --threads and --ctx-size: how the local backend runs (not part of the run config). */
export function localOptions(
  v: OptionValues,
  command: string,
): { threads?: number; contextSize?: number } {
  return {
    threads: intOption(v, 'threads', command, 1),
    contextSize: intOption(v, 'ctx-size', command, 16),
  };
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

function cotOption(raw: string | boolean | undefined): 'off' | 'self' | 'slm' | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'off' || raw === 'self' || raw === 'slm') return raw;
  throw new UsageError(`mcpo run: --cot must be off, self or slm, got ${JSON.stringify(raw)}`);
}
