/**
 * End-to-end: the MCPO flow a person goes through in the real VS Code UI (code-server + chromium).
 *
 *   npm run build && node --test --test-concurrency=1 out/test/e2e/
 *
 * 1. A workspace holds a copy of the ShopBench sample with row 3 broken (metric "acc") and
 *    workspace settings pointing M_L at an in-process OpenAI-compatible test server (the extension
 *    host is another process and reaches it over loopback), chain of thought "self", similarity
 *    hints k=3, and the tiny BERT fixture as embedding model (nothing touches the hub).
 * 2. The dataset opens; the Problems panel shows "unknown metric" for row 3.
 * 3. Ctrl+G puts the cursor on the first task12 (ranking) row; "MCPO: Run MCPO on Selection" runs
 *    it; the prompt diff ("original ↔ MCPO") opens.
 * 4. The right editor shows "[Chain of Thought]" and "[External information]", highlighted with
 *    the mcpo.cotBackground / mcpo.similarityBackground decorations; hovering the similarity span
 *    says "similarity hint".
 * 5. "MCPO: Open Results" shows the run's overall score and per-task table in the webview.
 * 6. The test server now answers `<img src=x onerror=alert(1)>`; another row is run and the
 *    panel's raw response shows that string as text (no img element, no dialog).
 *
 * Each step saves test-artifacts/e2e/flow-<n>-<what>.png. Waits are on selectors or events.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import {
  promptText,
  startOpenAiTestServer,
  type RecordedRequest,
} from '../support/openaiTestServer';
import { repoRoot } from '../support/paths';
import { buildTinyBertFixture } from '../support/tinyBertFixture';
import {
  codeServerEntry,
  createWorkspace,
  defaultCodeServerDir,
  removeDir,
  startCodeServer,
  workbenchUrl,
} from './codeServer';
import {
  ARTIFACTS_DIR,
  editorTab,
  openWorkbench,
  runCommand,
  screenshot,
  waitForExplorerItem,
  waitForWorkbench,
  webviewFrame,
} from './workbench';

const SAMPLE = path.join(repoRoot, 'server', 'dataset', 'sample', 'shopbench-dev.jsonl');
const DATASET = 'shopbench-dev.jsonl';
const BROKEN_ROW = 3; // 1-based line number of the row whose metric is broken
const MODEL = 'test-model';
const COT_ANSWER = 'The first option matches best.';
const XSS = '<img src=x onerror=alert(1)>';

const codeServerDir = defaultCodeServerDir();
const skip = codeServerEntry(codeServerDir)
  ? false
  : `code-server is not installed in ${codeServerDir}: run test/e2e/install-code-server.sh (or set MCPO_CODE_SERVER_DIR)`;

interface SampleRow {
  task_name: string;
  task_type: string;
  metric: string;
}

/** The sample's lines with row BROKEN_ROW's metric replaced by "acc"; also the 1-based lines of interest. */
function brokenDataset(): { text: string; rankingLine: number; xssLine: number } {
  const lines = fs
    .readFileSync(SAMPLE, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const rows = lines.map((l) => JSON.parse(l) as SampleRow & Record<string, unknown>);
  rows[BROKEN_ROW - 1] = { ...rows[BROKEN_ROW - 1], metric: 'acc' };
  const rankingLine = rows.findIndex((r) => r.task_name === 'task12') + 1;
  const xssLine = rows.findIndex((r) => r.task_type === 'multiple-choice') + 1;
  assert.ok(
    rankingLine > 0 && rows[rankingLine - 1].task_type === 'ranking',
    'the sample has no task12 ranking row',
  );
  assert.ok(xssLine > 0 && xssLine !== BROKEN_ROW, 'the sample has no multiple-choice row');
  return { text: `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`, rankingLine, xssLine };
}

/** The right-hand (modified) editor of the active diff editor. */
function modifiedEditor(page: Page): Locator {
  return page
    .locator('.editor-group-container.active .monaco-diff-editor .editor.modified')
    .first();
}

/**
 * CSS class names of the decoration types whose background is the theme colour `colorId`. VS Code
 * writes one rule per decoration type (`.monaco-editor .ced-<n>-TextEditorDecorationType<m>-0`)
 * with the colour resolved for the current theme, so the colour is resolved the same way here
 * (the workbench's `--vscode-<id>` variable, normalised by the browser) and compared.
 */
async function decorationClasses(page: Page, colorId: string): Promise<string[]> {
  const variable = `--vscode-${colorId.replace(/\./g, '-')}`;
  return page.evaluate((name) => {
    // The test project compiles without the DOM library: the little of it used here, typed.
    const { document, getComputedStyle } = globalThis as unknown as BrowserGlobals;
    const probe = document.createElement('div');
    document.body.append(probe);
    const normalise = (colour: string): string => {
      probe.style.backgroundColor = '';
      probe.style.backgroundColor = colour;
      return getComputedStyle(probe).backgroundColor;
    };
    const workbench = document.querySelector('.monaco-workbench');
    const themed = workbench ? getComputedStyle(workbench).getPropertyValue(name).trim() : '';
    const found = new Set<string>();
    if (themed !== '') {
      const wanted = normalise(themed);
      for (const sheet of Array.from(document.styleSheets)) {
        let rules: ArrayLike<BrowserCssRule>;
        try {
          rules = sheet.cssRules;
        } catch {
          continue; // a cross-origin sheet
        }
        for (const rule of Array.from(rules)) {
          const background = rule.style?.backgroundColor ?? '';
          if (typeof rule.selectorText !== 'string' || background === '') continue;
          const classes = [...rule.selectorText.matchAll(/\.(ced-[\w-]+)/g)].map((m) => m[1]);
          if (classes.length > 0 && normalise(background) === wanted)
            classes.forEach((c) => found.add(c));
        }
      }
    }
    probe.remove();
    return [...found];
  }, variable);
}

/** The parts of the browser's globals decorationClasses uses (tsconfig has no "dom" lib). */
interface BrowserElement {
  style: { backgroundColor: string };
  remove(): void;
}
interface BrowserCssRule {
  selectorText?: string;
  style?: { backgroundColor: string };
}
interface BrowserGlobals {
  document: {
    body: { append(node: BrowserElement): void };
    createElement(tag: string): BrowserElement;
    querySelector(selector: string): BrowserElement | null;
    styleSheets: ArrayLike<{ cssRules: ArrayLike<BrowserCssRule> }>;
  };
  getComputedStyle(element: BrowserElement): {
    backgroundColor: string;
    getPropertyValue(name: string): string;
  };
}

/** Decoration elements of a stage colour inside `editor`; fails when the colour has no rule. */
async function stageDecorations(page: Page, editor: Locator, colorId: string): Promise<Locator> {
  const classes = await decorationClasses(page, colorId);
  assert.ok(
    classes.length > 0,
    `no CSS rule uses the theme colour ${colorId}: decorations of that stage were never created`,
  );
  return editor.locator(classes.map((c) => `.${c}`).join(', '));
}

/** A visible text line of `editor` containing `text`. */
function editorLine(editor: Locator, text: string): Locator {
  return editor.locator('.view-lines .view-line', { hasText: text }).first();
}

/** Goes to a 1-based line of the active text editor with Ctrl+G, as a person would. */
async function goToLine(page: Page, line: number): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await page.keyboard.press('Control+g');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`:${line}`);
  await input.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
  // The status bar shows the cursor position: proof the cursor moved.
  await page
    .locator('.statusbar-item', { hasText: new RegExp(`Ln ${line}, Col`) })
    .first()
    .waitFor({ state: 'visible', timeout: 10_000 });
}

