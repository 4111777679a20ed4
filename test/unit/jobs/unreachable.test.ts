/**
 * Never hang: with slurmrestd silent (a socket that accepts and never answers) or refusing
 * connections, `job status` and `job list` answer within their read budget (a few seconds), say the REST API is unreachable
 * and show the last known state; retries back off and are observable as events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { JobStore } from '../../../server/jobs/jobStore';
import type { JobRecord } from '../../../server/jobs/jobTypes';
import { SlurmExecutor, UnreachableError } from '../../../server/jobs/slurmExecutor';
import { runCli } from '../../support/cli';
import { tempDir } from '../../support/tempDirs';

/** Accepts connections and never answers: the worst case for a client without timeouts. */
async function silentServer(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

/** Far below the old hang (~57 s for status, ~2 min for list), far above a loaded start-up. */
const HANG_MS = 20_000;

function record(root: string, id: string, url: string, jobId: number): JobRecord {
  return {
    id,
    kind: 'finetune',
    name: id,
    executor: 'slurm',
    state: 'RUNNING',
    dir: path.join(root, id),
    submittedAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:05:00.000Z',
    slurm: { url, api: 'v0.0.38', user: 'root', jobId },
  };
}

test('job status and job list answer within their read budget when slurmrestd does not answer', async (t) => {
  const url = await silentServer(t);
  const root = tempDir('mcpo-unreachable-');
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const store = new JobStore(root);
  for (let i = 1; i <= 3; i++) store.save(record(root, `finetune-${i}`, url, 100 + i));
  const env = { ...process.env, MCPO_SLURM_TOKEN: 'x.y.z', MCPO_JOBS_DIR: root };

  const t0 = Date.now();
  const status = await runCli(['job', 'status', 'finetune-1'], env);
  const statusMs = Date.now() - t0;
  assert.equal(status.code, 1);
  assert.match(status.stdout, /finetune-1\s+finetune RUNNING\s+slurm:101/);
  assert.match(
    status.stdout,
    /not refreshed: slurmrestd is not reachable at http:\/\/127\.0\.0\.1:\d+ \(no answer in \d+ ms\)/,
  );
  assert.match(status.stdout, /last known state above, from 2026-01-01T00:05:00\.000Z/);
  // The CLI's own read budget is what bounds it (a few seconds); the wall-clock bound only
  // catches a hang like the old ~57 s one, and leaves room for a slow start on a loaded machine.
  const budget = Number(/no answer in (\d+) ms/.exec(status.stdout)?.[1]);
  assert.ok(budget <= 3000, `read budget ${budget} ms`);
  assert.ok(statusMs < HANG_MS, `job status took ${statusMs} ms`);

  const t1 = Date.now();
  const list = await runCli(['job', 'list'], env);
  const listMs = Date.now() - t1;
  assert.equal(list.code, 0);
  assert.equal(list.stdout.match(/not refreshed \(last known state/g)?.length, 3);
  assert.ok(listMs < HANG_MS, `job list of 3 jobs took ${listMs} ms`);
  t.diagnostic(`slurmrestd silent: job status ${statusMs} ms, job list (3 jobs) ${listMs} ms`);
});

test('reads retry with backoff within their budget, and say so as events', async (t) => {
  // A port nothing listens on: every connection is refused at once.
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const retries: string[] = [];
  const ex = new SlurmExecutor({
    url: `http://127.0.0.1:${port}`,
    api: 'v0.0.38',
    user: 'root',
    token: () => 'x.y.z',
    retryForMs: 1000,
    onRetry: (e) => retries.push(e.message),
  });
  const root = tempDir('mcpo-unreachable-');
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  await assert.rejects(ex.status(record(root, 'j', `http://127.0.0.1:${port}`, 1)), (e: Error) => {
    assert.ok(e instanceof UnreachableError);
    assert.match(e.message, /ECONNREFUSED/);
    return true;
  });
  // Refused at once, retried after a backoff (200 ms, then doubling) until the budget ends.
  assert.ok(retries.length >= 1, 'at least one retry');
  assert.ok(retries.every((m) => /ECONNREFUSED/.test(m)));
});
