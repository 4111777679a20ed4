/**
 * What to do when sent-transformer tasks are NOT SCORED because their embedding model could not
 * be loaded (no hub, no local copy): one sentence per report, naming where the user sets the
 * scoring models on the surface they score from. The NOT SCORED reasons say why; this says how,
 * once. Dependency-free: the CLI, the language server and the report webview all use it.
 */
import type { OptionFix } from './fixHints';

/** Files a local model folder must hold for transformers.js to load and run it on the CPU. */
export const REQUIRED_MODEL_FILES: readonly string[] = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/model.onnx',
];

/** Where the scoring models are set: `mcpo run` (and `mcpo report`), `mcpo score`, VS Code. */
export type ScoringSurface = 'run' | 'score' | 'vscode';

type EmbeddingMetric = 'sent-transformer' | 'multilingual-sent-transformer';

/** `mcpo run` and `mcpo score` name the scoring models alike (score's older --embed-model is not suggested). */
const CLI_FLAGS: Record<EmbeddingMetric, string> = {
  'sent-transformer': '--scoring-embed-model <folder>',
  'multilingual-sent-transformer': '--multilingual-embed-model <folder>',
};

const SETTINGS: Record<ScoringSurface, Record<EmbeddingMetric, string>> = {
  run: CLI_FLAGS,
  score: CLI_FLAGS,
  vscode: {
    'sent-transformer': 'the setting mcpo.scoring.embedModel',
    'multilingual-sent-transformer': 'the setting mcpo.scoring.multilingualEmbedModel',
  },
};

/**
 * The metric whose model failed to load, from a NOT SCORED reason: the scorer's row error
 * ("<metric> could not be scored: ...") around the embedder's load error ("Could not load
 * embedding model ..."). A machine where onnxruntime cannot load gets no help from a local copy
 * (its reason says what works instead): undefined.
 */
function failedMetric(reason: string): EmbeddingMetric | undefined {
  if (reason.includes('onnxruntime cannot load on this machine')) return undefined;
  for (const metric of ['multilingual-sent-transformer', 'sent-transformer'] as const)
    if (reason.startsWith(`${metric} could not be scored: Could not load embedding model `))
      return metric;
  return undefined;
}

/**
 * "To score task1, give a local copy of its model (a folder with config.json, ...):
 * --scoring-embed-model <folder>", or undefined when no task is unscored for want of its model.
 */
export function scoringModelFix(
  unscored: readonly { task_name: string; reason: string }[] | undefined,
  surface: ScoringSurface,
): string | undefined {
  const tasks = new Set<string>();
  const settings = new Set<string>();
  for (const u of unscored ?? []) {
    const metric = failedMetric(u.reason);
    if (!metric) continue;
    tasks.add(u.task_name);
    settings.add(SETTINGS[surface][metric]);
  }
  if (tasks.size === 0) return undefined;
  const files = REQUIRED_MODEL_FILES.join(', ');
  return `To score ${[...tasks].join(', ')}, give a local copy of the model (a folder with ${files}): ${[...settings].join(' / ')}.`;
}

/** Each scoring model's flag and VS Code setting, as fix data. */
const FIX_OPTIONS: Record<EmbeddingMetric, { flag: string; setting: string }> = {
  'sent-transformer': { flag: '--scoring-embed-model', setting: 'mcpo.scoring.embedModel' },
  'multilingual-sent-transformer': {
    flag: '--multilingual-embed-model',
    setting: 'mcpo.scoring.multilingualEmbedModel',
  },
};

/**
 * The same fix as data (fixHints.ts), one per scoring model that did not load: "To score task1:
 * setting mcpo.scoring.embedModel." in VS Code, with its button. Empty when no task is unscored
 * for want of its model.
 */
export function scoringModelFixes(
  unscored: readonly { task_name: string; reason: string }[] | undefined,
): OptionFix[] {
  const tasks = new Map<EmbeddingMetric, string[]>();
  for (const u of unscored ?? []) {
    const metric = failedMetric(u.reason);
    if (metric) tasks.set(metric, [...(tasks.get(metric) ?? []), u.task_name]);
  }
  return [...tasks].map(([metric, names]) => ({
    kind: 'option',
    to: `score ${names.join(', ')}`,
    placeholder: 'folder',
    ...FIX_OPTIONS[metric],
  }));
}
