/**
 * `mcpo export submission`: the pipeline a run used (or a preset means), as a folder that drops
 * into the Amazon KDD Cup 2024 ShopBench starter kit: models/mcpo_model.py (the starter kit's
 * model interface: get_batch_size, batch_predict(batch, is_multiple_choice)), its prompt assembly
 * models/mcpo_prompt.py (standard library only, the engine's prompts byte for byte: see
 * test/unit/export), models/mcpo_config.json (everything the run decided, and the engine's
 * task-type rules), models/user_config.py, requirements.txt and README.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDataset } from '../dataset/load';
import type { TaskType } from '../dataset/shopbench';
import type { JsonValue, Sampling } from '../llm/types';
import { inferSubmissionTaskType } from '../lsp/inferTaskType';
import { INFERENCE_RULES, type InferenceRule } from '../lsp/taskTypeRules';
import { PAPER_PROMPT_PARTS, type PromptParts } from '../pipeline/templates';
import {
  VLLM_DTYPES,
  type ExportSubmissionOptions,
  type ExportSubmissionParams,
  type ExportSubmissionResult,
  type VllmDtype,
  type WeightsNeeded,
} from '../protocol/export';
import { DEFAULT_COT_SAMPLING } from '../pipeline/cot';
import type { CotConfig, QueryPrompt, SimilarityScore } from '../pipeline/types';
import { summarizeRun } from '../runs/report';
import { formatRunsTable } from '../runs/runReportText';
import { RunStore } from '../runs/runStore';
import type { RunConfig } from '../runs/runTypes';
import { datasetName, namedDatasetFile } from '../runs/runData';
import { inRunScope } from '../runs/runScope';
import { plural } from '../protocol/runLabels';
import { LOCAL_BASE_URL } from '../protocol/settings';
import { hubRepository } from '../llm/localModels';
import { UserError } from '../userError';
import { writeFileAtomic } from '../util/writeFileAtomic';

export class ExportError extends UserError {}

/** The run used the local llama.cpp model for these models: the export needs their vLLM weights. */
export class WeightsNeededError extends ExportError {
  constructor(
    readonly needs: WeightsNeeded[],
    message: string,
  ) {
    super(message);
  }
}

/** The vLLM engine settings (models/mcpo_config.json "vllm"), editable there after the export. */
export interface VllmSettings {
  tensor_parallel_size: number;
  gpu_memory_utilization: number;
  /** 'awq' for the paper's AWQ-quantized M_L; null for full weights. */
  quantization: 'awq' | null;
  /** float16 by default: the evaluator's T4s have no bfloat16. */
  dtype: VllmDtype;
  /** Further vllm.LLM arguments, as the starter kit's own vLLM baseline passes them. */
  engineArgs: Record<string, JsonValue>;
}

/**
 * Phase 2 of the challenge runs on 4 T4s (starter kit docs/hardware-and-system-config.md); its
 * vLLM baseline (models/vanilla_llama3_baseline.py) uses tensor parallel 4, 0.85 of the GPU
 * memory, half precision, eager mode, remote code and Ray workers.
 */
export const DEFAULT_VLLM: Omit<VllmSettings, 'engineArgs'> = {
  tensor_parallel_size: 4,
  gpu_memory_utilization: 0.85,
  quantization: 'awq',
  dtype: 'float16',
};

/** The starter kit accepts batch sizes from 1 to 16 (models/base_model.py, get_batch_size). */
export const MAX_BATCH_SIZE = 16;

/** The small CoT model's share of each GPU's memory when it runs as a second vLLM engine. */
const SLM_GPU_SHARE = 0.2;

export interface ExportOptions {
  /** Where the M_L weights are in the submission (default: the run's model name). */
  modelPath?: string;
  /** Where the M_S weights are (default: the run's small model name). */
  slmPath?: string;
  /** Where the M_V folder is (default: the run's embedding model id). */
  embedPath?: string;
  vllm?: Partial<Omit<VllmSettings, 'engineArgs'>>;
  batchSize?: number;
}

