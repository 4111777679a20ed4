/**
 * Job specs: the small JSON/YAML file a user writes per job kind, its validation (every error
 * names the field), and the files a job runs from: a readable, editable config (axolotl YAML,
 * mergekit YAML, AutoAWQ parameters) plus the batch script that launches it.
 *
 * Scripts never contain unquoted user text: each value is a single-quoted shell word
 * (shell.ts), and array tasks pick their values from quoted `case` branches.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { shCommand, shQuote } from './shell';
import { parseYaml, toYaml, YamlError, type YamlValue } from './yaml';
import { UserError } from '../userError';
import { CHECKPOINT_FILE, parseCheckpoint } from './checkpoint';

export const JOB_KINDS = [
  'finetune',
  'sweep',
  'merge-adapter',
  'merge',
  'quantize',
  'eval',
] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** What an executor needs to run a job: the files to write into its folder and how to run them. */
export interface PreparedJob {
  kind: JobKind;
  name: string;
  /** File name (inside the job folder) → content. `job.sh` is the batch script. */
  files: Record<string, string>;
  /** Array task indices (a Slurm job array; run one after another locally). */
  array?: number[];
  gpus: number;
  /** Minutes; undefined leaves the partition's default. */
  timeLimit?: number;
  /** CPUs for the job's task; undefined leaves the scheduler's default. */
  cpus?: number;
  /** Memory per node in MB; undefined leaves the partition's default. */
  memoryMb?: number;
  /**
   * Environment variables passed through by name from the submitting process at submit time
   * (HF_TOKEN, HF_HOME...): their values go to the scheduler, never into a job file.
   */
  passEnv: string[];
  /** Where the job's result lands (a folder), for the next step of a pipeline. */
  output?: string;
}

export const SCRIPT_NAME = 'job.sh';
export const SETUP_NAME = 'setup.sh';

/** The paper's fine-tune (mcpo-reference.md, "The paper's configuration"): the Instruct base, 3 epochs. */
export const PAPER_BASE_MODEL = 'meta-llama/Meta-Llama-3-70B-Instruct';
export const PAPER_EPOCHS = 3;

/** A spec that cannot become a job; the message names the field. */
export class SpecError extends UserError {}

type Spec = { [key: string]: YamlValue };

/** Reads a spec file (JSON or YAML) into an object. */
export function loadSpec(file: string): Spec {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new SpecError(`cannot read spec ${file}: ${(err as Error).message}`);
  }
  let value: YamlValue;
  try {
    value = parseYaml(text);
  } catch (err) {
    if (err instanceof YamlError)
      throw new SpecError(`${file}:${err.line}: ${err.message.replace(/^line \d+: /, '')}`);
    throw err;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new SpecError(`${file}: a spec must be a mapping of fields (JSON object or YAML keys)`);
  return value;
}

/** Typed access to spec fields; every failure names the field and what was expected. */
class Fields {
  private readonly used = new Set<string>();
  constructor(
    private readonly spec: Spec,
    private readonly kind: JobKind,
    /** Relative paths in a spec are relative to the spec file, not to where the CLI runs. */
    private readonly baseDir: string,
    private readonly pending: ReadonlySet<string> = new Set(),
  ) {}

  private fail(field: string, message: string): never {
    throw new SpecError(`${this.kind} spec: field "${field}" ${message}`);
  }

  private get(field: string): YamlValue | undefined {
    this.used.add(field);
    const v = this.spec[field];
    return v === null ? undefined : v;
  }

