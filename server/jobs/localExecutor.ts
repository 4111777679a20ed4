/**
 * Runs a job's script on this machine as a detached child process, with Slurm's state names.
 * The state lives in files in the job folder (pid, exit status per task, a cancel marker), not in
 * this process, so `mcpo job status` from a new CLI process sees the same thing.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  combineStates,
  JobError,
  type Executor,
  type JobRecord,
  type JobResources,
  type JobState,
  type JobStatus,
} from './jobTypes';
import { isSameProcess, processStartTime } from './processStart';
import { jobEnvironment } from './slurmExecutor';
import { SCRIPT_NAME } from './specs';

/**
 * The supervisor: fixed text, every value arrives as a positional parameter. Runs each array task
 * (or the single job) with Slurm's variable names, records each exit status atomically, and uses
 * `timeout` for the time limit (exit 124 → TIMEOUT, like Slurm's time limit).
 */
const SUPERVISOR = `
dir="$1"; limit="$2"; shift 2
cd "$dir"
# Dependencies (a pipeline's earlier steps): wait for each to finish; any failure cancels this job,
# as Slurm's afterok would never start it. A dependency whose supervisor vanished counts as failed.
if [ -f state/after ]; then
  while IFS=' ' read -r dep pid; do
    while [ ! -e "$dep/state/done" ]; do
      if ! kill -0 "$pid" 2>/dev/null && [ ! -e "$dep/state/done" ]; then echo lost > "$dep/state/done.lost"; break; fi
      sleep 0.2
    done
    if [ "$(cat "$dep/state/done" 2>/dev/null)" != 0 ]; then
      echo "dependency $dep did not complete" > state/dependency_failed
      date > state/cancelled; echo 1 > state/done; exit 0
    fi
  done < state/after
fi
all=0
for idx in "$@"; do
  if [ "$idx" = "-" ]; then out="logs/local.out"; err="logs/local.err"; st="state/exit"; unset SLURM_ARRAY_TASK_ID
  else out="logs/local_$idx.out"; err="logs/local_$idx.err"; st="state/exit_$idx"; export SLURM_ARRAY_TASK_ID="$idx"; fi
  [ -e state/cancelled ] && break
  echo RUNNING > state/running
  if [ "$limit" -gt 0 ]; then
    # timeout moves itself into its own process group, which cancel must also stop: record it.
    timeout --signal=TERM --kill-after=5 "$((limit * 60))" bash ./${SCRIPT_NAME} >"$out" 2>"$err" &
    echo "$!" > state/timeout.pid; wait "$!"; rc=$?; rm -f state/timeout.pid
  else bash ./${SCRIPT_NAME} >"$out" 2>"$err"; rc=$?; fi
  echo "$rc" > "$st.tmp" && mv "$st.tmp" "$st"
  [ "$rc" = 0 ] || all="$rc"
done
rm -f state/running
[ -e state/cancelled ] && all=1
echo "$all" > state/done.tmp && mv state/done.tmp state/done
`;

export class LocalExecutor implements Executor {
  async submit(record: JobRecord, job: JobResources): Promise<JobRecord> {
    // The same check as on Slurm: a pass_env name that is not set fails now, not in the job.
    jobEnvironment(record, job.passEnv);
    fs.mkdirSync(path.join(record.dir, 'logs'), { recursive: true });
    fs.mkdirSync(path.join(record.dir, 'state'), { recursive: true });
    const after = job.after ?? [];
    if (after.length > 0)
      fs.writeFileSync(
        path.join(record.dir, 'state', 'after'),
        after.map((r) => `${r.dir} ${r.local?.pid ?? 0}\n`).join(''),
      );
    const indices = record.array ? record.array.map(String) : ['-'];
    const child = spawn(
      'bash',
      ['-c', SUPERVISOR, 'mcpo-local-job', record.dir, String(job.timeLimit ?? 0), ...indices],
      {
        cwd: record.dir,
        detached: true, // its own process group: cancel stops the whole tree, and the CLI may exit first
        stdio: 'ignore',
        env: { ...process.env, MCPO_JOB_ID: record.id, MCPO_SLURM_TOKEN: '' },
      },
    );
    // Without a listener, the 'error' event of a child that failed to spawn would crash the engine.
    child.once('error', () => undefined);
    if (child.pid === undefined) throw new JobError(`could not start bash for job ${record.id}`);
    child.unref();
    fs.writeFileSync(path.join(record.dir, 'state', 'pid'), String(child.pid));
    const startTime = processStartTime(child.pid);
    return {
      ...record,
      executor: 'local',
      local: { pid: child.pid, ...(startTime !== undefined ? { startTime } : {}) },
      state: 'RUNNING',
    };
  }