/** What the exported model reads (models/mcpo_config.json). */
export interface SubmissionConfig {
  /** runId is null when a preset (or run options) was exported without a run. */
  source: { runId: string | null; label: string; preset: string | null; data: string };
  batchSize: number;
  templates: 'none' | 'paper';
  parts: PromptParts;
  /** mode: how the run sent prompts; 'chat' applies the model's chat template, as vLLM's server did. */
  llm: { model: string; mode: 'chat' | 'completions' };
  slm: { model: string; mode: 'chat' | 'completions'; gpuShare: number } | null;
  /** The run's CoT, topP always given (older runs that did not record it sent 0.9). */
  cot: Required<CotConfig>;
  similarity: {
    k: number;
    taskTypes: TaskType[];
    wording: string;
    model: string;
    score: SimilarityScore;
    queryPrompt: QueryPrompt;
  };
  answerSampling: Record<TaskType, Sampling>;
  /** The run's extra request fields for M_L (e.g. repetition_penalty), passed to SamplingParams. */
  extraSampling: Record<string, JsonValue>;
  vllm: VllmSettings;
  /** The engine's task-type rules (server/lsp/taskTypeRules.ts), read by infer_task_type. */
  taskTypeRules: readonly InferenceRule[];
}

/**
 * vLLM in the starter kit loads hub ids or weight folders, never a llama.cpp GGUF: a run on the
 * local model must be told which weights the submission loads instead of exporting a path that
 * exists only on this machine.
 */
function weightsNeeded(run: RunConfig, options: ExportOptions): WeightsNeeded[] {
  const needs: WeightsNeeded[] = [];
  if (run.llm.baseUrl === LOCAL_BASE_URL && options.modelPath === undefined)
    needs.push({
      role: 'llm',
      option: 'modelPath',
      model: run.llm.model,
      suggestion: suggestedFolder(run.llm.model),
    });
  if (
    run.cot.mode === 'slm' &&
    run.slm?.baseUrl === LOCAL_BASE_URL &&
    options.slmPath === undefined
  )
    needs.push({
      role: 'slm',
      option: 'slmPath',
      model: run.slm.model,
      suggestion: suggestedFolder(run.slm.model),
    });
  return needs;
}

/**
 * A folder inside the starter kit for the weights a GGUF was made from: the hub repository's name
 * without its -GGUF suffix (hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M → models/Qwen2.5-0.5B-Instruct),
 * or the file's name without .gguf.
 */
export function suggestedFolder(model: string): string {
  const name =
    hubRepository(model)?.repo.replace(/[-_]gguf$/i, '') ??
    (model.split(/[\\/]/).pop() ?? model).replace(/\.gguf$/i, '');
  return `models/${name || 'model'}`;
}

/** Where the run configuration came from, for error messages that name the file and field. */
export type ConfigSource = { runDir: string } | { description: string };

function where(source: ConfigSource, field: string): string {
  return 'runDir' in source
    ? `${path.join(source.runDir, 'config.json')}: ${field}`
    : `${source.description}: ${field}`;
}

