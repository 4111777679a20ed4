/**
 * A scoring model that is neither on disk nor downloadable fails before transformers.js (and
 * onnxruntime) load, with the same reason as a failed download; a hub that can be reached is
 * still tried; and a model whose files appear is loaded on the next rows, so nothing the user
 * can have is hidden. "transformers.js loaded" is counted through setTransformersImport.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadEmbedder } from '../../../server/embed/embedder';
import { DEFAULT_REMOTE_HOST, hubUnreachableReason } from '../../../server/embed/hubReachable';
import { scoringEmbeddings } from '../../../server/embed/scoringEmbeddings';
import {
  onnxruntimeBuildPresent,
  setTransformersImport,
} from '../../../server/embed/transformersRuntime';
import type { ShopBenchRow } from '../../../server/dataset/shopbench';
import { scoreSamples } from '../../../server/scoring/evaluate';
import { buildTinyBertFixture } from '../../support/tinyBertFixture';

/** A hub id the engine has no pinned settings for, so nothing about it is built in. */
const HUB_ID = 'mcpo-test/tiny-bert';

let tempRoot = '';
let fixture = '';
let refusedHost = '';

/**
 * Counts imports of transformers.js from here on: the import is made once per process, so each
 * test starts a fresh one (models already loaded are kept).
 */
function countImports(): () => number {
  let imports = 0;
  setTransformersImport(() => {
    imports++;
    return import('@huggingface/transformers');
  });
  return () => imports;
}

/** A port nothing listens on: bound, then closed (the OS refuses connections to it). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

before(async () => {
  tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-nohub-'));
  fixture = buildTinyBertFixture(path.join(tempRoot, 'tiny-bert'));
  refusedHost = `http://127.0.0.1:${await closedPort()}/`;
});

after(() => {
  setTransformersImport();
  fs.rmSync(tempRoot, { recursive: true, force: true });
});

function emptyCache(): string {
  return fs.mkdtempSync(path.join(tempRoot, 'cache-'));
}

test('not on disk and the hub refuses the connection: fails with the download reason, transformers.js never loads', async () => {
  const cacheDir = emptyCache();
  const imported = countImports();
  await assert.rejects(
    loadEmbedder(HUB_ID, { cacheDir, remoteHost: refusedHost }),
    (error: Error) => {
      assert.match(error.message, /Could not load embedding model "mcpo-test\/tiny-bert"/);
      assert.match(error.message, /no network access to the Hugging Face hub\? \(.*ECONNREFUSED/);
      assert.ok(error.message.includes(cacheDir), error.message);
      return true;
    },
  );
  assert.equal(imported(), 0, 'transformers.js was imported');
});

test('not on disk and downloads disabled: fails without loading transformers.js', async () => {
  const imported = countImports();
  await assert.rejects(
    loadEmbedder(HUB_ID, { cacheDir: emptyCache(), allowRemote: false, remoteHost: refusedHost }),
    /not in the model cache .* and remote downloads are disabled/,
  );
  assert.equal(imported(), 0, 'transformers.js was imported');
});

test('a hub that answers is still asked: transformers.js loads and says what the hub said', async (t) => {
  const requests: string[] = [];
  const hub = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(404).end('Entry not found');
  });
  await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve));
  t.after(() => hub.close());
  const { port } = hub.address() as AddressInfo;
  const imported = countImports();
  await assert.rejects(
    loadEmbedder(HUB_ID, { cacheDir: emptyCache(), remoteHost: `http://127.0.0.1:${port}/` }),
    /the hub has no such model or file/,
  );
  assert.equal(imported(), 1, 'transformers.js was not imported');
  assert.ok(
    requests.some((url) => url.startsWith(`/${HUB_ID}/resolve/main/`)),
    `the hub was not asked: ${requests.join(', ')}`,
  );
});

test('a model copied into the cache between two runs gets the rows scored by the second, with the hub still unreachable', async () => {
  const cacheDir = emptyCache();
  const row: ShopBenchRow = {
    input_field: 'Describe the product.',
    output_field: 'a red leather handbag',
    task_name: 'task1',
    task_type: 'generation',
    metric: 'sent-transformer',
  };
  const samples = [{ index: 0, row, response: 'a red handbag' }];
  const models = { embedModel: HUB_ID, cacheDir, remoteHost: refusedHost };
  // The engine's worker keeps one source per model setting for its lifetime (the editor's), a
  // CLI run makes a new one: both must score once the files are there.
  const kept = scoringEmbeddings(models);
  const [first] = await scoreSamples(samples, { embeddings: kept });
  assert.equal(first.score, null);
  assert.match(first.error ?? '', /sent-transformer could not be scored: .*ECONNREFUSED/);

  fs.cpSync(fixture, path.join(cacheDir, HUB_ID), { recursive: true });
  for (const embeddings of [kept, scoringEmbeddings(models)]) {
    const [second] = await scoreSamples(samples, { embeddings });
    assert.equal(second.error, undefined);
    assert.equal(typeof second.score, 'number');
  }
});

test('a failure is remembered while the files are still missing: no second attempt per row', async () => {
  const cacheDir = emptyCache();
  let attempts = 0;
  const hub = net.createServer((socket) => {
    attempts++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve));
  const { port } = hub.address() as AddressInfo;
  // Another id: the one above is loaded now, and loaded models are shared per process.
  const source = scoringEmbeddings({
    embedModel: 'mcpo-test/never-there',
    cacheDir,
    remoteHost: `http://127.0.0.1:${port}/`,
  });
  try {
    await assert.rejects(source.embed('sent-transformer', ['one']));
    const afterFirst = attempts;
    assert.ok(afterFirst > 0, 'the hub was never asked');
    await assert.rejects(source.embed('sent-transformer', ['two']));
    assert.equal(attempts, afterFirst);
  } finally {
    await new Promise<void>((resolve) => hub.close(() => resolve()));
  }
});

test('the hub checked is the one transformers.js downloads from', async () => {
  const { env } = await import('@huggingface/transformers');
  assert.equal(DEFAULT_REMOTE_HOST, env.remoteHost);
});

test('a proxy or a host this check cannot read leaves the verdict to the download', async () => {
  assert.equal(
    await hubUnreachableReason(refusedHost, { HTTPS_PROXY: 'http://proxy:3128' }),
    undefined,
  );
  assert.equal(await hubUnreachableReason('not a url', {}), undefined);
  assert.match((await hubUnreachableReason(refusedHost, {})) ?? '', /ECONNREFUSED/);
});

test('onnxruntime has a build for this machine, and none for Intel macOS (whose reason is the runtime)', () => {
  assert.equal(onnxruntimeBuildPresent(), true);
  assert.equal(onnxruntimeBuildPresent('darwin', 'x64'), false);
});
