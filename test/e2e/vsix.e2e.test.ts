/**
 * The packaged extension works once installed: the .vsix from test/e2e/install-vsix.sh (or
 * `npm run package`) is installed into a fresh code-server — no extensionDevelopmentPath — and
 * its command runs from the palette. Catches what only packaging breaks (.vscodeignore dropping
 * a runtime file, a missing dependency, a bad manifest).
 *
 *   test/e2e/install-vsix.sh && MCPO_VSIX=test-artifacts/mcpo-workbench-linux-x64.vsix node --test out/test/e2e/
 *
 * Skipped unless MCPO_VSIX names a .vsix.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../support/paths';
import {
  codeServerEntry,
  createWorkspace,
  defaultCodeServerDir,
  removeDir,
  startCodeServer,
  workbenchUrl,
} from './codeServer';
import {
  activeEditorLines,
  editorTab,
  openWorkbench,
  runCommand,
  screenshot,
  waitForWorkbench,
} from './workbench';

const codeServerDir = defaultCodeServerDir();
const vsix = process.env.MCPO_VSIX ? path.resolve(repoRoot, process.env.MCPO_VSIX) : '';
const skip = !vsix
  ? 'MCPO_VSIX is not set (build one with test/e2e/install-vsix.sh)'
  : !fs.existsSync(vsix)
    ? `MCPO_VSIX=${vsix} does not exist`
    : !codeServerEntry(codeServerDir)
      ? `code-server is not installed in ${codeServerDir}: run test/e2e/install-code-server.sh`
      : false;

test('vsix: the installed package opens the sample', { skip, timeout: 180_000 }, async (t) => {
  const workspace = createWorkspace({ 'README.txt': { text: 'vsix e2e workspace\n' } });
  t.after(() => removeDir(workspace));
  const server = await startCodeServer({ codeServerDir, workspace, installVsix: [vsix] });
  t.after(() => server.stop());
  const { page, close } = await openWorkbench(workbenchUrl(server));
  t.after(close);
  try {
    await waitForWorkbench(page);
    await runCommand(page, 'MCPO: Open Bundled ShopBench Sample');
    await editorTab(page, 'shopbench-dev.jsonl').waitFor({ state: 'visible', timeout: 15_000 });
    const firstLine = activeEditorLines(page).first();
    await firstLine.waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await firstLine.innerText(), /^\{/);
    await screenshot(page, 'vsix-sample-open');
  } catch (err) {
    await screenshot(page, 'vsix-failure').catch(() => undefined);
    t.diagnostic(`code-server output (tail):\n${server.output().slice(-3000)}`);
    throw err;
  }
});