export function submissionConfig(
  run: RunConfig,
  source: ConfigSource,
  options: ExportOptions = {},
): SubmissionConfig {
  if (typeof run.templates === 'object')
    throw new ExportError(
      `${where(source, 'templates')} is a templates file (${run.templates.file}); only the none and paper templates can be exported`,
    );
  const needs = weightsNeeded(run, options);
  if (needs.length > 0)
    throw new WeightsNeededError(
      needs,
      needs
        .map(
          (n) =>
            `${where(source, n.role)} is the local llama.cpp model ${n.model}, which vLLM in the starter kit cannot load; give the weights the submission should load: mcpo export submission ${n.option === 'modelPath' ? '--model-path' : '--slm-path'} <hub id or folder>`,
        )
        .join('; '),
    );
  if (run.constrained)
    throw new ExportError(
      `${where(source, 'constrained')} is true: the export does not reproduce vLLM structured outputs; export a run made without --constrained`,
    );
  if (run.cot.mode !== 'off' && !run.cot.request.includes('{question}'))
    throw new ExportError(`${where(source, 'cot.request')} has no {question} placeholder`);
  if (run.cot.mode === 'slm' && !run.slm)
    throw new ExportError(`${where(source, 'cot.mode')} is "slm" but the run has no slm`);
  const batchSize = options.batchSize ?? MAX_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE)
    throw new ExportError(
      `batch size must be an integer from 1 to ${MAX_BATCH_SIZE} (the starter kit's limit), got ${batchSize}`,
    );
  const vllm = { ...DEFAULT_VLLM, ...options.vllm };
  if (!Number.isInteger(vllm.tensor_parallel_size) || vllm.tensor_parallel_size < 1)
    throw new ExportError(
      `tensor parallel size must be a positive integer, got ${vllm.tensor_parallel_size}`,
    );
  if (!VLLM_DTYPES.includes(vllm.dtype))
    throw new ExportError(`dtype must be one of ${VLLM_DTYPES.join(', ')}, got ${vllm.dtype}`);
  if (vllm.quantization !== 'awq' && vllm.quantization !== null)
    throw new ExportError(`quantization must be awq or none, got ${String(vllm.quantization)}`);
  if (!(vllm.gpu_memory_utilization > 0 && vllm.gpu_memory_utilization <= 1))
    throw new ExportError(
      `GPU memory utilization must be in (0, 1], got ${vllm.gpu_memory_utilization}`,
    );
  return {
    source: {
      // A configuration built for the export has a generated id of no run: it names nothing.
      runId: 'runDir' in source ? run.runId : null,
      label: run.label,
      preset: run.preset ?? null,
      data: datasetName(run.data),
    },
    batchSize,
    templates: run.templates,
    parts: run.promptParts ?? PAPER_PROMPT_PARTS,
    llm: { model: options.modelPath ?? run.llm.model, mode: run.llm.mode },
    slm:
      run.cot.mode === 'slm' && run.slm
        ? { model: options.slmPath ?? run.slm.model, mode: run.slm.mode, gpuShare: SLM_GPU_SHARE }
        : null,
    cot: {
      mode: run.cot.mode,
      taskTypes: run.cot.taskTypes,
      request: run.cot.request,
      layout: run.cot.layout,
      maxTokens: run.cot.maxTokens,
      temperature: run.cot.temperature,
      // Runs made before topP was recorded sent 0.9 (runTypes.ts).
      topP: run.cot.topP ?? DEFAULT_COT_SAMPLING.self.topP,
    },
    similarity: {
      k: run.similarity.k,
      taskTypes: run.similarity.taskTypes,
      wording: run.similarity.wording,
      model: options.embedPath ?? run.embedModel,
      // Absent in older runs: cosine and no query prompt (pipeline/types.ts).
      score: run.similarity.score ?? 'cosine',
      queryPrompt: run.similarity.queryPrompt ?? 'none',
    },
    answerSampling: run.answerSampling,
    extraSampling: run.llm.extraBody ?? {},
    vllm: {
      ...vllm,
      engineArgs: {
        trust_remote_code: true,
        enforce_eager: true,
        ...(vllm.tensor_parallel_size > 1 ? { worker_use_ray: true } : {}),
      },
    },
    taskTypeRules: INFERENCE_RULES,
  };
}

export interface Agreement {
  /** The data file the rows came from. */
  file: string;
  agree: number;
  /** The rows measured: a run's rows (the ones it covered), else every valid row of `file`. */
  total: number;
  /** The valid rows of `file`, when a run covered fewer (a selection, --limit). */
  of?: number;
  /** Why it could not be measured (the run's data file is gone), instead of the counts. */
  unmeasured?: string;
}

export interface ExportResult {
  out: string;
  /** The files written, relative to `out`. */
  files: string[];
  agreement: Agreement;
}

export type ExportInput = { runDir: string } | { config: RunConfig; description: string };

/** Writes the submission folder and measures its task-type inference on the run's data. */
export async function exportSubmission(
  input: ExportInput,
  out: string,
  options: ExportOptions = {},
): Promise<ExportResult> {
  let run: RunConfig;
  let source: ConfigSource;
  let scores: string | undefined;
  let scope: RunConfig['data'] | undefined;
  if ('runDir' in input) {
    if (!fs.existsSync(input.runDir)) throw new ExportError(`${input.runDir}: no such run folder`);
    const store = RunStore.open(input.runDir);
    run = store.config;
    source = { runDir: input.runDir };
    scores = store.records.size > 0 ? formatRunsTable([summarizeRun(store)]) : undefined;
    scope = run.data;
  } else {
    run = input.config;
    source = { description: input.description };
  }
  const config = submissionConfig(run, source, options);
  // Measured on the rows the run covered, as the README promises ("on the run's data").
  const agreement = await inferenceAgreement(
    namedDatasetFile(run.data),
    datasetName(run.data),
    scope,
  );
  const files = writeSubmission(config, out, scores, agreement);
  return { out, files, agreement };
}

/** mcpo/exportSubmission: the VS Code command's export of a run folder, or the weights it needs named. */
export async function exportSubmissionRequest(
  params: ExportSubmissionParams,
): Promise<ExportSubmissionResult> {
  try {
    const result = await exportSubmission(
      { runDir: params.runDir },
      params.out,
      exportOptions(params.options ?? {}),
    );
    return {
      written: true,
      out: result.out,
      files: result.files,
      agreement: formatAgreement(result.agreement),
    };
  } catch (err) {
    // VS Code asks for these weights and exports again; the CLI shows the error's flags instead.
    if (err instanceof WeightsNeededError) return { written: false, needs: err.needs };
    throw err;
  }
}

