/**
 * The mcpo/jobs/* protocol against the real language server over stdio, with the local
 * executor: submit → mcpo/jobs/changed up to COMPLETED, list, logs, cancel, data selection, a
 * pipeline's preview and submission, and the errors a user sees.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import type {
  JobIdParams,
  JobsChangedParams,
  ListJobsParams,
  PipelineParams,
  PrepareJobParams,
  SelectDataParams,
  SlurmJobSettings,
  SubmitJobParams,
} from '../../../server/protocol/jobs';
import {
  CancelJobRequest,
  JobLogsRequest,
  JobsChangedNotification,
  ListJobsRequest,
  PrepareJobRequest,
  PreparePipelineRequest,
  SelectDataRequest,
  SubmitJobRequest,
  SubmitPipelineRequest,
} from '../../../server/protocol/messages';
import { startLspServer, type LspServer } from '../../support/lspServer';
import { fixturePath } from '../../support/paths';
import { evalStep, finetuneStep, mergeAdapterStep } from '../../slurm/standInSteps';
import { tempDir } from '../../support/tempDirs';

const tmp = tempDir('mcpo-lsp-jobs-');
const jobsDir = path.join(tmp, '.mcpo', 'jobs');
let server: LspServer;
let conn: MessageConnection;
const changes: JobsChangedParams[] = [];
const waiters: (() => void)[] = [];

/** Resolves when a mcpo/jobs/changed notification (already received or later) satisfies `ok`. */
function changed(
  ok: (p: JobsChangedParams) => boolean,
  timeoutMs = 30_000,
): Promise<JobsChangedParams> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `no matching mcpo/jobs/changed in ${timeoutMs} ms; got ${JSON.stringify(changes.map((c) => [c.job.id, c.job.state]))}`,
          ),
        ),
      timeoutMs,
    );
    const check = (): boolean => {
      const hit = changes.find(ok);
      if (!hit) return false;
      clearTimeout(timer);
      resolve(hit);
      return true;
    };
    if (check()) return;
    const waiter = (): void => {
      if (check()) waiters.splice(waiters.indexOf(waiter), 1);
    };
    waiters.push(waiter);
  });
}

