/**
 * Whether a vector model can load without a download: a run awaits M_V before its first question
 * only when it cannot (see executeRun), so this must not call a model on disk missing, nor a
 * model that needs the hub present.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  checkFolder,
  missingModelFiles,
  modelOnDisk,
  REQUIRED_MODEL_FILES,
} from '../../../server/embed/modelSource';
import { buildTinyBertFixture } from '../../support/tinyBertFixture';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-ondisk-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a complete model folder is on disk; one missing a file is not', (t) => {
  const dir = tempDir(t);
  const folder = buildTinyBertFixture(path.join(dir, 'mv'));
  const emptyCache = path.join(dir, 'cache');
  assert.equal(modelOnDisk(folder, emptyCache), true);
  fs.rmSync(path.join(folder, 'onnx', 'model.onnx'));
  assert.equal(modelOnDisk(folder, emptyCache), false);
});

test('a hub id is on disk once the model cache holds its files, and not before', (t) => {
  const cache = tempDir(t);
  const id = 'Snowflake/snowflake-arctic-embed-m';
  assert.equal(modelOnDisk(id, cache), false);
  for (const file of REQUIRED_MODEL_FILES) {
    fs.mkdirSync(path.dirname(path.join(cache, id, file)), { recursive: true });
    fs.writeFileSync(path.join(cache, id, file), '{}');
  }
  assert.equal(modelOnDisk(id, cache), true);
});

test('a path that does not exist is not on disk (its load reports why)', (t) => {
  const dir = tempDir(t);
  assert.equal(modelOnDisk(path.join(dir, 'no-such-model'), dir), false);
  assert.equal(modelOnDisk('./no-such-model', dir), false);
});

test('one check of the model files: modelOnDisk and checkFolder agree on what is missing', (t) => {
  const dir = tempDir(t);
  const folder = buildTinyBertFixture(path.join(dir, 'mv'));
  assert.deepEqual(missingModelFiles(folder), []);
  assert.doesNotThrow(() => checkFolder(folder));
  fs.rmSync(path.join(folder, 'tokenizer.json'));
  fs.rmSync(path.join(folder, 'onnx', 'model.onnx'));
  assert.deepEqual(missingModelFiles(folder), ['tokenizer.json', 'onnx/model.onnx']);
  assert.equal(modelOnDisk(folder, dir), false);
  assert.throws(() => checkFolder(folder), /missing tokenizer\.json, onnx\/model\.onnx in /);
  assert.deepEqual(missingModelFiles(path.join(dir, 'absent')), [...REQUIRED_MODEL_FILES]);
});
