/**
 * The one settings object (extension/settings.ts McpoConfig) in a real VS Code with no mcpo.*
 * setting set: it reads exactly the defaults package.json declares, the settings that
 * test/unit/protocol/defaults.test.ts shows configure the same run as the CLI with nothing set;
 * and its jobs settings leave the spec's resources alone and use the engine's Slurm API version,
 * as the CLI does without --gpus, --time or --slurm-api.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { McpoConfig, workspaceRoot } from '../../../extension/settings';
import { DEFAULT_SLURM_API } from '../../../server/protocol/jobs';
import { LOCAL_BASE_URL } from '../../../server/protocol/settings';
import { contributedDefault, defaultPipelineSettings } from '../../support/contributedSettings';

/** As settings cross to the engine: JSON, where a key holding undefined is no key. */
function wire(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

export function withNothingSetThePipelineSettingsAreTheContributedDefaults(): void {
  const config = new McpoConfig();
  try {
    const root = workspaceRoot();
    const expected = defaultPipelineSettings({
      // No URL set: the large model runs locally, with the default model.
      llm: { url: LOCAL_BASE_URL, model: '' },
      runsDir: path.resolve(root, contributedDefault('runsDir') as string),
      cacheDir: path.resolve(root, contributedDefault('cacheDir') as string),
    });
    assert.deepEqual(wire(config.pipeline), wire(expected));
  } finally {
    config.dispose();
  }
}

export function withNothingSetTheJobsSettingsAreTheCliDefaults(): void {
  const config = new McpoConfig();
  try {
    const { executor, slurm } = config.jobs;
    assert.equal(executor, contributedDefault('jobs.executor'));
    assert.equal(slurm.apiVersion, DEFAULT_SLURM_API);
    // The spec's own gpus and time limit, as without --gpus and --time.
    assert.equal(slurm.gpus, undefined);
    assert.equal(slurm.timeMinutes, undefined);
  } finally {
    config.dispose();
  }
}

/**
 * A time limit of 0 reaches the engine as 0, which refuses it as `mcpo job submit --time 0` is
 * refused (test/unit/lsp/jobs.test.ts), instead of silently meaning "use the spec".
 */
export async function aTimeLimitOfZeroIsSentAsSetNotReadAsUseTheSpec(): Promise<void> {
  const settings = vscode.workspace.getConfiguration('mcpo');
  await settings.update('slurm.timeMinutes', 0, vscode.ConfigurationTarget.Global);
  const config = new McpoConfig();
  try {
    assert.equal(config.jobs.slurm.timeMinutes, 0);
  } finally {
    config.dispose();
    await settings.update('slurm.timeMinutes', undefined, vscode.ConfigurationTarget.Global);
  }
}

/**
 * With `mcpo.preset` = paper and `mcpo.similarity.k` not set, the Settings editor's field is empty
 * (the setting's value is null: "the preset's"), not a 0 the run does not use, and the engine
 * gets no k, so the preset's 3 applies. Typing 0 in the User tab saves 0 (it is no longer the
 * default, which VS Code would not save), and the run gets 0.
 */
export async function similarityKNotSetShowsEmptyAndTypedZeroIsSaved(): Promise<void> {
  const settings = vscode.workspace.getConfiguration('mcpo');
  await settings.update('preset', 'paper', vscode.ConfigurationTarget.Global);
  const config = new McpoConfig();
  try {
    const k = vscode.workspace.getConfiguration('mcpo').inspect('similarity.k');
    assert.equal(k?.defaultValue, null);
    assert.equal(vscode.workspace.getConfiguration('mcpo').get('similarity.k'), null);
    assert.equal(config.pipeline.similarityK, undefined);
    assert.deepEqual(config.pipeline.explicit?.includes('similarity.k'), false);

    await settings.update('similarity.k', 0, vscode.ConfigurationTarget.Global);
    const typed = vscode.workspace.getConfiguration('mcpo').inspect('similarity.k');
    assert.equal(typed?.globalValue, 0);
    assert.equal(config.pipeline.similarityK, 0);
    assert.ok(config.pipeline.explicit?.includes('similarity.k'));
  } finally {
    config.dispose();
    await settings.update('similarity.k', undefined, vscode.ConfigurationTarget.Global);
    await settings.update('preset', undefined, vscode.ConfigurationTarget.Global);
  }
}
