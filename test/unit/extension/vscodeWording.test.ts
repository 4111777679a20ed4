/**
 * Engine messages name the CLI's flag and VS Code's setting side by side; VS Code shows only its
 * own way (extension/errorActions.ts forVsCode), and still offers the settings as buttons.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorActions, forVsCode } from '../../../extension/errorActions';
import type * as StatusModel from '../../../extension/statusModel';
import { loadSource } from '../panel/loadSource';

const MV_FAILED =
  'run failed: similarity hints need the vector model (M_V), which did not load: Could not load embedding model "Snowflake/snowflake-arctic-embed-m": download into /root/.cache/mcpo/models failed. To run without hints: --similarity-k 0 (VS Code: setting mcpo.similarity.k to 0). To use another M_V: --embed-model <hub id or folder> (VS Code setting mcpo.embedModel).';

test('the vector model error names the settings only, and offers both', () => {
  const shown = forVsCode(MV_FAILED);
  assert.ok(
    shown.endsWith(
      'To run without hints: setting mcpo.similarity.k to 0. To use another M_V: setting mcpo.embedModel.',
    ),
    shown,
  );
  assert.doesNotMatch(shown, /--/);
  assert.deepEqual(errorActions('mcpo.runDataset', shown).slice(0, 2), [
    'Open mcpo.similarity.k',
    'Open mcpo.embedModel',
  ]);
});

test('other engine messages written for both places', () => {
  assert.equal(
    forVsCode(
      'test-model@127.0.0.1:8000 is not answering; resume the run: mcpo run --resume /w/.mcpo/runs/2026-11-30T13-36-14-1b16 (VS Code: MCPO: Resume Run)',
    ),
    'test-model@127.0.0.1:8000 is not answering; resume the run: MCPO: Resume Run',
  );
  assert.equal(
    forVsCode(
      'use an OpenAI-compatible server instead (--llm-url / --slm-url and its model name; in VS Code: MCPO: Configure Endpoints)',
    ),
    'use an OpenAI-compatible server instead (MCPO: Configure Endpoints)',
  );
  const slurm = forVsCode(
    'no Slurm URL: give --slurm-url (or SLURM_URL; in VS Code mcpo.slurm.url), e.g. http://head:6820',
  );
  assert.equal(slurm, 'no Slurm URL: give the setting mcpo.slurm.url, e.g. http://head:6820');
  assert.ok(errorActions('mcpo.submitJob', slurm).includes('Open mcpo.slurm.url'));
  // Nothing to change in a message without a flag.
  const plain = 'cannot reach http://127.0.0.1:8000/v1: connect ECONNREFUSED';
  assert.equal(forVsCode(plain), plain);
});

test('the status item of a run that failed that way says the settings only', () => {
  const { INITIAL_STATUS, afterRunState, renderStatus } = loadSource<typeof StatusModel>(
    'extension/statusModel.ts',
  );
  const runDir = '/w/.mcpo/runs/r1';
  const started = afterRunState(INITIAL_STATUS, { runDir, state: 'started' });
  const failed = afterRunState(started, { runDir, state: 'failed', message: MV_FAILED });
  const view = renderStatus(failed);
  assert.match(view.tooltip, /To run without hints: setting mcpo\.similarity\.k to 0\./);
  assert.doesNotMatch(view.tooltip, /--similarity-k|--embed-model/);
});
