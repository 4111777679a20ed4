/**
 * End-to-end smoke test: a person's path through the real VS Code UI. code-server serves the
 * workbench with this repository as the extension under development, chromium opens it, and the
 * test runs "MCPO: Open Bundled ShopBench Sample" from the command palette.
 *
 *   npm run build && node --test out/test/e2e/
 *
 * Named *.e2e.test.ts because node --test, given a folder, only runs *.test.js files.
 *
 * Needs code-server from test/e2e/install-code-server.sh (skips with a message otherwise).
 * Screenshots of each step land in test-artifacts/e2e/.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../support/paths';
import { codeServerMissing, openVsCode, reportFailure, testWorkspace } from './session';
import {
  activeEditorLines,
  editorTab,
  runCommand,
  screenshot,
  waitForExplorerItem,
  waitForWorkbench,
} from './workbench';

const SAMPLE = path.join(repoRoot, 'server', 'dataset', 'sample', 'shopbench-dev.jsonl');
const skip = codeServerMissing();

test('smoke: the sample opens from the command palette', { skip, timeout: 120_000 }, async (t) => {
  assert.ok(
    fs.existsSync(path.join(repoRoot, 'dist', 'extension.js')),
    'dist/extension.js is missing: run npm run build',
  );
  const timings: string[] = [];
  const started = Date.now();
  const mark = (step: string): void => void timings.push(`${step}: ${Date.now() - started} ms`);

  const workspace = testWorkspace(t, { 'shopbench-dev.jsonl': SAMPLE });
  const session = await openVsCode(t, { workspace, extensionDevelopmentPath: repoRoot });
  const { page } = session;
  mark('workbench opened');
  try {
    await waitForWorkbench(page);
    mark('workbench visible');
    await waitForExplorerItem(page, 'shopbench-dev.jsonl');
    await screenshot(page, 'smoke-1-workbench');

    await runCommand(page, 'MCPO: Open Bundled ShopBench Sample');
    mark('command ran');
    // The command opens the bundled copy (inside the extension), shown in a tab by file name.
    const tab = editorTab(page, 'shopbench-dev.jsonl');
    await tab.waitFor({ state: 'visible', timeout: 15_000 });
    assert.equal(await tab.locator('.label-name').innerText(), 'shopbench-dev.jsonl');
    const firstLine = activeEditorLines(page).first();
    await firstLine.waitFor({ state: 'visible', timeout: 15_000 });
    // A record of the dataset is on screen, not an empty or error editor.
    assert.match(await firstLine.innerText(), /^\{/);
    mark('dataset visible');
    await screenshot(page, 'smoke-2-sample-open');
  } catch (err) {
    await reportFailure(t, session, 'smoke-failure', { consoleLines: 30 });
    throw err;
  } finally {
    t.diagnostic(timings.join(', '));
  }
});
