/** The on-disk response cache: stable keys, the append-only log, damage tolerance, the older layout. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RESPONSE_LOG, ResponseCache, canonicalJson } from '../../../server/llm/responseCache';

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

test('put then get round-trips; one append-only log holds every answer and the last line of a key wins', async (t) => {
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
  assert.deepEqual(await new ResponseCache(dir).get(key), value);
  assert.deepEqual(await fs.readdir(dir), [RESPONSE_LOG]);
  await cache.put(key, { text: 'only text' });
  assert.deepEqual(await cache.get(key), { text: 'only text' });
  assert.deepEqual(await new ResponseCache(dir).get(key), { text: 'only text' });
  const lines = (await fs.readFile(path.join(dir, RESPONSE_LOG), 'utf8')).split('\n');
  assert.equal(lines.length, 3); // two entries and the final newline
  assert.equal((JSON.parse(lines[0]) as { key: string }).key, key);
});

test('answers put in the same turn go out in one write, each on its own line', async (t) => {
  const { cache, dir } = await tempCache(t);
  const keys = Array.from({ length: 10 }, (_, i) => cache.key(`q${i}`));
  await Promise.all(keys.map((k, i) => cache.put(k, { text: `v${i}` })));
  const reader = new ResponseCache(dir);
  for (const [i, k] of keys.entries()) assert.deepEqual(await reader.get(k), { text: `v${i}` });
  const text = await fs.readFile(path.join(dir, RESPONSE_LOG), 'utf8');
  assert.equal(text.split('\n').length, 11);
});

test('damaged, partial or wrongly shaped lines are misses; a write after a partial line starts a new one', async (t) => {
  const { cache, dir } = await tempCache(t);
  const key = cache.key('k');
  const log = path.join(dir, RESPONSE_LOG);
  for (const line of [
    '{"key": "' + key + '", "text": "half',
    'null',
    '[]',
    `{"key":"${key}","text":5}`,
    `{"key":"${key}","text":"x","usage":{"prompt_tokens":"1"}}`,
    `{"key":"${key}","text":"x","finishReason":1}`,
    `{"key":"${key}","text":"x","storedAt":"now"}`,
    `{"key":"../../etc/passwd","text":"x"}`,
    '\u0000\u0001',
  ]) {
    await fs.writeFile(log, `${line}\n`);
    assert.equal(await new ResponseCache(dir).get(key), undefined, line);
  }
  // A process killed mid-write leaves a line without its newline.
  await fs.writeFile(log, `{"key":"${key}","text":"cut sh`);
  assert.equal(await new ResponseCache(dir).get(key), undefined);
  await cache.put(key, { text: 'good' });
  assert.deepEqual(await new ResponseCache(dir).get(key), { text: 'good' });
  assert.equal((await fs.readFile(log, 'utf8')).split('\n').length, 3);
});

test('an existing cache sees what another process appended since it was read', async (t) => {
  const { dir } = await tempCache(t);
  const reader = new ResponseCache(dir, { refreshMs: 0 });
  const key = reader.key('later');
  assert.equal(await reader.get(key), undefined);
  await new ResponseCache(dir).put(key, { text: 'from elsewhere' });
  assert.deepEqual(await reader.get(key), { text: 'from elsewhere' });
});

test('preload indexes the log at once, not at the first lookup; a missing log is no error', async (t) => {
  const { dir } = await tempCache(t);
  const writer = new ResponseCache(dir);
  const early = writer.key('early');
  await writer.put(early, { text: 'before the preload' });
  // Refreshes are not due for a minute: what the index holds is what was read when it was built.
  const preloaded = new ResponseCache(dir, { refreshMs: 60_000 });
  const lazy = new ResponseCache(dir, { refreshMs: 60_000 });
  await preloaded.preload();
  const late = writer.key('late');
  await writer.put(late, { text: 'after the preload' });
  assert.deepEqual(await preloaded.get(early), { text: 'before the preload' });
  assert.equal(await preloaded.get(late), undefined, 'indexed before the line was written');
  assert.deepEqual(await lazy.get(late), { text: 'after the preload' }, 'indexed at first lookup');
  const empty = new ResponseCache(path.join(dir, 'no-such-folder'));
  await empty.preload();
  assert.equal(await empty.get(early), undefined);
});

test('entries of the older one-file-per-answer layout are still read', async (t) => {
  const { cache, dir } = await tempCache(t);
  const key = cache.key('old');
  await fs.mkdir(path.join(dir, key.slice(0, 2)));
  await fs.writeFile(
    path.join(dir, key.slice(0, 2), `${key}.json`),
    JSON.stringify({ text: 'kept', storedAt: 1 }),
  );
  assert.deepEqual(await cache.get(key), { text: 'kept' });
  assert.equal(await new ResponseCache(dir, { replayFrom: 2 }).get(key), undefined);
});

test('keys that are not sha256 hex are refused, so nothing escapes the directory', async () => {
  const cache = new ResponseCache('/unused');
  await assert.rejects(cache.get('../../etc/passwd'), /invalid cache key/);
  await assert.rejects(cache.put('../x', { text: '' }), /invalid cache key/);
});

test('onMiss is told of each miss (a request about to go out), never of a hit', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpo-response-cache-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  let misses = 0;
  const cache = new ResponseCache(dir, { replayFrom: Date.now(), onMiss: () => misses++ });
  // An answer stored long before the replay time, as `--no-cache` finds it.
  const old = cache.key({ prompt: 'stored before the replay time' });
  await fs.writeFile(
    path.join(dir, RESPONSE_LOG),
    `${JSON.stringify({ key: old, text: 'old', storedAt: 1 })}\n`,
  );
  const key = cache.key({ prompt: 'new' });
  assert.equal(await cache.get(key), undefined);
  assert.equal(misses, 1);
  await cache.put(key, { text: 'fresh' });
  assert.deepEqual(await cache.get(key), { text: 'fresh' });
  assert.equal(misses, 1, 'a hit is not a miss');
  assert.equal(await cache.get(old), undefined, 'stored before replayFrom: asked again');
  assert.equal(misses, 2);
});