  /** The supervisor writes its pid first thing: a record lost before saving it can be rebuilt. */
  async reconcile(record: JobRecord): Promise<JobRecord | undefined> {
    const pid = readPid(path.join(record.dir, 'state', 'pid'));
    if (pid === undefined) return undefined;
    return { ...record, executor: 'local', local: { pid }, state: 'RUNNING' };
  }

  async status(record: JobRecord): Promise<JobStatus> {
    const stateDir = path.join(record.dir, 'state');
    // A reused pid (another process started since) is not our supervisor.
    const alive = record.local ? isSameProcess(record.local.pid, record.local.startTime) : false;
    const cancelled = fs.existsSync(path.join(stateDir, 'cancelled'));
    const indices: (number | null)[] = record.array ?? [null];
    const tasks = indices.map(
      (index): { index: number | null; state: JobState; exitCode?: number } => {
        const file = path.join(stateDir, index === null ? 'exit' : `exit_${index}`);
        if (fs.existsSync(file)) {
          const rc = Number(fs.readFileSync(file, 'utf8').trim());
          const state: JobState =
            cancelled && rc !== 0
              ? 'CANCELLED'
              : rc === 0
                ? 'COMPLETED'
                : rc === 124
                  ? 'TIMEOUT'
                  : 'FAILED';
          return { index, state, exitCode: rc };
        }
        // No exit status: still waiting or running, unless the supervisor is gone (cancelled or lost).
        const state: JobState = cancelled ? 'CANCELLED' : alive ? 'PENDING' : 'FAILED';
        return { index, state };
      },
    );
    // The task that is running now is the first without an exit status.
    const running = tasks.find((t) => t.state === 'PENDING');
    if (running && alive && fs.existsSync(path.join(stateDir, 'running')))
      running.state = 'RUNNING';
    const state = combineStates(tasks.map((t) => t.state));
    const failed = tasks.find(
      (t) => t.state === state && t.exitCode !== undefined && t.exitCode !== 0,
    );
    const depFailed = path.join(stateDir, 'dependency_failed');
    const reason = fs.existsSync(depFailed)
      ? fs.readFileSync(depFailed, 'utf8').trim()
      : state === 'FAILED' && !failed
        ? 'the local supervisor process ended without recording an exit status'
        : undefined;
    return {
      state,
      reason,
      exitCode: failed?.exitCode ?? (state === 'COMPLETED' ? 0 : undefined),
      tasks: record.array ? tasks : undefined,
    };
  }

  async cancel(record: JobRecord): Promise<void> {
    fs.writeFileSync(path.join(record.dir, 'state', 'cancelled'), new Date().toISOString());
    // The supervisor's process group (created at submit), and `timeout`'s own group when a time
    // limit is set: killing only the first would leave the job running until its limit.
    const groups = [record.local?.pid, readPid(path.join(record.dir, 'state', 'timeout.pid'))];
    const supervisorAlive =
      record.local !== undefined && isSameProcess(record.local.pid, record.local.startTime);
    for (const pid of groups) {
      // Never signal a process group that a reused pid now names.
      if (pid === undefined || !supervisorAlive || !isSameProcess(pid)) continue;
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
