/**
 * What an error message offers, decided from the command and the message alone (free of `vscode`,
 * so unit-tested): the settings the message names, Configure Endpoints for endpoint trouble, Retry,
 * Show Logs. The engine names a setting that fixes an error as "setting mcpo.<id>" (see
 * server/runs/startRun.ts), so the fix is one click away instead of a wizard that cannot help.
 */

/** Commands that talk to a model endpoint: their errors offer "Configure Endpoints". */
const ENDPOINT_COMMANDS = new Set([
  'mcpo.runOnSelection',
  'mcpo.runDataset',
  'mcpo.runRow',
  'mcpo.compareRow',
  'mcpo.runAblation',
  'mcpo.checkEndpoints',
  'mcpo.configureEndpoints',
]);

const NAMED_SETTING = /\bsetting (mcpo(?:\.[A-Za-z]\w*)+)/g;
const OPEN_SETTING = 'Open ';

/** The `mcpo.*` settings `message` names as "setting mcpo.x", in order, once each. */
export function namedSettings(message: string): string[] {
  return [...new Set([...message.matchAll(NAMED_SETTING)].map((m) => m[1]))];
}

/** The action that opens setting `id` in the Settings editor. */
export function openSettingAction(id: string): string {
  return `${OPEN_SETTING}${id}`;
}

/** A setting's values in the scopes that beat the User one, as WorkspaceConfiguration.inspect gives them. */
export interface WorkspaceScopedValues {
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/** The Settings editor command that shows a setting, with its search query. */
export interface OpenSettingCommand {
  command: 'workbench.action.openWorkspaceSettings' | 'workbench.action.openSettings';
  arguments: [string];
}

function setInWorkspace(values: WorkspaceScopedValues | undefined): boolean {
  return values?.workspaceValue !== undefined || values?.workspaceFolderValue !== undefined;
}

/**
 * How to open setting `id` where a change takes effect: the Workspace tab when the workspace sets
 * the setting or `mcpo.preset` (a workspace preset's value beats the User tab's: with the preset in
 * .vscode/settings.json, a k typed in the User tab would not be what the run reads), else the User tab.
 */
export function openSettingCommand(
  id: string,
  setting: WorkspaceScopedValues | undefined,
  preset: WorkspaceScopedValues | undefined,
): OpenSettingCommand {
  return {
    command:
      setInWorkspace(setting) || setInWorkspace(preset)
        ? 'workbench.action.openWorkspaceSettings'
        : 'workbench.action.openSettings',
    arguments: [id],
  };
}

/** The setting an action chosen from errorActions opens, if it is one of those. */
export function settingOfAction(action: string): string | undefined {
  return action.startsWith(`${OPEN_SETTING}mcpo.`) ? action.slice(OPEN_SETTING.length) : undefined;
}

/**
 * A CLI flag followed by where VS Code has the same thing, as the engine writes for both places:
 * "--similarity-k 0 (VS Code: setting mcpo.similarity.k to 0)", "mcpo run --resume DIR (VS Code:
 * MCPO: Resume Run)", "--slurm-url (or SLURM_URL; in VS Code mcpo.slurm.url)".
 */
const FLAG_THEN_VSCODE =
  /(?:mcpo [a-z]+ )?--[a-z][\w-]*(?: <[^>]*>| [^\s()<]+)*? \((?:[^();]*; )?(?:in )?VS Code:?\s+(setting )?([^)]*)\)/g;

/** "(--llm-url / --slm-url and its model name; in VS Code: MCPO: Configure Endpoints)". */
const FLAGS_IN_PARENTHESES = /\((?:--[^();]*); in VS Code:?\s+([^)]*)\)/g;

/**
 * An engine message as VS Code shows it: where it gives a CLI flag and VS Code's way beside it,
 * only VS Code's (a setting keeps the words "setting mcpo.x", so its button is still offered).
 */
export function forVsCode(message: string): string {
  return message
    .replace(FLAG_THEN_VSCODE, (_all, setting: string | undefined, where: string) =>
      setting || !/^mcpo\.[\w.]+$/.test(where)
        ? `${setting ?? ''}${where}`
        : `the setting ${where}`,
    )
    .replace(FLAGS_IN_PARENTHESES, '($1)');
}

/** The actions an error message of command `id` offers, most useful first. */
export function errorActions(id: string, message: string): string[] {
  const settings = namedSettings(message);
  const aboutEndpoint =
    /endpoint|\/v1|\/models|api key|ECONNREFUSED|ENOTFOUND|cannot reach|does not serve|HTTP \d{3}/i.test(
      message,
    );
  return [
    ...settings.map(openSettingAction),
    // A named setting is the fix: the endpoints wizard cannot help (and a model cache path under
    // .../models would otherwise read as endpoint trouble).
    ...(settings.length === 0 &&
    id !== 'mcpo.configureEndpoints' &&
    (ENDPOINT_COMMANDS.has(id) || aboutEndpoint)
      ? ['Configure Endpoints']
      : []),
    ...(id !== 'mcpo.cancelRun' && id !== 'mcpo.showLogs' ? ['Retry'] : []),
    'Show Logs',
  ];
}
