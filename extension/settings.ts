/**
 * Typed `mcpo.*` settings with their defaults in one place (package.json declares the same).
 * Secrets are never settings: API keys live in SecretStorage (see secrets.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  DEFAULT_COT_TASK_TYPES,
  DEFAULT_EMBED_MODEL,
  LOCAL_BASE_URL,
  type EndpointSettings,
  type PipelineSettings,
} from '../server/protocol/settings';
import type { TaskType } from '../server/protocol/shopBench';

/** The workspace folder runs and caches are relative to (or the home folder without one). */
export function workspaceRoot(): string {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.homedir();
}

/** The endpoint a role's settings name. An empty M_L URL means the embedded default: the local llama.cpp model. */
function endpoint(
  config: vscode.WorkspaceConfiguration,
  role: 'llm' | 'slm',
): EndpointSettings | undefined {
  const configured = config.get<string>(`${role}.url`, '').trim();
  const url = configured || (role === 'llm' ? LOCAL_BASE_URL : '');
  const model = config.get<string>(`${role}.model`, '').trim();
  if (!url || (!model && url !== LOCAL_BASE_URL)) return undefined;
  return {
    url,
    model,
    // M_S is sent prompts the way M_L is (one mode setting).
    mode: config.get<'chat' | 'completions'>('llm.mode', 'chat'),
    concurrency: config.get<number>('llm.concurrency', 8),
  };
}

export function readPipelineSettings(): PipelineSettings {
  const config = vscode.workspace.getConfiguration('mcpo');
  const root = workspaceRoot();
  // The engine runs in another process and folder: a relative path in a setting means the workspace's.
  // Hub ids look like relative paths ("Xenova/all-MiniLM-L6-v2"): only ./ ../ or an existing path is one.
  const inWorkspace = (value: string): string =>
    !path.isAbsolute(value) &&
    (/^\.{1,2}[\\/]/.test(value) || fs.existsSync(path.resolve(root, value)))
      ? path.resolve(root, value)
      : value;
  const optional = (key: string): string | undefined => {
    const value = config.get<string>(key, '').trim();
    return value ? inWorkspace(value) : undefined;
  };
  const preset = config.get<string>('preset', 'none') === 'paper' ? 'paper' : undefined;
  return {
    preset,
    explicit: preset ? PRESET_PIECES.filter((key) => explicitlySet(config, key)) : undefined,
    llm: endpoint(config, 'llm'),
    slm: endpoint(config, 'slm'),
    embedModel: inWorkspace(config.get<string>('embedModel', DEFAULT_EMBED_MODEL)),
    templates: templatesSetting(config.get<string>('templates', 'paper'), inWorkspace),
    cot: config.get<'off' | 'self' | 'slm'>('cot.mode', 'off'),
    cotTaskTypes: config.get<TaskType[]>('cot.taskTypes', [...DEFAULT_COT_TASK_TYPES]),
    similarityK: config.get<number>('similarity.k', 0),
    constrained: config.get<boolean>('constrained', false),
    runsDir: path.resolve(root, config.get<string>('runsDir', '.mcpo/runs')),
    cacheDir: path.resolve(root, config.get<string>('cacheDir', '.mcpo/cache')),
    scoringEmbedModel: optional('scoring.embedModel'),
    scoringMultilingualEmbedModel: optional('scoring.multilingualEmbedModel'),
  };
}

/** The settings a preset fills in unless the user set them (server/lsp/runs.ts runOptionsFromSettings). */
const PRESET_PIECES = [
  'llm.mode',
  'embedModel',
  'templates',
  'cot.mode',
  'cot.taskTypes',
  'similarity.k',
];

function explicitlySet(config: vscode.WorkspaceConfiguration, key: string): boolean {
  const i = config.inspect(key);
  return (
    i !== undefined && (i.globalValue ?? i.workspaceValue ?? i.workspaceFolderValue) !== undefined
  );
}

function templatesSetting(value: string, inWorkspace: (v: string) => string): string {
  return value === 'paper' || value === 'none'
    ? value
    : path.resolve(workspaceRoot(), inWorkspace(value));
}

export function datasetGlobs(): string[] {
  return vscode.workspace.getConfiguration('mcpo').get<string[]>('datasetGlobs', []);
}

export interface UiSettings {
  /** Open the run's report when a run ends. */
  openReportAfterRun: boolean;
}

// mcpo.codeLens.density is read by the engine itself (server/lsp/codeLens.ts, pulled over LSP).

export function readUiSettings(): UiSettings {
  const config = vscode.workspace.getConfiguration('mcpo');
  return {
    openReportAfterRun: config.get<boolean>('openReportAfterRun', true),
  };
}
