/** The engine worker's thread yields the cores to the main thread (Linux: per-thread niceness). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { linuxThreadId, workerNiceness } from '../../../server/workers/threadPriority';

test('the niceness is 19 unless MCPO_WORKER_NICE says 0-19', () => {
  assert.equal(workerNiceness({}), 19);
  assert.equal(workerNiceness({ MCPO_WORKER_NICE: '0' }), 0);
  assert.equal(workerNiceness({ MCPO_WORKER_NICE: '10' }), 10);
  for (const bad of ['', '-1', '20', '2.5', 'low'])
    assert.equal(workerNiceness({ MCPO_WORKER_NICE: bad }), 19, bad);
});

test(
  'a thread that lowers its priority changes only its own niceness',
  { skip: process.platform !== 'linux' && 'per-thread niceness is Linux only' },
  async () => {
    const mainTid = linuxThreadId();
    assert.ok(mainTid !== undefined);
    const before = os.getPriority(mainTid);
    const module = path.join(__dirname, '..', '..', '..', 'server', 'workers', 'threadPriority.js');
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
     const { lowerThisThreadsPriority, linuxThreadId } = require(workerData.module);
     const now = lowerThisThreadsPriority(5);
     parentPort.postMessage({ now, tid: linuxThreadId() });`,
      { eval: true, workerData: { module } },
    );
    const [reply] = (await once(worker, 'message')) as [{ now: number | undefined; tid: number }];
    await once(worker, 'exit');
    assert.notEqual(reply.tid, mainTid, 'the worker has its own thread id');
    assert.equal(reply.now, Math.min(19, before + 5));
    assert.equal(os.getPriority(mainTid), before, 'the main thread keeps its priority');
  },
);
