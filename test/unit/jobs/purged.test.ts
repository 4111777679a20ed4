import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { refresh } from '../../../server/jobs/jobs';
import { JobStore } from '../../../server/jobs/jobStore';
import { isFinished, type JobRecord } from '../../../server/jobs/jobTypes';
import { SlurmExecutor } from '../../../server/jobs/slurmExecutor';

test('a job Slurm has purged (error 2017) is marked forgotten once, and never polled again', async (t) => {
  // slurmrestd's answer for a job older than MinJobAge: HTTP 500 with error 2017.
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests++;
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ error_number: 2017, error: 'Invalid job id specified' }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-purged-'));
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
  assert.equal(next.purged, true);
  assert.equal(next.state, 'UNKNOWN');
  assert.match(next.reason ?? '', /2017/);
  assert.ok(isFinished(next));
  const asked = requests;
  assert.equal(await refresh(store, next, executor), next);
  assert.equal(requests, asked, 'no request for a forgotten job');
});
