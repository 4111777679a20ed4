/**
 * The one wrapper every `mcpo.*` command runs in (the command table, the jobs commands, the
 * report and cache commands): an error becomes one message that names what failed and offers
 * what helps (errorActions.ts): the fixes the engine sent with it (a setting to open, a command to
 * run), Configure Endpoints (for commands
 * that talk to a model, or errors about an endpoint), Retry (the same command, same arguments),
 * Show Logs. Cancelling is not an error, whichever layer reports it: VS Code's CancellationError,
 * or the engine's RequestCancelled answer to a `$/cancelRequest`.
 */
import * as vscode from 'vscode';
import { LSPErrorCodes, ResponseError } from 'vscode-languageclient/node';
import {
  errorActions,
  fixesOfError,
  fixOfAction,
  openSettingCommand,
  vscodeMessage,
  type OpenSettingCommand,
} from './errorActions';
import type { Fix } from '../server/protocol/fixHints';
import { EngineStoppedError } from './engineClient';

/** The Settings editor command that opens setting `id` in the scope where a change takes effect. */
export function settingCommand(id: string): OpenSettingCommand {
  const config = vscode.workspace.getConfiguration();
  return openSettingCommand(id, config.inspect(id), config.inspect('mcpo.preset'));
}

/** Applies a fix the user picked: opens its setting where a change takes effect, or runs its command. */
export async function applyFix(fix: Fix): Promise<void> {
  if (fix.kind === 'command') {
    await vscode.commands.executeCommand(fix.command, ...(fix.args ?? []));
  } else if (fix.setting) {
    const open = settingCommand(fix.setting);
    await vscode.commands.executeCommand(open.command, ...open.arguments);
  }
}

/** Cancelling is not an error, whichever layer reports it. */
export function isCancellation(err: unknown): boolean {
  return (
    err instanceof vscode.CancellationError ||
    (err instanceof ResponseError && err.code === LSPErrorCodes.RequestCancelled)
  );
}

/**
 * `fn` as a command handler: it resolves to fn's result, or to undefined when fn was cancelled or
 * failed (the failure is logged and shown; the message's buttons act when the user picks one).
 */
export function guarded<A extends unknown[], R>(
  id: string,
  fn: (...args: A) => Promise<R>,
  log: vscode.LogOutputChannel,
): (...args: A) => Promise<R | undefined> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      if (isCancellation(err)) return undefined;
      // The engine's end was already told, with Resume Run: one message, not two.
      if (err instanceof EngineStoppedError && err.announced) {
        log.warn(`${id}: ${err.message}`);
        return undefined;
      }
      // The engine sends how to fix it as data: worded here as VS Code's settings and commands.
      const fixes = fixesOfError(err);
      const message = vscodeMessage(err instanceof Error ? err.message : String(err), fixes);
      log.error(`${id}: ${message}`);
      void vscode.window
        .showErrorMessage(`MCPO: ${message}`, ...errorActions(id, message, fixes))
        .then(async (choice) => {
          const fix = choice && fixOfAction(choice, fixes);
          if (fix) await applyFix(fix);
          else if (choice === 'Retry') await vscode.commands.executeCommand(id, ...args);
          else if (choice === 'Configure Endpoints')
            await vscode.commands.executeCommand('mcpo.configureEndpoints');
          else if (choice === 'Show Logs') log.show();
        });
      return undefined;
    }
  };
}

/** Registers `fn` as command `id`, run in the wrapper. */
export function registerCommand<A extends unknown[], R>(
  id: string,
  fn: (...args: A) => Promise<R>,
  log: vscode.LogOutputChannel,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, guarded(id, fn, log));
}
