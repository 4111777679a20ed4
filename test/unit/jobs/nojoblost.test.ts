/**
 * No job lost (issue 13, part 5): the record is written SUBMITTING before the submission leaves,
 * with the spec's name and the record's id as the job name Slurm echoes; a CLI killed between submit and record
 * leaves a record a restarted CLI reconciles by that name. The local executor does not trust a
 * pid that a different process now holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { refresh } from '../../../server/jobs/jobs';
import { JobStore } from '../../../server/jobs/jobStore';
import type { JobRecord } from '../../../server/jobs/jobTypes';
import { LocalExecutor } from '../../../server/jobs/localExecutor';
import { processStartTime } from '../../../server/jobs/processStart';
import { CLI, runCli } from '../../support/cli';
import { tempDir } from '../../support/tempDirs';

test('a CLI killed between submit and record: the restarted CLI finds the job by its name', async (t) => {
  // A slurmrestd that accepts the submission but whose answer never reaches the CLI: the test
  // kills the CLI the moment the submission arrives, then answers /jobs with the job it queued.
  let submitted: { name: string } | undefined;
  let onSubmit: () => void = () => undefined;
  const arrived = new Promise<void>((resolve) => (onSubmit = resolve));
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.method === 'POST' && req.url?.endsWith('/job/submit')) {
        submitted = (JSON.parse(body) as { job: { name: string } }).job;
        onSubmit(); // no answer: the CLI dies waiting
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      const jobs = submitted
        ? [{ job_id: 77, name: submitted.name, job_state: 'RUNNING', array_job_id: 0 }]
        : [];
      res.end(JSON.stringify({ jobs, errors: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.on('connection', (s) => t.after(() => s.destroy()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  const root = tempDir('mcpo-nojoblost-');
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.writeFileSync(path.join(root, 'd.jsonl'), '{"instruction":"i","input":"","output":"o"}\n');
  const spec = path.join(root, 'spec.json');
  fs.writeFileSync(
    spec,
    JSON.stringify({
      name: 'ft',
      dataset: 'd.jsonl',
      output_dir: 'o',
      gpus: 0,
      launcher: ['true'],
    }),
  );
  const env = { ...process.env, MCPO_SLURM_TOKEN: 'x.y.z', MCPO_JOBS_DIR: path.join(root, 'jobs') };
  const cli = spawn(
    process.execPath,
    [CLI, 'job', 'submit', 'finetune', '--spec', spec, '--executor', 'slurm', '--slurm-url', url],
    { env, stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => cli.on('exit', () => resolve()));
  await arrived;
  cli.kill('SIGKILL');
  await exited;

  const store = new JobStore(path.join(root, 'jobs'));
  const [left] = store.list();
  assert.equal(left.state, 'SUBMITTING', 'the record was written before the submission left');
  // squeue shows the spec's name first; the record's id after it finds the job again.
  assert.equal(submitted?.name, `ft:${left.id}`, 'the job name Slurm got: spec name, record id');
  assert.equal(left.slurm?.url, url);

  const list = await runCli(['job', 'list'], env);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, new RegExp(`${left.id}\\s+finetune RUNNING\\s+slurm:77`));
  const now = store.load(left.id);
  assert.equal(now.slurm?.jobId, 77);
  assert.equal(now.state, 'RUNNING');
  assert.equal(now.submitter, undefined);
});

test('a SUBMITTING record the scheduler never heard of is marked so, not polled forever', async () => {
  const root = tempDir('mcpo-nojoblost-');
  const store = new JobStore(root);
  const record: JobRecord = {
    id: 'finetune-x',
    kind: 'finetune',
    name: 'ft',
    executor: 'local',
    dir: path.join(root, 'finetune-x'),
    submittedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    state: 'SUBMITTING',
    // A pid that cannot be alive: the submitter is gone.
    submitter: { pid: 2 ** 22 + 1 },
  };
  const next = await refresh(store, record, new LocalExecutor());
  assert.equal(next.untracked, true);
  assert.match(next.reason ?? '', /never submitted/);
  fs.rmSync(root, { recursive: true, force: true });
});

test('the local executor does not trust a pid now held by another process', async () => {
  const root = tempDir('mcpo-pidreuse-');
  fs.mkdirSync(path.join(root, 'state'), { recursive: true });
  const mine = processStartTime(process.pid);
  assert.ok(mine !== undefined, 'this machine has /proc');
  const record: JobRecord = {
    id: 'finetune-y',
    kind: 'finetune',
    name: 'ft',
    executor: 'local',
    dir: root,
    submittedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    state: 'RUNNING',
    // This test's own (live) pid, recorded with another start time: a reused pid.
    local: { pid: process.pid, startTime: mine + 1 },
  };
  const ex = new LocalExecutor();
  const s = await ex.status(record);
  assert.equal(s.state, 'FAILED');
  assert.match(s.reason ?? '', /supervisor process ended/);
  const trusted = await ex.status({ ...record, local: { pid: process.pid, startTime: mine } });
  assert.equal(trusted.state, 'PENDING', 'the same process is still trusted');
  // Cancel must not signal the unrelated process group (here: this test's own).
  await ex.cancel(record);
  fs.rmSync(root, { recursive: true, force: true });
});
