/**
 * The start-up every end-to-end test shares: a temporary workspace, code-server on it and
 * chromium on the workbench, each removed after the test (browser first, then code-server, then
 * the workspace: t.after runs in reverse order of registration); and the one way a failed test
 * reports what it saw (a screenshot, the browser console's tail, code-server's output).
 */
import type { TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import * as codeServer from './codeServer';
import { openWorkbench, screenshot, type OpenWorkbenchOptions } from './workbench';

export { codeServerMissing } from './codeServer';

/** A fresh workspace with `files` (see createWorkspace), removed after the test. */
export function testWorkspace(
  t: TestContext,
  files: Parameters<typeof codeServer.createWorkspace>[0] = {},
): string {
  const workspace = codeServer.createWorkspace(files);
  t.after(() => codeServer.removeDir(workspace));
  return workspace;
}

export interface VsCodeSession {
  server: codeServer.CodeServer;
  page: Page;
  /** The browser console, for failure messages. */
  browserLog: string[];
}

/** code-server on `options.workspace` and chromium on its workbench, both stopped after the test. */
export async function openVsCode(
  t: TestContext,
  options: codeServer.CodeServerOptions,
  browser: Omit<OpenWorkbenchOptions, 'consoleSink'> = {},
): Promise<VsCodeSession> {
  const server = await codeServer.startCodeServer(options);
  t.after(() => server.stop());
  const browserLog: string[] = [];
  const { page, close } = await openWorkbench(codeServer.workbenchUrl(server), {
    ...browser,
    consoleSink: browserLog,
  });
  t.after(close);
  return { server, page, browserLog };
}

/** What a failed test leaves behind: `<name>.png` and the tails of both logs as diagnostics. */
export async function reportFailure(
  t: TestContext,
  session: VsCodeSession,
  name: string,
  tails: { consoleLines?: number; serverChars?: number } = {},
): Promise<void> {
  await screenshot(session.page, name).catch(() => undefined);
  t.diagnostic(
    `browser console (tail):\n${session.browserLog.slice(-(tails.consoleLines ?? 40)).join('\n')}`,
  );
  t.diagnostic(
    `code-server output (tail):\n${session.server.output().slice(-(tails.serverChars ?? 3000))}`,
  );
}
