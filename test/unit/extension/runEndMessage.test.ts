/**
 * The toast after a run counts every question it asked, says the failed ones are not scored, and
 * what the overall covers: "32 questions, 64 failed" read as 64 failed of 32.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as Format from '../../../extension/format';
import { loadSource } from '../panel/loadSource';

const { endpointDownMessage, runEndMessage } = loadSource<typeof Format>('extension/format.ts');

type Counts = Parameters<typeof runEndMessage>[0];

/** The message for these counts and overall: `inMean` questions in one scored task. */
function message(
  counts: Counts,
  overall: number | null,
  notScored = 'not scored',
  inMean = 0,
): string {
  const tasks = [
    {
      task_name: 'task2',
      task_type: 'multiple-choice' as const,
      metric: 'accuracy' as const,
      num_samples: inMean,
      score: overall,
    },
  ];
  return runEndMessage(counts, { overall, tasks, unscored: [] }, notScored);
}

test('C4: a run with failures says as the CLI does that they are not in the scores, and what the overall covers', () => {
  assert.equal(
    message({ done: 32, failed: 64, resumed: false }, 0.1, 'not scored', 32),
    'MCPO: 96 questions; Incomplete: 64 of 96 questions failed and are not in these scores; overall 0.1000 over the 32 scored.',
  );
  // A resume counts what it asked; the overall is the whole run's.
  assert.equal(
    message({ done: 60, failed: 4, resumed: true }, 0.1, 'not scored', 92),
    'MCPO: resumed, 64 questions; Incomplete: 4 of 64 questions failed and are not in these scores; overall 0.1000 over the 92 scored.',
  );
  assert.equal(
    message({ done: 0, failed: 3, resumed: false }, null),
    'MCPO: 3 questions; Incomplete: 3 of 3 questions failed and are not in these scores; not scored.',
  );
});

test('C4: answers that could not be scored are not counted in what the overall covers', () => {
  const shown = runEndMessage(
    { done: 28, failed: 68, resumed: false, runTasks: 18 },
    {
      overall: 0,
      tasks: [
        { task_name: 'task1', task_type: 'retrieval', metric: 'ndcg', num_samples: 4, score: null },
        {
          task_name: 'task2',
          task_type: 'multiple-choice',
          metric: 'accuracy',
          num_samples: 24,
          score: 0,
        },
      ],
      unscored: [{ task_name: 'task1', reason: 'no model' }],
    },
    'not scored',
  );
  assert.match(
    shown,
    /^MCPO: 96 questions; Incomplete: 68 of 96 questions failed and are not in these scores; overall 0\.0000 over the 24 scored; /,
  );
  assert.doesNotMatch(shown, /failed \(not scored\)|28 answered/);
});

test('C3: the endpoint-down toast names Resume Run once, with what it runs, and no CLI command', () => {
  const down =
    'not sent: test-model@127.0.0.1:8023 is not answering: 5 questions in a row could not reach it (ECONNREFUSED), so its remaining questions were not sent. Finished questions are saved.';
  const expected =
    'MCPO: 68 questions failed: test-model@127.0.0.1:8023 is not answering: 5 questions in a row could not reach it (ECONNREFUSED), so its remaining questions were not sent. Finished questions are saved. Once the server is back, Resume Run retries them and asks the 4 answered but not scored again (72 questions in all).';
  // The record's message says what failed (how to resume is the engine's fix, not its text).
  assert.equal(endpointDownMessage(68, down, 4), expected);
  const once = endpointDownMessage(68, down, 0);
  assert.ok(once.endsWith('Once the server is back, Resume Run retries them.'), once);
  assert.equal(once.match(/Resume Run/g)?.length, 1);
  assert.doesNotMatch(once, /mcpo run/);
});

test('a run without failures reads as before', () => {
  assert.equal(
    message({ done: 96, failed: 0, resumed: false }, 0.1438),
    'MCPO: 96 questions; overall 0.1438.',
  );
  assert.equal(
    message({ done: 1, failed: 0, resumed: false }, null, 'not scored (why)'),
    'MCPO: 1 question; not scored (why).',
  );
});

test('a resume says what it asked again: the failed, and the answered but not scored (C4)', () => {
  assert.equal(
    message({ done: 68, failed: 0, resumed: true, rerun: { failed: 64, notScored: 4 } }, 0.1438),
    'MCPO: resumed, 68 questions (64 that failed, 4 answered but not scored); overall 0.1438.',
  );
});
