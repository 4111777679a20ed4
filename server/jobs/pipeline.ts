/**
 * Pipelines of jobs: one YAML file lists steps (fine-tune → merge-adapter → SLERP → AWQ → eval),
 * each a job spec whose values may name an earlier step's output as `${step.output}`. Every step
 * is validated and its files generated before anything is submitted; then each is submitted with
 * its dependencies (Slurm `afterok`; the local executor waits for them), so the steps run in
 * order. A reference is always resolved to the earlier step's absolute output folder: a relative
 * output can never be mistaken for a hub id. Cancelling the pipeline cancels every step left.
 *
 *   name: paper
 *   defaults: {gpus: 4, pass_env: [HF_TOKEN]}
 *   steps:
 *     - id: ft6000
 *       kind: finetune
 *       spec: {dataset: data-6000.jsonl, output_dir: out/ft6000}
 *     - id: merged6000
 *       kind: merge-adapter
 *       spec: {adapter: "${ft6000.output}", output_dir: out/merged6000}
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JobStore } from './jobStore';
import { isFinished, JobError, type Executor, type JobRecord } from './jobTypes';
import { executorFor, refresh, resourcesOf } from './jobs';
import {
  JOB_KINDS,
  loadSpec,
  PAPER_BASE_MODEL,
  prepareJob,
  SCRIPT_NAME,
  SpecError,
  type JobKind,
  type PreparedJob,
} from './specs';
import { processStartTime } from './processStart';
import { countRows, type Checkpoint } from './checkpoint';
import { applyOverrides, type SpecOverrides } from './submitSetup';
import type { YamlValue } from './yaml';

type Spec = { [key: string]: YamlValue };

export interface PipelineStep {
  id: string;
  kind: JobKind;
  spec: Spec;
  /** Earlier steps this one waits for: the ones it references, plus `after`. */
  after: string[];
}

export interface Pipeline {
  name: string;
  steps: PipelineStep[];
}

const STEP_ID = /^[A-Za-z][\w-]{0,63}$/;
const REFERENCE = /\$\{([^}]*)\}/g;

function fail(file: string, message: string): never {
  throw new SpecError(`${file}: ${message}`);
}

function isSpec(v: YamlValue | undefined): v is Spec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads and checks the pipeline file's shape (the steps' own fields are checked when generated). */
export function loadPipeline(file: string): Pipeline {
  const raw = loadSpec(file);
  for (const k of Object.keys(raw))
    if (!['name', 'defaults', 'preset', 'steps'].includes(k))
      fail(file, `unknown field "${k}" (known: name, defaults, preset, steps)`);
  const name = typeof raw.name === 'string' && raw.name.trim() ? raw.name : 'pipeline';
  // The preset the eval steps run with (`mcpo run --preset`), unless a step names its own.
  if (raw.preset !== undefined && (typeof raw.preset !== 'string' || raw.preset === ''))
    fail(file, 'field "preset" must be a preset name such as paper');
  const preset = raw.preset as string | undefined;
  const defaults = raw.defaults ?? {};
  if (!isSpec(defaults)) fail(file, 'field "defaults" must be a mapping of spec fields');
  if (!Array.isArray(raw.steps) || raw.steps.length === 0)
    fail(file, 'field "steps" must be a non-empty list of {id, kind, spec}');
  const seen = new Set<string>();
  const steps = raw.steps.map((s, i): PipelineStep => {
    const where = `steps[${i}]`;
    if (!isSpec(s)) fail(file, `${where} must be a mapping {id, kind, spec, after}`);
    for (const k of Object.keys(s))
      if (!['id', 'kind', 'spec', 'after'].includes(k))
        fail(file, `${where}: unknown field "${k}" (known: id, kind, spec, after)`);
    const id = s.id;
    if (typeof id !== 'string' || !STEP_ID.test(id))
      fail(file, `${where}.id must be a name like ft6000 (letters, digits, - and _)`);
    if (seen.has(id)) fail(file, `${where}.id "${id}" is used twice`);
    const kind = s.kind;
    if (typeof kind !== 'string' || !(JOB_KINDS as readonly string[]).includes(kind))
      fail(file, `${where} (${id}).kind must be one of ${JOB_KINDS.join(', ')}`);
    const spec = s.spec ?? {};
    if (!isSpec(spec)) fail(file, `${where} (${id}).spec must be a mapping of spec fields`);
    const after = s.after === undefined ? [] : s.after;
    if (!Array.isArray(after) || after.some((a) => typeof a !== 'string' || !seen.has(a)))
      fail(file, `${where} (${id}).after must list ids of earlier steps`);
    const refs = new Set<string>();
    const resolved = walk(spec, (text, field) =>
      text.replace(REFERENCE, (_m, ref: string) => {
        const m = /^([\w-]+)\.output$/.exec(ref.trim());
        if (!m)
          fail(
            file,
            `${where} (${id}).spec.${field}: "\${${ref}}" is not a reference like \${ft6000.output}`,
          );
        if (!seen.has(m[1]))
          fail(file, `${where} (${id}).spec.${field}: "\${${ref}}" names no earlier step`);
        refs.add(m[1]);
        return `\${${m[1]}.output}`;
      }),
    ) as Spec;
    seen.add(id);
    return {
      id,
      kind: kind as JobKind,
      spec: {
        name: `${name}-${id}`,
        ...(kind === 'eval' && preset !== undefined ? { preset } : {}),
        ...defaults,
        ...resolved,
      },
      after: [...new Set([...(after as string[]), ...refs])],
    };
  });
  return { name, steps };
}

