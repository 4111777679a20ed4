/**
 * The report while a dataset run is going and just after it failed (C5 of the s22 new-user try:
 * the "MCPO Report" tab was entirely blank then). In a real VS Code (code-server + chromium):
 * the report is open from the palette; "Run MCPO on Dataset" runs the 96-question sample against
 * the test server, which holds every answer after the first few; the report shows the run in
 * progress with its count at once. Then the server goes away: the failure toast comes, and the
 * report shows the partial run (its scores so far, and how many failed).
 *
 * Screenshots: test-artifacts/e2e/report-during-run-*.png.
 *
 *   npm run build && node --test out/test/e2e/reportDuringRun.e2e.test.js
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Frame, Page } from 'playwright-core';
import { startOpenAiTestServer } from '../support/openaiTestServer';
import { repoRoot } from '../support/paths';
import { buildTinyBertFixture } from '../support/tinyBertFixture';
import { removeDir } from './codeServer';
import { codeServerMissing, openVsCode, reportFailure, testWorkspace } from './session';
import {
  editorTab,
  resultsFrame,
  runCommand,
  screenshot,
  waitForExplorerItem,
  waitForWorkbench,
} from './workbench';

const SAMPLE = path.join(repoRoot, 'server', 'dataset', 'sample', 'shopbench-dev.jsonl');
const DATASET = 'shopbench-dev.jsonl';
const MODEL = 'test-model';
const skip = codeServerMissing();

/** The report frame's visible text, once it holds `text` (bounded wait on its DOM). */
async function reportShows(page: Page, text: string | RegExp, timeoutMs = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const frame = await resultsFrame(page, 'report', Math.max(1, deadline - Date.now()));
    last = await frame
      .locator('body')
      .innerText({ timeout: 1_000 })
      .catch(() => last);
    if (typeof text === 'string' ? last.includes(text) : text.test(last)) return frame;
    if (Date.now() > deadline)
      throw new Error(
        `the report does not show ${String(text)}; it shows:\n${last.slice(0, 1500)}`,
      );
    // The page redraws on each message: wait for its next change (at most 2 s), not a fixed time.
    await frame
      .evaluate(
        `new Promise((resolve) => {
          const o = new MutationObserver(() => { o.disconnect(); resolve(true); });
          o.observe(document.body, { subtree: true, childList: true, characterData: true });
          setTimeout(() => { o.disconnect(); resolve(false); }, 2000);
        })`,
      )
      .catch(() => undefined);
  }
}

test(
  'the report during a dataset run shows its progress, and after a failure the partial run',
  { skip, timeout: 240_000 },
  async (t) => {
    const llm = await startOpenAiTestServer({ models: [MODEL] });
    t.after(() => llm.close());
    const modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-e2e-bert-'));
    t.after(() => removeDir(modelDir));
    buildTinyBertFixture(modelDir);
    const workspace = testWorkspace(t, { [DATASET]: { text: fs.readFileSync(SAMPLE, 'utf8') } });
    fs.mkdirSync(path.join(workspace, '.vscode'));
    fs.writeFileSync(
      path.join(workspace, '.vscode', 'settings.json'),
      JSON.stringify(
        {
          'mcpo.llm.url': llm.baseUrl,
          'mcpo.llm.model': MODEL,
          'mcpo.llm.concurrency': 4,
          'mcpo.scoring.embedModel': modelDir,
          'mcpo.runsDir': path.join(workspace, 'mcpo-runs'),
          'mcpo.cacheDir': path.join(workspace, 'mcpo-cache'),
        },
        null,
        2,
      ),
    );
    const session = await openVsCode(t, {
      workspace,
      extensionDevelopmentPath: repoRoot,
      userSettings: { 'remote.autoForwardPorts': false },
    });
    const { page } = session;
    try {
      await waitForWorkbench(page);
      await waitForExplorerItem(page, DATASET);
      await page
        .locator('.explorer-folders-view .monaco-list-row', { hasText: DATASET })
        .first()
        .click();
      await editorTab(page, DATASET).waitFor({ state: 'visible', timeout: 15_000 });

      // The report is open before the run, as it is after any earlier run; then hidden behind
      // the dataset, where the user starts the run from.
      await runCommand(page, 'MCPO: Open Run Report');
      const before = await reportShows(page, 'No runs yet');
      await before.evaluate('window.mcpoPageMark = "loaded before the run"');
      await editorTab(page, DATASET).click();

      // The first 4 answers are held, then released while the next ones are held: the run is
      // going, with some questions done.
      const releaseFirst = llm.hold();
      await runCommand(page, 'MCPO: Run MCPO on Dataset');
      await llm.waitForRequests(4, 60_000);
      const held = llm.requests.length;
      llm.hold();
      releaseFirst();
      // A request after the release: a question finished and the next one started.
      await llm.waitForRequests(held + 1, 60_000);

      await editorTab(page, 'MCPO Report').click();
      const during = await reportShows(page, /Run in progress: [1-9]\d* of 96 questions done/);
      await screenshot(page, 'report-during-run-1-in-progress');
      // The same page, kept while hidden: nothing to load again, so nothing blank meanwhile.
      assert.equal(await during.evaluate('window.mcpoPageMark'), 'loaded before the run');
      const text = await during.locator('body').innerText();
      assert.match(text, /\d+ of 96 questions so far/, 'the run list counts it "so far"');
      assert.doesNotMatch(text, /\(incomplete\)|have no answers/, 'a live run is no verdict');

      // The server goes away: the run gives up, the failure toast comes, and the report shows
      // the partial run (its own count of failures, its finished questions), no banner.
      await llm.close();
      await page
        .locator('.notification-toast', { hasText: /questions? failed/ })
        .first()
        .waitFor({ state: 'visible', timeout: 90_000 });
      const after = await reportShows(page, /Incomplete: \d+ of 96 questions failed/);
      await screenshot(page, 'report-during-run-2-after-failure');
      const shown = await after.locator('body').innerText();
      assert.doesNotMatch(shown, /Run in progress/);
      assert.match(shown, /Overall \d\.\d{4}/, 'the finished questions are scored');
      assert.equal(await after.evaluate('window.mcpoPageMark'), 'loaded before the run');
    } catch (err) {
      await reportFailure(t, session, 'report-during-run-failure');
      throw err;
    }
  },
);
