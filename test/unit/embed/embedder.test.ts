import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_EMBED_MODEL, loadEmbedder, type Embedder } from '../../../server/embed/embedder';
import type { EmbedLoadProgress } from '../../../server/embed/transformersRuntime';
import { cosineScoreFloat64 } from '../../../server/scoring/official/cosine';
import { buildTinyBertFixture } from '../../support/tinyBertFixture';

/** Float32 noise allowed between a padded batch and a single-text run (different matmul shapes). */
const BATCH_TOLERANCE = 1e-5;

let tempRoot = '';
let folder = '';
let embedder: Embedder;
const progress: EmbedLoadProgress[] = [];

before(async () => {
  tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-embed-test-'));
  folder = buildTinyBertFixture(path.join(tempRoot, 'tiny-bert'));
  embedder = await loadEmbedder(folder, { onProgress: (p) => progress.push(p) });
});

after(async () => {
  await embedder.dispose();
  fs.rmSync(tempRoot, { recursive: true, force: true });
});

function norm(v: Float32Array): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

const TEXTS = [
  'red leather handbag with strap',
  'usb charger cable for phone',
  'a large cotton shirt, size 10',
];

test('the fixture folder loads offline and reports progress per file', () => {
  assert.equal(embedder.modelId, folder);
  const files = new Set(progress.map((p) => p.file));
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
    assert.ok(files.has(f), `no progress for ${f}`);
  assert.ok(progress.some((p) => p.status === 'done'));
});

test('one 64-dimensional unit vector per text (the fixture declares mean pooling + Normalize)', async () => {
  const vectors = await embedder.embed(TEXTS);
  assert.equal(vectors.length, TEXTS.length);
  for (const v of vectors) {
    assert.ok(v instanceof Float32Array);
    assert.equal(v.length, 64);
    assert.ok(Math.abs(norm(v) - 1) < 1e-6, `norm ${norm(v)}`);
  }
  assert.notDeepEqual(vectors[0], vectors[1]);
});

test('embedding is deterministic across calls', async () => {
  const first = await embedder.embed(TEXTS);
  const second = await embedder.embed(TEXTS);
  assert.deepEqual(second, first);
});

test('a batch gives the same vectors as one text at a time', async () => {
  const batch = await embedder.embed(TEXTS);
  for (let i = 0; i < TEXTS.length; i++) {
    const [single] = await embedder.embed([TEXTS[i]]);
    assert.ok(
      maxAbsDiff(single, batch[i]) < BATCH_TOLERANCE,
      `text ${i}: ${maxAbsDiff(single, batch[i])}`,
    );
  }
});

test('a text sharing words with the query ranks above an unrelated one', async () => {
  const [query, related, unrelated] = await embedder.embed([
    'black leather wallet for men',
    'men leather wallet, black',
    'organic green tea in a glass bottle',
  ]);
  const relatedScore = cosineScoreFloat64(query, [related], false);
  const unrelatedScore = cosineScoreFloat64(query, [unrelated], false);
  assert.ok(
    relatedScore > unrelatedScore,
    `related ${relatedScore} <= unrelated ${unrelatedScore}`,
  );
});

test('an empty list embeds to an empty list; odd text still embeds', async () => {
  assert.deepEqual(await embedder.embed([]), []);
  const [v] = await embedder.embed(['Größe 42 — ünïcödé & emoji 👍 not in the vocab']);
  assert.equal(v.length, 64);
  assert.ok(v.every(Number.isFinite));
});

test('96 short texts in one batch (latency reported as a diagnostic)', async (t) => {
  const texts = Array.from(
    { length: 96 },
    (_, i) => `new ${['red', 'blue', 'black'][i % 3]} cotton shirt size ${i}`,
  );
  const started = performance.now();
  const vectors = await embedder.embed(texts);
  const ms = performance.now() - started;
  t.diagnostic(`96 texts embedded in ${ms.toFixed(1)} ms`);
  assert.equal(vectors.length, 96);
});

test('loading again (also by a relative path) reuses the loaded model', async () => {
  const again: EmbedLoadProgress[] = [];
  const relative = path.relative(process.cwd(), folder);
  const second = await loadEmbedder(relative, { onProgress: (p) => again.push(p) });
  try {
    assert.equal(second.modelId, folder);
    assert.equal(again.length, 0, 'a memoised load should not touch the files again');
    assert.deepEqual(await second.embed(TEXTS), await embedder.embed(TEXTS));
  } finally {
    await second.dispose();
  }
  // Disposing one handle leaves the other usable.
  assert.equal((await embedder.embed(['still works'])).length, 1);
});

test('a hub id with remote access disabled fails with a clear message, without network', async () => {
  const emptyCache = fs.mkdtempSync(path.join(tempRoot, 'cache-'));
  await assert.rejects(
    loadEmbedder(DEFAULT_EMBED_MODEL, { allowRemote: false, cacheDir: emptyCache }),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /Could not load embedding model "Xenova\/all-MiniLM-L6-v2"/);
      assert.match(error.message, /remote downloads are disabled\.$/);
      // Where to give a local copy depends on the caller and the surface: they say it, once.
      assert.doesNotMatch(error.message, /--embed-model|To fix/);
      return true;
    },
  );
});

test('a folder missing files names them; a missing folder says so', async () => {
  const partial = path.join(tempRoot, 'partial');
  fs.mkdirSync(partial);
  fs.copyFileSync(path.join(folder, 'config.json'), path.join(partial, 'config.json'));
  fs.copyFileSync(path.join(folder, 'tokenizer.json'), path.join(partial, 'tokenizer.json'));
  await assert.rejects(loadEmbedder(partial), /missing tokenizer_config\.json, onnx\/model\.onnx/);
  await assert.rejects(loadEmbedder(path.join(tempRoot, 'nope')), {
    message: /^Could not load embedding model ".*nope": folder .*nope does not exist\.$/,
  });
});

test('the fixture is byte-identical on every build and is not rewritten when current', () => {
  const other = buildTinyBertFixture(path.join(tempRoot, 'tiny-bert-2'));
  const files = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'];
  for (const f of files) {
    assert.ok(
      fs.readFileSync(path.join(other, f)).equals(fs.readFileSync(path.join(folder, f))),
      f,
    );
  }
  const model = path.join(folder, 'onnx', 'model.onnx');
  const originalMtime = fs.statSync(model).mtimeMs;
  fs.utimesSync(model, new Date(0), new Date(0));
  buildTinyBertFixture(folder);
  assert.equal(fs.statSync(model).mtimeMs, 0, 'an up-to-date file was rewritten');
  fs.utimesSync(model, new Date(originalMtime), new Date(originalMtime));
});

test('a disposed handle refuses to embed', async () => {
  const handle = await loadEmbedder(folder);
  await handle.dispose();
  await assert.rejects(handle.embed(['x']), /disposed/);
});
