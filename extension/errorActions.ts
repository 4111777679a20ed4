/**
 * What an error offers, decided from the command, the message and the fixes the engine sent with
 * it (free of `vscode`, so unit-tested): each fix worded as VS Code has it (a setting, a command)
 * and offered as a button, Configure Endpoints for endpoint trouble, Retry, Show Logs. The engine
 * never words a fix for VS Code: it sends it as data (server/protocol/fixHints.ts).
 */
import { fixesOfData, withFixes, type Fix } from '../server/protocol/fixHints';

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

const OPEN_SETTING = 'Open ';

/** A fix as VS Code words it: "setting mcpo.similarity.k to 0", "MCPO: Resume Run"; undefined when VS Code has no way. */
export function vscodeFixText(fix: Fix): string | undefined {
  if (fix.kind === 'command') return `MCPO: ${fix.title}`;
  if (!fix.setting) return undefined;
  return fix.value !== undefined
    ? `setting ${fix.setting} to ${fix.value}`
    : `setting ${fix.setting}`;
}

/** An engine message with its fixes as VS Code words them. */
export function vscodeMessage(message: string, fixes: readonly Fix[] | undefined): string {
  return withFixes(message, fixes, vscodeFixText);
}

/** The fixes an error carries: an engine error response's data (see server/main.ts), else none. */
export function fixesOfError(err: unknown): Fix[] {
  return typeof err === 'object' && err !== null && 'data' in err ? fixesOfData(err.data) : [];
}

/** The button that applies `fix`: "Open mcpo.similarity.k", "Resume Run"; undefined when VS Code has no way. */
export function fixAction(fix: Fix): string | undefined {
  if (fix.kind === 'command') return fix.title;
  return fix.setting ? openSettingAction(fix.setting) : undefined;
}

/** The settings `fixes` name, in order, once each. */
export function fixSettings(fixes: readonly Fix[] | undefined): string[] {
  const settings = (fixes ?? []).map((f) => (f.kind === 'option' ? f.setting : undefined));
  return [...new Set(settings.filter((s): s is string => s !== undefined))];
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

/** The fix a chosen action applies, if it is one of `fixes`'s buttons. */
export function fixOfAction(action: string, fixes: readonly Fix[]): Fix | undefined {
  return fixes.find((fix) => fixAction(fix) === action);
}

/** The actions an error of command `id` offers, most useful first: its fixes' buttons first. */
export function errorActions(id: string, message: string, fixes: readonly Fix[] = []): string[] {
  const fixActions = [...new Set(fixes.map(fixAction).filter((a): a is string => a !== undefined))];
  const aboutEndpoint =
    /endpoint|\/v1|\/models|api key|ECONNREFUSED|ENOTFOUND|cannot reach|does not serve|HTTP \d{3}/i.test(
      message,
    );
  return [
    ...fixActions,
    // A fix the engine named is the fix: the endpoints wizard cannot help (and a model cache path
    // under .../models would otherwise read as endpoint trouble).
    ...(fixActions.length === 0 &&
    id !== 'mcpo.configureEndpoints' &&
    (ENDPOINT_COMMANDS.has(id) || aboutEndpoint)
      ? ['Configure Endpoints']
      : []),
    ...(id !== 'mcpo.cancelRun' && id !== 'mcpo.showLogs' ? ['Retry'] : []),
    'Show Logs',
  ];
}
