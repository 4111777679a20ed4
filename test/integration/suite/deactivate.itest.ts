/**
 * `deactivate` returns only once the extension's engine process has exited, so VS Code, which
 * waits for it, never leaves the engine behind. The suite's runner runs this file last: after it
 * the extension has no engine.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { childProcesses, hasExited } from '../../support/processes';
import { extensionEngineRunning } from './diagnostics';

const EXTENSION_ID = 'mcpo-workbench.mcpo-workbench';

interface ExtensionModule {
  deactivate(): Promise<void>;
}

export async function deactivateReturnsOnceTheEngineHasExited(): Promise<void> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed`);
  await extension.activate();

  await extensionEngineRunning(extension, 20_000);
  const engines = childProcesses(
    process.pid,
    path.join(extension.extensionPath, 'dist', 'main.js'),
  );
  assert.equal(engines.length, 1, `one engine process expected, found [${engines.join(', ')}]`);

  // The module VS Code loaded (the require cache is shared in the extension host).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(
    path.join(extension.extensionPath, 'dist', 'extension.js'),
  ) as ExtensionModule;
  await loaded.deactivate();
  assert.equal(hasExited(engines[0]), true, `engine ${engines[0]} still runs after deactivate()`);
}