/** Applies `fn` to every string in a spec value (with the field path, for messages). */
function walk(v: YamlValue, fn: (text: string, field: string) => string, field = ''): YamlValue {
  if (typeof v === 'string') return fn(v, field || '(value)');
  if (Array.isArray(v)) return v.map((x, i) => walk(x, fn, `${field}[${i}]`));
  if (isSpec(v))
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, walk(x, fn, field ? `${field}.${k}` : k)]),
    );
  return v;
}

export interface PreparedStep {
  step: PipelineStep;
  id: string;
  dir: string;
  job: PreparedJob;
}

/** Generates every step's files (nothing written yet): any spec error stops the whole pipeline. */
export function preparePipeline(
  file: string,
  store: JobStore,
  o: { mcpoCommand: string[]; overrides?: SpecOverrides; pipelineId: string },
): PreparedStep[] {
  const p = loadPipeline(file);
  const specDir = path.dirname(path.resolve(file));
  const outputs = new Map<string, string>();
  const prepared: PreparedStep[] = [];
  // "Rows of the selected training data" calibrate AWQ unless a step says otherwise.
  const firstData = p.steps.find(
    (s) => s.kind === 'finetune' && typeof s.spec.dataset === 'string',
  );
  const defaults: Record<string, string> = {};
  if (firstData)
    defaults.calibration_data = path.resolve(specDir, firstData.spec.dataset as string);
  const lineage = new Map<string, Checkpoint>();
  for (const step of p.steps) {
    const refs: string[] = [];
    walk(step.spec, (text) => {
      for (const m of text.matchAll(/\$\{([\w-]+)\.output\}/g)) refs.push(m[1]);
      return text;
    });
    const made = checkpointOf(step, refs, lineage, specDir, o.pipelineId);
    if (made) lineage.set(step.id, made);
    let spec = walk(step.spec, (text) =>
      text.replace(/\$\{([\w-]+)\.output\}/g, (_m, ref: string) => {
        const out = outputs.get(ref);
        if (!out)
          throw new SpecError(
            `${file}: step ${step.id} uses \${${ref}.output}, but step ${ref} has no output folder`,
          );
        return out;
      }),
    ) as Spec;
    // What an eval step evaluates, for Tables 3 and 4, unless the step describes it itself.
    if (step.kind === 'eval' && spec.checkpoint === undefined)
      spec = { ...spec, checkpoint: { ...(made as Spec | undefined) } };
    const id = `${o.pipelineId}-${step.id}`;
    const dir = store.dirOf(id);
    let job: PreparedJob;
    try {
      job = prepareJob(step.kind, applyOverrides(spec, o.overrides, step.kind), {
        specDir,
        jobDir: dir,
        mcpoCommand: o.mcpoCommand,
        pending: new Set(outputs.values()),
        defaults,
      });
    } catch (err) {
      if (err instanceof SpecError) throw new SpecError(`${file}: step ${step.id}: ${err.message}`);
      throw err;
    }
    if (job.output) outputs.set(step.id, job.output);
    prepared.push({ step, id, dir, job });
  }
  return prepared;
}

/**
 * The lineage of a step's output: a fine-tune starts one (its base model and the rows N of its
 * training file); merge-adapter and AWQ carry it on; SLERP joins two. An eval step gets the
 * lineage of the model it serves, with the pipeline and its own id.
 */
function checkpointOf(
  step: PipelineStep,
  refs: string[],
  lineage: ReadonlyMap<string, Checkpoint>,
  specDir: string,
  pipelineId: string,
): Checkpoint | undefined {
  const from = refs.map((r) => lineage.get(r)).filter((c): c is Checkpoint => c !== undefined);
  const steps = (c: Checkpoint | undefined): string[] => [...(c?.steps ?? []), step.id];
  const spec = step.spec;
  switch (step.kind) {
    case 'finetune': {
      const data = typeof spec.dataset === 'string' ? path.resolve(specDir, spec.dataset) : '';
      const n = data ? countRows(data) : undefined;
      const base = typeof spec.base_model === 'string' ? spec.base_model : PAPER_BASE_MODEL;
      return { base_model: base, ...(n !== undefined ? { n: [n] } : {}), steps: [step.id] };
    }
    case 'merge-adapter':
      return from[0] && { ...from[0], steps: steps(from[0]) };
    case 'quantize': {
      const backend = typeof spec.backend === 'string' ? spec.backend : 'autoawq';
      return from[0] && { ...from[0], quantization: `awq (${backend})`, steps: steps(from[0]) };
    }
    case 'merge': {
      if (from.length < 2) return undefined;
      const bases = new Set(from.map((c) => c.base_model));
      const n = from.flatMap((c) => c.n ?? []);
      return {
        ...(bases.size === 1 && from[0].base_model ? { base_model: from[0].base_model } : {}),
        ...(n.length > 0 ? { n } : {}),
        merge: 'slerp',
        steps: [...new Set(from.flatMap((c) => c.steps ?? []))].concat(step.id),
      };
    }
    case 'eval':
      return { ...from[0], pipeline: pipelineId, steps: steps(from[0]) };
    default:
      return undefined;
  }
}

