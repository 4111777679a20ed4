/**
 * VS Code words the engine's fixes as its own settings and commands (extension/errorActions.ts),
 * never the CLI's flags, and offers each as a button: on the error toast and on the status item
 * of a run that failed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as StatusModel from '../../../extension/statusModel';
import { errorActions, vscodeMessage } from '../../../extension/errorActions';
import { MV_FIXES } from '../../../server/runs/startRun';
import { loadSource } from '../panel/loadSource';

const MV_FAILED =
  'run failed: similarity hints need the vector model (M_V), which did not load: Could not load embedding model "Snowflake/snowflake-arctic-embed-m": download into /root/.cache/mcpo/models failed.';
const fixes = [...MV_FIXES];

test('the vector model error names the settings only, and offers both', () => {
  const shown = vscodeMessage(MV_FAILED, fixes);
  assert.ok(
    shown.endsWith(
      'To run without hints: setting mcpo.similarity.k to 0. To use another M_V: setting mcpo.embedModel.',
    ),
    shown,
  );
  assert.doesNotMatch(shown, /--/);
  assert.deepEqual(errorActions('mcpo.runDataset', shown, fixes).slice(0, 2), [
    'Open mcpo.similarity.k',
    'Open mcpo.embedModel',
  ]);
});

test('a message without fixes is shown as it is, with the generic actions', () => {
  const plain = 'cannot reach http://127.0.0.1:8000/v1: connect ECONNREFUSED';
  assert.equal(vscodeMessage(plain, []), plain);
  assert.deepEqual(errorActions('mcpo.runDataset', plain), [
    'Configure Endpoints',
    'Retry',
    'Show Logs',
  ]);
});

test('the status item of a run that failed that way says the settings only, and opens the first', () => {
  const { INITIAL_STATUS, afterRunState, renderStatus } = loadSource<typeof StatusModel>(
    'extension/statusModel.ts',
  );
  const runDir = '/w/.mcpo/runs/r1';
  const started = afterRunState(INITIAL_STATUS, { runDir, state: 'started' });
  const failed = afterRunState(started, {
    runDir,
    state: 'failed',
    message: MV_FAILED,
    fixes,
  });
  const view = renderStatus(failed);
  assert.match(view.tooltip, /To run without hints: setting mcpo\.similarity\.k to 0\./);
  assert.doesNotMatch(view.tooltip, /--similarity-k|--embed-model/);
  assert.deepEqual(view.arguments, ['mcpo.similarity.k']);
});