/** Brings the dataset editor to the front (its tab), so "Run MCPO on Selection" sees it. */
async function focusDataset(page: Page): Promise<void> {
  await editorTab(page, DATASET).click();
  await page
    .locator('.editor-group-container.active .tab.active', { hasText: DATASET })
    .waitFor({ state: 'visible', timeout: 10_000 });
  // Clicking the tab focuses its editor (a click in the text could land on a CodeLens).
  await page
    .locator('.editor-group-container.active .monaco-editor.focused')
    .first()
    .waitFor({ state: 'attached', timeout: 10_000 });
}

/**
 * Like workbench.ts screenshot(), with CSS animations finished first: the hover fades in, and a
 * shot taken mid-fade shows it half transparent over the text.
 */
async function shot(page: Page, name: string): Promise<string> {
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: file, animations: 'disabled' });
  return file;
}

/** The results panel's content frame (the only webview this test opens). */
function panel(page: Page): FrameLocator {
  return webviewFrame(page);
}

test(
  'MCPO flow: diagnostics, run on selection, prompt diff, results panel, escaped response',
  { skip, timeout: 300_000 },
  async (t) => {
    assert.ok(
      fs.existsSync(path.join(repoRoot, 'dist', 'extension.js')),
      'dist/extension.js is missing: run npm run build',
    );
    const timings: string[] = [];
    const started = Date.now();
    const mark = (step: string): void => void timings.push(`${step}: ${Date.now() - started} ms`);

    // (a) the test server, the embedding model fixture and the workspace -------------------------
    let finalAnswer = '1';
    const llm = await startOpenAiTestServer({
      models: [MODEL],
      // Case-sensitive on purpose: the CoT request says "chain of thought", the final prompt's
      // "[Chain of Thought]" heading must still get the final answer.
      answer: (r: RecordedRequest) =>
        promptText(r).includes('chain of thought') ? COT_ANSWER : finalAnswer,
    });
    t.after(() => llm.close());
    const modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-e2e-bert-'));
    t.after(() => removeDir(modelDir));
    buildTinyBertFixture(modelDir);

    const { text, rankingLine, xssLine } = brokenDataset();
    const workspace = createWorkspace({ [DATASET]: { text } });
    t.after(() => removeDir(workspace));
    const runsDir = path.join(workspace, 'mcpo-runs');
    const workspaceSettings = {
      'mcpo.llm.url': llm.baseUrl,
      'mcpo.llm.model': MODEL,
      'mcpo.cot.mode': 'self',
      'mcpo.similarity.k': 3,
      'mcpo.embedModel': modelDir,
      'mcpo.scoring.embedModel': modelDir,
      'mcpo.runsDir': runsDir,
    };
    fs.mkdirSync(path.join(workspace, '.vscode'));
    fs.writeFileSync(
      path.join(workspace, '.vscode', 'settings.json'),
      JSON.stringify(workspaceSettings, null, 2),
    );

    const server = await startCodeServer({
      codeServerDir,
      workspace,
      extensionDevelopmentPath: repoRoot,
      // The engine and test server listen on loopback ports; "port is available" toasts would cover the UI.
      userSettings: { 'remote.autoForwardPorts': false },
    });
    t.after(() => server.stop());
    mark('healthz');

    const browserLog: string[] = [];
    const dialogs: string[] = [];
    const { page, close } = await openWorkbench(workbenchUrl(server), { consoleSink: browserLog });
    t.after(close);
    page.on('dialog', (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
    try {
      await waitForWorkbench(page);
      await waitForExplorerItem(page, DATASET);
      mark('workbench visible');

      // (b) open the dataset, see the diagnostic on the broken row ------------------------------
      await page
        .locator('.explorer-folders-view .monaco-list-row', { hasText: DATASET })
        .first()
        .click();
      await editorTab(page, DATASET).waitFor({ state: 'visible', timeout: 15_000 });
      await page.keyboard.press('Control+Shift+M');
      const problem = page
        .locator('.markers-panel .monaco-list-row', { hasText: 'unknown metric' })
        .first();
      await problem.waitFor({ state: 'visible', timeout: 60_000 });
      const problemText = await problem.innerText();
      assert.match(problemText, /unknown metric "acc"/);
      // The row with the problem is the broken one (the Problems panel shows [Ln N, Col M]).
      assert.match(
        problemText,
        new RegExp(`Ln ${BROKEN_ROW}\\b`),
        `the problem is not on line ${BROKEN_ROW}: ${problemText}`,
      );
      // The squiggle is in the editor as well.
      await page
        .locator('.editor-group-container.active .monaco-editor .squiggly-error')
        .first()
        .waitFor({ state: 'visible', timeout: 10_000 });
      mark('diagnostic visible');
      await shot(page, 'flow-1-diagnostic-unknown-metric');

      // (c) cursor on the first task12 (ranking) row, Run MCPO on Selection -----------------------
      await focusDataset(page);
      await goToLine(page, rankingLine);
      const requestsBefore = llm.requests.length;
      await runCommand(page, 'MCPO: Run MCPO on Selection');
      const diffTab = page.locator('.tabs-container .tab', { hasText: 'original ↔ MCPO' }).first();
      await diffTab.waitFor({ state: 'visible', timeout: 120_000 });
      assert.ok(llm.requests.length > requestsBefore, 'the run sent no request to the test server');
      const cotRequests = llm.requests
        .slice(requestsBefore)
        .filter((r) => promptText(r).includes('chain of thought'));
      assert.ok(
        cotRequests.length > 0,
        'no chain-of-thought request reached M_L although mcpo.cot.mode is "self"',
      );
      mark('prompt diff open');
      await shot(page, 'flow-2-prompt-diff-open');

      // (d) CoT and similarity spans in the right editor, their decorations and the hover ---------
      const right = modifiedEditor(page);
      await right.waitFor({ state: 'visible', timeout: 15_000 });
      const cotLine = editorLine(right, '[Chain of Thought]');
      const simLine = editorLine(right, '[External information]');
      await cotLine.waitFor({ state: 'visible', timeout: 15_000 });
      await simLine.waitFor({ state: 'visible', timeout: 15_000 });
      await editorLine(right, COT_ANSWER).waitFor({ state: 'visible', timeout: 15_000 });

      const cotDecorations = await stageDecorations(page, right, 'mcpo.cotBackground');
      const simDecorations = await stageDecorations(page, right, 'mcpo.similarityBackground');
      await cotDecorations.first().waitFor({ state: 'attached', timeout: 15_000 });
      await simDecorations.first().waitFor({ state: 'attached', timeout: 15_000 });
      assert.ok(
        (await cotDecorations.count()) > 0,
        'no chain-of-thought decoration in the MCPO prompt',
      );
      assert.ok((await simDecorations.count()) > 0, 'no similarity decoration in the MCPO prompt');
      // The original (left) side has no provenance spans, so no stage colour at all.
      const left = page
        .locator('.editor-group-container.active .monaco-diff-editor .editor.original')
        .first();
      assert.equal(
        await (await stageDecorations(page, left, 'mcpo.similarityBackground')).count(),
        0,
        'the original prompt is decorated',
      );

      // Hover the "[External information]" heading: it is inside the similarity span, and a
      // decoration piece of it is drawn on that line.
      const headingBox = await simLine.boundingBox();
      assert.ok(headingBox, 'the "[External information]" line has no box');
      const simBoxes = await simDecorations.evaluateAll((els) =>
        els.map((e) => e.getBoundingClientRect()).map((r) => ({ y: r.y, h: r.height, w: r.width })),
      );
      assert.ok(
        simBoxes.some((b) => b.w > 0 && Math.abs(b.y - headingBox.y) < headingBox.height / 2),
        `no similarity decoration on the "[External information]" line: ${JSON.stringify(simBoxes)}`,
      );
      const hover = page
        .locator('.monaco-hover:not(.hidden)', { hasText: 'similarity hint' })
        .first();
      await page.mouse.move(headingBox.x + 40, headingBox.y + headingBox.height / 2);
      await hover.waitFor({ state: 'visible', timeout: 15_000 });
      assert.match(await hover.innerText(), /similarity hint/);
      mark('hover visible');
      await shot(page, 'flow-3-similarity-hover');
      await page.mouse.move(5, 5);
      await page.keyboard.press('Escape');

      // (e) the results panel: overall score and per-task table -----------------------------------
      await runCommand(page, 'MCPO: Open Results');
      const overall = panel(page).locator('[data-testid="overall-score"]');
      await overall.waitFor({ state: 'visible', timeout: 30_000 });
      const overallText = (await overall.innerText()).trim();
      assert.match(overallText, /^\d+(\.\d+)?$/, `overall score is "${overallText}"`);
      const taskRows = panel(page).locator('[data-testid="task-scores"] tbody tr');
      await taskRows.first().waitFor({ state: 'visible', timeout: 15_000 });
      const taskTable = await taskRows.allInnerTexts();
      assert.equal(taskTable.length, 1, `one task ran, the table has ${JSON.stringify(taskTable)}`);
      assert.match(taskTable[0], /task12/);
      assert.match(taskTable[0], /ranking/);
      assert.match(taskTable[0], /ndcg/);
      assert.ok(
        fs.readdirSync(runsDir).some((d) => !d.startsWith('.')),
        `no run folder in ${runsDir}`,
      );
      t.diagnostic(`overall ${overallText}; task table ${JSON.stringify(taskTable)}`);
      mark('results panel');
      await shot(page, 'flow-4-results-panel');

      // (f) a response with HTML is shown as text in the panel ------------------------------------
      finalAnswer = XSS;
      await focusDataset(page);
      await goToLine(page, xssLine);
      const runDirsBefore = new Set(fs.readdirSync(runsDir));
      await runCommand(page, 'MCPO: Run MCPO on Selection');
      await page
        .locator('.tabs-container .tab', { hasText: 'question 5 — original ↔ MCPO' })
        .first()
        .waitFor({ state: 'visible', timeout: 120_000 });
      const newRuns = fs
        .readdirSync(runsDir)
        .filter((d) => !d.startsWith('.') && !runDirsBefore.has(d));
      assert.equal(
        newRuns.length,
        1,
        `expected one new run folder, found ${JSON.stringify(newRuns)}`,
      );
      await runCommand(page, 'MCPO: Open Results');
      // The panel keeps the run the user selected; choose the new one in the runs list.
      const newRun = panel(page).locator(
        `[data-testid="runs-list"] button.run[data-run-dir="${path.join(runsDir, newRuns[0])}"]`,
      );
      await newRun.waitFor({ state: 'visible', timeout: 30_000 });
      await newRun.click();
      await panel(page)
        .locator('[data-testid="task-scores"] tbody tr', { hasText: 'task2' })
        .first()
        .waitFor({ state: 'visible', timeout: 15_000 });
      const question = panel(page)
        .locator('[data-testid="questions"] tbody tr', { hasText: 'task2' })
        .locator('button.link')
        .first();
      await question.waitFor({ state: 'visible', timeout: 15_000 });
      await question.click();
      const raw = panel(page).locator('[data-testid="raw-response"]');
      await raw.waitFor({ state: 'visible', timeout: 15_000 });
      assert.equal(
        (await raw.innerText()).trim(),
        XSS,
        'the raw response is not the model text as written',
      );
      assert.equal(
        await panel(page).locator('[data-testid="question-detail"] img').count(),
        0,
        'the response was rendered as HTML',
      );
      assert.equal(
        await panel(page).locator('img[src="x"]').count(),
        0,
        'an <img src=x> exists in the panel',
      );
      assert.deepEqual(dialogs, [], 'a dialog opened (script ran)');
      mark('escaped response');
      await shot(page, 'flow-5-raw-response-escaped');
    } catch (err) {
      await screenshot(page, 'flow-failure').catch(() => undefined);
      t.diagnostic(`browser console (tail):\n${browserLog.slice(-40).join('\n')}`);
      t.diagnostic(`code-server output (tail):\n${server.output().slice(-4000)}`);
      throw err;
    } finally {
      t.diagnostic(timings.join(', '));
    }
  },
);
