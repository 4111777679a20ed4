/**
 * Rows whose scoring model is known not to load never reach the engine worker: they come back
 * NOT SCORED with the error the worker would give, the other rows are scored by the worker, in
 * order; and once the model's files are on disk its rows go to the worker again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { scoringEmbeddings } from '../../../server/embed/scoringEmbeddings';
import { scoringRow as row } from './scoringRows';
import { scoreSamples, type SampleInput } from '../../../server/scoring/evaluate';
import {
  scoreAroundUnloadableModels,
  unloadableModels,
} from '../../../server/scoring/unloadableModels';
import { buildTinyBertFixture } from '../../support/tinyBertFixture';

const HUB_ID = 'mcpo-test/unloadable';

let tempRoot = '';
let refusedHost = '';

before(async () => {
  tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-unloadable-'));
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  refusedHost = `http://127.0.0.1:${port}/`;
});

after(() => fs.rmSync(tempRoot, { recursive: true, force: true }));

const samples: SampleInput[] = [
  { index: 0, row: row('task1', 'sent-transformer'), response: 'a red bag' },
  { index: 1, row: row('task2', 'accuracy'), response: '1' },
  { index: 2, row: row('task1', 'sent-transformer'), response: 'a blue bag' },
];

test('rows of a model that is not on disk, with the hub refusing, are not sent on; the others are, in order', async () => {
  const cacheDir = fs.mkdtempSync(path.join(tempRoot, 'cache-'));
  const models = { embedModel: HUB_ID };
  const sent: number[][] = [];
  const worker = (rest: SampleInput[]) => {
    sent.push(rest.map((s) => s.index));
    return scoreSamples(rest);
  };
  const unloadable = unloadableModels({ cacheDir, remoteHost: refusedHost });
  const scored = await scoreAroundUnloadableModels(samples, models, worker, unloadable);
  assert.deepEqual(sent, [[1]]);
  assert.deepEqual(
    scored.map((s) => s.index),
    [0, 1, 2],
  );
  assert.equal(scored[1].score, true);
  // The same words as when the worker tries the model itself.
  const [inWorker] = await scoreSamples([samples[0]], {
    embeddings: scoringEmbeddings({ ...models, cacheDir, remoteHost: refusedHost }),
  });
  for (const i of [0, 2]) {
    assert.equal(scored[i].score, null);
    assert.equal(scored[i].error, inWorker.error);
  }
  assert.match(
    inWorker.error ?? '',
    /^sent-transformer could not be scored: Could not load embedding model "mcpo-test\/unloadable": .*ECONNREFUSED/,
  );

  // Only sent-transformer rows left: the worker is not asked at all.
  sent.length = 0;
  await scoreAroundUnloadableModels([samples[0]], models, worker, unloadable);
  assert.deepEqual(sent, []);

  // The model copied into the cache: its rows go to the worker from the next call on.
  buildTinyBertFixture(path.join(cacheDir, HUB_ID));
  await scoreAroundUnloadableModels(samples, models, worker, unloadable);
  assert.deepEqual(sent, [[0, 1, 2]]);
});

test('a model that may load (on disk) goes to the worker untouched', async () => {
  const folder = buildTinyBertFixture(path.join(tempRoot, 'mv'));
  let calls = 0;
  await scoreAroundUnloadableModels(
    samples,
    { embedModel: folder },
    async (rest) => {
      calls++;
      assert.equal(rest, samples);
      return scoreSamples(rest);
    },
    unloadableModels({ cacheDir: tempRoot, remoteHost: refusedHost }),
  );
  assert.equal(calls, 1);
});
