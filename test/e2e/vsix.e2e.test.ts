/**
 * The packaged extension, used as a user uses it: the linux-x64 .vsix is installed into a fresh
 * code-server (no extensionDevelopmentPath), user settings point it at the project's
 * OpenAI-compatible test server, and every step is asserted in the UI by reading the DOM:
 *
 * 1. "MCPO: Open Bundled ShopBench Sample" opens the sample, and the engine draws code lenses on
 *    it (a packaged engine that cannot start draws none).
 * 2. A workspace dataset with a broken row shows the problem in the Problems panel, on that row,
 *    and a squiggle in the editor.
 * 3. "MCPO: Check Endpoints" asks the test server and the status bar item turns healthy.
 * 4. "MCPO: Run MCPO on Selection" on 3 rows runs them against the test server; the prompt view
 *    opens for one of them and the results show the run.
 * 5. XSS: the model answers, and one row's task name is, HTML that would set a marker attribute
 *    if it ever ran. Inside every webview frame the marker is absent while the payload is shown
 *    as text.
 *
 *   npm run package && MCPO_VSIX=test-artifacts/mcpo-workbench-linux-x64.vsix \
 *     node --test out/test/e2e/vsix.e2e.test.js
 *
 * Skipped unless MCPO_VSIX names a .vsix. Screenshots: test-artifacts/e2e/vsix-<n>-<what>.png.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { startOpenAiTestServer } from '../support/openaiTestServer';
import { repoRoot } from '../support/paths';
import { codeServerMissing, openVsCode, reportFailure, testWorkspace } from './session';
import {
  codeLenses,
  editorTab,
  errorSquiggles,
  mcpoStatusHealthy,
  mcpoStatusUnhealthy,
  pickQuickInputRow,
  problemRow,
  promptViewTab,
  runCommand,
  screenshot,
  selectAll,
  waitForExplorerItem,
  waitForWebviewText,
  waitForWorkbench,
  webviewContentFrames,
} from './workbench';

const vsix = process.env.MCPO_VSIX ? path.resolve(repoRoot, process.env.MCPO_VSIX) : '';
const skip = !vsix
  ? 'MCPO_VSIX is not set (build one with npm run package)'
  : !fs.existsSync(vsix)
    ? `MCPO_VSIX=${vsix} does not exist`
    : codeServerMissing();

const SAMPLE = path.join(repoRoot, 'server', 'dataset', 'sample', 'shopbench-dev.jsonl');
const MODEL = 'test-model';
/** Sets a marker attribute on the document it runs in: it must never run. */
const XSS = `<img src=x onerror="document.body.setAttribute('data-mcpo-xss','ran')">`;
const XSS_TASK = `task-${XSS}`;

