/**
 * A machine where onnxruntime cannot load (no build for its OS or CPU, e.g. Intel macOS): local
 * embeddings say why and what still works instead of asking for a local copy or blaming the
 * network, and scoring reports only the embedding tasks as not scored. The failure is played by
 * injecting transformers.js' import, as the real packages load here.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadEmbedder } from '../../../server/embed/embedder';
import { setTransformersImport } from '../../../server/embed/transformersRuntime';
import { scoringEmbeddings } from '../../../server/embed/scoringEmbeddings';
import { aggregate, scoreSamples } from '../../../server/scoring/evaluate';
import { sampleRows } from '../../support/sample';
import { buildTinyBertFixture } from '../../support/tinyBertFixture';
import { tempDir } from '../../support/tempDirs';

const root = tempDir('mcpo-onnxruntime-unavailable-');
const folder = buildTinyBertFixture(path.join(root, 'tiny-bert'));
const REASON = `onnxruntime cannot load on this machine (${process.platform}-${process.arch}: dlopen onnxruntime_binding.node: no suitable image found)`;
const INSTEAD =
  'Local embeddings are unavailable here: sent-transformer tasks are reported NOT SCORED and similarity hints cannot run; to have them, run the workbench where onnxruntime has a build (Linux x64 or arm64, Windows x64, macOS on Apple silicon), e.g. on the GPU server through Remote-SSH.';

setTransformersImport(() =>
  Promise.reject(new Error('dlopen onnxruntime_binding.node: no suitable image found\nstack')),
);
after(() => setTransformersImport());

test('a local model folder: the reason is the runtime, not the folder', async () => {
  await assert.rejects(loadEmbedder(folder), {
    message: `Could not load embedding model "${folder}": ${REASON}. ${INSTEAD}`,
  });
});

test('a hub model: the reason is the runtime, not the network, and nothing is downloaded', async (t) => {
  const cacheDir = path.join(root, 'cache');
  // A hub that takes connections: the machine here has an onnxruntime build, so a hub that cannot
  // be reached would be named first (on a machine without a build, the runtime is; see
  // onnxruntimeBuildPresent).
  const hub = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve));
  t.after(() => hub.close());
  const remoteHost = `http://127.0.0.1:${(hub.address() as AddressInfo).port}/`;
  await assert.rejects(loadEmbedder('Xenova/all-MiniLM-L6-v2', { cacheDir, remoteHost }), {
    message: `Could not load embedding model "Xenova/all-MiniLM-L6-v2": ${REASON}. ${INSTEAD}`,
  });
  assert.ok(!fs.existsSync(cacheDir));
});

test('scoring: the sent-transformer task is not scored, with the reason; the other tasks are', async () => {
  const rows = sampleRows().filter((r) => ['task1', 'task2'].includes(r.task_name));
  assert.ok(rows.some((r) => r.metric === 'sent-transformer'));
  assert.ok(rows.some((r) => r.metric !== 'sent-transformer'));
  const samples = rows.map((row, index) => ({ index, row, response: '1' }));
  const report = aggregate(
    await scoreSamples(samples, { embeddings: scoringEmbeddings({ embedModel: folder }) }),
  );
  const task1 = report.unscored?.find((u) => u.task_name === 'task1');
  assert.ok(task1?.reason.includes(REASON), JSON.stringify(report.unscored));
  assert.ok(report.tasks.some((t) => t.task_name === 'task2' && t.score !== null));
});

test('once the runtime loads again, the model loads', async () => {
  setTransformersImport();
  const embedder = await loadEmbedder(folder);
  assert.equal((await embedder.embed(['a red bag'])).length, 1);
  await embedder.dispose();
});
