/** The `mcpo select` and `mcpo job ...` commands (registered in cli.ts's COMMANDS table). */
import * as path from 'node:path';
import { formatSelectCounts, selectData } from './selectData';
import { JobStore, readLogs } from './jobStore';
import { isFinished, type JobRecord } from './jobTypes';
import { UsageError, UserError } from '../userError';
import { cliMessage } from '../cli/fixText';
import { executorFor, refresh, submitJob, waitFor } from './jobs';
import { QUICK_READ } from './slurmExecutor';
import { cancelPipeline, refreshPipeline, submitPipeline } from './pipeline';
import { makeExecutor, parseOverrides } from './submitSetup';
import { JOB_KINDS, type JobKind } from './specs';

type Values = Record<string, string | boolean | undefined>;

export const SELECT_OPTIONS = {
  from: { type: 'string' },
  n: { type: 'string' },
  setting: { type: 'string' },
  tasks: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const SELECT_USAGE =
  'mcpo select --from <ECInstruct .json|.jsonl> --n <N> --out <train.jsonl> [--setting IND_Diverse_Instruction] [--tasks a,b]';
export const SELECT_HELP = `Options:
  --from FILE       ECInstruct rows (JSON Lines or a JSON array), streamed
  --n N             rows to select: the first N/2 of split "train" and the first N/2 of split "val" (N even)
  --out FILE        alpaca JSON Lines {instruction, input, output}, in file order
  --setting NAME    only rows of this setting, e.g. IND_Diverse_Instruction
  --tasks a,b       only rows of these tasks
ECInstruct's real format is read as it is: every field a string; "options" is "None" or a list written
as JSON or as a Python literal inside the string. Options are folded into the input as:
input + "\\nOptions:\\n" + one option per line.
A malformed row among the first N/2 of its split is listed (file:line:column, row index, field, reason),
excluded and not replaced, so the output is then not exactly "the first N" (exit code 1, and a note says
by how much); too few rows is an error naming the counts.`;

function str(v: Values, name: string): string | undefined {
  const x = v[name];
  return typeof x === 'string' && x !== '' ? x : undefined;
}

/** Malformed rows listed one by one; the rest are counted (a broken export can have millions). */
const SHOWN_BAD_ROWS = 10;

export async function runSelect(
  v: Values,
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const from = str(v, 'from');
  const nText = str(v, 'n');
  const file = str(v, 'out');
  if (!from || !nText || !file)
    throw new UsageError(`mcpo select: --from, --n and --out are required\nusage: ${SELECT_USAGE}`);
  if (!/^\d+$/.test(nText))
    throw new UsageError(`mcpo select: --n must be a whole number, got "${nText}"`);
  const result = await selectData({
    from,
    n: Number(nText),
    out: file,
    setting: str(v, 'setting'),
    tasks: str(v, 'tasks')
      ?.split(',')
      .map((t) => t.trim())
      .filter(Boolean),
  });
  for (const b of result.badRows.slice(0, SHOWN_BAD_ROWS))
    err(`${from}:${b.line}:${b.column}: error: ${b.message}`);
  if (result.badRows.length > SHOWN_BAD_ROWS)
    err(`${from}: ... and ${result.badRows.length - SHOWN_BAD_ROWS} more malformed rows`);
  out(
    `${formatSelectCounts(result)}\nwrote ${result.train + result.val} rows to ${file} (read ${result.rowsRead} rows)\n`,
  );
  return result.badRows.length > 0 ? 1 : 0;
}

export const JOB_OPTIONS = {
  spec: { type: 'string' },
  executor: { type: 'string' },
  'slurm-url': { type: 'string' },
  'slurm-user': { type: 'string' },
  'slurm-api': { type: 'string' },
  partition: { type: 'string' },
  gpus: { type: 'string' },
  time: { type: 'string' },
  'jobs-dir': { type: 'string' },
  wait: { type: 'boolean' },
  'poll-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const JOB_USAGE = `mcpo job submit finetune|sweep|merge-adapter|merge|quantize --spec <file.yml|.json> [--executor slurm|local] [--slurm-url URL --slurm-user U --slurm-api v0.0.38 --partition P --gpus N --time MIN] [--wait]
       mcpo job status <id> [--wait] | mcpo job cancel <id> | mcpo job logs <id> | mcpo job list`;
export const JOB_HELP = `Subcommands:
  submit KIND --spec FILE   validate the spec, write the job folder (.mcpo/jobs/<id>/: config + job.sh), submit it
  submit pipeline --spec F  a pipeline of steps (YAML: name, defaults, steps: [{id, kind, spec, after}]); a step's
                            value "\${ID.output}" is an earlier step's output folder; steps run after their dependencies
                            (Slurm afterok); status/cancel take the pipeline id (cancel cascades to every step left)
  status ID [--wait]        refresh and print the state (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT...)
  cancel ID                 cancel the job
  logs ID                   print the job's stdout/stderr files
  list                      every job recorded in .mcpo/jobs, refreshed
Options:
  --executor slurm|local    where to run (default local)
  --slurm-url URL           slurmrestd, e.g. http://head:6820 (or SLURM_URL)
  --slurm-user NAME         Slurm user (default $USER); the JWT comes from MCPO_SLURM_TOKEN, never from a flag
  --slurm-api VERSION       v0.0.38 (Slurm 22.05) .. v0.0.42 (default v0.0.38)
  --partition P             Slurm partition (default: the cluster's default)
  --gpus N --time MIN       override the spec's gpus / time_limit
  --jobs-dir DIR            where records live (default .mcpo/jobs, or MCPO_JOBS_DIR)
  --wait --poll-ms N        poll until the job ends (default every 2000 ms)
Spec fields per kind: see server/jobs/specs.ts.
  every kind: name, gpus, time_limit, cpus, memory_gb, env {NAME: value} (no secrets), pass_env [NAME...]
    (passed through from your environment at submit time, never written into a job file), setup (shell
    lines sourced before the job, e.g. module load / venv activate)
  finetune: dataset, output_dir, base_model (default meta-llama/Meta-Llama-3-70B-Instruct), num_epochs (3),
    lora_*, fsdp, fsdp_* (axolotl FSDP2 from 2 GPUs), launcher; --gpus regenerates launcher and FSDP
  sweep: from, sizes, output_dir + the finetune fields; merge-adapter: adapter, output_dir, base_model,
    method peft|axolotl (fp16 weights); merge: models, layer_range, t or t_sweep, dtype, output_dir
  quantize: model, output_dir, calibration_data (local JSON Lines), calibration_samples (128),
    backend autoawq|llm-compressor, w_bit, q_group_size, zero_point, version`;

function isFailure(r: JobRecord): boolean {
  return isFinished(r) && r.state !== 'COMPLETED';
}

function line(r: JobRecord): string {
  const exit = r.exitCode !== undefined ? ` exit=${r.exitCode}` : '';
  const step = r.pipeline ? `[${r.pipeline.id} ${r.pipeline.step}] ` : '';
  const tres = r.tres ? ` ${r.tres}` : '';
  const where = r.slurm ? `slurm:${r.slurm.jobId}` : `local:${r.local?.pid ?? '?'}`;
  return `${step}${r.id}  ${r.kind.padEnd(8)} ${r.state.padEnd(10)} ${where}${tres}${exit}${r.reason ? ` (${r.reason})` : ''}  ${JSON.stringify(r.name)}`;
}

export async function runJob(
  v: Values,
  positionals: string[],
  out: (s: string) => void,
  mcpoCommand: string[],
): Promise<number> {
  const [sub, arg] = positionals;
  const store = new JobStore(str(v, 'jobs-dir'));
  const rawPoll = str(v, 'poll-ms') ?? '2000';
  // A typo must not turn into setTimeout(NaN), i.e. polling slurmrestd every millisecond.
  if (!/^\d+$/.test(rawPoll) || Number(rawPoll) < 100)
    throw new UsageError(
      `--poll-ms must be a whole number of milliseconds, at least 100 (got ${JSON.stringify(rawPoll)})`,
    );
  const pollMs = Number(rawPoll);
  const need = (what: string): string => {
    if (!arg) throw new UsageError(`mcpo job ${sub}: give the ${what}\nusage: ${JOB_USAGE}`);
    return arg;
  };
  switch (sub) {
    case 'submit': {
      const kind = need(`job kind (${JOB_KINDS.join(', ')}, pipeline)`);
      if (kind !== 'pipeline' && !(JOB_KINDS as readonly string[]).includes(kind))
        throw new UsageError(
          `mcpo job submit: unknown kind "${kind}" (${JOB_KINDS.join(', ')}, pipeline)`,
        );
      const specFile = str(v, 'spec');
      if (!specFile)
        throw new UsageError(`mcpo job submit: --spec is required\nusage: ${JOB_USAGE}`);
      const executor = makeExecutor({
        executor: str(v, 'executor') ?? 'local',
        slurm: {
          url: str(v, 'slurm-url') ?? process.env.SLURM_URL,
          api: str(v, 'slurm-api'),
          user: str(v, 'slurm-user'),
          partition: str(v, 'partition'),
        },
      });
      const overrides = parseOverrides({ gpus: str(v, 'gpus'), time: str(v, 'time') });
      if (kind === 'pipeline') {
        const p = await submitPipeline({ file: specFile, store, executor, mcpoCommand, overrides });
        out(`submitted pipeline ${p.id}:\n`);
        for (const r of p.records) out(`  ${line(r)}\n`);
        if (!v.wait) return 0;
        const deadline = Date.now() + 24 * 3600_000;
        for (;;) {
          const steps = await refreshPipeline(store, p.id);
          if (steps.every(isFinished) || Date.now() > deadline) {
            for (const r of steps) out(`  ${line(r)}\n`);
            return steps.every((r) => r.state === 'COMPLETED') ? 0 : 1;
          }
          await new Promise((r) => setTimeout(r, pollMs));
        }
      }
      const { record } = await submitJob({
        kind: kind as JobKind,
        specFile,
        store,
        executor,
        mcpoCommand,
        overrides,
      });
      out(
        `submitted ${record.id} (${record.slurm ? `Slurm job ${record.slurm.jobId}` : `local pid ${record.local?.pid}`}); files in ${path.relative(process.cwd(), record.dir) || record.dir}\n`,
      );
      if (v.wait)
        return finish(
          await waitFor(store, record, {
            executor,
            intervalMs: pollMs,
            onState: (r) => out(`${line(r)}\n`),
          }),
        );
      return 0;
    }
    case 'status': {
      if (need('job id').startsWith('pipeline-')) {
        const steps = await refreshPipeline(store, arg as string, (r) =>
          executorFor(r, QUICK_READ),
        );
        out(`pipeline ${arg}\n`);
        for (const r of steps)
          out(`  ${line(r)}${r.output ? `\n      output: ${r.output}` : ''}\n`);
        return steps.every((r) => r.state === 'COMPLETED') ? 0 : steps.some(isFailure) ? 1 : 0;
      }
      const r = store.load(need('job id'));
      if (v.wait) {
        const now = await waitFor(store, r, {
          intervalMs: pollMs,
          onState: (x) => out(`${line(x)}\n`),
        });
        printTasks(now, out);
        return finish(now);
      }
      const { record: now, problem } = await refreshQuickly(store, r);
      out(`${line(now)}\n`);
      printTasks(now, out);
      if (problem) {
        out(`  not refreshed: ${problem}\n  last known state above, from ${r.updatedAt}\n`);
        return 1;
      }
      return 0;
    }
    case 'cancel': {
      if (need('job id').startsWith('pipeline-')) {
        const cancelled = await cancelPipeline(store, arg as string);
        out(
          `cancel requested for ${cancelled.length} steps of ${arg}: ${cancelled.map((r) => r.pipeline?.step).join(', ') || '(none left)'}\n`,
        );
        return 0;
      }
      const r = store.load(need('job id'));
      await executorFor(r).cancel(r);
      out(`cancel requested for ${r.id}\n`);
      return 0;
    }
    case 'logs': {
      out(readLogs(store.load(need('job id'))) || '(no output yet)\n');
      return 0;
    }
    case 'list': {
      // One unreachable slurmrestd is asked once, not once per job: the list still answers in 5 s.
      const down = new Map<string, string>();
      for (const r of store.list()) {
        const url = r.slurm?.url;
        const known = url !== undefined ? down.get(url) : undefined;
        let now = r;
        let problem = known;
        if (known === undefined) ({ record: now, problem } = await refreshQuickly(store, r));
        if (problem !== undefined && url !== undefined && !isFinished(r)) down.set(url, problem);
        out(
          `${line(now)}${problem !== undefined ? `\n  not refreshed (last known state, from ${r.updatedAt}): ${problem}` : ''}\n`,
        );
      }
      return 0;
    }
    default:
      throw new UsageError(`mcpo job: unknown subcommand "${sub ?? ''}"\nusage: ${JOB_USAGE}`);
  }
}

function printTasks(r: JobRecord, out: (s: string) => void): void {
  for (const t of r.tasks ?? [])
    if (t.index !== null)
      out(
        `  task ${t.index}: ${t.state}${t.exitCode !== undefined ? ` exit=${t.exitCode}` : ''}\n`,
      );
}

/**
 * Refreshes a record within QUICK_READ's budget; when the executor cannot be asked, the record
 * is returned as last saved, with the reason.
 */
async function refreshQuickly(
  store: JobStore,
  r: JobRecord,
): Promise<{ record: JobRecord; problem?: string }> {
  try {
    return { record: await refresh(store, r, executorFor(r, QUICK_READ)) };
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return { record: r, problem: cliMessage(err.message, err.fixes) };
  }
}

function finish(r: JobRecord): number {
  return r.state === 'COMPLETED' ? 0 : 1;
}
