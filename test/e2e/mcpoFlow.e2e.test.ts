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
 *    it; the prompt view ("Q65 · MCPO prompt": ONE editor, not a diff) opens.
 * 4. Its first line is the colour key; the chain of thought, the CoT layout's headings, the
 *    similarity hint and the template carry their own theme colours (mcpo.prompt.*Background);
 *    hovering the similarity span says "similarity hint" with every option's score. The editor
 *    title action "Show Side-by-Side Diff" opens "Q65 · original ↔ MCPO".
 * 5. "MCPO: Open Results" shows the run's overall score and per-task table in the webview.
 * 6. The test server now answers `<img src=x onerror=alert(1)>`; a task11 row (whose options the
 *    paper template rewrites) is run: its prompt view draws the replaced option words struck
 *    through, and the panel's raw response shows the HTML as text (no img element, no dialog).
 * 7. The prompt view and the walkthrough are shot in the Dark Modern, Light Modern and High
 *    Contrast themes (workbench.colorTheme in the user settings).
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
import { removeDir } from './codeServer';
import { codeServerMissing, openVsCode, reportFailure, testWorkspace } from './session';
import {
  ARTIFACTS_DIR,
  editorTab,
  resultsFrame,
  runCommand,
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
const XSS_TASK = 'task11';
const THEMES = [
  // name: the workbench.colorTheme value; label: what the theme picker lists.
  { name: 'Default Dark Modern', label: 'Dark Modern', slug: 'dark', bodyClass: 'vs-dark' },
  { name: 'Default Light Modern', label: 'Light Modern', slug: 'light', bodyClass: 'vs' },
  { name: 'Default High Contrast', label: 'Dark High Contrast', slug: 'hc', bodyClass: 'hc-black' },
] as const;

const skip = codeServerMissing();

interface SampleRow {
  task_name: string;
  task_type: string;
  metric: string;
}

/** The sample's lines with row BROKEN_ROW's metric replaced by "acc"; also the 1-based lines of interest. */
function brokenDataset(): { text: string; rankingLine: number; xssLine: number } {
  // The XSS row is a task11 (relation) question: the paper template rewrites its options.
  const lines = fs
    .readFileSync(SAMPLE, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const rows = lines.map((l) => JSON.parse(l) as SampleRow & Record<string, unknown>);
  rows[BROKEN_ROW - 1] = { ...rows[BROKEN_ROW - 1], metric: 'acc' };
  const rankingLine = rows.findIndex((r) => r.task_name === 'task12') + 1;
  const xssLine = rows.findIndex((r) => r.task_name === XSS_TASK) + 1;
  assert.ok(
    rankingLine > 0 && rows[rankingLine - 1].task_type === 'ranking',
    'the sample has no task12 ranking row',
  );
  assert.ok(xssLine > 0 && xssLine !== BROKEN_ROW, `the sample has no ${XSS_TASK} row`);
  return { text: `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`, rankingLine, xssLine };
}

/** The right-hand (modified) editor of the active diff editor. */
function modifiedEditor(page: Page): Locator {
  return page
    .locator('.editor-group-container.active .monaco-diff-editor .editor.modified')
    .first();
}

/** The active group's text editor (the prompt view is one plain editor). */
function activeEditor(page: Page): Locator {
  return page.locator('.editor-group-container.active .monaco-editor').first();
}

/**
 * Texts drawn struck through in `editor`'s lines, as text or as a `before` decoration's content
 * (VS Code draws contentText in a ::before pseudo-element of an empty span).
 */
async function struckThroughTexts(editor: Locator): Promise<string[]> {
  return editor.locator('.view-lines .view-line span').evaluateAll((elements) => {
    const { getComputedStyle } = globalThis as unknown as {
      getComputedStyle(
        e: unknown,
        pseudo?: string,
      ): { textDecorationLine: string; content: string };
    };
    const out: string[] = [];
    for (const e of elements) {
      if (e.children.length > 0) continue;
      const own = getComputedStyle(e);
      if (own.textDecorationLine.includes('line-through') && e.textContent) out.push(e.textContent);
      const before = getComputedStyle(e, '::before');
      if (
        before.textDecorationLine.includes('line-through') &&
        before.content !== 'none' &&
        before.content !== ''
      )
        out.push(before.content);
    }
    return out;
  });
}

/** Whether some element of `decorations` is drawn on the same screen line as `line`. */
async function decoratedOnLine(decorations: Locator, line: Locator): Promise<boolean> {
  const box = await line.boundingBox();
  assert.ok(box, 'the line has no box');
  const boxes = await decorations.evaluateAll((els) =>
    els.map((e) => e.getBoundingClientRect()).map((r) => ({ y: r.y, w: r.width })),
  );
  return boxes.some((b) => b.w > 0 && Math.abs(b.y - box.y) < box.height / 2);
}

/**
 * Switches the colour theme as a person does (Preferences: Color Theme) and waits until the
 * workbench shows it; the choice is written to the user settings as workbench.colorTheme.
 */
async function useTheme(page: Page, theme: (typeof THEMES)[number]): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await runCommandKeepingPicker(page, 'Preferences: Color Theme');
  await widget.locator('.quick-input-box input').fill(theme.label);
  const row = widget
    .locator('.monaco-list-row', { has: page.getByText(theme.label, { exact: true }) })
    .first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  await row.click();
  await widget.waitFor({ state: 'hidden', timeout: 10_000 });
  await page
    .locator(`.monaco-workbench.${theme.bodyClass}`)
    .waitFor({ state: 'attached', timeout: 30_000 });
}

/** Opens the MCPO walkthrough (Welcome: Open Walkthrough..., then its entry) at `step`. */
async function openWalkthrough(page: Page, step: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  await runCommandKeepingPicker(page, 'Welcome: Open Walkthrough...');
  await input.fill('MCPO');
  // Chosen with the keyboard once it is the focused row: a hover left open by an earlier step
  // (a context view over the picker) has swallowed mouse clicks on it in CI.
  await widget
    .locator('.monaco-list-row.focused', { hasText: 'Get Started with MCPO Workbench' })
    .first()
    .waitFor({ state: 'visible', timeout: 15_000 });
  await input.press('Enter');
  const page_ = page.locator('.gettingStartedContainer', {
    hasText: 'Get Started with MCPO Workbench',
  });
  await page_.waitFor({ state: 'visible', timeout: 30_000 });
  const button = page_.locator('button.getting-started-step', { hasText: step }).first();
  await button.click();
  await page_
    .locator('.getting-started-step.expanded', { hasText: step })
    .waitFor({ state: 'visible', timeout: 15_000 });
}

/**
 * Waits until a walkthrough SVG holding `text` is drawn: VS Code renders SVG media in a webview
 * (so theme variables apply), which is a frame of its own.
 */
async function walkthroughSvgShown(page: Page, text: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      const found = await frame
        .locator('svg text', { hasText: text })
        .count()
        .catch(() => 0);
      if (found > 0) return;
    }
    // Each pass awaits the frames' DOM queries; a new frame needs a moment to attach.
    await page.waitForEvent('frameattached', { timeout: 1_000 }).catch(() => undefined);
  }
  throw new Error(`no walkthrough SVG with "${text}" within 20 s`);
}