  str(field: string, fallback?: string): string {
    const v = this.get(field);
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      this.fail(field, 'is required');
    }
    if (typeof v !== 'string' || v.trim() === '')
      this.fail(field, `must be a non-empty string (found ${JSON.stringify(v)})`);
    if (v.includes('\0')) this.fail(field, 'must not contain a NUL character');
    return v;
  }

  optStr(field: string): string | undefined {
    return this.get(field) === undefined ? undefined : this.str(field);
  }

  oneOf<T extends string>(field: string, choices: readonly T[], fallback: T): T {
    const v = this.str(field, fallback);
    if (!(choices as readonly string[]).includes(v))
      this.fail(field, `must be one of ${choices.join(', ')} (found ${JSON.stringify(v)})`);
    return v as T;
  }

  num(
    field: string,
    opts: { min?: number; max?: number; int?: boolean; fallback?: number } = {},
  ): number {
    const v = this.get(field);
    if (v === undefined) {
      if (opts.fallback !== undefined) return opts.fallback;
      this.fail(field, 'is required');
    }
    if (typeof v !== 'number' || !Number.isFinite(v))
      this.fail(field, `must be a number (found ${JSON.stringify(v)})`);
    if (opts.int && !Number.isInteger(v)) this.fail(field, `must be a whole number (found ${v})`);
    if (opts.min !== undefined && v < opts.min)
      this.fail(field, `must be at least ${opts.min} (found ${v})`);
    if (opts.max !== undefined && v > opts.max)
      this.fail(field, `must be at most ${opts.max} (found ${v})`);
    return v;
  }

  optNum(
    field: string,
    opts: { min?: number; max?: number; int?: boolean } = {},
  ): number | undefined {
    return this.get(field) === undefined ? undefined : this.num(field, opts);
  }

  bool(field: string, fallback: boolean): boolean {
    const v = this.get(field);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean')
      this.fail(field, `must be true or false (found ${JSON.stringify(v)})`);
    return v;
  }

  strList(field: string, fallback?: string[]): string[] {
    const v = this.get(field);
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      this.fail(field, 'is required');
    }
    if (
      !Array.isArray(v) ||
      v.length === 0 ||
      v.some((x) => typeof x !== 'string' || x === '' || x.includes('\0'))
    ) {
      this.fail(
        field,
        `must be a non-empty list of non-empty strings (found ${JSON.stringify(v)})`,
      );
    }
    return v as string[];
  }

  numList(
    field: string,
    opts: { min?: number; max?: number; int?: boolean; length?: number } = {},
  ): number[] {
    const v = this.get(field);
    if (!Array.isArray(v) || v.length === 0)
      this.fail(field, `must be a non-empty list of numbers (found ${JSON.stringify(v ?? null)})`);
    if (opts.length !== undefined && v.length !== opts.length)
      this.fail(field, `must list exactly ${opts.length} numbers (found ${v.length})`);
    v.forEach((x, i) => {
      if (typeof x !== 'number' || !Number.isFinite(x))
        this.fail(`${field}[${i}]`, `must be a number (found ${JSON.stringify(x)})`);
      if (opts.int && !Number.isInteger(x))
        this.fail(`${field}[${i}]`, `must be a whole number (found ${x})`);
      if (opts.min !== undefined && x < opts.min)
        this.fail(`${field}[${i}]`, `must be at least ${opts.min} (found ${x})`);
      if (opts.max !== undefined && x > opts.max)
        this.fail(`${field}[${i}]`, `must be at most ${opts.max} (found ${x})`);
    });
    return v as number[];
  }

  raw(field: string): YamlValue | undefined {
    return this.get(field);
  }

  /**
   * An input file or folder that must exist now (a job failing on a typo an hour into the queue
   * helps no one), unless an earlier pipeline step produces it.
   */
  existingFile(field: string, fallback?: string): string {
    const p = path.resolve(this.baseDir, this.str(field, fallback));
    if (!fs.existsSync(p) && !this.pending.has(p))
      this.fail(field, `names ${p}, which does not exist`);
    return p;
  }

  existingPath(field: string): string {
    return this.existingFile(field);
  }

  /** A model: a hub id (org/name) is kept, a local path must exist. */
  model(field: string, value?: string): string {
    const v = value ?? this.str(field);
    const local = path.resolve(this.baseDir, v);
    if (this.pending.has(local)) return local;
    if (/^[.~/]/.test(v) || fs.existsSync(local)) {
      const p = path.resolve(this.baseDir, v.replace(/^~(?=\/)/, os.homedir()));
      if (!fs.existsSync(p) && !this.pending.has(p))
        this.fail(
          field,
          `names ${p}, which does not exist (give a local folder or a hub id like org/name)`,
        );
      return p;
    }
    if (!/^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/.test(v))
      this.fail(
        field,
        `must be a local path or a hub id like org/name (found ${JSON.stringify(v)})`,
      );
    return v;
  }

  outputDir(field: string): string {
    return path.resolve(this.baseDir, this.str(field));
  }

  /** Unknown keys are errors: a misspelt "learning_rte" must not silently train with the default. */
  rejectUnknown(): void {
    for (const k of Object.keys(this.spec)) {
      if (!this.used.has(k))
        throw new SpecError(
          `${this.kind} spec: unknown field "${k}" (known: ${[...this.used].sort().join(', ')})`,
        );
    }
  }
}

/** Where the job runs: its folder (absolute) and how to call mcpo itself (for sweeps). */
export interface PrepareContext {
  specDir: string;
  jobDir: string;
  /** argv that runs this CLI, e.g. [node, /path/dist/cli.js]. */
  mcpoCommand: string[];
  /**
   * Absolute paths an earlier step of a pipeline will produce: they need not exist yet, and a
   * spec value naming one is always a path, never a hub id.
   */
  pending?: ReadonlySet<string>;
  /** Values a pipeline fills in when the spec leaves them out (e.g. calibration_data). */
  defaults?: Record<string, string>;
}

