import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DICTIONARY_FORMAT_VERSION,
  deserializeDictionary,
  dictionaryCacheFile,
  loadCompactDictionary,
  serializeDictionary,
  type CompactDictionary,
} from '../../../server/scoring/official/japaneseDictionary';
import {
  japaneseTokenizerFrom,
  loadJapaneseDictionary,
} from '../../../server/scoring/official/japaneseTokenizer';

/** A small dictionary with odd-length Int16 sections, so alignment padding is exercised. */
function tinyDictionary(seed = 1): CompactDictionary {
  return {
    base: Int32Array.from([1, -5, 7 * seed, 0]),
    check: Int32Array.from([-1, 0, 0, 2]),
    wordStart: Int32Array.from([0, 1, 1]),
    wordEntries: Int16Array.from([3, 4, -300]),
    unknownStart: Int32Array.from([0, 1]),
    unknownEntries: Int16Array.from([5, 6, 32767]),
    connectionCosts: Int16Array.from([1, 1, -32768]),
  };
}

function assertSameDictionary(actual: CompactDictionary, expected: CompactDictionary): void {
  for (const key of Object.keys(expected) as (keyof CompactDictionary)[]) {
    assert.equal(actual[key].constructor, expected[key].constructor, key);
    assert.deepEqual(Array.from(actual[key]), Array.from(expected[key]), key);
  }
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-dict-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the compact dictionary round-trips through its file format', () => {
  const dict = tinyDictionary();
  const bytes = serializeDictionary(dict);
  assert.equal(bytes.byteLength % 4, 0);
  assertSameDictionary(deserializeDictionary(bytes)!, dict);
});

test('a damaged or other-format cache file is not read as a dictionary', () => {
  const bytes = serializeDictionary(tinyDictionary());
  assert.equal(deserializeDictionary(bytes.slice(0, bytes.byteLength - 4)), undefined);
  assert.equal(deserializeDictionary(new Uint8Array(8)), undefined);
  const otherFormat = bytes.slice();
  new Int32Array(otherFormat.buffer)[1] = DICTIONARY_FORMAT_VERSION + 1;
  assert.equal(deserializeDictionary(otherFormat), undefined);
});

test('the dictionary is built once, read from the cache after, and rebuilt for a new version', async (t) => {
  const cacheDir = tempDir(t);
  let builds = 0;
  const build = async (): Promise<CompactDictionary> => tinyDictionary(++builds);
  const options = { cacheDir, dictionaryVersion: '0.1.2', categoryCount: 1, build };

  const first = await loadCompactDictionary(options);
  assert.equal(first.built, true);
  assert.equal(first.file, dictionaryCacheFile(options));
  assert.ok(
    first.file.includes('0.1.2') && first.file.includes(`format${DICTIONARY_FORMAT_VERSION}`),
  );
  assert.ok(fs.existsSync(first.file));

  const second = await loadCompactDictionary(options);
  assert.equal(second.built, false);
  assert.equal(builds, 1);
  assertSameDictionary(second.dictionary, tinyDictionary(1));

  const upgraded = await loadCompactDictionary({ ...options, dictionaryVersion: '0.1.3' });
  assert.equal(upgraded.built, true);
  assert.notEqual(upgraded.file, first.file);
  assertSameDictionary(upgraded.dictionary, tinyDictionary(2));

  fs.writeFileSync(first.file, 'not a dictionary');
  const repaired = await loadCompactDictionary(options);
  assert.equal(repaired.built, true);
  assertSameDictionary((await loadCompactDictionary(options)).dictionary, tinyDictionary(3));
});

test('the tokenizer segments the same from a freshly built and from a cached dictionary', async (t) => {
  const cacheDir = tempDir(t);
  const built = await loadJapaneseDictionary({ cacheDir });
  const cached = await loadJapaneseDictionary({ cacheDir });
  assert.notEqual(cached, built);
  assertSameDictionary(cached, built);
  const a = japaneseTokenizerFrom(built);
  const b = japaneseTokenizerFrom(cached);
  for (const text of [
    'すもももももももものうち',
    '閺柫馸ー訔赭厽鵁詟鼱長渕上都賀病院',
    'rd見入りゃ案の定　 小・中学生',
  ])
    assert.equal(b.tokenize(text), a.tokenize(text));
  assert.equal(a.tokenize('すもももももももものうち'), 'すもも も もも も もも の うち');
});
