/**
 * VS Code figures in a real VS Code (code-server + chromium): the extension's activation time
 * (its activate() call, reported by the extension itself) and the results panel's first render
 * (command to the runs list visible in the webview). Skipped when code-server is not installed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  codeServerMissing,
  createWorkspace,
  removeDir,
  startCodeServer,
  workbenchUrl,
} from '../e2e/codeServer';
import {
  openWorkbench,
  runCommand,
  waitForExplorerItem,
  waitForWorkbench,
  webviewFrame,
} from '../e2e/workbench';

export async function vscodeBench(sample: string, figures: Record<string, string>): Promise<void> {
  if (codeServerMissing()) {
    figures['VS Code activation / webview first render'] =
      'skipped (run bash test/e2e/install-code-server.sh)';
    return;
  }
  const repoRoot = path.join(__dirname, '..');
  const statsFile = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-vsbench-')),
    'stats.json',
  );
  const workspace = createWorkspace({ 'shopbench-dev.jsonl': sample });
  const server = await startCodeServer({
    workspace,
    extensionDevelopmentPath: repoRoot,
    env: { ...process.env, MCPO_STATS_FILE: statsFile },
  });
  const { page, close } = await openWorkbench(workbenchUrl(server));
  try {
    await waitForWorkbench(page);
    await waitForExplorerItem(page, 'shopbench-dev.jsonl');
    // Opening a .jsonl file activates the extension (onLanguage:jsonl).
    await page.getByRole('treeitem', { name: 'shopbench-dev.jsonl' }).first().click();
    await waitForFile(statsFile);
    const { activationMs } = JSON.parse(fs.readFileSync(statsFile, 'utf8')) as {
      activationMs: number;
    };
    figures['VS Code: extension activation (activate() in the extension host)'] =
      `${activationMs.toFixed(1)} ms`;
    const t0 = Date.now();
    await runCommand(page, 'MCPO: Open Results');
    await webviewFrame(page)
      .locator('[data-testid="runs-list"]')
      .waitFor({ state: 'visible', timeout: 60_000 });
    figures['VS Code: results webview first render (command to runs list visible)'] =
      `${Date.now() - t0} ms`;
  } finally {
    await close();
    await server.stop();
    removeDir(workspace);
  }
}

/** The extension writes the stats file once activated; its appearance is the event waited on. */
async function waitForFile(file: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const dir = path.dirname(file);
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await new Promise<void>((resolve) => {
      const watcher = fs.watch(dir, () => {
        watcher.close();
        resolve();
      });
      setTimeout(() => {
        watcher.close();
        resolve();
      }, 1000);
    });
  }
}
