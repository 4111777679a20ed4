import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobStore, readLogs } from '../../../server/jobs/jobStore';
import { submitJob, waitFor } from '../../../server/jobs/jobs';
import type { Executor, JobState } from '../../../server/jobs/jobTypes';
import { LocalExecutor } from '../../../server/jobs/localExecutor';
import { SlurmExecutor } from '../../../server/jobs/slurmExecutor';
import { runCli } from '../../support/cli';
import { fixturePath, repoRoot } from '../../support/paths';
import { tempDir } from '../../support/tempDirs';

/** The test cluster from test/slurm/start.sh: SLURM_URL in the environment or its env file. */
function slurmEnv(): Record<string, string> | undefined {
  const file = path.join(process.env.SLURM_RUN_DIR ?? '/tmp/mcpo-slurm', 'env');
  const env: Record<string, string> = {};
  if (fs.existsSync(file))
    for (const l of fs.readFileSync(file, 'utf8').split('\n'))
      if (l.includes('=')) env[l.slice(0, l.indexOf('='))] = l.slice(l.indexOf('=') + 1);
  for (const k of ['SLURM_URL', 'MCPO_SLURM_JWT_KEY', 'SLURM_RUN_DIR'])
    if (process.env[k]) env[k] = process.env[k] as string;
  return env.SLURM_URL && env.MCPO_SLURM_JWT_KEY ? env : undefined;
}

