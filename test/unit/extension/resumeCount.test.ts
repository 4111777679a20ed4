/** What Resume Run will run, said when a run is cancelled (server/protocol/runLabels.ts resumeCount). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resumeCount } from '../../../server/protocol/runLabels';

test('resumeCount counts what a resume runs, as its start line does', () => {
  assert.equal(
    resumeCount('Resume Run', { never: 68, failed: 0, notScored: 0 }),
    'Resume Run runs the 68 questions that never ran',
  );
  assert.equal(
    resumeCount('Resume Run', { never: 68, failed: 0, notScored: 4 }),
    'Resume Run runs 72 questions (4 answered but not scored, 68 never run)',
  );
  assert.equal(
    resumeCount('Resume Run', { never: 1, failed: 2, notScored: 0 }),
    'Resume Run runs 3 questions (2 that failed, 1 never run)',
  );
});
