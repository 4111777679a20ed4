/**
 * The lean mirror of an embedding model (weights moved to onnx/model.onnx_data): the same
 * vectors as the model's own files, made once per model file, and never in the way when
 * something is off (the model then loads as it is).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEmbedder } from '../../../server/embed/embedder';
import { LEAN_WEIGHTS_FOLDER, leanModelFolder } from '../../../server/embed/leanWeights';
import { buildTinyBertFixture } from '../../support/tinyBertFixture';
import { tempDir } from '../../support/tempDirs';

const TEXTS = ['a red running shoe', 'ワイヤレスイヤホン', 'garden hose, 15 m'];

function fixture(): { folder: string; cache: string } {
  const root = tempDir('mcpo-lean-');
  return {
    folder: buildTinyBertFixture(path.join(root, 'model')),
    cache: path.join(root, 'cache'),
  };
}

test('the mirror gives the same vectors as the model, with its weights in model.onnx_data', async (t) => {
  const { folder, cache } = fixture();
  const mirror = leanModelFolder(folder, cache, 0);
  assert.ok(mirror !== undefined, 'a mirror is made');
  const original = fs.statSync(path.join(folder, 'onnx', 'model.onnx')).size;
  const graph = fs.statSync(path.join(mirror, 'onnx', 'model.onnx')).size;
  const data = fs.statSync(path.join(mirror, 'onnx', 'model.onnx_data')).size;
  assert.ok(graph < original / 4, `graph ${graph} bytes of ${original}`);
  assert.ok(data > (original * 3) / 4, `weights ${data} bytes of ${original}`);
  // Every other file is the model's own.
  assert.equal(
    fs.realpathSync(path.join(mirror, 'tokenizer.json')),
    fs.realpathSync(path.join(folder, 'tokenizer.json')),
  );

  const [fromModel, fromMirror] = await Promise.all([loadEmbedder(folder), loadEmbedder(mirror)]);
  t.after(async () => {
    await fromModel.dispose();
    await fromMirror.dispose();
  });
  assert.deepEqual(await fromMirror.embed(TEXTS), await fromModel.embed(TEXTS));
});

test('the mirror is made once per model file, and again when the file changes', () => {
  const { folder, cache } = fixture();
  const first = leanModelFolder(folder, cache, 0)!;
  const madeAt = fs.statSync(path.join(first, 'onnx', 'model.onnx')).mtimeMs;
  assert.equal(leanModelFolder(folder, cache, 0), first);
  assert.equal(fs.statSync(path.join(first, 'onnx', 'model.onnx')).mtimeMs, madeAt);

  const model = path.join(folder, 'onnx', 'model.onnx');
  const later = new Date(Date.now() + 60_000);
  fs.utimesSync(model, later, later);
  const second = leanModelFolder(folder, cache, 0);
  assert.ok(second !== undefined && second !== first, 'a changed model gets a new mirror');
});

test('small models, unreadable models and missing ones load as they are, leaving nothing behind', () => {
  const { folder, cache } = fixture();
  assert.equal(leanModelFolder(folder, cache), undefined, 'the tiny fixture is under the size');
  fs.writeFileSync(path.join(folder, 'onnx', 'model.onnx'), Buffer.from([0x0a, 0xff, 0xff]));
  assert.equal(leanModelFolder(folder, cache, 0), undefined);
  assert.equal(leanModelFolder(path.join(folder, 'nope'), cache, 0), undefined);
  const lean = path.join(cache, LEAN_WEIGHTS_FOLDER);
  assert.deepEqual(fs.existsSync(lean) ? fs.readdirSync(lean) : [], []);
});
