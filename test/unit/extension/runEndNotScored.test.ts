/**
 * newuser-s23 C1: a run whose task is not scored for want of its scoring model says so briefly
 * on its toast and offers the setting that fixes it as a button, besides Open Report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as Format from '../../../extension/format';
import type * as ErrorActions from '../../../extension/errorActions';
import { loadSource } from '../panel/loadSource';

const { notScoredFixes, runEndActions, runEndMessage } =
  loadSource<typeof Format>('extension/format.ts');
const { vscodeMessage } = loadSource<typeof ErrorActions>('extension/errorActions.ts');

const unscored = [
  {
    task_name: 'task1',
    reason:
      'sent-transformer could not be scored: Could not load embedding model "Xenova/all-MiniLM-L6-v2": download into /root/.cache/mcpo/models failed',
  },
];

test('a selection run with only unscored questions says why and offers mcpo.scoring.embedModel', () => {
  const { why, fixes } = notScoredFixes(unscored);
  const shown = vscodeMessage(
    runEndMessage(
      { done: 4, failed: 0, resumed: false, unscoredWhy: why },
      { overall: null, tasks: [], unscored },
      `not scored: ${why}`,
    ),
    fixes,
  );
  assert.equal(
    shown,
    'MCPO: 4 questions; not scored: its scoring model did not load. To score task1: setting mcpo.scoring.embedModel.',
  );
  assert.deepEqual(runEndActions(fixes, false), ['Open mcpo.scoring.embedModel', 'Open Report']);
  assert.deepEqual(runEndActions(fixes, true), ['Open mcpo.scoring.embedModel']);
});

test('a dataset run names the reason in its coverage note; another reason keeps "the report says why"', () => {
  const task = {
    task_name: 'task2',
    task_type: 'multiple-choice' as const,
    metric: 'accuracy' as const,
    num_samples: 92,
    score: 0.14,
  };
  const { why, fixes } = notScoredFixes(unscored);
  assert.match(
    runEndMessage(
      { done: 96, failed: 0, resumed: false, runTasks: 2, unscoredWhy: why },
      { overall: 0.14, tasks: [task], unscored },
      'not scored',
    ),
    /; task1 not scored, its scoring model did not load\)\.$/,
  );
  const other = notScoredFixes([{ task_name: 'task9', reason: 'no answer parsed' }]);
  assert.deepEqual(other, { fixes: [] });
  assert.deepEqual(runEndActions(other.fixes, false), ['Open Report']);
  assert.equal(fixes.length, 1);
});
