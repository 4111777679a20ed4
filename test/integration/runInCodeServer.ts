/**
 * Runs the integration suite (test/integration/suite) inside a real VS Code without internet:
 * code-server serves the workbench with this repository as the extension under development, and
 * headless chromium opens it. VS Code's test-automation hooks (the ones @vscode/test-web uses)
 * report the suite's exit code back to this script.
 *
 *   npm run build && node out/test/integration/runInCodeServer.js
 *
 * Builds nothing itself. Expects code-server from test/e2e/install-code-server.sh (folder from
 * MCPO_CODE_SERVER_DIR or the default). MCPO_ITEST_GREP / MCPO_ITEST_TIMEOUT_MS pass through to
 * the suite; MCPO_ITEST_TOTAL_TIMEOUT_MS bounds the whole run (default 180 s).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  codeServerMissing,
  createWorkspace,
  removeDir,
  startCodeServer,
  workbenchUrl,
  type CodeServer,
} from '../e2e/codeServer';
import { openWorkbench, screenshot, type Workbench } from '../e2e/workbench';
import { repoRoot } from '../support/paths';
import type { TestResult } from './suite/index';

const SUITE = path.join(repoRoot, 'out', 'test', 'integration', 'suite', 'index.js');
const SAMPLE = path.join(repoRoot, 'server', 'dataset', 'sample', 'shopbench-dev.jsonl');

interface SuiteExit {
  code: number;
  how: string;
}

async function main(): Promise<number> {
  const started = Date.now();
  const missing = codeServerMissing();
  if (missing) {
    console.error(missing);
    return 1;
  }
  for (const built of [path.join(repoRoot, 'dist', 'extension.js'), SUITE]) {
    if (!fs.existsSync(built)) {
      console.error(`${path.relative(repoRoot, built)} is missing: run npm run build first`);
      return 1;
    }
  }

  const workspace = createWorkspace({ 'shopbench-dev.jsonl': SAMPLE });
  const reportFile = path.join(workspace, '..', `${path.basename(workspace)}.itest-report.jsonl`);
  const automationLog: string[] = [];
  const consoleLog: string[] = [];
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;
  let exit: SuiteExit | undefined;
  try {
    server = await startCodeServer({
      workspace,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: SUITE,
      env: { MCPO_ITEST_REPORT: reportFile },
    });
    console.log(`code-server up on ${server.url} after ${Date.now() - started} ms`);

    let settle: (value: SuiteExit) => void = () => undefined;
    const suiteExit = new Promise<SuiteExit>((resolve) => (settle = resolve));
    const url = workbenchUrl(server);
    workbench = await openWorkbench(url, {
      consoleSink: consoleLog,
      // The workbench calls these when running extensionTestsPath (see VS Code's
      // browser workbench: codeAutomationExit(code, logs) and codeAutomationLog(level, message)).
      beforeGoto: async (page) => {
        await page.exposeFunction('codeAutomationExit', (code: number) =>
          settle({ code, how: 'codeAutomationExit' }),
        );
        await page.exposeFunction('codeAutomationLog', (level: string, message: string) => {
          automationLog.push(`[${level}] ${message}`);
        });
      },
    });
    const totalTimeout = Number(process.env.MCPO_ITEST_TOTAL_TIMEOUT_MS) || 180_000;
    let timer: NodeJS.Timeout | undefined;
    exit = await Promise.race([
      suiteExit,
      new Promise<SuiteExit>((resolve) => {
        timer = setTimeout(
          () => resolve({ code: 1, how: `timed out after ${totalTimeout} ms` }),
          totalTimeout,
        );
      }),
    ]);
    clearTimeout(timer);
    if (exit.how !== 'codeAutomationExit') {
      const shot = await screenshot(workbench.page, 'integration-timeout').catch(() => undefined);
      if (shot) console.error(`screenshot: ${shot}`);
    }
  } finally {
    await workbench?.close();
    await server?.stop();
    removeDir(workspace);
  }

  const results = readReport(reportFile);
  fs.rmSync(reportFile, { force: true });
  console.log(`\nIntegration suite in code-server (${exit.how}, ${Date.now() - started} ms):`);
  for (const r of results) {
    console.log(`  ${r.ok ? '✔' : '✘'} ${r.name} (${r.ms} ms)`);
    if (r.error) console.log(r.error.replace(/^/gm, '      '));
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`${results.length - failed} passing, ${failed} failing`);
  if (exit.code !== 0 || results.length === 0) {
    // The suite's own messages and the workbench's view of what went wrong.
    console.log('\n--- workbench test-automation log (tail) ---');
    console.log(automationLog.slice(-60).join('\n'));
    console.log('--- browser console (tail) ---');
    console.log(consoleLog.slice(-40).join('\n'));
  }
  // Our own count decides as much as the workbench's exit code: a suite that reports a failed
  // test, or nothing at all, never passes, whatever code the workbench exits with.
  if (failed > 0 || results.length === 0) return exit.code || 1;
  return exit.code;
}

function readReport(file: string): TestResult[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as TestResult | { log: string })
    .filter((entry): entry is TestResult => 'name' in entry);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  },
);
