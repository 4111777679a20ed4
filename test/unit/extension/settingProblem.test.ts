/**
 * A run that fails for a reason a setting fixes (M_V would not load) offers that setting, not the
 * endpoints wizard; the status item keeps saying so (and opens the setting when clicked) until the
 * setting changes or a run gets through, whatever an endpoint check says meanwhile. And the
 * item names the same failed question as the failure toast (the lowest-numbered one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as ErrorActions from '../../../extension/errorActions';
import type * as StatusModel from '../../../extension/statusModel';
import { loadSource } from '../panel/loadSource';
import { MV_FIXES } from '../../../server/runs/startRun';

const { errorActions, fixOfAction, openSettingCommand } = loadSource<typeof ErrorActions>(
  'extension/errorActions.ts',
);
const { afterRunState, afterSettingsChange, INITIAL_STATUS, renderStatus } = loadSource<
  typeof StatusModel
>('extension/statusModel.ts');

/** As server/runs/startRun.ts says it, with its fixes (the integration test gets the engine's own). */
const MV_FAILED =
  'Run failed: similarity hints need the vector model (M_V), which did not load: Could not load embedding model "Snowflake/snowflake-arctic-embed-m": download into /root/.cache/mcpo/models failed.';
const fixes = [...MV_FIXES];

test('an error whose fixes are settings offers to open them, not Configure Endpoints', () => {
  const actions = errorActions('mcpo.runDataset', MV_FAILED, fixes);
  assert.deepEqual(actions, [
    'Open mcpo.similarity.k',
    'Open mcpo.embedModel',
    'Retry',
    'Show Logs',
  ]);
  assert.deepEqual(fixOfAction(actions[1], fixes), fixes[1]);
  assert.equal(fixOfAction('Retry', fixes), undefined);
  // Endpoint trouble still offers the wizard.
  assert.deepEqual(errorActions('mcpo.runDataset', 'endpoint check failed: HTTP 404'), [
    'Configure Endpoints',
    'Retry',
    'Show Logs',
  ]);
});

test('the setting opens on the Workspace tab when the workspace sets it or the preset', () => {
  // Preset `paper` in .vscode/settings.json makes similarity.k 3: on the User tab the value shows
  // the default 0 and typing 0 saves nothing, so the fix must open the Workspace tab.
  assert.deepEqual(openSettingCommand('mcpo.similarity.k', {}, { workspaceValue: 'paper' }), {
    command: 'workbench.action.openWorkspaceSettings',
    arguments: ['mcpo.similarity.k'],
  });
  assert.equal(
    openSettingCommand('mcpo.similarity.k', { workspaceFolderValue: 3 }, undefined).command,
    'workbench.action.openWorkspaceSettings',
  );
  // Nothing set in the workspace (or no workspace open): the User tab, where a change applies.
  assert.deepEqual(openSettingCommand('mcpo.embedModel', {}, {}), {
    command: 'workbench.action.openSettings',
    arguments: ['mcpo.embedModel'],
  });
  assert.equal(
    openSettingCommand('mcpo.similarity.k', undefined, undefined).command,
    'workbench.action.openSettings',
  );
});

test('the status item shows the setting problem over a healthy check and opens the setting', () => {
  const healthy = {
    health: {
      kind: 'checked' as const,
      endpoints: [
        { role: 'llm' as const, url: 'http://gpu/v1', model: 'm', ok: true, message: 'ok' },
      ],
    },
  };
  const runDir = '/runs/a';
  const started = afterRunState(healthy, { runDir, state: 'started' });
  const failed = afterRunState(started, { runDir, state: 'failed', message: MV_FAILED, fixes });
  const view = renderStatus(failed);
  assert.equal(view.text, '$(error) MCPO: run failed');
  assert.equal(view.command, 'workbench.action.openSettings');
  assert.deepEqual(view.arguments, ['mcpo.similarity.k']);
  assert.match(view.tooltip, /mcpo\.embedModel/);
  assert.doesNotMatch(view.tooltip, /check the endpoints/);

  // An endpoint check (click, or a settings change elsewhere) does not turn it green.
  const checkedAgain = { ...failed, health: healthy.health };
  assert.equal(renderStatus(checkedAgain).text, '$(error) MCPO: run failed');
  assert.equal(
    afterSettingsChange(checkedAgain, (s) => s === 'mcpo.llm').settingProblem?.settings[0],
    'mcpo.similarity.k',
  );
  // Changing a named setting (or the preset) may fix it: the item shows the endpoints again.
  for (const changed of ['mcpo.embedModel', 'mcpo.similarity.k', 'mcpo.preset'])
    assert.equal(
      renderStatus(afterSettingsChange(checkedAgain, (s) => s === changed)).text,
      '$(check) MCPO',
    );
  // So does a run that gets through.
  const again = afterRunState(checkedAgain, { runDir: '/runs/b', state: 'started' });
  assert.equal(
    renderStatus(afterRunState(again, { runDir: '/runs/b', state: 'finished' })).text,
    '$(check) MCPO',
  );
  assert.equal(renderStatus(INITIAL_STATUS).command, 'mcpo.checkEndpoints');
});

test('the status item names the lowest-numbered failed question, as the failure toast does', () => {
  const { afterRecord } = loadSource<typeof StatusModel>('extension/statusModel.ts');
  const runDir = '/runs/c';
  const failed = (index: number) => ({
    runDir,
    done: 1,
    total: 96,
    record: {
      index,
      task_name: 't',
      task_type: 'multiple-choice' as const,
      metric: 'accuracy' as const,
      status: 'failed' as const,
      stages: {},
      score: null,
      warnings: [],
      timings: { totalMs: 1 },
      error: { stage: 'answer' as const, message: `connection failed ${index}` },
    },
  });
  let state = afterRunState(INITIAL_STATUS, { runDir, state: 'started' });
  // Questions finish out of order: Q38 arrives before Q33.
  for (const index of [37, 32, 40]) state = afterRecord(state, failed(index));
  const view = renderStatus(afterRunState(state, { runDir, state: 'finished' }));
  assert.equal(view.text, '$(error) MCPO: 3/96 failed');
  assert.match(view.tooltip, /Q33 failed at answer: connection failed 32/);
});

test('one question reads as one question in the status tooltips', () => {
  assert.match(
    renderStatus({ health: { kind: 'runOk', done: 1 } }).tooltip,
    /answered its 1 question$/,
  );
  assert.match(
    renderStatus({ health: { kind: 'runFailed', message: 'x', failed: 1, total: 1 } }).tooltip,
    /1 of 1 question of the last run failed/,
  );
});
