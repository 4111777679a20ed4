/**
 * MCPO Workbench's VS Code client. This first version only activates, owns its disposables and
 * offers the bundled ShopBench sample; the engine (server/) joins through the language client
 * in a later step, and the extension will never import engine internals.
 */
import * as vscode from 'vscode';

/** One scope owns every registration, so deactivation disposes everything. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('MCPO', { log: true });
  context.subscriptions.push(log);
  const commands: Record<string, () => Promise<void>> = {
    'mcpo.openSampleDataset': async () => {
      const uri = vscode.Uri.joinPath(context.extensionUri, 'server', 'dataset', 'sample', 'shopbench-dev.jsonl');
      await vscode.window.showTextDocument(uri);
    },
  };
  for (const [id, handler] of Object.entries(commands)) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async () => {
        try {
          await handler();
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          log.error(`${id}: ${message}`);
          const choice = await vscode.window.showErrorMessage(`MCPO: ${message}`, 'Show Logs');
          if (choice === 'Show Logs') log.show();
        }
      }),
    );
  }
  log.info(`MCPO Workbench ${String(context.extension.packageJSON.version)} activated`);
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
