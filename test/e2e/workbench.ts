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
export async function runCommand(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
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
  await widget.waitFor({ state: 'hidden', timeout: 10_000 });
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
