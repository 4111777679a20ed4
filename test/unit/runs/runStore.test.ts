import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkEndpoints } from '../../../server/lsp/runQueries';
import { compareRunRecords } from '../../../server/runs/report';
import { RECORDS_FILE, RunStore } from '../../../server/runs/runStore';
import type { RunRecord } from '../../../server/runs/runTypes';
import { buildRunConfig } from '../../../server/runs/startRun';
import { SAMPLE_FILE } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';

test('readers never cut a partial last line (a writer may still be appending); resuming does', async () => {
  const dir = path.join(tempDir('mcpo-store-'), 'run');
  const config = await buildRunConfig({
    data: SAMPLE_FILE,
    llm: { url: 'http://127.0.0.1:9/v1', model: 'm' },
  });
  RunStore.create(dir, config).close();
  const file = path.join(dir, RECORDS_FILE);
  const record = {
    index: 0,
    task_name: 't',
    task_type: 'generation',
    metric: 'rougel',
    status: 'ok',
    stages: {},
    score: 1,
    warnings: [],
    timings: { totalMs: 1 },
  };
  fs.writeFileSync(file, `${JSON.stringify(record)}\n{"index": 1, "task_na`);
  const size = fs.statSync(file).size;
  assert.equal(RunStore.open(dir).records.size, 1);
  assert.equal(fs.statSync(file).size, size, 'a reader left the file as it was');
  assert.equal(RunStore.open(dir, { repair: true }).records.size, 1);
  assert.equal(
    fs.readFileSync(file, 'utf8'),
    `${JSON.stringify(record)}\n`,
    'the resuming writer cut the partial line',
  );
});

// Hub models (cached, will download, offline): test/unit/llm/localModelStatus.test.ts.
test('Check Endpoints: a local model file is healthy without being loaded; a missing .gguf is named', async () => {
  const settings = {
    embedModel: 'x',
    templates: 'paper',
    cot: 'off' as const,
    cotTaskTypes: [],
    similarityK: 0,
    constrained: false,
    runsDir: os.tmpdir(),
    cacheDir: os.tmpdir(),
  };
  const local = await checkEndpoints(
    {
      settings: {
        ...settings,
        llm: { url: 'local', model: __filename, mode: 'chat', concurrency: 1 },
      },
      secrets: {},
    },
    new AbortController().signal,
  );
  assert.equal(local.endpoints[0].ok, true);
  assert.match(
    local.endpoints[0].message,
    /local llama\.cpp model .*runStore\.test\.js \(loaded on the first run\)/,
  );
  const missing = await checkEndpoints(
    {
      settings: {
        ...settings,
        llm: { url: 'local', model: '/nope/model.gguf', mode: 'chat', concurrency: 1 },
      },
      secrets: {},
    },
    new AbortController().signal,
  );
  assert.equal(missing.endpoints[0].ok, false);
  assert.match(missing.endpoints[0].message, /\/nope\/model\.gguf does not exist/);
});

test('runs pair question by question on index, task and truth, not on the dataset file', () => {
  const rec = (index: number, task: string, truth: unknown, score: number) =>
    ({
      index,
      task_name: task,
      task_type: 'generation',
      metric: 'rougel',
      status: 'ok',
      truth,
      stages: {},
      score,
      warnings: [],
      timings: { totalMs: 1 },
    }) as RunRecord;
  const full = [rec(0, 't1', 'a', 0.2), rec(1, 't1', 'b', 0.4), rec(2, 't2', 'c', 0.6)];
  const oneRow = [rec(1, 't1', 'b', 0.9)];
  const c = compareRunRecords(full, oneRow, 50);
  assert.equal(c.paired, 1);
  assert.equal(c.mismatched, 0);
  assert.ok(Math.abs(c.differences.find((d) => d.scope === 'overall')!.delta! - 0.5) < 1e-12);
  const other = compareRunRecords(full, [rec(1, 't9', 'zzz', 0.9)], 50);
  assert.equal(other.paired, 0);
  assert.equal(other.mismatched, 1);
  assert.deepEqual(other.differences, []);
});
