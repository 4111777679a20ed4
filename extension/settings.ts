/**
 * The `mcpo.*` settings: one typed object (McpoConfig) that reads them, always current, with
 * their defaults in one place (package.json declares the same; the defaults the engine shares
 * come from the protocol), and that says when they change, so a change applies without a window
 * reload. Secrets are never settings: API keys live in SecretStorage (see secrets.ts).
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
import { DEFAULT_SLURM_API, type SlurmJobSettings } from '../server/protocol/jobs';
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

function readPipelineSettings(config: vscode.WorkspaceConfiguration): PipelineSettings {
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
    // Not set reads as absent, never as 0: the preset's k applies (the Settings editor shows an
    // empty field, not a 0 the run does not use).
    similarityK: config.get<number | null>('similarity.k', null) ?? undefined,
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

export interface UiSettings {
  /** Open the run's report when a run ends. */
  openReportAfterRun: boolean;
}

// mcpo.codeLens.density is read by the engine itself (server/lsp/codeLens.ts, pulled over LSP).

export interface JobsSettings {
  executor: 'slurm' | 'local';
  slurm: SlurmJobSettings;
}

function readJobsSettings(c: vscode.WorkspaceConfiguration): JobsSettings {
  return {
    executor: c.get<'slurm' | 'local'>('jobs.executor', 'local') === 'slurm' ? 'slurm' : 'local',
    slurm: {
      url: c.get<string>('slurm.url', '').trim(),
      user: c.get<string>('slurm.user', '').trim() || process.env.USER || 'root',
      apiVersion: c.get<string>('slurm.apiVersion', DEFAULT_SLURM_API).trim() || DEFAULT_SLURM_API,
      partition: c.get<string>('slurm.partition', '').trim() || undefined,
      gpus: c.get<number | null>('slurm.gpus', null) ?? undefined,
      // Sent as set, so 0 is refused by the engine exactly as `mcpo job submit --time 0` is.
      timeMinutes: c.get<number | null>('slurm.timeMinutes', null) ?? undefined,
    },
  };
}

/** The endpoint settings as the user typed them (Configure Endpoints starts from these). */
export interface EndpointDraft {
  url: string;
  model: string;
}

/**
 * Every `mcpo.*` setting the extension reads, typed. Each getter reads the current value;
 * `onDidChange` fires when any `mcpo.*` setting changes (listeners ask the event which).
 */
export class McpoConfig implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.ConfigurationChangeEvent>();
  readonly onDidChange = this.changed.event;
  private readonly listener = vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('mcpo')) this.changed.fire(e);
  });

  private get section(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('mcpo');
  }

  /** The pipeline a run uses, sent with each run request. */
  get pipeline(): PipelineSettings {
    return readPipelineSettings(this.section);
  }

  get ui(): UiSettings {
    return { openReportAfterRun: this.section.get<boolean>('openReportAfterRun', true) };
  }

  /** The `mcpo.jobs.*` and `mcpo.slurm.*` settings. */
  get jobs(): JobsSettings {
    return readJobsSettings(this.section);
  }

  /** Globs of files that are datasets beyond *.jsonl / *.json (e.g. *.ndjson). */
  get datasetGlobs(): string[] {
    return this.section.get<string[]>('datasetGlobs', []);
  }

  /** `mcpo.preset` as set ('none' without one). */
  get preset(): string {
    return this.section.get<string>('preset', 'none');
  }

  endpoint(role: 'llm' | 'slm'): EndpointDraft {
    return {
      url: this.section.get<string>(`${role}.url`, ''),
      model: this.section.get<string>(`${role}.model`, ''),
    };
  }

  /** Writes settings to the workspace (the user settings without a folder: nowhere else to write). */
  async update(values: Record<string, unknown>): Promise<void> {
    const target = vscode.workspace.workspaceFolders?.length
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
    const section = this.section;
    for (const [key, value] of Object.entries(values)) await section.update(key, value, target);
  }

  dispose(): void {
    this.listener.dispose();
    this.changed.dispose();
  }
}