/** The sample's rows as objects. */
function sampleRows(): Array<Record<string, unknown>> {
  return fs
    .readFileSync(SAMPLE, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Three multiple-choice rows, the last one renamed to the XSS task. */
function threeRows(): string {
  const rows = sampleRows()
    .filter((r) => r.task_type === 'multiple-choice')
    .slice(0, 3);
  assert.equal(rows.length, 3, 'the sample has fewer than 3 multiple-choice rows');
  rows[2] = { ...rows[2], task_name: XSS_TASK };
  return `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
}

/** Two rows, the second with an unknown metric. */
function brokenRows(): string {
  const [first, second] = sampleRows();
  return `${JSON.stringify(first)}\n${JSON.stringify({ ...second, metric: 'acc' })}\n`;
}

async function openFromExplorer(page: Page, name: string): Promise<void> {
  await waitForExplorerItem(page, name);
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first().click();
  await editorTab(page, name).waitFor({ state: 'visible', timeout: 60_000 });
}

/** Waits (with a deadline) until the run folder's records.jsonl holds `n` lines. */
async function waitForRecords(runsDir: string, n: number, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const run of fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : []) {
      const records = path.join(runsDir, run, 'records.jsonl');
      if (!fs.existsSync(records)) continue;
      const lines = fs.readFileSync(records, 'utf8').split('\n').filter(Boolean);
      if (lines.length >= n) return path.join(runsDir, run);
    }
    if (Date.now() >= deadline) throw new Error(`no run with ${n} records in ${runsDir}`);
    await new Promise((resolve) => setTimeout(resolve, 200)); // poll interval, bounded above
  }
}

test(
  'vsix: the installed package, driven as a user drives it',
  { skip, timeout: 420_000 },
  async (t) => {
    let answer = '1';
    const llm = await startOpenAiTestServer({ models: [MODEL], answer: () => answer });
    t.after(() => llm.close());
    // The first request is the silent endpoint check at start-up: it is told the model is not
    // served, so the status item starts unhealthy and Check Endpoints has something to change.
    llm.script({ kind: 'wrongModel' });
    const workspace = testWorkspace(t, {
      'rows.jsonl': { text: threeRows() },
      'broken.jsonl': { text: brokenRows() },
    });
    const runsDir = path.join(workspace, 'mcpo-runs');
    const session = await openVsCode(t, {
      workspace,
      installVsix: [vsix],
      userSettings: {
        'mcpo.llm.url': llm.baseUrl,
        'mcpo.llm.model': MODEL,
        'mcpo.cot.mode': 'off',
        'mcpo.similarity.k': 0,
        'mcpo.runsDir': runsDir,
        // The test server listens on loopback: "port is available" toasts would cover the UI.
        'remote.autoForwardPorts': false,
      },
    });
    const { page } = session;
    try {
      await waitForWorkbench(page);

      // 1. the bundled sample, with the engine's code lenses ------------------------------------
      // The first command waits for the extension host to start and register the commands:
      // slow on a busy machine.
      await runCommand(page, 'MCPO: Open Bundled ShopBench Sample', 120_000);
      await editorTab(page, 'shopbench-dev.jsonl').waitFor({ state: 'visible', timeout: 60_000 });
      const lens = codeLenses(page).first();
      await lens.waitFor({ state: 'visible', timeout: 60_000 });
      assert.notEqual((await lens.innerText()).trim(), '', 'the code lens has no text');
      await screenshot(page, 'vsix-1-sample-with-lenses');

      // 2. a broken row: Problems panel and squiggle -------------------------------------------
      await openFromExplorer(page, 'broken.jsonl');
      const problem = await problemRow(page, /metric/i);
      await problem.waitFor({ state: 'visible', timeout: 60_000 });
      const problemText = await problem.innerText();
      assert.match(problemText, /acc/, `the problem does not name the metric: ${problemText}`);
      assert.match(problemText, /Ln 2\b/, `the problem is not on row 2: ${problemText}`);
      await errorSquiggles(page).first().waitFor({ state: 'visible', timeout: 15_000 });
      await screenshot(page, 'vsix-2-broken-row-problem');

      // 3. Check Endpoints turns the status item healthy ---------------------------------------
      await mcpoStatusUnhealthy(page).waitFor({ state: 'visible', timeout: 60_000 });
      assert.equal(await mcpoStatusHealthy(page).count(), 0);
      await screenshot(page, 'vsix-3-endpoints-unhealthy-at-start');
      const requestsBefore = llm.requests.length;
      await runCommand(page, 'MCPO: Check Endpoints');
      await mcpoStatusHealthy(page).waitFor({ state: 'visible', timeout: 30_000 });
      assert.ok(
        llm.requests.slice(requestsBefore).some((r) => r.path.endsWith('/models')),
        'Check Endpoints did not ask the test server',
      );
      await screenshot(page, 'vsix-4-endpoints-healthy');

      // 4. Run MCPO on Selection over 3 rows; the prompt view and the results -------------------
      answer = XSS;
      await openFromExplorer(page, 'rows.jsonl');
      await selectAll(page);
      await runCommand(page, 'MCPO: Run MCPO on Selection');
      const runDir = await waitForRecords(runsDir, 3, 120_000);
      const generations = llm.requests.filter((r) => r.path.endsWith('/completions')).length;
      assert.ok(generations >= 3, `${generations} generation requests for 3 rows`);
      // The run's end is shown in the UI: the status item is back to its health icon.
      await mcpoStatusHealthy(page).waitFor({ state: 'visible', timeout: 60_000 });

      // The report opens beside the editor as the run ends. A picker opened while it is still
      // opening can close under the test (fresh-clone CI saw this once): wait for its tab, and
      // start the picker again if it closes before the question is picked.
      await editorTab(page, 'MCPO Report').waitFor({ state: 'visible', timeout: 60_000 });
      for (let attempt = 1; ; attempt++) {
        try {
          // Which run, then which question.
          await runCommand(page, 'MCPO: Show Prompt of a Run’s Question', 30_000, {
            opensQuickInput: true,
          });
          await pickQuickInputRow(page, /3 selected questions/);
          await pickQuickInputRow(page, /\bQ1(?!\d)/);
          await promptViewTab(page).waitFor({ state: 'visible', timeout: 30_000 });
          break;
        } catch (err) {
          if (attempt === 3) throw err;
          await page.keyboard.press('Escape');
        }
      }
      await screenshot(page, 'vsix-5-prompt-view');

      await runCommand(page, 'MCPO: Open Results');
      const firstTask = String(
        sampleRows().find((r) => r.task_type === 'multiple-choice')?.task_name,
      );
      await waitForWebviewText(page, firstTask, 60_000);
      await screenshot(page, 'vsix-6-results');

      // 5. XSS: the payload is text, and it never ran --------------------------------------------
      const shown = await waitForWebviewText(page, XSS_TASK, 30_000);
      assert.equal(
        await shown.locator('img[src="x"]').count(),
        0,
        'the payload became an <img> element',
      );
      const frames = await webviewContentFrames(page);
      assert.ok(frames.length > 0, 'no webview frame to check');
      for (const frame of frames) {
        const marker = await frame.evaluate(() =>
          (
            globalThis as unknown as {
              document: { body: { getAttribute(n: string): string | null } };
            }
          ).document.body.getAttribute('data-mcpo-xss'),
        );
        assert.equal(marker, null, `the payload ran in webview ${frame.url()}`);
      }
      await screenshot(page, 'vsix-7-xss-shown-as-text');
      t.diagnostic(
        `run ${path.basename(runDir)}; ${llm.requests.length} requests to the test server`,
      );
    } catch (err) {
      await reportFailure(t, session, 'vsix-failure');
      throw err;
    }
  },
);
