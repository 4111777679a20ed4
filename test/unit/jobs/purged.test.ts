import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { refresh, submitJob } from '../../../server/jobs/jobs';
import { JobStore } from '../../../server/jobs/jobStore';
import {
  isFinished,
  SubmitOutcomeUnknownError,
  type JobRecord,
} from '../../../server/jobs/jobTypes';
import { SlurmExecutor } from '../../../server/jobs/slurmExecutor';
import { tempDir } from '../../support/tempDirs';

test('a job Slurm has purged (error 2017) is marked forgotten once, and never polled again', async (t) => {
  // slurmrestd's answer for a job older than MinJobAge: HTTP 500 with error 2017.
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests++;
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ errors: [{ error_number: 2017, error: 'Invalid job id specified' }] }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const root = tempDir('mcpo-purged-');
  const store = new JobStore(root);
  const record = {
    id: 'finetune-1',
    kind: 'finetune',
    name: 'ft',
    executor: 'slurm',
    state: 'RUNNING',
    dir: path.join(root, 'finetune-1'),
    submittedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    slurm: { url, api: 'v0.0.38', user: 'root', jobId: 42 },
  } as unknown as JobRecord;
  const executor = new SlurmExecutor({ url, api: 'v0.0.38', user: 'root', token: () => 'x.y.z' });
  const next = await refresh(store, record, executor);
  assert.equal(next.untracked, true);
  assert.equal(next.state, 'UNKNOWN');
  assert.match(next.reason ?? '', /2017/);
  assert.ok(isFinished(next));
  const asked = requests;
  assert.equal(await refresh(store, next, executor), next);
  assert.equal(requests, asked, 'no request for a forgotten job');
});

test('a submission slurmrestd does not answer in time is kept as untracked, folder and all, never removed', async (t) => {
  // Accepts the request and answers too late: Slurm may well have queued the job.
  const held: http.ServerResponse[] = [];
  const server = http.createServer((_req, res) => void held.push(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const r of held) r.destroy();
        server.close(() => resolve());
      }),
  );
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const root = tempDir('mcpo-unknown-');
  const data = path.join(root, 'train.jsonl');
  fs.writeFileSync(data, '{"instruction":"i","input":"","output":"o"}\n');
  const spec = path.join(root, 'ft.json');
  fs.writeFileSync(
    spec,
    JSON.stringify({
      name: 'ft',
      base_model: 'org/model',
      dataset: data,
      gpus: 0,
      time_limit: 5,
      output_dir: path.join(root, 'out'),
    }),
  );
  const store = new JobStore(path.join(root, 'jobs'));
  const executor = new SlurmExecutor({
    url,
    api: 'v0.0.38',
    user: 'root',
    token: () => 'x.y.z',
    requestTimeoutMs: 300,
  });
  await assert.rejects(
    submitJob({ kind: 'finetune', specFile: spec, store, executor, mcpoCommand: ['mcpo'] }),
    SubmitOutcomeUnknownError,
  );
  const [record] = store.list();
  assert.equal(record.state, 'UNKNOWN');
  assert.equal(record.untracked, true);
  assert.match(record.reason ?? '', /may or may not be queued/);
  assert.ok(
    fs.existsSync(path.join(record.dir, 'job.sh')),
    'the job folder a queued job would run in is kept',
  );
});
