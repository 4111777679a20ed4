/** The on-disk response cache: stable keys, layout, atomic writes, corruption tolerance. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ResponseCache, canonicalJson } from '../../../server/llm/responseCache';

async function tempCache(t: TestContext): Promise<{ cache: ResponseCache; dir: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpo-response-cache-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return { cache: new ResponseCache(dir), dir };
}

test('keys are sha256 of canonical JSON: key order never matters, values do', () => {
  const cache = new ResponseCache('/unused');
  const a = cache.key({
    model: 'm',
    sampling: { top_p: 1, temperature: 0 },
    list: [1, { b: 2, a: 1 }],
  });
  const b = cache.key({
    list: [1, { a: 1, b: 2 }],
    sampling: { temperature: 0, top_p: 1 },
    model: 'm',
  });
  assert.equal(a, b);
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.notEqual(
    a,
    cache.key({ model: 'm', sampling: { top_p: 1, temperature: 0.1 }, list: [1, { b: 2, a: 1 }] }),
  );
  assert.notEqual(cache.key([1, 2]), cache.key([2, 1]));
  assert.notEqual(cache.key('1'), cache.key(1));
  assert.equal(canonicalJson({ b: [true, null], a: 'x' }), '{"a":"x","b":[true,null]}');
});

test('put then get round-trips, stored at dir/ab/abcdef....json with no temp files left', async (t) => {
  const { cache, dir } = await tempCache(t);
  const key = cache.key({ prompt: 'hello' });
  assert.equal(await cache.get(key), undefined);
  const value = {
    text: 'answer',
    usage: { prompt_tokens: 3, completion_tokens: 1 },
    finishReason: 'stop',
  };
  await cache.put(key, value);
  assert.deepEqual(await cache.get(key), value);
  assert.deepEqual(await fs.readdir(dir), [key.slice(0, 2)]);
  assert.deepEqual(await fs.readdir(path.join(dir, key.slice(0, 2))), [`${key}.json`]);
  await cache.put(key, { text: 'only text' });
  assert.deepEqual(await cache.get(key), { text: 'only text' });
});

test('concurrent writers of one key leave one valid file', async (t) => {
  const { cache, dir } = await tempCache(t);
  const key = cache.key('same');
  await Promise.all(Array.from({ length: 10 }, (_, i) => cache.put(key, { text: `v${i}` })));
  const got = await cache.get(key);
  assert.match(got?.text ?? '', /^v\d$/);
  assert.deepEqual(await fs.readdir(path.join(dir, key.slice(0, 2))), [`${key}.json`]);
});

test('corrupt, partial, empty or wrongly shaped files are misses', async (t) => {
  const { cache } = await tempCache(t);
  const key = cache.key('k');
  await cache.put(key, { text: 'good' });
  const file = cache.pathFor(key);
  for (const content of [
    '',
    '{"text": "half',
    'null',
    '[]',
    '{"text": 5}',
    '{"text":"x","usage":{"prompt_tokens":"1"}}',
    '{"text":"x","finishReason":1}',
    '\u0000\u0001',
  ]) {
    await fs.writeFile(file, content);
    assert.equal(await cache.get(key), undefined, JSON.stringify(content));
  }
});

test('keys that are not sha256 hex are refused, so nothing escapes the directory', () => {
  const cache = new ResponseCache('/unused');
  assert.throws(() => cache.pathFor('../../etc/passwd'), /invalid cache key/);
});
