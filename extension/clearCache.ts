/**
 * "MCPO: Clear Response Cache": forgets every cached model answer under `mcpo.cacheDir`, so the
 * next run asks the models again. Only the cache's entries go (its log, and the fan-out folders of
 * the older layout, as server/protocol/cacheLayout.ts shares them with the engine that writes
 * them); anything else kept in that folder, such as the demo model, stays.
 */
import * as vscode from 'vscode';
import {
  CACHE_ENTRY_FILE,
  CACHE_FANOUT_FOLDER,
  CACHE_LOG_FILE,
} from '../server/protocol/cacheLayout';
import { registerCommand } from './commandRunner';
import type { McpoConfig } from './settings';

export const CLEAR_RESPONSE_CACHE_COMMAND = 'mcpo.clearResponseCache';

export function registerClearResponseCache(
  config: McpoConfig,
  log: vscode.LogOutputChannel,
): vscode.Disposable {
  return registerCommand(CLEAR_RESPONSE_CACHE_COMMAND, () => clearResponseCache(config, log), log);
}

async function clearResponseCache(config: McpoConfig, log: vscode.LogOutputChannel): Promise<void> {
  const dir = vscode.Uri.file(config.pipeline.cacheDir);
  try {
    await clearEntries(dir, log);
  } catch (err) {
    throw new Error(`could not clear the response cache in ${dir.fsPath}: ${messageOf(err)}`, {
      cause: err,
    });
  }
}

async function clearEntries(dir: vscode.Uri, log: vscode.LogOutputChannel): Promise<void> {
  const folders = await cacheFolders(dir);
  const entries = await countEntries(folders);
  if (entries === 0) {
    void vscode.window.showInformationMessage(
      `MCPO: the response cache (${dir.fsPath}) is already empty.`,
    );
    return;
  }
  const answer = await vscode.window.showWarningMessage(
    `Clear ${plural(entries, 'cached answer')} in ${dir.fsPath}?`,
    { modal: true, detail: 'The next runs ask the models again. Run folders are kept.' },
    'Clear',
  );
  if (answer !== 'Clear') return;
  for (const folder of folders)
    await vscode.workspace.fs.delete(folder, { recursive: true, useTrash: false });
  log.info(`cleared ${plural(entries, 'cached answer')} in ${dir.fsPath}`);
  void vscode.window.showInformationMessage(`MCPO: cleared ${plural(entries, 'cached answer')}.`);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The log and the older layout's fan-out folders. */
async function cacheFolders(dir: vscode.Uri): Promise<vscode.Uri[]> {
  let listing: [string, vscode.FileType][];
  try {
    listing = await vscode.workspace.fs.readDirectory(dir);
  } catch (err) {
    // No cache folder yet: nothing was ever cached.
    if (err instanceof vscode.FileSystemError && err.code === 'FileNotFound') return [];
    throw err;
  }
  return listing
    .filter(
      ([name, type]) =>
        (type === vscode.FileType.Directory && CACHE_FANOUT_FOLDER.test(name)) ||
        (type === vscode.FileType.File && name === CACHE_LOG_FILE),
    )
    .map(([name]) => vscode.Uri.joinPath(dir, name));
}

/** Lines of the log (one per answer) and entry files of the older layout. */
async function countEntries(places: readonly vscode.Uri[]): Promise<number> {
  let count = 0;
  for (const place of places) {
    if (place.path.endsWith(`/${CACHE_LOG_FILE}`)) {
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(place));
      count += text.split('\n').filter((line) => line.trim() !== '').length;
    } else
      for (const [name] of await vscode.workspace.fs.readDirectory(place))
        if (CACHE_ENTRY_FILE.test(name)) count++;
  }
  return count;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
