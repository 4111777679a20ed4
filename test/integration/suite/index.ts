/**
 * A tiny test runner for suites that run inside VS Code's extension host (mocha is not a
 * dependency, and the suites need nothing beyond sequential async tests and assertions).
 *
 * VS Code calls run() when it is given `extensionTestsPath` pointing at this module (compiled
 * to out/test/integration/suite/index.js). It loads every `*.itest.js` next to it; each exported
 * function of such a module is a test (sync or async). Tests run one after another — in file
 * name order (deactivate.itest.js last), then export name order, since bundlers do not keep
 * declaration order — so they must not depend on each other. A test fails by throwing
 * (node:assert/strict works here).
 *
 * Environment (code-server's environment reaches the extension host):
 * - MCPO_ITEST_GREP: only run tests whose "file: name" contains this string.
 * - MCPO_ITEST_TIMEOUT_MS: per-test timeout (default 30000).
 * - MCPO_ITEST_REPORT: a file to append each result to, one JSON object a line, so the launcher
 *   can print results even when the browser console is not forwarded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TestResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

type TestFn = () => unknown;

/** Runs after every other file: its test deactivates the extension. */
const LAST_FILE = 'deactivate.itest.js';

export async function run(): Promise<void> {
  const grep = process.env.MCPO_ITEST_GREP ?? '';
  const timeoutMs = Number(process.env.MCPO_ITEST_TIMEOUT_MS) || 30_000;
  const reportFile = process.env.MCPO_ITEST_REPORT;
  const report = (line: string, result?: TestResult): void => {
    console.log(line);
    if (reportFile) fs.appendFileSync(reportFile, `${JSON.stringify(result ?? { log: line })}\n`);
  };

  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.itest.js'))
    .sort()
    // Deactivating stops the extension's engine: no test can use the extension after it.
    .sort((a, b) => Number(a === LAST_FILE) - Number(b === LAST_FILE));
  const tests: Array<{ name: string; fn: TestFn }> = [];
  for (const file of files) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(__dirname, file)) as Record<string, unknown>;
    for (const exportName of Object.keys(mod).sort()) {
      const fn = mod[exportName];
      const name = `${file.replace(/\.itest\.js$/, '')}: ${exportName}`;
      if (typeof fn === 'function' && name.includes(grep)) tests.push({ name, fn: fn as TestFn });
    }
  }
  if (tests.length === 0)
    throw new Error(`no tests found in ${__dirname} (*.itest.js${grep ? `, grep "${grep}"` : ''})`);

  const results: TestResult[] = [];
  for (const test of tests) {
    const started = Date.now();
    try {
      await withTimeout(Promise.resolve().then(test.fn), timeoutMs, test.name);
      const result: TestResult = { name: test.name, ok: true, ms: Date.now() - started };
      results.push(result);
      report(`  ✔ ${test.name} (${result.ms} ms)`, result);
    } catch (err) {
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      const result: TestResult = { name: test.name, ok: false, ms: Date.now() - started, error };
      results.push(result);
      report(`  ✘ ${test.name} (${result.ms} ms)\n${indent(error)}`, result);
    }
  }
  const failed = results.filter((r) => !r.ok);
  report(`${results.length - failed.length} passing, ${failed.length} failing`);
  if (failed.length)
    throw new Error(
      `${failed.length} of ${results.length} tests failed: ${failed.map((r) => r.name).join(', ')}`,
    );
}

function withTimeout<T>(promise: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function indent(text: string): string {
  return text.replace(/^/gm, '      ');
}
