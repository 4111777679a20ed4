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
import type { LlmClient } from '../../../server/llm/types';
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

/** A model whose answers all arrive together, once the test opens the gate. */
function gatedModel(config: { llm: LlmClient['endpoint'] }): { llm: LlmClient; open: () => void } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const llm: LlmClient = {
    endpoint: config.llm,
    label: 'gated',
    check: async () => undefined,
    complete: async () => {
      await gate;
      return { text: '1', cached: false, attempts: 1, latencyMs: 0 };
    },
  };
  return { llm, open };
}

test('answers that arrive together are scored in one hand-off; a refused one fails alone', async (t) => {
  const dir = tempDir('mcpo-batch-');
  const config = await buildRunConfig(plainRunOptions(DATA, 'http://127.0.0.1:9/v1', QUESTIONS));
  const store = RunStore.create(path.join(dir, 'run'), config);
  t.after(() => store.close());
  const rows = (await loadDataset(DATA)).rows
    .filter((r) => !r.row.metric.includes('sent-transformer') && r.row.metric !== 'jp-bleu')
    .slice(0, QUESTIONS);
  const refused = rows[3].index;
  const calls: number[][] = [];
  const score = async (samples: SampleInput[]): Promise<SampleScore[]> => {
    calls.push(samples.map((s) => s.index));
    // As the official scorer does for an answer it cannot score: the whole call fails.
    if (samples.some((s) => s.index === refused)) throw new Error(`row ${refused + 1}: refused`);
    return scoreSamples(samples);
  };
  const model = gatedModel(config);
  const run = runQuestions(rows, { store, llm: model.llm, score });
  model.open();
  const outcome = await run;

  assert.deepEqual(
    calls[0],
    rows.map((r) => r.index),
    'the first hand-off holds every answer',
  );
  assert.equal(calls.length, 1 + QUESTIONS, 'then each answer of the refused batch alone');
  assert.deepEqual(outcome, { done: QUESTIONS - 1, failed: 1, cancelled: false });
  const failed = [...store.records.values()].filter((r) => r.status === 'failed');
  assert.deepEqual(
    failed.map((r) => [r.index, r.error?.stage, r.error?.message]),
    [[refused, 'score', `row ${refused + 1}: refused`]],
  );
});
