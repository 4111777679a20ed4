/**
 * The scorers a run's rows need load as soon as the first request goes to the model, not when the
 * first answer that needs them arrives (a jp-bleu row in the last wave used to wait ~100 ms for
 * the Japanese dictionary after every request was answered). Asserted on events: the dictionary's
 * cache file appears while the only answer is still held by the test server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildRunConfig, executeRun } from '../../../server/runs/startRun';
import { closeEnginePool } from '../../../server/workers/enginePool';
import { startOpenAiTestServer } from '../../support/openaiTestServer';
import { plainRunOptions } from '../../support/plainRun';
import { writeSampleLines } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';

/**
 * Resolves when `dir` holds a file (it may already): fs.watch, no polling. Rejects after
 * `timeoutMs` so that a missing warm-up fails the test instead of hanging it.
 */
function firstFileIn(dir: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const watcher = fs.watch(dir);
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`nothing was written to ${dir} within ${timeoutMs} ms`));
    }, timeoutMs);
    const check = (): void => {
      const [file] = fs.readdirSync(dir).filter((f) => !f.includes('.tmp'));
      if (file === undefined) return;
      clearTimeout(timer);
      watcher.close();
      resolve(file);
    };
    watcher.on('change', check);
    check();
  });
}

test('the first request that goes to the model starts loading the Japanese dictionary, before any answer is in', async (t) => {
  const modelCache = tempDir('mcpo-warm-models-');
  const dictionaries = path.join(modelCache, 'dictionaries');
  fs.mkdirSync(dictionaries);
  const saved = process.env.MCPO_MODEL_CACHE;
  process.env.MCPO_MODEL_CACHE = modelCache;
  // The next worker thread starts with this (empty) model cache.
  await closeEnginePool();
  t.after(async () => {
    if (saved === undefined) delete process.env.MCPO_MODEL_CACHE;
    else process.env.MCPO_MODEL_CACHE = saved;
    await closeEnginePool();
  });
  const dir = tempDir('mcpo-warm-');
  const data = path.join(dir, 'jp.jsonl');
  const jp = writeSampleLines(data, '"jp-bleu"');
  assert.equal(jp.length, 1, 'the sample has one jp-bleu row');

  const server = await startOpenAiTestServer({ models: ['m'], answer: () => '日本語の回答です' });
  t.after(() => server.close());
  const release = server.hold();
  const config = await buildRunConfig(plainRunOptions(data, server.baseUrl, 1));
  const run = executeRun(config, undefined, path.join(dir, 'runs'), {
    cacheDir: path.join(dir, 'cache'),
  });
  const built = await firstFileIn(dictionaries).catch((err: Error) => {
    release();
    throw err;
  });
  assert.match(built, /^kuromoji-ipadic-.*\.bin$/);
  assert.equal(server.requests.filter((r) => r.method === 'POST').length, 1);
  assert.equal(server.inFlight, 1, 'the answer is still held');
  release();
  const result = await run;
  assert.equal(result.done, 1);
  assert.equal(result.failed, 0);
});