/** What every kind shares: resources, environment and the setup line. */
interface Common {
  name: string;
  gpus: number;
  timeLimit?: number;
  cpus?: number;
  memoryMb?: number;
  passEnv: string[];
  /** Non-secret variables written into the script as exports. */
  env: Record<string, string>;
  /** Shell lines the user wrote on purpose (module load, venv activate): written to setup.sh. */
  setup?: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names whose values must not be written into a file: they go through pass_env instead. */
const SECRET_NAME = /(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?|KEY|APIKEY|PAT)(_|$)/i;

function common(f: Fields): Common {
  const name = f.str('name');
  if (name.length > 200)
    throw new SpecError(`spec: field "name" must be at most 200 characters (found ${name.length})`);
  const passEnv = f.raw('pass_env') === undefined ? [] : f.strList('pass_env');
  passEnv.forEach((n, i) => {
    if (!ENV_NAME.test(n))
      throw new SpecError(
        `spec: field "pass_env[${i}]" must be an environment variable name (found ${JSON.stringify(n)})`,
      );
  });
  const envRaw = f.raw('env');
  const env: Record<string, string> = {};
  if (envRaw !== undefined) {
    if (envRaw === null || typeof envRaw !== 'object' || Array.isArray(envRaw))
      throw new SpecError('spec: field "env" must be a mapping NAME: value');
    for (const [k, v] of Object.entries(envRaw)) {
      if (!ENV_NAME.test(k))
        throw new SpecError(`spec: field "env.${k}" is not an environment variable name`);
      if (SECRET_NAME.test(k))
        throw new SpecError(
          `spec: field "env.${k}" looks like a secret: list its name under "pass_env" instead, so its value is taken from your environment at submit time and never written into a job file`,
        );
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
        throw new SpecError(`spec: field "env.${k}" must be a string, number or boolean`);
      env[k] = String(v);
    }
  }
  const setupRaw = f.raw('setup');
  let setup: string | undefined;
  if (setupRaw !== undefined)
    setup = (typeof setupRaw === 'string' ? [f.str('setup')] : f.strList('setup')).join('\n');
  const memoryGb = f.optNum('memory_gb', { min: 0.001 });
  return {
    name,
    gpus: f.num('gpus', { min: 0, max: 64, int: true, fallback: 1 }),
    timeLimit: f.optNum('time_limit', { min: 1, int: true }),
    cpus: f.optNum('cpus', { min: 1, max: 4096, int: true }),
    memoryMb: memoryGb === undefined ? undefined : Math.ceil(memoryGb * 1024),
    passEnv,
    env,
    setup,
  };
}

function scriptHeader(kind: JobKind, c: Common, jobDir: string): string[] {
  const lines = [
    '#!/bin/bash',
    `# mcpo ${kind} job ${JSON.stringify(c.name).replace(/[\r\n]/g, ' ')}: generated by mcpo job submit; values below are single-quoted shell words.`,
    'set -euo pipefail',
    // Absolute, not derived from the script's path: Slurm runs a copy of the script from its spool.
    `JOB_DIR=${shQuote(jobDir)}`,
  ];
  for (const [k, v] of Object.entries(c.env)) lines.push(`export ${k}=${shQuote(v)}`);
  if (c.passEnv.length > 0)
    lines.push(
      `# passed through from the submitting environment (values never written here): ${c.passEnv.join(' ')}`,
    );
  // module/venv scripts often read unset variables: -u is lifted while they run.
  if (c.setup !== undefined) lines.push(`set +u; source "$JOB_DIR/${SETUP_NAME}"; set -u`);
  return lines;
}

/** The spec's setup lines, run as shell code on purpose (the user wrote them for that). */
function setupFile(c: Common): Record<string, string> {
  if (c.setup === undefined) return {};
  return {
    [SETUP_NAME]: `# setup from the spec's "setup" field (module load, venv activate...), sourced by job.sh\n${c.setup}\n`,
  };
}

function resources(
  c: Common,
): Pick<PreparedJob, 'name' | 'gpus' | 'timeLimit' | 'cpus' | 'memoryMb' | 'passEnv'> {
  return {
    name: c.name,
    gpus: c.gpus,
    timeLimit: c.timeLimit,
    cpus: c.cpus,
    memoryMb: c.memoryMb,
    passEnv: c.passEnv,
  };
}

/** The array task index: Slurm's, or the local executor's stand-in with the same name. */
const TASK_INDEX =
  '"${SLURM_ARRAY_TASK_ID:?this job is an array: SLURM_ARRAY_TASK_ID must be set}"';

interface FinetuneSettings {
  axolotl: Spec;
  launcher: string[];
}

/**
 * Reads the training fields shared by finetune and sweep (everything but data and output).
 * Every key is one axolotl documents today (src/axolotl/utils/schemas/, docs/multi-gpu.qmd):
 * FSDP2 (`fsdp_version: 2` with the unprefixed fsdp_config keys), not the deprecated `fsdp:` list.
 * The FSDP fields are read whatever the GPU count, so a spec stays valid when --gpus changes it.
 */
function finetuneSettings(f: Fields, gpus: number): FinetuneSettings {
  const precision = f.oneOf('precision', ['bf16', 'fp16'] as const, 'bf16');
  const targets =
    f.raw('lora_target_modules') === undefined ? undefined : f.strList('lora_target_modules');
  const fsdp = f.bool('fsdp', gpus > 1);
  const fsdpConfig: Spec = {
    offload_params: f.bool('fsdp_offload_params', false),
    cpu_ram_efficient_loading: true,
    auto_wrap_policy: 'TRANSFORMER_BASED_WRAP',
    transformer_layer_cls_to_wrap: f.str('fsdp_transformer_layer_cls_to_wrap', 'LlamaDecoderLayer'),
    state_dict_type: f.oneOf(
      'fsdp_state_dict_type',
      ['FULL_STATE_DICT', 'SHARDED_STATE_DICT'] as const,
      'FULL_STATE_DICT',
    ),
    reshard_after_forward: f.bool('fsdp_reshard_after_forward', true),
  };
  const axolotl: Spec = {
    base_model: f.model('base_model', f.str('base_model', PAPER_BASE_MODEL)),
    load_in_4bit: true,
    adapter: 'qlora',
    lora_r: f.num('lora_r', { min: 1, int: true, fallback: 16 }),
    lora_alpha: f.num('lora_alpha', { min: 1, fallback: 32 }),
    lora_dropout: f.num('lora_dropout', { min: 0, max: 1, fallback: 0.05 }),
    ...(targets ? { lora_target_modules: targets } : { lora_target_linear: true }),
    sequence_len: f.num('sequence_len', { min: 16, int: true, fallback: 2048 }),
    sample_packing: f.bool('sample_packing', false),
    micro_batch_size: f.num('micro_batch_size', { min: 1, int: true, fallback: 1 }),
    gradient_accumulation_steps: f.num('gradient_accumulation_steps', {
      min: 1,
      int: true,
      fallback: 4,
    }),
    num_epochs: f.num('num_epochs', { min: 0.01, fallback: PAPER_EPOCHS }),
    learning_rate: f.num('learning_rate', { min: 0, max: 1, fallback: 0.0002 }),
    optimizer: f.str('optimizer', 'adamw_torch'),
    lr_scheduler: f.str('lr_scheduler', 'cosine'),
    bf16: precision === 'bf16',
    fp16: precision === 'fp16',
    gradient_checkpointing: f.bool('gradient_checkpointing', true),
    seed: f.num('seed', { int: true, fallback: 42 }),
  };
  if (fsdp) {
    axolotl.fsdp_version = 2;
    axolotl.fsdp_config = fsdpConfig;
  }
  const launcher = f.strList('launcher', [
    'accelerate',
    'launch',
    '--num_processes',
    String(Math.max(1, gpus)),
    '-m',
    'axolotl.cli.train',
  ]);
  return { axolotl, launcher };
}

function finetune(f: Fields, ctx: PrepareContext): PreparedJob {
  const c = common(f);
  const settings = finetuneSettings(f, c.gpus);
  const config: Spec = {
    ...settings.axolotl,
    datasets: [{ path: f.existingFile('dataset'), type: 'alpaca' }],
    val_set_size: f.num('val_set_size', { min: 0, max: 0.5, fallback: 0 }),
    output_dir: f.outputDir('output_dir'),
  };
  f.rejectUnknown();
  const script = [
    ...scriptHeader('finetune', c, ctx.jobDir),
    `cd "$JOB_DIR"`,
    `${shCommand(settings.launcher)} "$JOB_DIR/config.yml"`,
    '',
  ];
  return {
    kind: 'finetune',
    ...resources(c),
    output: config.output_dir as string,
    files: { ...setupFile(c), 'config.yml': toYaml(config), [SCRIPT_NAME]: script.join('\n') },
  };
}

function sweep(f: Fields, ctx: PrepareContext): PreparedJob {
  const c = common(f);
  const from = f.existingFile('from');
  const sizes = f.numList('sizes', { min: 2, int: true });
  sizes.forEach((n, i) => {
    if (n % 2 !== 0)
      throw new SpecError(
        `sweep spec: field "sizes[${i}]" must be even (N/2 train + N/2 val rows), found ${n}`,
      );
  });
  const setting = f.optStr('setting');
  const tasks = f.raw('tasks') === undefined ? undefined : f.strList('tasks');
  const settings = finetuneSettings(f, c.gpus);
  const outputRoot = f.outputDir('output_dir');
  f.rejectUnknown();
  const files: Record<string, string> = setupFile(c);
  const branches: string[] = [];
  sizes.forEach((n, i) => {
    const data = path.join(ctx.jobDir, `data-${i}.jsonl`);
    files[`config-${i}.yml`] = toYaml({
      ...settings.axolotl,
      datasets: [{ path: data, type: 'alpaca' }],
      val_set_size: 0,
      output_dir: path.join(outputRoot, `n${n}`),
    });
    branches.push(`  ${i}) N=${n} ;;`);
  });
  const select = [...ctx.mcpoCommand, 'select', '--from', from];
  if (setting !== undefined) select.push('--setting', setting);
  if (tasks) select.push('--tasks', tasks.join(','));
  const script = [
    ...scriptHeader('sweep', c, ctx.jobDir),
    `cd "$JOB_DIR"`,
    `I=${TASK_INDEX}`,
    'case "$I" in',
    ...branches,
    '  *) echo "no sweep size for array index $I" >&2; exit 2 ;;',
    'esac',
    '# Each array task selects its own N rows, then trains on them.',
    `${shCommand(select)} --n "$N" --out "$JOB_DIR/data-$I.jsonl"`,
    `${shCommand(settings.launcher)} "$JOB_DIR/config-$I.yml"`,
    '',
  ];
  files[SCRIPT_NAME] = script.join('\n');
  return {
    kind: 'sweep',
    ...resources(c),
    output: outputRoot,
    files,
    array: sizes.map((_, i) => i),
  };
}

/**
 * mergekit's `t`: one value, or per-filter curves (self_attn, mlp) plus a default for the rest.
 * Checked against arcee-ai/mergekit: config.py (MergeConfiguration: slices[].sources[] of
 * {model, layer_range}, merge_method, base_model, parameters, dtype; a parameter is a value, a
 * gradient list, or a list of {filter, value} where the first whose filter is in the tensor name
 * wins and one without a filter matches everything, so the default goes last) and
 * merge_methods/slerp.py (SLERP's one parameter is `t`, required; exactly two models, one of
 * them the base_model). `mergekit-yaml CONFIG OUT --cuda | --lazy-unpickle`: options.py.
 */
function slerpT(f: Fields): YamlValue {
  const t = f.raw('t');
  if (t === undefined) f.num('t');
  if (typeof t === 'number') return f.num('t', { min: 0, max: 1 });
  if (t === null || typeof t !== 'object' || Array.isArray(t))
    throw new SpecError(
      'merge spec: field "t" must be a number from 0 to 1 or {self_attn: [...], mlp: [...], default: 0.5}',
    );
  const out: YamlValue[] = [];
  for (const [filter, value] of Object.entries(t)) {
    if (filter === 'default') continue;
    if (
      !Array.isArray(value) ||
      value.length === 0 ||
      value.some((x) => typeof x !== 'number' || x < 0 || x > 1)
    ) {
      throw new SpecError(
        `merge spec: field "t.${filter}" must be a non-empty list of numbers from 0 to 1 (found ${JSON.stringify(value)})`,
      );
    }
    out.push({ filter, value });
  }
  const d = t.default;
  if (typeof d !== 'number' || d < 0 || d > 1)
    throw new SpecError(
      `merge spec: field "t.default" must be a number from 0 to 1 (the value for tensors no filter matches), found ${JSON.stringify(d ?? null)}`,
    );
  out.push({ value: d });
  return out;
}

function merge(f: Fields, ctx: PrepareContext): PreparedJob {
  const c = common(f);
  const models = f.strList('models').map((m, i) => f.model(`models[${i}]`, m));
  if (models.length !== 2)
    throw new SpecError(
      `merge spec: field "models" must list exactly 2 models for SLERP (found ${models.length})`,
    );
  const baseRaw = f.optStr('base_model');
  const base = baseRaw === undefined ? models[0] : f.model('base_model', baseRaw);
  if (!models.includes(base))
    throw new SpecError(
      `merge spec: field "base_model" must be one of "models" (found ${JSON.stringify(baseRaw)})`,
    );
  const layerRange = f.numList('layer_range', { min: 0, int: true, length: 2 });
  if (layerRange[0] >= layerRange[1])
    throw new SpecError(
      `merge spec: field "layer_range" must be [start, end] with start < end (found [${layerRange.join(', ')}])`,
    );
  const sweepT =
    f.raw('t_sweep') === undefined ? undefined : f.numList('t_sweep', { min: 0, max: 1 });
  const t = sweepT ? undefined : slerpT(f);
  if (sweepT && f.raw('t') !== undefined)
    throw new SpecError('merge spec: give either field "t" or field "t_sweep", not both');
  const dtype = f.oneOf('dtype', ['float16', 'bfloat16', 'float32'] as const, 'float16');
  const output = f.outputDir('output_dir');
  const command = f.strList('command', ['mergekit-yaml']);
  const extraArgs = f.strList('command_args', c.gpus > 0 ? ['--cuda'] : ['--lazy-unpickle']);
  f.rejectUnknown();
  const config = (tValue: YamlValue): Spec => ({
    slices: [{ sources: models.map((model) => ({ model, layer_range: layerRange })) }],
    merge_method: 'slerp',
    base_model: base,
    parameters: { t: tValue },
    dtype,
  });
  const files: Record<string, string> = setupFile(c);
  const script = [...scriptHeader('merge', c, ctx.jobDir), `cd "$JOB_DIR"`];
  if (sweepT) {
    sweepT.forEach((tv, i) => (files[`merge-${i}.yml`] = toYaml(config(tv))));
    script.push(
      `I=${TASK_INDEX}`,
      'case "$I" in',
      ...sweepT.map((tv, i) => `  ${i}) OUT=${shQuote(path.join(output, `t${tv}`))} ;;`),
      '  *) echo "no t for array index $I" >&2; exit 2 ;;',
      'esac',
      `${shCommand(command)} "$JOB_DIR/merge-$I.yml" "$OUT" ${shCommand(extraArgs)}`,
    );
  } else {
    files['merge.yml'] = toYaml(config(t as YamlValue));
    script.push(
      `${shCommand(command)} "$JOB_DIR/merge.yml" ${shQuote(output)} ${shCommand(extraArgs)}`,
    );
  }
  script.push('');
  files[SCRIPT_NAME] = script.join('\n');
  return {
    kind: 'merge',
    ...resources(c),
    output,
    files,
    array: sweepT?.map((_, i) => i),
  };
}

/**
 * The calibration rows both quantizers read: the first `samples` rows of a local JSON Lines file
 * (alpaca rows as `mcpo select` writes them, or {"text": ...}), so nothing is downloaded at run
 * time (AutoAWQ's default, pile-val, needs the hub).
 */
const CALIBRATION_PY = `def calibration_texts(calibration):
    texts = []
    with open(calibration["path"], encoding="utf-8") as rows:
        for line in rows:
            if not line.strip():
                continue
            row = json.loads(line)
            if isinstance(row, dict) and isinstance(row.get("text"), str):
                texts.append(row["text"])
            else:
                texts.append("\\n".join(str(row.get(k, "")) for k in ("instruction", "input", "output") if row.get(k)))
            if len(texts) >= calibration["samples"]:
                break
    if not texts:
        sys.exit("no calibration rows in " + calibration["path"])
    return texts
`;

/**
 * AutoAWQ (casper-hansen/AutoAWQ awq/models/base.py: quantize(tokenizer, quant_config, calib_data:
 * list[str], max_calib_samples, max_calib_seq_len), save_quantized). Fixed text: the paths and
 * quant_config arrive in quantize.json, so no user value is ever parsed as Python or shell.
 */
export const QUANTIZE_PY = `"""AutoAWQ quantization of a merged model (generated by mcpo job submit quantize)."""
import json
import sys

from awq import AutoAWQForCausalLM
from transformers import AutoTokenizer

${CALIBRATION_PY}
params = json.load(open(sys.argv[1]))
texts = calibration_texts(params["calibration"])
model = AutoAWQForCausalLM.from_pretrained(params["model"], low_cpu_mem_usage=True, use_cache=False)
tokenizer = AutoTokenizer.from_pretrained(params["model"], trust_remote_code=True)
model.quantize(
    tokenizer,
    quant_config=params["quant_config"],
    calib_data=texts,
    max_calib_samples=len(texts),
    max_calib_seq_len=params["calibration"]["max_seq_len"],
)
model.save_quantized(params["output_dir"])
tokenizer.save_pretrained(params["output_dir"])
print("quantized", params["model"], "->", params["output_dir"], "with", len(texts), "calibration rows")
`;

/**
 * llm-compressor (vllm-project/llm-compressor examples/awq/llama_example.py: oneshot with
 * AWQModifier(ignore=["lm_head"], scheme="W4A16_ASYM", targets=["Linear"]), max_seq_length,
 * num_calibration_samples; save_pretrained(save_compressed=True)). vLLM reads the result as
 * compressed-tensors, found from its config.
 */
export const LLMCOMPRESSOR_PY = `"""llm-compressor AWQ of a merged model (generated by mcpo job submit quantize)."""
import json
import sys

from datasets import Dataset
from llmcompressor import oneshot
from llmcompressor.modifiers.awq import AWQModifier
from transformers import AutoModelForCausalLM, AutoTokenizer

${CALIBRATION_PY}
params = json.load(open(sys.argv[1]))
texts = calibration_texts(params["calibration"])
model = AutoModelForCausalLM.from_pretrained(params["model"], torch_dtype="auto")
tokenizer = AutoTokenizer.from_pretrained(params["model"], trust_remote_code=True)
recipe = [AWQModifier(ignore=["lm_head"], scheme=params["scheme"], targets=["Linear"])]
oneshot(
    model=model,
    dataset=Dataset.from_dict({"text": texts}),
    recipe=recipe,
    max_seq_length=params["calibration"]["max_seq_len"],
    num_calibration_samples=len(texts),
)
model.save_pretrained(params["output_dir"], save_compressed=True)
tokenizer.save_pretrained(params["output_dir"])
print("quantized", params["model"], "->", params["output_dir"], "with", len(texts), "calibration rows")
`;

export const QUANTIZE_BACKENDS = ['autoawq', 'llm-compressor'] as const;

function quantize(f: Fields, ctx: PrepareContext): PreparedJob {
  const c = common(f);
  const backend = f.oneOf('backend', QUANTIZE_BACKENDS, 'autoawq');
  const model = f.model('model');
  const output = f.outputDir('output_dir');
  const calibration = {
    path: f.existingFile('calibration_data', ctx.defaults?.calibration_data),
    samples: f.num('calibration_samples', { int: true, min: 1, fallback: 128 }),
    max_seq_len: f.num('calibration_max_seq_len', { int: true, min: 16, fallback: 512 }),
  };
  const zeroPoint = f.bool('zero_point', true);
  const groupSize = f.num('q_group_size', { int: true, min: -1, fallback: 128 });
  const wBit = f.num('w_bit', { int: true, min: 2, max: 8, fallback: 4 });
  const version = f.oneOf('version', ['GEMM', 'GEMV'] as const, 'GEMM');
  if (backend === 'llm-compressor' && (wBit !== 4 || groupSize !== 128))
    throw new SpecError(
      `quantize spec: backend llm-compressor uses the W4A16 scheme (4 bits, groups of 128): fields "w_bit" and "q_group_size" must be 4 and 128 (found ${wBit} and ${groupSize})`,
    );
  const python = f.strList('python', ['python3']);
  f.rejectUnknown();
  const params =
    backend === 'autoawq'
      ? {
          model,
          output_dir: output,
          calibration,
          quant_config: { zero_point: zeroPoint, q_group_size: groupSize, w_bit: wBit, version },
        }
      : { model, output_dir: output, calibration, scheme: zeroPoint ? 'W4A16_ASYM' : 'W4A16' };
  const script = [
    ...scriptHeader('quantize', c, ctx.jobDir),
    `cd "$JOB_DIR"`,
    `${shCommand(python)} "$JOB_DIR/quantize.py" "$JOB_DIR/quantize.json"`,
    '',
  ];
  return {
    kind: 'quantize',
    ...resources(c),
    output,
    files: {
      ...setupFile(c),
      'quantize.py': backend === 'autoawq' ? QUANTIZE_PY : LLMCOMPRESSOR_PY,
      'quantize.json': `${JSON.stringify(params, null, 2)}\n`,
      [SCRIPT_NAME]: script.join('\n'),
    },
  };
}

/**
 * PEFT's merge (peft docs, "Merge LoRA weights": PeftModel.from_pretrained then merge_and_unload),
 * loading the base in float16 so SLERP (mergekit) and AWQ get full fp16 weights.
 */
export const MERGE_ADAPTER_PY = `"""Merges a (Q)LoRA adapter into its base model as fp16 weights (generated by mcpo job submit merge-adapter)."""
import json
import os
import sys

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

params = json.load(open(sys.argv[1]))
base = AutoModelForCausalLM.from_pretrained(params["base_model"], torch_dtype=torch.float16, low_cpu_mem_usage=True)
model = PeftModel.from_pretrained(base, params["adapter"]).merge_and_unload()
model.save_pretrained(params["output_dir"], safe_serialization=True)
tokenizer_from = params["adapter"] if os.path.exists(os.path.join(params["adapter"], "tokenizer_config.json")) else params["base_model"]
AutoTokenizer.from_pretrained(tokenizer_from).save_pretrained(params["output_dir"])
print("merged", params["adapter"], "into", params["base_model"], "->", params["output_dir"])
`;

function mergeAdapter(f: Fields, ctx: PrepareContext): PreparedJob {
  const c = common(f);
  const method = f.oneOf('method', ['peft', 'axolotl'] as const, 'peft');
  const base = f.model('base_model', f.str('base_model', PAPER_BASE_MODEL));
  const adapter = f.existingPath('adapter');
  const output = f.outputDir('output_dir');
  const python = f.strList('python', ['python3']);
  const axolotl = f.strList('axolotl', ['axolotl']);
  f.rejectUnknown();
  const script = [...scriptHeader('merge-adapter', c, ctx.jobDir), `cd "$JOB_DIR"`];
  const files: Record<string, string> = setupFile(c);
  if (method === 'peft') {
    files['merge_adapter.py'] = MERGE_ADAPTER_PY;
    files['merge_adapter.json'] =
      `${JSON.stringify({ base_model: base, adapter, output_dir: output }, null, 2)}\n`;
    script.push(`${shCommand(python)} "$JOB_DIR/merge_adapter.py" "$JOB_DIR/merge_adapter.json"`);
  } else {
    // axolotl merge-lora (docs/cli.qmd) writes <output_dir>/merged in the config's dtype (fp16 here).
    const staging = path.join(ctx.jobDir, 'axolotl-merge');
    files['merge-lora.yml'] = toYaml({
      base_model: base,
      adapter: 'qlora',
      lora_model_dir: adapter,
      output_dir: staging,
      fp16: true,
      bf16: false,
    });
    script.push(
      `${shCommand([...axolotl, 'merge-lora'])} "$JOB_DIR/merge-lora.yml"`,
      `rm -rf ${shQuote(output)} && mkdir -p "$(dirname ${shQuote(output)})" && mv ${shQuote(path.join(staging, 'merged'))} ${shQuote(output)}`,
    );
  }
  script.push('');
  files[SCRIPT_NAME] = script.join('\n');
  return { kind: 'merge-adapter', ...resources(c), output, files };
}

/**
 * vLLM's OpenAI-compatible server on the AWQ weights. Every flag is one of vLLM's engine
 * arguments as `vllm serve --help` and docs.vllm.ai "Engine Arguments" (v0.5.3 to v0.8.5) list
 * them: the model as the positional argument, `--quantization awq`, `--dtype` (one of auto, half,
 * float16, bfloat16, float, float32; AWQ kernels run in float16), `--port` (default 8000),
 * `--served-model-name` (the name /v1/models lists and requests use) and
 * `--tensor-parallel-size` (the GPUs the step was given: the paper served 70B AWQ on 4 GPUs).
 * Placeholders: {model}, {port}, {served_model_name}, {gpus} (at least 1).
 */
export const DEFAULT_SERVE_COMMAND = [
  'vllm',
  'serve',
  '{model}',
  '--quantization',
  'awq',
  '--dtype',
  'float16',
  '--port',
  '{port}',
  '--served-model-name',
  '{served_model_name}',
  '--tensor-parallel-size',
  '{gpus}',
];

/**
 * Serve and evaluate on the allocated node: start the server, wait for /v1/models (with a
 * deadline; the server's early death ends the wait), run `mcpo run` against it, stop the server
 * whatever happens. The run is written into a folder of the job's own, given `checkpoint.json`
 * (what was evaluated, for Tables 3 and 4) and then moved into the workspace's runs folder, so
 * a run there is always described, and two evals finishing at once never mix up their runs.
 */
function evaluate(f: Fields, ctx: PrepareContext): PreparedJob {
  const c = common(f);
  const model = f.model('model');
  const data = f.existingFile('data');
  const port = f.num('port', { int: true, min: 1, max: 65535, fallback: 8000 });
  const served = f.str('served_model_name', model);
  const fill: Record<string, string> = {
    model,
    port: String(port),
    served_model_name: served,
    gpus: String(Math.max(1, c.gpus)),
  };
  const serve = f
    .strList('serve_command', DEFAULT_SERVE_COMMAND)
    .map((a) => a.replace(/\{(model|port|served_model_name|gpus)\}/g, (_m, k: string) => fill[k]));
  const readySeconds = f.num('ready_timeout_s', { int: true, min: 1, fallback: 1800 });
  // The user's preset (the pipeline's, or mcpo.preset in VS Code); without one, mcpo run's own
  // defaults (the paper's templates). run_args add to it, never replace it.
  const preset = f.optStr('preset');
  const runArgs = f.raw('run_args') === undefined ? [] : f.strList('run_args');
  const label = f.str('label', c.name);
  const checkpointRaw = f.raw('checkpoint');
  const checkpoint = checkpointRaw === undefined ? {} : parseCheckpoint(checkpointRaw, 'eval spec');
  // <workspace>/.mcpo/jobs/<id> → <workspace>/.mcpo/runs, where the panel and `mcpo report` look.
  const runsDir =
    f.raw('runs_dir') === undefined
      ? path.join(path.dirname(path.dirname(ctx.jobDir)), 'runs')
      : f.outputDir('runs_dir');
  f.rejectUnknown();
  const run = [...ctx.mcpoCommand, 'run', '--data', data, '--llm-model', served];
  const runOptions = [
    '--label',
    label,
    ...(preset !== undefined ? ['--preset', preset] : []),
    ...runArgs,
  ];
  const script = [
    ...scriptHeader('eval', c, ctx.jobDir),
    `cd "$JOB_DIR"`,
    `PORT=${port}`,
    `RUNS=${shQuote(runsDir)}`,
    'STAGING="$JOB_DIR/run"',
    `${shCommand(serve)} > "$JOB_DIR/logs/server.log" 2>&1 &`,
    'SERVER=$!',
    // The server never outlives the job, whether the run passes, fails or is cancelled.
    'trap \'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true\' EXIT',
    '# GET /v1/models with bash alone (no curl on the node needed).',
    'models_ready() {',
    '  exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1',
    "  printf 'GET /v1/models HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3",
    '  local status; read -r status <&3 || status=""; exec 3<&-',
    '  [[ "$status" == *" 200 "* ]]',
    '}',
    `deadline=$((SECONDS + ${readySeconds}))`,
    'until models_ready 2>/dev/null; do',
    '  kill -0 "$SERVER" 2>/dev/null || { echo "eval: the server exited before serving /v1/models; see logs/server.log" >&2; exit 3; }',
    `  [ "$SECONDS" -lt "$deadline" ] || { echo "eval: the server did not serve /v1/models within ${readySeconds} s; see logs/server.log" >&2; exit 3; }`,
    '  sleep 1',
    'done',
    'rm -rf "$STAGING"',
    'status=0',
    `${shCommand(run)} --out "$STAGING" ${shCommand(runOptions)} --llm-url "http://127.0.0.1:$PORT/v1" || status=$?`,
    '# Whatever the outcome, the recorded questions are kept: described, then moved to the runs folder.',
    'mkdir -p "$RUNS"',
    'for d in "$STAGING"/*/; do',
    '  [ -f "$d/config.json" ] || continue',
    `  cp "$JOB_DIR/${CHECKPOINT_FILE}" "$d/${CHECKPOINT_FILE}"`,
    '  mv "${d%/}" "$RUNS/" && echo "eval: run recorded in $RUNS/$(basename "$d")"',
    'done',
    'exit "$status"',
    '',
  ];
  return {
    kind: 'eval',
    ...resources(c),
    output: runsDir,
    files: {
      ...setupFile(c),
      [CHECKPOINT_FILE]: `${JSON.stringify(checkpoint, null, 2)}\n`,
      [SCRIPT_NAME]: script.join('\n'),
    },
  };
}

/** Validates a spec and generates the job's files. */
export function prepareJob(kind: JobKind, spec: Spec, ctx: PrepareContext): PreparedJob {
  const f = new Fields(spec, kind, ctx.specDir, ctx.pending);
  const job =
    kind === 'finetune'
      ? finetune(f, ctx)
      : kind === 'sweep'
        ? sweep(f, ctx)
        : kind === 'merge-adapter'
          ? mergeAdapter(f, ctx)
          : kind === 'merge'
            ? merge(f, ctx)
            : kind === 'eval'
              ? evaluate(f, ctx)
              : quantize(f, ctx);
  validateScript(job.files[SCRIPT_NAME]);
  return job;
}

/** slurmrestd accepts any script and the job then dies a second later; catch it here instead. */
export function validateScript(script: string | undefined): void {
  if (script === undefined || script.length === 0) throw new SpecError('the batch script is empty');
  if (!/^#!\/\S+/.test(script))
    throw new SpecError('the batch script must start with a shebang line such as #!/bin/bash');
}
