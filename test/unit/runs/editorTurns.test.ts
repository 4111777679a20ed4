/**
 * Starting a run does not hold the event loop: the questions start one turn apart, so an editor
 * request arriving as a run starts (a hover, a cancel in the language server) is served between
 * them instead of after every first question's prompt, cache key and request has been built.
 * Asserted on order, not time: an I/O-phase callback queued as the run starts must run before
 * the last of the first questions reaches the model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadDataset } from '../../../server/dataset/load';
import type { LlmClient, LlmResponse } from '../../../server/llm/types';
import { runQuestions } from '../../../server/runs/runner';
import { RunStore } from '../../../server/runs/runStore';
import { buildRunConfig } from '../../../server/runs/startRun';
import { scoreSamples } from '../../../server/scoring/evaluate';
import { plainRunOptions } from '../../support/plainRun';
import { SAMPLE_FILE } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';

const CONCURRENCY = 4;

/** A plain run's store and 4 waves of multiple-choice rows, for a runner with a fake model. */
async function plainRun(t: { after: (fn: () => void) => void }) {
  const config = await buildRunConfig(
    plainRunOptions(SAMPLE_FILE, 'http://unused/v1', CONCURRENCY),
  );
  const store = RunStore.create(path.join(tempDir('mcpo-turns-'), 'run'), config);
  t.after(() => store.close());
  const rows = (await loadDataset(SAMPLE_FILE)).rows
    .filter((r) => r.row.task_type === 'multiple-choice')
    .slice(0, 4 * CONCURRENCY);
  return { config, store, rows };
}

/** A model that counts its questions (`onAsk`) and holds every answer until `answer()`. */
function heldModel(endpoint: LlmClient['endpoint'], onAsk: () => void) {
  let answer!: () => void;
  const answersMayCome = new Promise<void>((resolve) => (answer = resolve));
  const llm: LlmClient = {
    endpoint,
    label: 'fake',
    check: () => Promise.resolve(),
    async complete(): Promise<LlmResponse> {
      onAsk();
      await answersMayCome;
      return { text: '1', cached: false, attempts: 1, latencyMs: 0 };
    },
  };
  return { llm, answer };
}

test('an editor request that arrives as a run starts is served before all first questions are sent', async (t) => {
  const { config, store, rows } = await plainRun(t);

  const events: string[] = [];
  // Every question the runner starts at once (twice the slots) asks the model.
  const firstWave = 2 * CONCURRENCY;
  let firstWaveAsked!: () => void;
  const asked = new Promise<void>((resolve) => (firstWaveAsked = resolve));
  const { llm, answer } = heldModel(config.llm, () => {
    events.push('question');
    if (events.filter((e) => e === 'question').length === firstWave) firstWaveAsked();
  });
  const run = runQuestions(rows, { store, llm, score: (samples) => scoreSamples(samples) });
  // What an editor request's arrival looks like to the event loop: a callback after pending I/O.
  setImmediate(() => events.push('editor'));
  await asked;
  const editorAt = events.indexOf('editor');
  assert.ok(
    editorAt >= 0 && editorAt < firstWave,
    `the editor's turn came at ${editorAt} of ${events.join(',')}`,
  );
  answer();
  const outcome = await run;
  assert.deepEqual(outcome, { done: rows.length, failed: 0, cancelled: false });
});

test('onFirstWave comes once, after every question of the first wave has asked its model and before any answer', async (t) => {
  const { config, store, rows } = await plainRun(t);
  let asked = 0;
  let written = 0;
  const atFirstWave: { asked: number; written: number }[] = [];
  const { llm, answer } = heldModel(config.llm, () => asked++);
  const run = runQuestions(rows, {
    store,
    llm,
    score: (samples) => scoreSamples(samples),
    onRecord: () => written++,
    onFirstWave: () => {
      atFirstWave.push({ asked, written });
      answer();
    },
  });
  const outcome = await run;
  assert.deepEqual(atFirstWave, [{ asked: 2 * CONCURRENCY, written: 0 }]);
  assert.deepEqual(outcome, { done: rows.length, failed: 0, cancelled: false });
});