/** The wire's (and the CLI flags') options as the export takes them. */
export function exportOptions(o: ExportSubmissionOptions): ExportOptions {
  const vllm: Partial<Omit<VllmSettings, 'engineArgs'>> = {};
  if (o.tensorParallelSize !== undefined) vllm.tensor_parallel_size = o.tensorParallelSize;
  if (o.gpuMemoryUtilization !== undefined) vllm.gpu_memory_utilization = o.gpuMemoryUtilization;
  if (o.quantization !== undefined) vllm.quantization = o.quantization === 'awq' ? 'awq' : null;
  if (o.dtype !== undefined) vllm.dtype = o.dtype;
  return {
    modelPath: o.modelPath,
    slmPath: o.slmPath,
    embedPath: o.embedPath,
    batchSize: o.batchSize,
    vllm,
  };
}

/** What the command prints and the VS Code command shows. */
export function formatAgreement(a: Agreement): string {
  const lead =
    'task type inferred from the prompt and is_multiple_choice (all the evaluator passes)';
  if (a.unmeasured) return `${lead}: agreement with task_type not measured (${a.unmeasured})`;
  const percent = a.total > 0 ? ((100 * a.agree) / a.total).toFixed(1) : '0';
  return `${lead} agrees with task_type on ${a.agree} of ${rowsMeasured(a)} (${percent}%)`;
}

/** "96 rows of FILE", or for a run over some of them "the 8 rows the run covered, of 96 in FILE". */
function rowsMeasured(a: Agreement): string {
  return a.of !== undefined && a.of > a.total
    ? `the ${plural(a.total, 'row')} the run covered, of ${a.of} in ${a.file}`
    : `${plural(a.total, 'row')} of ${a.file}`;
}

/**
 * How often the exported model's task type (inferSubmissionTaskType, which is mcpo_prompt.py's
 * infer_task_type: test/unit/export checks they agree row by row) is the rows' task_type.
 * Reads the rows of `read` and names them `file` (a run's unsaved rows: see namedDatasetFile);
 * with a run's `scope`, only the rows it covered (not a selection's others, not past --limit).
 */
export async function inferenceAgreement(
  read: string,
  file = read,
  scope?: RunConfig['data'],
): Promise<Agreement> {
  if (!fs.existsSync(read)) return { file, agree: 0, total: 0, unmeasured: `${read} is missing` };
  const loaded = (await loadDataset(read)).rows;
  const invalid = new Set(scope?.invalid ?? []);
  const rows = (
    scope === undefined
      ? loaded
      : loaded.filter((r) => inRunScope(r.index, scope) && !invalid.has(r.index))
  ).map((r) => r.row);
  const agree = rows.filter(
    (r) => inferSubmissionTaskType(r.input_field, r.is_multiple_choice === true) === r.task_type,
  ).length;
  return {
    file,
    agree,
    total: rows.length,
    ...(rows.length < loaded.length && { of: loaded.length }),
  };
}

const PYTHON_FILES = ['mcpo_prompt.py', 'mcpo_model.py'];
/** A folder holding this file was written by an earlier export: writing into it again is fine. */
const MARKER = 'models/mcpo_config.json';

/** Writes the submission folder; returns the files written, relative to `out`. */
export function writeSubmission(
  config: SubmissionConfig,
  out: string,
  scores?: string,
  agreement?: Agreement,
): string[] {
  checkOutFolder(out);
  const files = new Map<string, string>();
  for (const name of PYTHON_FILES)
    files.set(`models/${name}`, fs.readFileSync(path.join(pythonDir(), name), 'utf8'));
  files.set(MARKER, `${JSON.stringify(config, null, 2)}\n`);
  files.set(
    'models/user_config.py',
    '# Written by mcpo export submission: the starter kit loads UserModel.\nfrom models.mcpo_model import MCPOModel\n\nUserModel = MCPOModel\n',
  );
  // The starter kit's own requirements pin vllm>=0.4.2; M_V needs sentence-transformers.
  files.set(
    'requirements.txt',
    `vllm>=0.4.2\n${config.similarity.k > 0 ? 'sentence-transformers\n' : ''}`,
  );
  files.set('README.md', readme(config, scores, agreement));
  try {
    for (const [name, text] of files) writeFileAtomic(path.join(out, name), text);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR')
      throw new ExportError(
        `cannot write the submission into ${out}: ${(err as Error).message.split(',')[0]}`,
      );
    throw err;
  }
  return [...files.keys()];
}

