/**
 * Playwright helpers for driving the code-server workbench in Debian's chromium (playwright-core
 * never downloads browsers). Selectors and flags follow ../shared/notes/vscode-e2e.md. Every wait
 * is on a condition with a timeout — never a fixed sleep — so tests are as fast as the UI.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  chromium,
  type BrowserContext,
  type Frame,
  type FrameLocator,
  type Locator,
  type Page,
} from 'playwright-core';
import { repoRoot } from '../support/paths';

export const CHROMIUM_PATH = process.env.MCPO_CHROMIUM || '/usr/bin/chromium';

/** Flags for a headless chromium in a container with no GPU, no sandbox, no network services. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Where screenshots go; .gitignore already excludes test-artifacts/. */
export const ARTIFACTS_DIR = path.join(repoRoot, 'test-artifacts', 'e2e');

export interface Workbench {
  context: BrowserContext;
  page: Page;
  /** Closes the browser and removes its profile folder. */
  close(): Promise<void>;
}

export interface OpenWorkbenchOptions {
  /** Called before navigation, e.g. to page.exposeFunction the test-automation hooks. */
  beforeGoto?: (page: Page) => Promise<void>;
  /** Browser console lines are collected here when given (useful in failure messages). */
  consoleSink?: string[];
  viewport?: { width: number; height: number };
}

/**
 * Launches chromium with a fresh profile (Playwright refuses --user-data-dir in args, hence the
 * persistent context) and navigates to `url`. Does not wait for the workbench: see
 * waitForWorkbench.
 */
