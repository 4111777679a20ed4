/**
 * "MCPO: Clear Response Cache": forgets every cached model answer under `mcpo.cacheDir`, so the
 * next run asks the models again. Only the cache's entries go (its fan-out folders, in the layout
 * server/protocol/cacheLayout.ts shares with the engine that writes them); anything else kept in
 * that folder, such as the demo model, stays.
 */
import * as vscode from 'vscode';
import { CACHE_ENTRY_FILE, CACHE_FANOUT_FOLDER } from '../server/protocol/cacheLayout';
import { readPipelineSettings } from './settings';

export const CLEAR_RESPONSE_CACHE_COMMAND = 'mcpo.clearResponseCache';

export function registerClearResponseCache(log: vscode.LogOutputChannel): vscode.Disposable {
  return vscode.commands.registerCommand(CLEAR_RESPONSE_CACHE_COMMAND, async () => {
    const dir = vscode.Uri.file(readPipelineSettings().cacheDir);
    try {
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
      void vscode.window.showInformationMessage(
        `MCPO: cleared ${plural(entries, 'cached answer')}.`,
      );
    } catch (err) {
      const message = `could not clear the response cache in ${dir.fsPath}: ${err instanceof Error ? err.message : String(err)}`;
      log.error(message);
      const choice = await vscode.window.showErrorMessage(`MCPO: ${message}`, 'Show Logs');
      if (choice === 'Show Logs') log.show();
    }
  });
}

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
    .filter(([name, type]) => type === vscode.FileType.Directory && CACHE_FANOUT_FOLDER.test(name))
    .map(([name]) => vscode.Uri.joinPath(dir, name));
}

async function countEntries(folders: readonly vscode.Uri[]): Promise<number> {
  let count = 0;
  for (const folder of folders)
    for (const [name] of await vscode.workspace.fs.readDirectory(folder))
      if (CACHE_ENTRY_FILE.test(name)) count++;
  return count;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
