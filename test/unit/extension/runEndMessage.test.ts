/**
 * The toast after a run counts every question it asked, says the failed ones are not scored, and
 * what the overall covers: "32 questions, 64 failed" read as 64 failed of 32.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as Format from '../../../extension/format';
import { loadSource } from '../panel/loadSource';

const { runEndMessage } = loadSource<typeof Format>('extension/format.ts');

type Counts = Parameters<typeof runEndMessage>[0];

/** The message for these counts and overall (no unscored tasks). */
function message(counts: Counts, overall: number | null, notScored = 'not scored'): string {
  return runEndMessage(counts, { overall, tasks: [], unscored: [] }, notScored);
}

test('a run with failures counts all questions asked and what the overall covers', () => {
  assert.equal(
    message({ done: 32, failed: 64, answered: 32, resumed: false }, 0.1),
    'MCPO: 96 questions, 64 failed (not scored); overall 0.1000 over the 32 answered.',
  );
  // A resume counts what it asked; the overall is the whole run's.
  assert.equal(
    message({ done: 60, failed: 4, answered: 92, resumed: true }, 0.1),
    'MCPO: resumed, 64 questions, 4 failed (not scored); overall 0.1000 over the 92 answered.',
  );
  assert.equal(
    message({ done: 0, failed: 3, answered: 0, resumed: false }, null),
    'MCPO: 3 questions, 3 failed (not scored); not scored.',
  );
});

test('a run without failures reads as before', () => {
  assert.equal(
    message({ done: 96, failed: 0, answered: 96, resumed: false }, 0.1438),
    'MCPO: 96 questions; overall 0.1438.',
  );
  assert.equal(
    message({ done: 1, failed: 0, answered: 1, resumed: false }, null, 'not scored (why)'),
    'MCPO: 1 question; not scored (why).',
  );
});

test('a resume says what it asked again: the failed, and the answered but not scored (C4)', () => {
  assert.equal(
    message(
      { done: 68, failed: 0, answered: 96, resumed: true, rerun: { failed: 64, notScored: 4 } },
      0.1438,
    ),
    'MCPO: resumed, 68 questions (64 that failed, 4 answered but not scored); overall 0.1438.',
  );
});
