/**
 * One set-up for submitting, shared by the CLI (`mcpo job submit`) and the language server
 * (mcpo/jobs/submit): which executor, and how --gpus / --time override a spec. The overrides are
 * applied to the spec before its files are generated, so a job's files always follow its
 * resources (4 GPUs get 4 processes and FSDP) and are never patched afterwards.
 */
import { DEFAULT_SLURM_API } from '../protocol/jobs';
import { UsageError } from '../userError';
import { JobError, type Executor } from './jobTypes';
import { LocalExecutor } from './localExecutor';
import { SlurmExecutor } from './slurmExecutor';
import type { YamlValue } from './yaml';

/** Spec fields a submission may override (already validated). */
export interface SpecOverrides {
  gpus?: number;
  /** Minutes, at least 1. */
  timeLimit?: number;
  /** The preset eval steps run with when their spec names none (VS Code: mcpo.preset). */
  preset?: string;
}

/**
 * Validates overrides from either front end. Absent means "the spec's value". 0 GPUs is a CPU
 * job; a time limit of 0 is refused everywhere (Slurm would read it as "no limit", VS Code's
 * setting uses 0 for "unset" and sends nothing).
 */
export function parseOverrides(
  raw: { gpus?: string | number; time?: string | number },
  names: { gpus: string; time: string } = { gpus: '--gpus', time: '--time' },
): SpecOverrides {
  const whole = (v: string | number, name: string): number => {
    const n = typeof v === 'number' ? v : /^\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < 0)
      throw new UsageError(`${name} must be a whole number (found ${JSON.stringify(v)})`);
    return n;
  };
  const out: SpecOverrides = {};
  if (raw.gpus !== undefined && raw.gpus !== '') {
    out.gpus = whole(raw.gpus, names.gpus);
    if (out.gpus > 64) throw new UsageError(`${names.gpus} must be at most 64 (found ${out.gpus})`);
  }
  if (raw.time !== undefined && raw.time !== '') {
    const t = whole(raw.time, names.time);
    if (t < 1)
      throw new UsageError(
        `${names.time} must be at least 1 minute (leave it out to use the spec's time_limit)`,
      );
    out.timeLimit = t;
  }
  return out;
}

/** The spec with the overrides written in, ready to generate files from. */
export function applyOverrides(
  spec: { [key: string]: YamlValue },
  o: SpecOverrides = {},
  kind?: string,
): { [key: string]: YamlValue } {
  return {
    ...(kind === 'eval' && o.preset !== undefined ? { preset: o.preset } : {}),
    ...spec,
    ...(o.gpus !== undefined ? { gpus: o.gpus } : {}),
    ...(o.timeLimit !== undefined ? { time_limit: o.timeLimit } : {}),
  };
}

export interface ExecutorSettings {
  executor: string;
  slurm?: {
    url?: string;
    user?: string;
    api?: string;
    partition?: string;
  };
  /** The JWT, read at each request (never stored). */
  token?: () => string | undefined;
  /** How long calls retry while slurmrestd is unreachable (default 5 s: a submit never hangs). */
  retryForMs?: number;
  /** The platform mcpo runs on (default process.platform). */
  platform?: NodeJS.Platform;
}

/**
 * Why neither executor can submit from Windows itself: the local executor runs the job's bash
 * script here, and Slurm runs a job in its job folder, which must be a path the cluster's nodes
 * see (slurmrestd is sent `current_working_directory` and log paths; a C:\ path never is one).
 */
const ON_WINDOWS: Record<'local' | 'slurm', string> = {
  local:
    "the local executor runs the job's bash script on this machine, which needs Linux or macOS: on Windows, run mcpo (or VS Code with its WSL extension) inside WSL",
  slurm:
    "Slurm runs a job in its job folder, which the cluster must see at the same path, and a Windows path (C:\\...) never is one: open the project on the cluster's login node with VS Code Remote-SSH (the workbench then runs there) and submit from there",
};

/** The executor a submission names; every problem is a message naming the setting. */
export function makeExecutor(s: ExecutorSettings): Executor {
  if (s.executor !== 'local' && s.executor !== 'slurm')
    throw new UsageError(`the executor must be slurm or local (found "${s.executor}")`);
  if ((s.platform ?? process.platform) === 'win32') throw new JobError(ON_WINDOWS[s.executor]);
  if (s.executor === 'local') return new LocalExecutor();
  const url = s.slurm?.url?.trim();
  if (!url)
    throw new UsageError("no Slurm URL (slurmrestd's address, e.g. http://head:6820)", {
      fixes: [
        {
          kind: 'option',
          to: 'give it',
          flag: '--slurm-url',
          placeholder: 'url',
          env: 'SLURM_URL',
          setting: 'mcpo.slurm.url',
        },
      ],
    });
  return new SlurmExecutor({
    url,
    api: s.slurm?.api?.trim() || DEFAULT_SLURM_API,
    user: s.slurm?.user?.trim() || process.env.USER || 'root',
    partition: s.slurm?.partition?.trim() || undefined,
    token: s.token,
    retryForMs: s.retryForMs ?? 5000,
  });
}