/** Closes the active editor with its tab's close button (the palette could pick "Close All"). */
async function closeActiveTab(page: Page): Promise<void> {
  const tab = page.locator('.editor-group-container.active .tab.active').first();
  await tab.hover();
  await tab.locator('.tab-actions .action-label').first().click();
}

/** Like runCommand, for a command that answers with a second quick pick (left open). */
async function runCommandKeepingPicker(page: Page, title: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  const row = widget
    .locator('.monaco-list-row', { has: page.getByText(title, { exact: true }) })
    .first();
  // F1 can be swallowed while focus moves (a closed webview), and the palette can close again
  // just after it opened (a view revealed by the run that just ended takes focus): open it
  // again until the command's row is showing.
  for (let attempt = 1; ; attempt++) {
    if (!(await input.isVisible())) await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 3_000 });
      await input.fill(`>${title}`, { timeout: 3_000 });
      await row.waitFor({ state: 'visible', timeout: 15_000 });
      break;
    } catch (err) {
      if (attempt === 5) throw err;
    }
  }
  // Click the row itself: Enter takes the first row, which can be a similar command.
  await row.click();
  // The second picker replaces the palette: its input no longer starts with ">".
  await page.waitForFunction(
    () => {
      const { document } = globalThis as unknown as {
        document: { querySelector(s: string): { value: string } | null };
      };
      const box = document.querySelector('.quick-input-widget .quick-input-box input');
      return box !== null && !box.value.startsWith('>');
    },
    undefined,
    { timeout: 15_000 },
  );
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
  'MCPO flow: diagnostics, run on selection, prompt view, results panel, escaped response, themes',
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
    const workspace = testWorkspace(t, { [DATASET]: { text } });
    const runsDir = path.join(workspace, 'mcpo-runs');
    const workspaceSettings = {
      'mcpo.llm.url': llm.baseUrl,
      'mcpo.llm.model': MODEL,
      'mcpo.cot.mode': 'self',
      // The run below is on a ranking row; CoT goes to multiple-choice only unless told otherwise.
      'mcpo.cot.taskTypes': ['multiple-choice', 'ranking'],
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

    const session = await openVsCode(t, {
      workspace,
      extensionDevelopmentPath: repoRoot,
      // The engine and test server listen on loopback ports; "port is available" toasts would cover the UI.
      userSettings: { 'remote.autoForwardPorts': false, 'workbench.colorTheme': THEMES[0].name },
    });
    const { page } = session;
    mark('workbench opened');

    const dialogs: string[] = [];
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
      const viewTitle = `Q${rankingLine} · MCPO prompt`;
      await editorTab(page, viewTitle).waitFor({ state: 'visible', timeout: 120_000 });
      assert.ok(llm.requests.length > requestsBefore, 'the run sent no request to the test server');
      const cotRequests = llm.requests
        .slice(requestsBefore)
        .filter((r) => promptText(r).includes('chain of thought'));
      assert.ok(
        cotRequests.length > 0,
        'no chain-of-thought request reached M_L although mcpo.cot.mode is "self"',
      );
      mark('prompt view open');

      // (d) one editor: the key, each stage in its own colour, the hover, the diff one click away --
      await editorTab(page, viewTitle).click();
      assert.equal(
        await page.locator('.editor-group-container.active .monaco-diff-editor').count(),
        0,
        'the prompt view opened as a diff',
      );
      const view = activeEditor(page);
      await view.waitFor({ state: 'visible', timeout: 15_000 });
      // The Problems panel (step b) would leave the editor a few lines tall.
      await runCommand(page, 'View: Toggle Panel Visibility');
      const keyLine = editorLine(view, 'Key: chain of thought');
      const simLine = editorLine(view, '[External information]');
      for (const line of [keyLine, simLine])
        await line.waitFor({ state: 'visible', timeout: 15_000 });
      // The DOM spaces are non-breaking (and may hide zero-width joins): compare the words only.
      const keyWords = (await keyLine.innerText()).replace(/[^A-Za-z:]+/g, ' ');
      assert.match(keyWords, /Key: chain of thought layout text similarity hint template /);
      const cotDecorations = await stageDecorations(page, view, 'mcpo.prompt.cotBackground');
      const layoutDecorations = await stageDecorations(
        page,
        view,
        'mcpo.prompt.scaffoldBackground',
      );
      const simDecorations = await stageDecorations(page, view, 'mcpo.prompt.similarityBackground');
      const templateDecorations = await stageDecorations(
        page,
        view,
        'mcpo.prompt.templateBackground',
      );
      await simDecorations.first().waitFor({ state: 'attached', timeout: 15_000 });
      assert.ok(await decoratedOnLine(simDecorations, simLine), 'the hint is not coloured');
      assert.ok((await templateDecorations.count()) > 0, 'no template colour');
      // The key's labels wear their colours too.
      assert.ok(await decoratedOnLine(cotDecorations, keyLine), 'the key has no CoT colour');
      assert.ok(await decoratedOnLine(layoutDecorations, keyLine), 'the key has no layout colour');
      mark('prompt view decorated');
      await shot(page, 'flow-2-prompt-view');

      const headingBox = await simLine.boundingBox();
      assert.ok(headingBox, 'the "[External information]" line has no box');
      const hover = page
        .locator('.monaco-hover:not(.hidden)', { hasText: 'similarity hint' })
        .first();
      await page.mouse.move(headingBox.x + 40, headingBox.y + headingBox.height / 2);
      await hover.waitFor({ state: 'visible', timeout: 15_000 });
      const hoverText = await hover.innerText();
      assert.match(hoverText, /similarity hint/);
      assert.match(hoverText, /\(in the hint\)/);
      assert.match(hoverText, /answer: (fresh from the model|cached)/);
      assert.doesNotMatch(hoverText, /\d\.\d{5,}/, 'raw floats in the hover');
      mark('hover visible');
      await shot(page, 'flow-3-similarity-hover');
      await page.mouse.move(5, 5);
      await page.keyboard.press('Escape');

      // The end of the prompt: the chain of thought apart from the layout's headings.
      await editorTab(page, viewTitle).click();
      await page.keyboard.press('Control+End');
      const cotHeading = editorLine(view, '[Chain of Thought]');
      const cotLine = editorLine(view, COT_ANSWER);
      for (const line of [cotHeading, cotLine])
        await line.waitFor({ state: 'visible', timeout: 15_000 });
      assert.ok(await decoratedOnLine(cotDecorations, cotLine), 'the CoT text is not CoT-coloured');
      assert.ok(
        await decoratedOnLine(layoutDecorations, cotHeading),
        '"[Chain of Thought]" is not coloured as layout text',
      );
      assert.ok(
        !(await decoratedOnLine(cotDecorations, cotHeading)),
        '"[Chain of Thought]" is coloured as chain of thought',
      );
      await shot(page, 'flow-3a-prompt-view-chain-of-thought');

      // The side-by-side diff is one click away: the editor title action.
      await page
        .locator(
          '.editor-group-container.active .editor-actions [aria-label^="Show Side-by-Side Diff"]',
        )
        .first()
        .click();
      const diffTitle = `Q${rankingLine} · original ↔ MCPO`;
      await editorTab(page, diffTitle).waitFor({ state: 'visible', timeout: 15_000 });
      // The tab's accessible name (also its hover) names the title once, then what each side is.
      const diffName = (await editorTab(page, diffTitle).getAttribute('aria-label')) ?? '';
      t.diagnostic(`diff tab aria-label: ${diffName}`);
      assert.ok(
        diffName.startsWith(`${diffTitle} (prompt as in the dataset ↔ prompt sent to the model)`),
        diffName,
      );
      const right = modifiedEditor(page);
      await editorLine(right, '[External information]').waitFor({
        state: 'visible',
        timeout: 15_000,
      });
      const rightSim = await stageDecorations(page, right, 'mcpo.prompt.similarityBackground');
      await rightSim.first().waitFor({ state: 'attached', timeout: 15_000 });
      mark('side-by-side diff');
      await shot(page, 'flow-3b-side-by-side-diff');
      await closeActiveTab(page);
      await editorTab(page, diffTitle).waitFor({ state: 'detached', timeout: 10_000 });

      // (e) the results panel: overall score and per-task table -----------------------------------
      await runCommand(page, 'MCPO: Open Results');
      const overall = panel(page).locator('[data-testid="overall-score"]');
      await overall.waitFor({ state: 'visible', timeout: 30_000 });
      const overallText = (await overall.innerText()).trim();
      assert.match(overallText, /^\d+(\.\d+)?$/, `overall score is "${overallText}"`);
      // One row was selected and ran: a selection run, not an incomplete run of 96 rows.
      const overallLine = await panel(page).locator('p.overall').innerText();
      assert.match(overallLine, / · 1 selected question · 0 failed/, overallLine);
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
      // The model is held while the run is live: the side bar, opened mid-run, shows it as
      // running, never as an incomplete run.
      const release = llm.hold();
      try {
        await runCommand(page, 'MCPO: Run MCPO on Selection');
        await llm.waitForRequests(llm.requests.length + 1, 60_000);
        await runCommand(page, 'View: Show MCPO');
        const sidebar = await resultsFrame(page, 'sidebar');
        const liveCard = sidebar.locator('button.run-card', {
          has: sidebar.locator('.run-progress', { hasText: 'running' }),
        });
        await liveCard.waitFor({ state: 'visible', timeout: 30_000 });
        const liveMeta = await liveCard.locator('.card-meta').innerText();
        assert.match(liveMeta, / · 0 of 1 selected question so far$/, liveMeta);
        await shot(page, 'flow-4a-live-run-sidebar');
      } finally {
        release();
      }
      // Back to the Explorer, as the later steps expect (a webview side bar can keep the focus).
      await runCommand(page, 'View: Show Explorer');
      const xssTitle = `Q${xssLine} · MCPO prompt`;
      await editorTab(page, xssTitle).waitFor({ state: 'visible', timeout: 120_000 });
      // The options the template rewrote: each original word is drawn struck through.
      await editorTab(page, xssTitle).click();
      await editorLine(activeEditor(page), 'replaced original').waitFor({
        state: 'visible',
        timeout: 15_000,
      });
      const ghosts = await struckThroughTexts(activeEditor(page));
      for (const word of ['irrelevant', 'substitute', 'complement', 'narrowing'])
        assert.ok(
          ghosts.some((g) => g.includes(word)),
          `"${word}" is not drawn struck through: ${JSON.stringify(ghosts)}`,
        );
      await shot(page, 'flow-4b-prompt-view-replaced-options');
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
        .locator('[data-testid="task-scores"] tbody tr', { hasText: XSS_TASK })
        .first()
        .waitFor({ state: 'visible', timeout: 15_000 });
      const question = panel(page)
        .locator('[data-testid="questions"] tbody tr', { hasText: XSS_TASK })
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

      // (g) the prompt view and the walkthrough in dark, light and high-contrast themes ------------
      for (const theme of THEMES) {
        if (theme !== THEMES[0]) await useTheme(page, theme);
        await editorTab(page, xssTitle).click();
        await editorLine(activeEditor(page), 'Key: ').waitFor({
          state: 'visible',
          timeout: 15_000,
        });
        await shot(page, `prompt-view-${theme.slug}`);
        // The walkthrough shows its media beside the steps only when it has the width.
        await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
        await openWalkthrough(page, 'Read the prompt view');
        await walkthroughSvgShown(page, 'chain of thought');
        await shot(page, `walkthrough-${theme.slug}`);
        await closeActiveTab(page);
        await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
      }
      mark('themes');
    } catch (err) {
      await reportFailure(t, session, 'flow-failure', { serverChars: 4000 });
      throw err;
    } finally {
      t.diagnostic(timings.join(', '));
    }
  },
);
