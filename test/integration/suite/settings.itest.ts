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
