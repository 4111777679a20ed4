/**
 * `mcpo.similarity.k` shows what the run uses: not set, its field is empty (not a 0 the run does
 * not use) and the preset's k applies (`paper`: 3), as `mcpo run --preset paper` without
 * `--similarity-k`; a 0 the user types is a 0 the run uses, as `--similarity-k 0`. The settings
 * for M_V and the scoring model each say which the other is, and a setting an error asks for is
 * named so that VS Code offers to open it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorActions } from '../../../extension/errorActions';
import type { UserError } from '../../../server/userError';
import { runOptionsFromSettings } from '../../../server/lsp/runs';
import { buildRunConfig } from '../../../server/runs/startRun';
import { contributedSettings, defaultPipelineSettings } from '../../support/contributedSettings';
import { SAMPLE_FILE } from '../../support/sample';

const settings = defaultPipelineSettings({
  llm: { url: 'http://gpu:8000/v1', model: 'big' },
  runsDir: '/tmp/runs',
  cacheDir: '/tmp/cache',
});

test('mcpo.similarity.k is not set by default: an empty field, not 0', () => {
  const k = contributedSettings()['mcpo.similarity.k'] as { default: unknown; type: unknown };
  assert.equal(k.default, null);
  assert.deepEqual(k.type, ['integer', 'null']);
  assert.equal(settings.similarityK, undefined);
});

test('not set, the preset decides (paper: 3, none: 0); set to 0, the run uses 0', async () => {
  const k = async (s: typeof settings): Promise<number> =>
    (await buildRunConfig(runOptionsFromSettings(s, SAMPLE_FILE))).similarity.k;
  assert.equal(await k({ ...settings, preset: 'paper', explicit: [] }), 3);
  assert.equal(await k(settings), 0);
  assert.equal(
    await k({ ...settings, preset: 'paper', explicit: ['similarity.k'], similarityK: 0 }),
    0,
  );
});

test('the two embedding-model settings each name the other, as the CLI flags do', () => {
  const s = contributedSettings() as Record<string, { description?: string }>;
  assert.match(
    s['mcpo.embedModel'].description ?? '',
    /Not the model that scores .*mcpo\.scoring\.embedModel/,
  );
  assert.match(s['mcpo.scoring.embedModel'].description ?? '', /Not M_V.*mcpo\.embedModel/);
});

test('a missing M_S for CoT names the settings that fix it, so VS Code offers them', () => {
  assert.throws(
    () => runOptionsFromSettings({ ...settings, cot: 'slm' }, SAMPLE_FILE),
    (err: UserError) =>
      ['mcpo.cot.mode', 'mcpo.slm.url', 'mcpo.slm.model'].every((id) =>
        errorActions('mcpo.runDataset', err.message, [...err.fixes]).includes(`Open ${id}`),
      ),
  );
});