function spec(name: string, launcher: string[]): string {
  const data = path.join(tmp, 'train.jsonl');
  fs.writeFileSync(
    data,
    '{"instruction":"i","input":"","output":"o"}\n{"instruction":"i","input":"","output":"o"}\n',
  );
  const file = path.join(tmp, `${name}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({
      name,
      base_model: 'org/model',
      dataset: data,
      gpus: 0,
      time_limit: 5,
      launcher,
      output_dir: path.join(tmp, `out-${name}`),
    }),
  );
  return file;
}

async function rejectsWith(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ResponseError, `expected a ResponseError, got ${String(err)}`);
    assert.match(err.message, re);
    return true;
  });
}

before(async () => {
  server = startLspServer({ ...process.env, MCPO_JOBS_POLL_MS: '200', MCPO_SLURM_TOKEN: '' });
  conn = server.conn;
  conn.onNotification(JobsChangedNotification, (p: JobsChangedParams) => {
    changes.push(p);
    for (const w of [...waiters]) w();
  });
  await server.initialize();
});

after(() => server.stop());

test('submit a local job: changed notifications up to COMPLETED, then list and logs', async (t) => {
  const t0 = Date.now();
  const specFile = spec('ok', ['bash', fixturePath('jobs', 'fake-trainer.sh')]);
  const preview = await conn.sendRequest(PrepareJobRequest, {
    jobsDir,
    kind: 'finetune',
    specFile,
  } satisfies PrepareJobParams);
  assert.equal(preview.name, 'ok');
  assert.match(preview.files['config.yml'], /adapter: "qlora"/);
  assert.match(preview.files['job.sh'], /^#!\/bin\/bash/);
  assert.equal(fs.existsSync(jobsDir), false, 'a preview writes nothing');

  const { job } = await conn.sendRequest(SubmitJobRequest, {
    jobsDir,
    kind: 'finetune',
    specFile,
    executor: 'local',
  } satisfies SubmitJobParams);
  assert.equal(job.executor, 'local');
  assert.ok(job.localPid);
  assert.deepEqual(
    job.files.map((f) => path.basename(f)),
    ['config.yml', 'job.sh'],
  );
  const done = await changed((c) => c.job.id === job.id && c.job.state === 'COMPLETED');
  t.diagnostic(`submit → COMPLETED notification in ${Date.now() - t0} ms (poll every 200 ms)`);
  assert.equal(done.jobsDir, jobsDir);
  assert.equal(done.job.exitCode, 0);
  assert.match(
    fs.readFileSync(path.join(tmp, 'out-ok', 'adapter_model.txt'), 'utf8'),
    /trained on 2 rows/,
  );

  const { jobs } = await conn.sendRequest(ListJobsRequest, {
    jobsDir,
  } satisfies ListJobsParams);
  const listed = jobs.find((j) => j.id === job.id);
  assert.equal(listed?.state, 'COMPLETED');

  const logs = await conn.sendRequest(JobLogsRequest, {
    jobsDir,
    id: job.id,
  } satisfies JobIdParams);
  assert.match(logs.text, /fake-trainer: done/);
});

test('cancel a long local job: CANCELLED arrives as a notification', async () => {
  // Bounded: LocalExecutor.cancel does not reach `timeout`'s own process group yet, so a
  // cancelled local job's script may outlive the cancel (see the report); keep it short.
  const specFile = spec('slow', ['bash', '-c', 'echo started; sleep 20', 'sleeper']);
  const { job } = await conn.sendRequest(SubmitJobRequest, {
    jobsDir,
    kind: 'finetune',
    specFile,
    executor: 'local',
  } satisfies SubmitJobParams);
  await changed((c) => c.job.id === job.id && c.job.state === 'RUNNING');
  await conn.sendRequest(CancelJobRequest, {
    jobsDir,
    id: job.id,
  } satisfies JobIdParams);
  const cancelled = await changed((c) => c.job.id === job.id && c.job.state === 'CANCELLED');
  assert.equal(cancelled.job.state, 'CANCELLED');
  const { jobs } = await conn.sendRequest(ListJobsRequest, {
    jobsDir,
  });
  assert.equal(jobs.find((j) => j.id === job.id)?.state, 'CANCELLED');
  await rejectsWith(
    conn.sendRequest(CancelJobRequest, { jobsDir, id: job.id }),
    /already ended \(CANCELLED\)/,
  );
});

test('select data writes N/2 train + N/2 val rows', async () => {
  const out = path.join(tmp, 'data', 'selected.jsonl');
  const r = await conn.sendRequest(SelectDataRequest, {
    from: fixturePath('jobs', 'ecinstruct-small.jsonl'),
    n: 4,
    out,
  } satisfies SelectDataParams);
  assert.equal(r.train, 2);
  assert.equal(r.val, 2);
  assert.match(r.summary, /total/);
  assert.equal(fs.readFileSync(out, 'utf8').trim().split('\n').length, 4);
  await rejectsWith(
    conn.sendRequest(SelectDataRequest, {
      from: fixturePath('jobs', 'ecinstruct-small.jsonl'),
      n: 3,
      out,
    }),
    /Selecting fine-tune data failed: --n must be an even number/,
  );
});

test('errors name what failed: bad spec, missing token, unreachable slurmrestd, unknown job', async () => {
  const bad = path.join(tmp, 'bad.json');
  fs.writeFileSync(bad, JSON.stringify({ name: 'bad', base_model: 'org/model' }));
  await rejectsWith(
    conn.sendRequest(SubmitJobRequest, {
      jobsDir,
      kind: 'finetune',
      specFile: bad,
      executor: 'local',
    }),
    /Submitting the finetune job failed: finetune spec: field "dataset" is required/,
  );
  const specFile = spec('remote', ['true']);
  const slurm: SlurmJobSettings = {
    url: 'http://127.0.0.1:9',
    user: 'root',
    apiVersion: 'v0.0.38',
  };
  await rejectsWith(
    conn.sendRequest(SubmitJobRequest, {
      jobsDir,
      kind: 'finetune',
      specFile,
      executor: 'slurm',
      slurm,
    } satisfies SubmitJobParams),
    /no Slurm token: run "MCPO: Set Slurm Token"/,
  );
  await rejectsWith(
    conn.sendRequest(SubmitJobRequest, {
      jobsDir,
      kind: 'finetune',
      specFile,
      executor: 'slurm',
      slurm,
      slurmToken: 'x.y.z',
    } satisfies SubmitJobParams),
    /slurmrestd is not reachable at http:\/\/127\.0\.0\.1:9/,
  );
  // The CLI's rule (server/jobs/submitSetup.ts): a time override of 0 is refused, not "no limit".
  await rejectsWith(
    conn.sendRequest(SubmitJobRequest, {
      jobsDir,
      kind: 'finetune',
      specFile,
      executor: 'slurm',
      slurm: { ...slurm, timeMinutes: 0 },
      slurmToken: 'x.y.z',
    } satisfies SubmitJobParams),
    /mcpo\.slurm\.timeMinutes must be at least 1 minute/,
  );
  await rejectsWith(conn.sendRequest(JobLogsRequest, { jobsDir, id: 'nope' }), /no job "nope"/);
  await rejectsWith(
    conn.sendRequest(ListJobsRequest, { jobsDir: 'relative/dir' }),
    /must be an absolute path/,
  );
});

test('a pipeline from VS Code: the preview follows mcpo.slurm.gpus and mcpo.preset; the submission runs in order', async () => {
  const dir = path.join(tmp, 'pipe');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'train.jsonl'),
    '{"instruction":"i","input":"","output":"o"}\n'.repeat(3),
  );
  const steps = [
    finetuneStep('ft', 'train.jsonl', 'out/ft'),
    mergeAdapterStep('merged', '${ft.output}', 'out/merged'),
  ];
  const file = path.join(dir, 'pipeline.json');
  const evaluate = evalStep('eval', '${merged.output}', 8123);
  fs.writeFileSync(
    file,
    JSON.stringify({ name: 'p', defaults: { gpus: 0 }, steps: [...steps, evaluate] }),
  );
  const entries = (): string[] => (fs.existsSync(jobsDir) ? fs.readdirSync(jobsDir) : []);
  const before = entries();
  const preview = await conn.sendRequest(PreparePipelineRequest, {
    jobsDir,
    specFile: file,
    executor: 'slurm',
    slurm: { url: 'http://127.0.0.1:9', user: 'u', apiVersion: 'v0.0.38', gpus: 4 },
    preset: 'paper',
  } satisfies PipelineParams);
  assert.equal(preview.name, 'p');
  assert.deepEqual(
    preview.steps.map((s) => [s.step, s.kind, s.gpus, s.after]),
    [
      ['ft', 'finetune', 4, []],
      ['merged', 'merge-adapter', 4, ['ft']],
      ['eval', 'eval', 4, ['merged']],
    ],
  );
  // 4 GPUs regenerate the launcher and FSDP; the eval serves on them with the user's preset.
  assert.match(preview.steps[0].files['config.yml'], /fsdp_version: 2/);
  assert.match(preview.steps[2].files['job.sh'], /'--tensor-parallel-size' '4'/);
  assert.match(preview.steps[2].files['job.sh'], /'--preset' 'paper'/);
  assert.deepEqual(entries(), before, 'a preview writes nothing');

  fs.writeFileSync(file, JSON.stringify({ name: 'p', defaults: { gpus: 0 }, steps }));
  const submitted = await conn.sendRequest(SubmitPipelineRequest, {
    jobsDir,
    specFile: file,
    executor: 'local',
  } satisfies PipelineParams);
  assert.match(submitted.pipelineId, /^pipeline-/);
  assert.deepEqual(
    submitted.jobs.map((j) => j.pipeline?.step),
    ['ft', 'merged'],
  );
  const last = submitted.jobs[1];
  await changed((c) => c.job.id === last.id && c.job.state === 'COMPLETED');
  assert.match(
    fs.readFileSync(path.join(dir, 'out', 'merged', 'model.txt'), 'utf8'),
    /merged .*out\/ft/,
  );
  // A broken pipeline file is a message naming the step and field.
  fs.writeFileSync(file, JSON.stringify({ steps: [{ id: 'a', kind: 'train' }] }));
  await rejectsWith(
    conn.sendRequest(SubmitPipelineRequest, { jobsDir, specFile: file, executor: 'local' }),
    /steps\[0\] \(a\)\.kind must be one of/,
  );
});