export async function openWorkbench(
  url: string,
  opts: OpenWorkbenchOptions = {},
): Promise<Workbench> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} is missing: run test/e2e/install-code-server.sh (it installs chromium)`,
    );
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
    viewport: opts.viewport ?? { width: 1400, height: 900 },
  });
  const close = async (): Promise<void> => {
    await context.close().catch(() => undefined);
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    // A persistent context starts with one blank page; reuse it instead of opening a second.
    const page = context.pages()[0] ?? (await context.newPage());
    if (opts.consoleSink) {
      const sink = opts.consoleSink;
      page.on('console', (msg) => sink.push(`[${msg.type()}] ${msg.text()}`));
      page.on('pageerror', (err) => sink.push(`[pageerror] ${err.message}`));
    }
    if (opts.beforeGoto) await opts.beforeGoto(page);
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    return { context, page, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Ready means the workbench shell and its status bar are visible (notes: 3–6 s after start). */
export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
  await page
    .locator('.monaco-workbench .part.statusbar')
    .waitFor({ state: 'visible', timeout: timeoutMs });
}

/** Waits until the explorer lists `name` (proves the workspace folder is open and read). */
export async function waitForExplorerItem(
  page: Page,
  name: string,
  timeoutMs = 30_000,
): Promise<void> {
  await page
    .locator('.explorer-folders-view .monaco-list-row', { hasText: name })
    .first()
    .waitFor({ state: 'visible', timeout: timeoutMs });
}

/**
 * Runs a command by its palette title (e.g. "MCPO: Open Bundled ShopBench Sample"). Right after
 * start-up an extension's command can be missing for a few seconds while it registers, so this
 * retypes the query until the exact row shows up, then presses Enter.
 */
export async function runCommand(
  page: Page,
  title: string,
  timeoutMs = 30_000,
  opts: { opensQuickInput?: boolean } = {},
): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  const row = widget
    .locator('.monaco-list-row', { has: page.getByText(title, { exact: true }) })
    .first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!(await input.isVisible())) await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: Math.max(1, deadline - Date.now()) });
    await input.fill(`>${title}`);
    try {
      // Short per-attempt wait: the palette does not refresh its list when a command registers
      // later, so a retype is what makes a late command appear.
      await row.waitFor({
        state: 'visible',
        timeout: Math.min(2_000, Math.max(1, deadline - Date.now())),
      });
      break;
    } catch (err) {
      if (Date.now() >= deadline) {
        const rows = await widget.locator('.monaco-list-row').allInnerTexts();
        throw new Error(
          `command "${title}" not in the palette after ${timeoutMs} ms; rows: ${JSON.stringify(rows)}`,
          {
            cause: err,
          },
        );
      }
      await page.keyboard.press('Escape');
    }
  }
  await input.press('Enter');
  // A command that asks something (a quick pick) keeps the widget open with its own question.
  if (!opts.opensQuickInput) await widget.waitFor({ state: 'hidden', timeout: 10_000 });
}

/** Picks the row of an open quick pick that shows `text` (e.g. "question 1"). */
export async function pickQuickInputRow(
  page: Page,
  text: string | RegExp,
  timeoutMs = 15_000,
): Promise<void> {
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await row.click();
}

/** The tab of an open editor whose label is `title` (e.g. a file name). */
export function editorTab(page: Page, title: string): Locator {
  return page
    .locator('.tabs-container .tab', { has: page.locator('.label-name', { hasText: title }) })
    .first();
}

/** The visible lines of the active text editor, in screen order. */
export function activeEditorLines(page: Page): Locator {
  return page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line');
}

/** Saves a full-page PNG to test-artifacts/e2e/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(ARTIFACTS_DIR, `${name.replace(/[^\w.-]+/g, '_')}.png`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file });
  return file;
}

/**
 * The content frame of a webview: VS Code nests the extension's HTML in an inner iframe inside
 * the webview host iframe. `.first()` picks the first ready webview; filter further if a test
 * shows several.
 */
export function webviewFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').first().frameLocator('iframe#active-frame');
}

// ---------------------------------------------------------------------------------------------
// Product-level selectors. The prompt view and the results panel are being reworked; tests that
// drive them go through these small helpers, keyed to stable things (editor tab titles, status
// bar item ids, a webview's text), so a UI change means editing one function here.

/** Code lenses drawn in the active editor. */
export function codeLenses(page: Page): Locator {
  return page.locator('.editor-group-container.active .monaco-editor .codelens-decoration');
}

/** Opens the Problems panel (Ctrl+Shift+M) and returns its row matching `text`. */
export async function problemRow(page: Page, text: string | RegExp): Promise<Locator> {
  const panel = page.locator('.markers-panel');
  if (!(await panel.isVisible())) await page.keyboard.press('Control+Shift+M');
  return panel.locator('.monaco-list-row', { hasText: text }).first();
}

/** Error squiggles in the active editor. */
export function errorSquiggles(page: Page): Locator {
  return page.locator('.editor-group-container.active .monaco-editor .squiggly-error');
}

/**
 * The extension's status bar item: VS Code gives its element the id
 * `<publisher>.<name>.<item id>` (the item is created as "mcpo.status").
 */
export function mcpoStatusItem(page: Page): Locator {
  return page.locator('.part.statusbar [id$=".mcpo.status"]').first();
}

/** The item shows the healthy icon ($(check) renders as .codicon-check). */
export function mcpoStatusHealthy(page: Page): Locator {
  return mcpoStatusItem(page).locator('.codicon-check');
}

/** The item shows the failed-check icon ($(error) renders as .codicon-error). */
export function mcpoStatusUnhealthy(page: Page): Locator {
  return mcpoStatusItem(page).locator('.codicon-error');
}

/**
 * The tab of a prompt view: "Q65 · MCPO prompt" in the reworked view, "… question N — original ↔
 * MCPO" in the diff it replaces.
 */
export function promptViewTab(page: Page): Locator {
  return page
    .locator('.tabs-container .tab', { hasText: /^Q\d+|MCPO prompt|original ↔ MCPO/ })
    .first();
}

/** Selects the whole active editor (a person's Ctrl+A), e.g. every row of a small dataset. */
export async function selectAll(page: Page): Promise<void> {
  await page.locator('.editor-group-container.active .monaco-editor textarea').first().focus();
  await page.keyboard.press('Control+a');
}

/** The content frames of every open webview (the document a webview's HTML is loaded into). */
export async function webviewContentFrames(page: Page): Promise<Frame[]> {
  const frames: Frame[] = [];
  for (const frame of page.frames()) {
    const element = await frame.frameElement().catch(() => undefined);
    if (element && (await element.getAttribute('id')) === 'active-frame') frames.push(frame);
  }
  return frames;
}

/**
 * Waits until some webview shows `text` (as text: innerText, not markup) and returns its frame.
 * Polls the frames, since webviews come and go while the workbench lays them out; every poll is
 * bounded and the whole wait has a deadline.
 */
export async function waitForWebviewText(
  page: Page,
  text: string,
  timeoutMs = 30_000,
): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen: string[] = [];
    for (const frame of await webviewContentFrames(page)) {
      const shown = await frame
        .locator('body')
        .innerText({ timeout: 1_000 })
        .catch(() => '');
      seen.push(shown.slice(0, 300));
      if (shown.includes(text)) return frame;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `no webview shows ${JSON.stringify(text)} after ${timeoutMs} ms; webviews: ${JSON.stringify(seen)}`,
      );
    }
    // A poll interval, not a wait for readiness: the loop ends as soon as the text is there.
    await page.waitForTimeout(250);
  }
}

/** The content frame of the results webview whose body has `kind` (report or sidebar). */
export async function resultsFrame(
  page: Page,
  kind: 'report' | 'sidebar',
  timeoutMs = 30_000,
): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      // A string: the test project has no DOM types; this runs in the webview.
      const found = await frame
        .evaluate<boolean>(`document.body?.classList.contains(${JSON.stringify(kind)}) ?? false`)
        .catch(() => false);
      if (found) return frame;
    }
    if (Date.now() > deadline) throw new Error(`no ${kind} webview after ${timeoutMs} ms`);
    await page.waitForEvent('framenavigated', { timeout: 2_000 }).catch(() => undefined);
  }
}
