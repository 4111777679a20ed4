/**
 * Runs the integration suite in desktop VS Code through @vscode/test-electron. It downloads VS
 * Code from Microsoft at run time, so it only works on machines with internet; offline (CI here)
 * use runInCodeServer.js instead. Same suite, same tiny runner.
 *
 *   npm run build && node out/test/integration/runInElectron.js
 */
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { createWorkspace, removeDir } from '../e2e/codeServer';
import { repoRoot } from '../support/paths';

async function main(): Promise<number> {
  const workspace = createWorkspace({
    'shopbench-dev.jsonl': path.join(
      repoRoot,
      'server',
      'dataset',
      'sample',
      'shopbench-dev.jsonl',
    ),
  });
  try {
    return await runTests({
      // Pinned to the code-server line so both runners test the same VS Code (engines ^1.100.0).
      version: process.env.MCPO_VSCODE_VERSION || '1.100.3',
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: path.join(repoRoot, 'out', 'test', 'integration', 'suite', 'index.js'),
      launchArgs: [
        workspace,
        '--disable-extensions',
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
      ],
    });
  } finally {
    removeDir(workspace);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // runTests rejects with the exit code when the suite fails.
    console.error(
      err instanceof Error ? (err.stack ?? err.message) : `test run failed: ${String(err)}`,
    );
    process.exitCode = 1;
  },
);
