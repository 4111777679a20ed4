/** Waits on VS Code's diagnostics events, with a deadline (shared by the integration tests). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';

/** The diagnostics of `uri` once `accept` holds for them (checked now and on every change). */
export function waitForDiagnostics(
  uri: vscode.Uri,
  accept: (d: readonly vscode.Diagnostic[]) => boolean,
  what: string,
  waitMs: number,
): Promise<readonly vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const diagnostics = vscode.languages.getDiagnostics(uri);
      if (!accept(diagnostics)) return false;
      listener.dispose();
      clearTimeout(timer);
      resolve(diagnostics);
      return true;
    };
    const listener = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) check();
    });
    const timer = setTimeout(() => {
      listener.dispose();
      reject(
        new Error(
          `${what}: not within ${waitMs} ms; diagnostics now ${JSON.stringify(vscode.languages.getDiagnostics(uri).map((d) => d.message))}`,
        ),
      );
    }, waitMs);
    check();
  });
}

/** Resolves once the extension's engine runs: it has published diagnostics for a broken row. */
export async function extensionEngineRunning(
  extension: vscode.Extension<unknown>,
  waitMs: number,
): Promise<void> {
  const sampleFile = path.join(
    extension.extensionPath,
    'server',
    'dataset',
    'sample',
    'shopbench-dev.jsonl',
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-itest-engine-'));
  try {
    const file = vscode.Uri.file(path.join(dir, 'broken.jsonl'));
    const [row] = fs.readFileSync(sampleFile, 'utf8').split('\n');
    // A ShopBench row with a metric the scorer does not know.
    fs.writeFileSync(file.fsPath, `${JSON.stringify({ ...JSON.parse(row), metric: 'acc' })}\n`);
    const published = waitForDiagnostics(
      file,
      (d) => d.length > 0,
      'the engine published no diagnostic',
      waitMs,
    );
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    await published;
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
