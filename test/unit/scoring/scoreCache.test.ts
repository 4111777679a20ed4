import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ShopBenchRow } from '../../../server/dataset/shopbench';
import type { SampleScore } from '../../../server/scoring/evaluate';
import { ScoreCache } from '../../../server/scoring/scoreCache';
import { buildRunConfig, executeRun } from '../../../server/runs/startRun';
import type { RunRecord } from '../../../server/runs/runTypes';
import { closeEnginePool } from '../../../server/workers/enginePool';
import { startOpenAiTestServer } from '../../support/openaiTestServer';
import { SAMPLE_FILE } from '../../support/sample';

test.after(() => closeEnginePool());

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-scores-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const ROW: ShopBenchRow = {
  input_field: 'Translate: hello',
  output_field: 'こんにちは',
  task_name: 't',
  task_type: 'generation',
  metric: 'jp-bleu',
};

function scored(score: SampleScore['score'], extra: Partial<SampleScore> = {}): SampleScore {
  return {
    index: 0,
    task_name: 't',
    task_type: 'generation',
    metric: 'jp-bleu',
    parsed: 'こんにちは',
    score,
    dtype: 'float64',
    warnings: ['w'],
    ...extra,
  };
}

test('stored scores are found again by a new cache over the same folder', async (t) => {
  const dir = tempDir(t);
  const key = ScoreCache.key(ROW, 'こんにちは', {});
  const cache = new ScoreCache(dir);
  cache.put(key, scored(1.0000000000000004));
  await cache.flushed();
  assert.deepEqual(new ScoreCache(dir).get(key), {
    parsed: 'こんにちは',
    score: 1.0000000000000004,
    dtype: 'float64',
    warnings: ['w'],
  });
  // Another response, truth or scoring model is another key.
  assert.notEqual(ScoreCache.key(ROW, 'こんにちは ', {}), key);
  assert.notEqual(ScoreCache.key({ ...ROW, output_field: 'さようなら' }, 'こんにちは', {}), key);
  const embedRow: ShopBenchRow = { ...ROW, metric: 'sent-transformer' };
  assert.notEqual(
    ScoreCache.key(embedRow, 'x', { embedModel: 'a' }),
    ScoreCache.key(embedRow, 'x', { embedModel: 'b' }),
  );
});

test('unscored rows and values JSON cannot carry are not stored; a damaged line is skipped and the next score starts a new line', async (t) => {
  const dir = tempDir(t);
  const cache = new ScoreCache(dir);
  cache.put('error', scored(null, { error: 'no model' }));
  cache.put('nan', scored(Number.NaN));
  cache.put('ok', scored(0.5));
  await cache.flushed();
  const file = fs.readdirSync(dir).map((f) => path.join(dir, f))[0];
  fs.appendFileSync(file, '{"key": "cut sho');
  const again = new ScoreCache(dir);
  assert.equal(again.get('error'), undefined);
  assert.equal(again.get('nan'), undefined);
  assert.equal(again.get('ok')?.score, 0.5);
  again.put('later', scored(0.25));
  await again.flushed();
  assert.equal(new ScoreCache(dir).get('later')?.score, 0.25);
  assert.equal(new ScoreCache(dir).get('ok')?.score, 0.5);
});

test('a cached re-run reuses the stored score of every unchanged answer and scores changed ones', async (t) => {
  const dir = tempDir(t);
  let reply = '1';
  const server = await startOpenAiTestServer({
    answer: () => reply,
  });
  t.after(() => server.close());
  const run = async (): Promise<RunRecord[]> => {
    const config = await buildRunConfig({
      data: SAMPLE_FILE,
      llm: { url: server.baseUrl, model: 'test-model', concurrency: 4 },
      templates: 'none',
      limit: 96,
    });
    const result = await executeRun(config, undefined, path.join(dir, 'runs'), {
      cacheDir: path.join(dir, 'cache'),
    });
    return fs
      .readFileSync(path.join(result.dir, 'records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RunRecord);
  };
  const first = await run();
  const jp = first.find((r) => r.metric === 'jp-bleu' && typeof r.score === 'number');
  const accuracy = first.find((r) => r.metric === 'accuracy');
  assert.ok(jp && accuracy);

  // Mark every stored score, so a reused one can be told from a recomputed one.
  const scoresFile = path.join(
    dir,
    'cache',
    fs.readdirSync(path.join(dir, 'cache')).find((f) => f.startsWith('scores'))!,
  );
  const lines = fs.readFileSync(scoresFile, 'utf8').trim().split('\n');
  fs.writeFileSync(
    scoresFile,
    lines
      .map((l) => JSON.stringify({ ...(JSON.parse(l) as object), warnings: ['from the cache'] }))
      .join('\n') + '\n',
  );
  const requestsBefore = server.requests.length;
  const second = await run();
  assert.equal(server.requests.length, requestsBefore + 1, 'only the endpoint check');
  const byIndex = new Map(second.map((r) => [r.index, r]));
  for (const r of first) {
    if (r.score === null) continue;
    assert.deepEqual(byIndex.get(r.index)?.warnings, ['from the cache'], `row ${r.index}`);
    assert.deepEqual(byIndex.get(r.index)?.score, r.score);
  }

  // A changed response is scored again (and its warnings are the scorer's own): the server now
  // answers differently and the cached responses are gone, the stored scores are not.
  reply = '2';
  for (const f of fs.readdirSync(path.join(dir, 'cache')))
    if (path.join(dir, 'cache', f) !== scoresFile)
      fs.rmSync(path.join(dir, 'cache', f), { recursive: true });
  const third = await run();
  const jpAgain = third.find((r) => r.index === jp.index)!;
  assert.notDeepEqual(jpAgain.warnings, ['from the cache']);
  assert.equal(jpAgain.response, '2');
});
