/**
 * The MCPO log's line for a failed question names the attempts once: the endpoint's error already
 * ends with "after 5 attempts", which the line used to repeat as "(after 5 attempts)".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failedQuestionLine } from '../../../server/lsp/runs';
import { buildRunConfig } from '../../../server/runs/startRun';
import type { RunRecord } from '../../../server/runs/runTypes';
import { SAMPLE_FILE } from '../../support/sample';

function failed(message: string, attempts: number): RunRecord {
  return {
    index: 32,
    task_name: 'task7',
    status: 'failed',
    error: { stage: 'answer', message, attempts },
  } as unknown as RunRecord;
}

test('a failed question line says "after N attempts" once', async () => {
  const config = await buildRunConfig({
    data: SAMPLE_FILE,
    llm: { url: 'http://127.0.0.1:8000/v1', model: 'test-model' },
  });
  const down = failedQuestionLine(
    config,
    failed(
      'test-model@127.0.0.1:8000: connection failed (Connection error.: fetch failed) after 5 attempts',
      5,
    ),
  );
  assert.equal(down.match(/after 5 attempts/g)?.length, 1, down);
  assert.match(down, /^run \S+: Q33 \(task7\) failed at answer on test-model@127\.0\.0\.1:8000: /);
  // A message that does not say it gets the count, in words that fit it.
  assert.match(failedQuestionLine(config, failed('refused', 1)), /refused \(after 1 attempt\)$/);
  assert.match(failedQuestionLine(config, failed('refused', 3)), /refused \(after 3 attempts\)$/);
});