export function newPipelineId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return `pipeline-${stamp}-${crypto.randomBytes(3).toString('hex')}`;
}

/**
 * Writes every step's folder, then submits the steps in order, each after the ones it depends
 * on. If a submission fails, the steps already submitted are cancelled (a half pipeline would
 * run for hours for nothing) and the error names the step.
 */
export async function submitPipeline(o: {
  file: string;
  store: JobStore;
  executor: Executor;
  mcpoCommand: string[];
  overrides?: SpecOverrides;
}): Promise<{ id: string; records: JobRecord[] }> {
  const pipelineId = newPipelineId();
  const steps = preparePipeline(o.file, o.store, { ...o, pipelineId });
  for (const s of steps) {
    fs.mkdirSync(path.join(s.dir, 'logs'), { recursive: true });
    for (const [name, content] of Object.entries(s.job.files))
      fs.writeFileSync(path.join(s.dir, name), content, {
        mode: name === SCRIPT_NAME ? 0o755 : 0o644,
      });
  }
  const records = new Map<string, JobRecord>();
  for (const s of steps) {
    const now = new Date().toISOString();
    const draft: JobRecord = {
      id: s.id,
      kind: s.job.kind,
      name: s.job.name,
      executor: 'local',
      dir: s.dir,
      submittedAt: now,
      updatedAt: now,
      array: s.job.array,
      pipeline: { id: pipelineId, step: s.step.id, after: s.step.after },
      ...(s.job.output ? { output: s.job.output } : {}),
      ...o.executor.target?.({} as JobRecord),
      state: 'SUBMITTING',
      submitter: { pid: process.pid, startTime: processStartTime(process.pid) },
    };
    // Recorded before it is sent, as for single jobs (see submitJob).
    o.store.save(draft);
    try {
      const after = s.step.after.map((a) => records.get(a) as JobRecord);
      const { submitter: _s, ...record } = await o.executor.submit(
        draft,
        resourcesOf(s.job, after),
      );
      o.store.save(record);
      records.set(s.step.id, record);
    } catch (err) {
      o.store.remove(draft.id);
      for (const r of records.values()) await o.executor.cancel(r).catch(() => undefined);
      throw new JobError(
        `pipeline ${pipelineId}: submitting step ${s.step.id} failed (${(err as Error).message}); the ${records.size} steps already submitted were cancelled`,
      );
    }
  }
  return { id: pipelineId, records: [...records.values()] };
}

/** The steps of a pipeline, in submission order. */
export function pipelineSteps(store: JobStore, pipelineId: string): JobRecord[] {
  const steps = store.list(() => undefined).filter((r) => r.pipeline?.id === pipelineId);
  if (steps.length === 0) throw new JobError(`no pipeline "${pipelineId}" in ${store.root}`);
  return steps;
}

/**
 * Refreshes every step; a step waiting on one that ended without success is cancelled (Slurm
 * would keep it PENDING with DependencyNeverSatisfied forever).
 */
export async function refreshPipeline(
  store: JobStore,
  pipelineId: string,
  executorOf: (r: JobRecord) => Executor = (r) => executorFor(r),
): Promise<JobRecord[]> {
  const out: JobRecord[] = [];
  const byStep = new Map<string, JobRecord>();
  for (const r of pipelineSteps(store, pipelineId)) {
    let now = await refresh(store, r, executorOf(r));
    const failedDep = (r.pipeline?.after ?? [])
      .map((a) => byStep.get(a))
      .find((d) => d !== undefined && isFinished(d) && d.state !== 'COMPLETED');
    if (failedDep && !isFinished(now)) {
      await executorOf(now).cancel(now);
      now = {
        ...now,
        reason: `step ${failedDep.pipeline?.step} ended ${failedDep.state}: cancelled`,
      };
      store.save(now);
    }
    byStep.set(r.pipeline?.step ?? r.id, now);
    out.push(now);
  }
  return out;
}

/** Cancels every step that has not ended. */
export async function cancelPipeline(
  store: JobStore,
  pipelineId: string,
  executorOf: (r: JobRecord) => Executor = (r) => executorFor(r),
): Promise<JobRecord[]> {
  const cancelled: JobRecord[] = [];
  for (const r of pipelineSteps(store, pipelineId)) {
    if (isFinished(r)) continue;
    await executorOf(r).cancel(r);
    cancelled.push(r);
  }
  return cancelled;
}
