/**
 * Scoring never holds back requests: a question frees its endpoint slot once its answer is in,
 * so the next questions' requests go out while earlier answers are still being scored (in the
 * engine worker, perhaps behind a model load). Asserted on the test server's request log and the
 * run's records, never on timing: the scorer here does not finish until the test lets it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadDataset } from '../../../server/dataset/load';
import { createClient } from '../../../server/llm/createClient';
import { runQuestions } from '../../../server/runs/runner';
import { RunStore } from '../../../server/runs/runStore';
import { buildRunConfig } from '../../../server/runs/startRun';
import type { SampleInput, SampleScore } from '../../../server/scoring/evaluate';
import { scoreSamples } from '../../../server/scoring/evaluate';
import { startOpenAiTestServer } from '../../support/openaiTestServer';
import { plainRunOptions } from '../../support/plainRun';
import { repoRoot } from '../../support/paths';
import { tempDir } from '../../support/tempDirs';

const DATA = path.join(repoRoot, 'server', 'dataset', 'sample', 'shopbench-dev.jsonl');
const QUESTIONS = 8;
const CONCURRENCY = 2;

test('every answer request goes out while the scorer has not finished any answer', async (t) => {
  const server = await startOpenAiTestServer({ models: ['m'], answer: () => '1' });
  t.after(() => server.close());
  const dir = tempDir('mcpo-overlap-');
  const config = await buildRunConfig(plainRunOptions(DATA, server.baseUrl, CONCURRENCY));
  const store = RunStore.create(path.join(dir, 'run'), config);
  t.after(() => store.close());
  const rows = (await loadDataset(DATA)).rows
    .filter((r) => !r.row.metric.includes('sent-transformer') && r.row.metric !== 'jp-bleu')
    .slice(0, QUESTIONS);

  // A scorer that takes as long as the test wants: every call waits for `finishScoring`.
  let finishScoring!: () => void;
  const scoringMayFinish = new Promise<void>((resolve) => (finishScoring = resolve));
  const scored: number[] = [];
  const score = async (samples: SampleInput[]): Promise<SampleScore[]> => {
    scored.push(...samples.map((s) => s.index));
    await scoringMayFinish;
    return scoreSamples(samples);
  };

  const run = runQuestions(rows, {
    store,
    llm: createClient(config.llm, {}),
    score,
  });
  // Were slots held until scoring ended, only the questions the runner keeps in flight (twice
  // the slots) would ever be asked.
  await server.waitForRequests(QUESTIONS, 30_000);
  const answers = server.requests.filter((r) => r.method === 'POST');
  assert.equal(answers.length, QUESTIONS);
  assert.ok(server.maxInFlight <= CONCURRENCY, `at most ${CONCURRENCY} requests at once`);
  assert.equal(store.records.size, 0, 'no question is recorded before its score');
  finishScoring();
  const outcome = await run;
  assert.deepEqual(outcome, { done: QUESTIONS, failed: 0, cancelled: false });
  assert.deepEqual(
    [...scored].sort((a, b) => a - b),
    rows.map((r) => r.index),
  );
  assert.equal(store.records.size, QUESTIONS);
});