/** The output folder must be new, empty, or an earlier export: never the starter kit itself. */
function checkOutFolder(out: string): void {
  if (!fs.existsSync(out)) return;
  if (!fs.statSync(out).isDirectory())
    throw new ExportError(`${out}: exists and is not a folder (--out names a folder)`);
  const entries = fs.readdirSync(out);
  if (entries.length > 0 && !fs.existsSync(path.join(out, MARKER)))
    throw new ExportError(
      `${out}: not empty and not an earlier export; export into a new folder, then copy its models/ and requirements.txt into the starter kit`,
    );
}

/** The Python sources: next to this file in the repository, or beside the bundled engine. */
function pythonDir(): string {
  for (const dir of [
    path.join(__dirname, '..', '..', '..', 'server', 'export'), // out/server/export (tests)
    path.join(__dirname, '..', 'server', 'export'), // dist/ (the bundled CLI and engine)
    __dirname,
  ]) {
    if (fs.existsSync(path.join(dir, 'mcpo_prompt.py'))) return dir;
  }
  throw new Error('the Python sources of the submission (mcpo_prompt.py) are missing');
}

/**
 * Where the pipeline came from: a run, or (no run happened) a preset or the run options. A
 * configuration label already names its preset ("preset=paper templates=paper ..."): the preset
 * is named once (K9 of the s21 try read "(preset=paper … cot=self, preset paper)").
 */
function origin(source: SubmissionConfig['source'], agreement?: Agreement): string {
  const inLabel = /(^|\s)preset=\S+\s*/;
  const covered =
    agreement?.of !== undefined && !agreement.unmeasured
      ? ` (the run covered ${agreement.total} of its ${plural(agreement.of, 'row')})`
      : '';
  if (source.runId !== null) {
    const preset = source.preset && !inLabel.test(source.label) ? `, preset ${source.preset}` : '';
    return `From run \`${source.runId}\` (${source.label}${preset}) on \`${source.data}\`${covered}.`;
  }
  // "the `paper` preset (templates=paper ...)": the heading names it, the label need not.
  const label = source.preset ? source.label.replace(inLabel, '$1').trim() : source.label;
  return `Exported from ${source.preset ? `the \`${source.preset}\` preset` : 'run options'}${label ? ` (${label})` : ''} without a run: nothing has run yet, so there are no scores; \`mcpo run\` with the same options on \`${source.data}\` measures them.`;
}

function readme(
  config: SubmissionConfig,
  scores: string | undefined,
  agreement: Agreement | undefined,
): string {
  const { cot, similarity, vllm } = config;
  return `# MCPO submission (written by \`mcpo export submission\`)

${origin(config.source, agreement)}

Copy \`models/\` and \`requirements.txt\` into the Amazon KDD Cup 2024 starter kit (its
\`models/base_model.py\` stays), put the model weights at \`${config.llm.model}\`${config.slm ? ` and \`${config.slm.model}\`` : ''}${similarity.k > 0 ? ` and the M_V folder at \`${similarity.model}\`` : ''}
(paths are relative to the starter kit's root; the evaluator has no network), run its
\`local_evaluation.py\`, then submit as its README describes.

- Templates: ${config.templates}${config.templates === 'paper' ? ` (prompt parts ${JSON.stringify(config.parts)})` : ''}
- M_L: sent as ${config.llm.mode === 'chat' ? "one chat message (the model's chat template)" : 'raw text'}
- CoT: ${cot.mode === 'off' ? 'off' : `${cot.mode} on ${cot.taskTypes.join(', ')} (${cot.maxTokens} tokens, temperature ${cot.temperature}, top_p ${cot.topP})`}
- Similarity hints: ${similarity.k > 0 ? `top ${similarity.k} on ${similarity.taskTypes.join(', ')} with ${similarity.model} (${similarity.score}, query prompt ${JSON.stringify(similarity.queryPrompt)})` : 'off'}
- Answer sampling: ${JSON.stringify(config.answerSampling)}
- vLLM: tensor parallel ${vllm.tensor_parallel_size}, GPU memory ${vllm.gpu_memory_utilization}, quantization ${vllm.quantization ?? 'none'}, dtype ${vllm.dtype} (edit "vllm" in models/mcpo_config.json)
- Batch size: ${config.batchSize}
- The task type is inferred from each prompt with the workbench's rules ("taskTypeRules"): the
  evaluator passes only the prompts and is_multiple_choice.
${scores ? `\n## Scores of the run\n\n\`\`\`\n${scores}\`\`\`\n` : ''}`;
}