/** An HS256 JWT as slurmctld's auth/jwt expects: claims exp, iat, sun. */
function mintToken(keyFile: string, user: string, lifetimeS: number): string {
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ exp: now + lifetimeS, iat: now - Math.max(0, -lifetimeS) - 10, sun: user })}`;
  return `${body}.${crypto.createHmac('sha256', fs.readFileSync(keyFile)).update(body).digest('base64url')}`;
}

const POLL_MS = 250;
const DONE: ReadonlySet<JobState> = new Set(['RUNNING']);

/** Specs whose "trainer" is the fake one: it reads the generated config and writes an output. */
function writeSpecs(root: string): { ok: string; slow: string; broken: string; sweep: string } {
  fs.mkdirSync(root, { recursive: true });
  fs.chmodSync(root, 0o777);
  const data = path.join(root, 'train.jsonl');
  fs.writeFileSync(
    data,
    '{"instruction":"i","input":"","output":"o"}\n{"instruction":"i","input":"","output":"o"}\n',
  );
  const fake = ['bash', fixturePath('jobs', 'fake-trainer.sh')];
  const base = { base_model: 'org/model', dataset: data, gpus: 0, time_limit: 5, launcher: fake };
  const files = {
    ok: { name: "ok 'quoted' $(name)", ...base, output_dir: path.join(root, 'out-ok') },
    slow: {
      name: 'slow',
      ...base,
      launcher: ['bash', '-c', 'sleep 60', 'sleeper'],
      output_dir: path.join(root, 'out-slow'),
    },
    broken: {
      name: 'broken',
      ...base,
      launcher: ['bash', '-c', 'echo broken >&2; exit 3'],
      output_dir: path.join(root, 'out-broken'),
    },
    sweep: {
      name: 'sweep',
      from: fixturePath('jobs', 'ecinstruct-small.jsonl'),
      sizes: [4, 8],
      base_model: 'org/model',
      gpus: 0,
      time_limit: 5,
      launcher: fake,
      output_dir: path.join(root, 'out-sweep'),
    },
  };
  const out = {} as { ok: string; slow: string; broken: string; sweep: string };
  for (const [k, v] of Object.entries(files)) {
    const f = path.join(root, `${k}.json`);
    fs.writeFileSync(f, JSON.stringify(v));
    out[k as keyof typeof out] = f;
  }
  return out;
}

function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls a condition (process exit has no event to wait on from outside its parent). */
async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const MCPO = [process.execPath, path.join(repoRoot, 'out', 'server', 'cli.js')];

async function exercise(
  t: { diagnostic: (m: string) => void },
  label: string,
  root: string,
  executor: Executor,
): Promise<void> {
  const store = new JobStore(path.join(root, 'jobs'));
  const specs = writeSpecs(root);
  const t0 = Date.now();
  let running: number | undefined;
  const { record } = await submitJob({
    kind: 'finetune',
    specFile: specs.ok,
    store,
    executor,
    mcpoCommand: MCPO,
  });
  const done = await waitFor(store, record, {
    executor,
    intervalMs: POLL_MS,
    timeoutMs: 60_000,
    onState: (r) => (r.state === 'RUNNING' ? (running ??= Date.now() - t0) : undefined),
  });
  const total = Date.now() - t0;
  assert.equal(done.state, 'COMPLETED', readLogs(done));
  assert.match(
    fs.readFileSync(path.join(root, 'out-ok', 'adapter_model.txt'), 'utf8'),
    /trained on 2 rows/,
  );
  assert.equal(
    new JobStore(path.join(root, 'jobs')).load(record.id).state,
    'COMPLETED',
    'a new store (restarted CLI) sees the record',
  );
  t.diagnostic(
    `${label}: submit→RUNNING ${running ?? 'not observed (finished between polls)'} ms, submit→COMPLETED ${total} ms (poll every ${POLL_MS} ms = ${Math.round(60_000 / POLL_MS)} requests/min per running job)`,
  );

  const slow = (
    await submitJob({ kind: 'finetune', specFile: specs.slow, store, executor, mcpoCommand: MCPO })
  ).record;
  await waitFor(store, slow, { executor, intervalMs: POLL_MS, timeoutMs: 30_000, until: DONE });
  const timeoutPidFile = path.join(slow.dir, 'state', 'timeout.pid');
  const timeoutPid = fs.existsSync(timeoutPidFile)
    ? Number(fs.readFileSync(timeoutPidFile, 'utf8'))
    : undefined;
  await executor.cancel(slow);
  assert.equal(
    (await waitFor(store, slow, { executor, intervalMs: POLL_MS, timeoutMs: 30_000 })).state,
    'CANCELLED',
  );
  if (executor instanceof LocalExecutor && timeoutPid !== undefined) {
    // The job itself stops, not only its bookkeeping: timeout's own process group is gone too.
    await waitUntil(() => !processGroupAlive(timeoutPid), 10_000);
  }

  const broken = await waitFor(
    store,
    (
      await submitJob({
        kind: 'finetune',
        specFile: specs.broken,
        store,
        executor,
        mcpoCommand: MCPO,
      })
    ).record,
    { executor, intervalMs: POLL_MS, timeoutMs: 30_000 },
  );
  assert.equal(broken.state, 'FAILED');
  assert.equal(broken.exitCode, 3);
  assert.match(readLogs(broken), /broken/);

  const sweep = await waitFor(
    store,
    (await submitJob({ kind: 'sweep', specFile: specs.sweep, store, executor, mcpoCommand: MCPO }))
      .record,
    { executor, intervalMs: POLL_MS, timeoutMs: 60_000 },
  );
  assert.equal(sweep.state, 'COMPLETED', readLogs(sweep));
  assert.deepEqual(
    sweep.tasks?.map((x) => [x.index, x.state]),
    [
      [0, 'COMPLETED'],
      [1, 'COMPLETED'],
    ],
  );
  assert.match(
    fs.readFileSync(path.join(root, 'out-sweep', 'n8', 'adapter_model.txt'), 'utf8'),
    /trained on 8 rows/,
  );
}

test('local executor: complete, cancel, fail, sweep array; records survive a restart', async (t) => {
  await exercise(t, 'local', tempDir('mcpo-local-'), new LocalExecutor());
});

const env = slurmEnv();
// CI starts a cluster and sets MCPO_REQUIRE_SLURM: there a missing cluster is a failure, not a skip.
const skip =
  env || process.env.MCPO_REQUIRE_SLURM
    ? false
    : 'no Slurm: run `bash test/slurm/start.sh /tmp/mcpo-slurm` (or set SLURM_URL and MCPO_SLURM_JWT_KEY) to run the real-Slurm tests';

test(
  'Slurm v0.0.38 (real slurmrestd): complete, cancel, fail, sweep array, errors, restart mid-poll',
  { skip },
  async (t) => {
    if (!env)
      assert.fail(
        'MCPO_REQUIRE_SLURM is set but no Slurm was found (SLURM_RUN_DIR/env or SLURM_URL + MCPO_SLURM_JWT_KEY)',
      );
    const runDir = env.SLURM_RUN_DIR ?? '/tmp/mcpo-slurm';
    const root = fs.mkdtempSync(path.join(runDir, 'jobs', 'test-'));
    const token = mintToken(env.MCPO_SLURM_JWT_KEY, 'root', 600);
    let requests = 0;
    const slurm = (
      o: {
        partition?: string;
        token?: string;
        url?: string;
        retryForMs?: number;
        onRetry?: () => void;
      } = {},
    ): SlurmExecutor =>
      new SlurmExecutor({
        url: o.url ?? env.SLURM_URL,
        api: 'v0.0.38',
        user: 'root',
        partition: o.partition ?? 'debug',
        token: () => o.token ?? token,
        retryForMs: o.retryForMs ?? 30_000,
        onRequest: () => requests++,
        onRetry: o.onRetry,
      });
    await exercise(t, 'slurm', root, slurm());

    const store = new JobStore(path.join(root, 'jobs'));
    const specs = writeSpecs(root);
    await assert.rejects(
      submitJob({
        kind: 'finetune',
        specFile: specs.ok,
        store,
        executor: slurm({ partition: 'nope' }),
        mcpoCommand: MCPO,
      }),
      /Slurm does not know partition "nope"/,
    );
    await assert.rejects(
      submitJob({
        kind: 'finetune',
        specFile: specs.ok,
        store,
        executor: slurm({ token: mintToken(env.MCPO_SLURM_JWT_KEY, 'root', -60) }),
        mcpoCommand: MCPO,
      }),
      /Slurm rejected the token for user "root" \(the token expired at/,
    );
    await assert.rejects(
      submitJob({
        kind: 'finetune',
        specFile: specs.ok,
        store,
        executor: slurm({ url: 'http://127.0.0.1:9', retryForMs: 500 }),
        mcpoCommand: MCPO,
      }),
      /slurmrestd is not reachable at http:\/\/127\.0\.0\.1:9/,
    );

    // GPUs against the real scheduler (start.sh declares 4 fake GPUs as GRES): the request shape
    // of v0.0.38 is accepted, the allocation is what Slurm reports, and too many are refused.
    const gpuSpec = path.join(root, 'gpu.json');
    const okSpec = JSON.parse(fs.readFileSync(specs.ok, 'utf8')) as Record<string, unknown>;
    // The default launcher runs: a stand-in `accelerate` (put on PATH by the spec's setup line)
    // records its arguments and hands the config to the fake trainer.
    const bin = path.join(root, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(
      path.join(bin, 'accelerate'),
      `#!/bin/bash\necho "accelerate $*" > "$(dirname "\${@: -1}")/launcher.txt"\nexec bash ${fixturePath('jobs', 'fake-trainer.sh')} "\${@: -1}"\n`,
      { mode: 0o755 },
    );
    const { launcher: _l, ...withoutLauncher } = okSpec;
    fs.writeFileSync(
      gpuSpec,
      JSON.stringify({
        ...withoutLauncher,
        name: 'gpus',
        gpus: 4,
        cpus: 1,
        memory_gb: 0.25,
        setup: `export PATH=${bin}:$PATH`,
      }),
    );
    const gpuExecutor = slurm();
    const submitGpus = (overrides?: { gpus: number }): ReturnType<typeof submitJob> =>
      submitJob({
        kind: 'finetune',
        specFile: gpuSpec,
        store,
        executor: gpuExecutor,
        mcpoCommand: MCPO,
        overrides,
      });
    const gpuJob = (await submitGpus()).record;
    const gpuDone = await waitFor(store, gpuJob, {
      executor: gpuExecutor,
      intervalMs: POLL_MS,
      timeoutMs: 60_000,
    });
    assert.equal(gpuDone.state, 'COMPLETED', readLogs(gpuDone));
    assert.equal(gpuDone.tres, 'gres:gpu:4', 'slurmrestd reports the allocation');
    const shown = spawnSync('scontrol', ['show', 'job', String(gpuJob.slurm?.jobId)], {
      env: { ...process.env, SLURM_CONF: path.join(runDir, 'etc', 'slurm.conf') },
    }).stdout.toString();
    assert.match(shown, /TresPerNode=gres:gpu:4/);
    assert.match(shown, /MinMemoryNode=256M/);
    const generated = fs.readFileSync(path.join(gpuJob.dir, 'config.yml'), 'utf8');
    assert.match(generated, /^fsdp_version: 2$/m);
    assert.equal(
      fs.readFileSync(path.join(gpuJob.dir, 'launcher.txt'), 'utf8').trim(),
      `accelerate launch --num_processes 4 -m axolotl.cli.train ${path.join(gpuJob.dir, 'config.yml')}`,
    );
    // --gpus 2 regenerates the files for 2 and asks Slurm for 2.
    const two = (await submitGpus({ gpus: 2 })).record;
    assert.match(fs.readFileSync(path.join(two.dir, 'job.sh'), 'utf8'), /'--num_processes' '2'/);
    assert.match(fs.readFileSync(path.join(two.dir, 'config.yml'), 'utf8'), /^fsdp_version: 2$/m);
    const twoDone = await waitFor(store, two, {
      executor: gpuExecutor,
      intervalMs: POLL_MS,
      timeoutMs: 60_000,
    });
    assert.equal(twoDone.tres, 'gres:gpu:2');
    await assert.rejects(submitGpus({ gpus: 8 }), /Requested node configuration is not available/);

    // slurmrestd restarted while a job is being polled: polling retries and still sees the end.
    const slowSpec = JSON.parse(fs.readFileSync(specs.slow, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(
      specs.slow,
      JSON.stringify({ ...slowSpec, launcher: ['bash', '-c', 'sleep 3', 'sleeper'] }),
    );
    let retried: () => void = () => undefined;
    const firstRetry = new Promise<void>((resolve) => (retried = resolve));
    const ex = slurm({ onRetry: () => retried() });
    const job = (
      await submitJob({
        kind: 'finetune',
        specFile: specs.slow,
        store,
        executor: ex,
        mcpoCommand: MCPO,
      })
    ).record;
    await waitFor(store, job, {
      executor: ex,
      intervalMs: POLL_MS,
      timeoutMs: 30_000,
      until: DONE,
    });
    const restart = spawnSync('bash', [
      path.join(repoRoot, 'test', 'slurm', 'restart-restd.sh'),
      runDir,
      'stop',
    ]);
    assert.equal(restart.status, 0, restart.stderr.toString());
    // While it is down, the CLI says so within 5 s and shows the last known state.
    const cliEnv = {
      ...process.env,
      MCPO_SLURM_TOKEN: token,
      MCPO_JOBS_DIR: path.join(root, 'jobs'),
    };
    const down = await runCli(['job', 'status', job.id], cliEnv);
    assert.equal(down.code, 1);
    assert.match(
      down.stdout,
      /RUNNING .*\n {2}not refreshed: slurmrestd is not reachable at .*ECONNREFUSED/,
    );
    const polling = waitFor(store, job, { executor: ex, intervalMs: POLL_MS, timeoutMs: 60_000 });
    // Restart only once the poller has met the outage (an event, not a fixed sleep).
    await firstRetry;
    const start = spawnSync('bash', [
      path.join(repoRoot, 'test', 'slurm', 'restart-restd.sh'),
      runDir,
      'start',
    ]);
    assert.equal(start.status, 0, start.stderr.toString());
    assert.equal((await polling).state, 'COMPLETED');
    t.diagnostic(`slurm: ${requests} REST requests in this test`);
  },
);
