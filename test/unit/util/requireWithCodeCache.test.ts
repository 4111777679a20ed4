/**
 * requireWithCodeCache: the file runs as a CommonJS module would, the first load writes a V8 code
 * cache that the next load uses, a cache V8 rejects or cannot write never fails the load, and a
 * rebuilt file never meets the cache of the old one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { codeCacheFile, requireWithCodeCache } from '../../../server/util/requireWithCodeCache';
import { tempDir } from '../../support/tempDirs';

function moduleFolder(source: string): { dir: string; file: string } {
  const dir = tempDir('mcpo-code-cache-');
  fs.writeFileSync(path.join(dir, 'sibling.js'), 'module.exports = 41;\n');
  const file = path.join(dir, 'big.js');
  fs.writeFileSync(file, source);
  return { dir, file };
}

const SOURCE = `const sibling = require('./sibling');
exports.answer = sibling + 1;
exports.where = __dirname;
exports.name = __filename;
exports.same = this === module.exports;
`;

test('runs the file as a CommonJS module: its own require, __dirname, __filename and this', () => {
  const { dir, file } = moduleFolder(SOURCE);
  const loaded = requireWithCodeCache(file, path.join(dir, 'cache'));
  assert.deepEqual(loaded.exports, { answer: 42, where: dir, name: file, same: true });
});

test('the first load writes the cache, the next one uses it', () => {
  const { dir, file } = moduleFolder(SOURCE);
  const cacheDir = path.join(dir, 'cache');
  const first = requireWithCodeCache(file, cacheDir);
  assert.equal(first.cache, 'written');
  assert.ok(fs.statSync(first.cacheFile).size > 0);
  const second = requireWithCodeCache(file, cacheDir);
  assert.equal(second.cache, 'used');
  assert.equal(second.cacheFile, first.cacheFile);
  assert.deepEqual(second.exports, first.exports);
});

test('a cache V8 rejects (here: garbage) is replaced, and the module still loads', () => {
  const { dir, file } = moduleFolder(SOURCE);
  const cacheDir = path.join(dir, 'cache');
  const cacheFile = codeCacheFile(cacheDir, file, SOURCE);
  fs.mkdirSync(cacheDir);
  fs.writeFileSync(cacheFile, Buffer.alloc(4096, 7));
  const loaded = requireWithCodeCache(file, cacheDir);
  assert.equal(loaded.cache, 'rejected-and-written');
  assert.equal((loaded.exports as { answer: number }).answer, 42);
  assert.equal(requireWithCodeCache(file, cacheDir).cache, 'used');
});

test('a rebuilt file of the same length gets its own cache; the old one is removed', () => {
  const { dir, file } = moduleFolder(SOURCE);
  const cacheDir = path.join(dir, 'cache');
  const old = requireWithCodeCache(file, cacheDir);
  const rebuilt = SOURCE.replace('sibling + 1', 'sibling - 1');
  assert.equal(rebuilt.length, SOURCE.length);
  fs.writeFileSync(file, rebuilt);
  const loaded = requireWithCodeCache(file, cacheDir);
  assert.equal(loaded.cache, 'written');
  assert.notEqual(loaded.cacheFile, old.cacheFile);
  assert.equal((loaded.exports as { answer: number }).answer, 40);
  assert.deepEqual(fs.readdirSync(cacheDir), [path.basename(loaded.cacheFile)]);
});

test('a cache folder that cannot be written costs nothing but the cache', () => {
  const { dir, file } = moduleFolder(SOURCE);
  const notAFolder = path.join(dir, 'cache');
  fs.writeFileSync(notAFolder, 'a file where the cache folder would be');
  const loaded = requireWithCodeCache(file, notAFolder);
  assert.equal(loaded.cache, 'unwritable');
  assert.equal((loaded.exports as { answer: number }).answer, 42);
});
