/**
 * The toast after a run counts every question it asked, says the failed ones are not scored, and
 * what the overall covers: "32 questions, 64 failed" read as 64 failed of 32.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as Format from '../../../extension/format';
import { loadSource } from '../panel/loadSource';

const { runEndMessage } = loadSource<typeof Format>('extension/format.ts');

const report = { overall: 0.1, tasks: [], unscored: [] };

test('a run with failures counts all questions asked and what the overall covers', () => {
  assert.equal(
    runEndMessage({ done: 32, failed: 64, answered: 32, resumed: false }, report, 'not scored'),
    'MCPO: 96 questions, 64 failed (not scored); overall 0.1000 over the 32 answered.',
  );
  // A resume counts what it asked; the overall is the whole run's.
  assert.equal(
    runEndMessage({ done: 60, failed: 4, answered: 92, resumed: true }, report, 'not scored'),
    'MCPO: resumed, 64 questions, 4 failed (not scored); overall 0.1000 over the 92 answered.',
  );
  assert.equal(
    runEndMessage(
      { done: 0, failed: 3, answered: 0, resumed: false },
      { ...report, overall: null },
      'not scored',
    ),
    'MCPO: 3 questions, 3 failed (not scored); not scored.',
  );
});

test('a run without failures reads as before', () => {
  assert.equal(
    runEndMessage(
      { done: 96, failed: 0, answered: 96, resumed: false },
      { ...report, overall: 0.1438 },
      'not scored',
    ),
    'MCPO: 96 questions; overall 0.1438.',
  );
  assert.equal(
    runEndMessage(
      { done: 1, failed: 0, answered: 1, resumed: false },
      { ...report, overall: null },
      'not scored (why)',
    ),
    'MCPO: 1 question; not scored (why).',
  );
});
