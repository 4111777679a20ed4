/**
 * What VS Code uses when the user set nothing: the `mcpo.*` defaults package.json contributes,
 * and the pipeline settings extension/settings.ts reads from them. The unit test that compares a
 * CLI run with VS Code's defaults and the integration test that reads the settings in a real
 * VS Code both take them from here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EndpointSettings, PipelineSettings } from '../../server/protocol/settings';
import { repoRoot } from './paths';

export interface SettingSchema {
  default?: unknown;
  items?: { enum?: unknown[] };
}

/** The `mcpo.*` settings package.json contributes, by key. */
export function contributedSettings(): Record<string, SettingSchema> {
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, SettingSchema> } };
  };
  return manifest.contributes.configuration.properties;
}

/** The default of setting `mcpo.<key>`. */
export function contributedDefault(key: string): unknown {
  return contributedSettings()[`mcpo.${key}`].default;
}

/** The pipeline settings VS Code's defaults give, with the endpoint and folders a test chooses. */
export function defaultPipelineSettings(o: {
  llm: Pick<EndpointSettings, 'url' | 'model'>;
  runsDir: string;
  cacheDir: string;
}): PipelineSettings {
  const d = contributedDefault;
  return {
    llm: {
      url: o.llm.url,
      model: o.llm.model,
      mode: d('llm.mode') as EndpointSettings['mode'],
      concurrency: d('llm.concurrency') as number,
    },
    embedModel: d('embedModel') as string,
    templates: d('templates') as string,
    cot: d('cot.mode') as PipelineSettings['cot'],
    cotTaskTypes: d('cot.taskTypes') as PipelineSettings['cotTaskTypes'],
    similarityK: (d('similarity.k') as number | null) ?? undefined,
    constrained: d('constrained') as boolean,
    runsDir: o.runsDir,
    cacheDir: o.cacheDir,
  };
}
