/**
 * The one command wrapper (extension/commandRunner.ts) and the engine client, in a real extension
 * host against a real engine process: a request cancelled by the user (the run's progress
 * notification cancelled) is a cancellation, not an error, whichever layer reports it — VS Code's
 * CancellationError, or the engine client's RequestCancelled — while any other failure is logged
 * and shown; and stopping the engine client returns only once the engine's process has exited.
 */
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LSPErrorCodes, ResponseError } from 'vscode-languageclient/node';
import { guarded } from '../../../extension/commandRunner';
import { EngineClient } from '../../../extension/engineClient';
import { McpoConfig } from '../../../extension/settings';
import { ListRunsRequest, SubmitJobRequest } from '../../../server/protocol/messages';
import { childProcesses, hasExited } from '../../support/processes';
import { extensionEngineRunning } from './diagnostics';

const EXTENSION_ID = 'mcpo-workbench.mcpo-workbench';

interface RecordingLog {
  log: vscode.LogOutputChannel;
  /** What was logged as errors. */
  errors: string[];
  dispose(): void;
}

/** A real log channel whose error lines are also kept for the assertions. */
function recordingLog(): RecordingLog {
  const channel = vscode.window.createOutputChannel('MCPO command runner test', { log: true });
  const errors: string[] = [];
  const log = new Proxy(channel, {
    get: (target, key, receiver): unknown =>
      key === 'error'
        ? (message: string) => {
            errors.push(message);
            target.error(message);
          }
        : Reflect.get(target, key, receiver),
  });
  return { log, errors, dispose: () => channel.dispose() };
}

interface Engine extends RecordingLog {
  client: EngineClient;
  /** The engine's process id. */
  pid: number;
  stop(): Promise<void>;
}

/** A second engine client (the extension's own is not reachable from a test), started. */
async function startEngine(): Promise<Engine> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed`);
  await extension.activate();
  // The extension's own engine first, so the process this client starts is the only new one.
  await extensionEngineRunning(extension, 20_000);
  const recording = recordingLog();
  const config = new McpoConfig();
  const engineMain = path.join(extension.extensionPath, 'dist', 'main.js');
  const before = new Set(childProcesses(process.pid, engineMain));
  const client = new EngineClient({ extensionUri: extension.extensionUri }, recording.log, config);
  await client.start();
  const started = childProcesses(process.pid, engineMain).filter((pid) => !before.has(pid));
  assert.equal(started.length, 1, `one new engine process expected, found [${started.join(', ')}]`);
  return {
    ...recording,
    client,
    pid: started[0],
    stop: async () => {
      await client.stop();
      config.dispose();
      recording.dispose();
    },
  };
}

export async function aCancelledEngineRequestIsACancellationNotAnError(): Promise<void> {
  const engine = await startEngine();
  try {
    const cancel = new vscode.CancellationTokenSource();
    cancel.cancel(); // the user cancelled the progress notification before the request went out
    const params = { runsDir: path.join(os.tmpdir(), 'mcpo-itest-no-runs') };

    // What the engine client reports: RequestCancelled, not a CancellationError.
    await assert.rejects(
      engine.client.send(ListRunsRequest, params, cancel.token),
      (err: unknown) => err instanceof ResponseError && err.code === LSPErrorCodes.RequestCancelled,
    );
    const command = guarded(
      'mcpo.runDataset',
      () => engine.client.send(ListRunsRequest, params, cancel.token),
      engine.log,
    );
    assert.equal(await command(), undefined);
    assert.deepEqual(engine.errors, [], 'a cancelled request was logged as an error');

    // The same request, not cancelled, is answered through the same wrapper.
    const answered = guarded(
      'mcpo.runDataset',
      () => engine.client.send(ListRunsRequest, params),
      engine.log,
    );
    assert.deepEqual(await answered(), []);
    assert.deepEqual(engine.errors, []);
  } finally {
    await engine.stop();
  }
}

export async function vsCodeCancellationIsNotAnErrorButAFailureIs(): Promise<void> {
  const engine = recordingLog();
  try {
    const cancelled = guarded(
      'mcpo.runDataset',
      () => Promise.reject(new vscode.CancellationError()),
      engine.log,
    );
    assert.equal(await cancelled(), undefined);
    assert.deepEqual(engine.errors, []);

    // An engine failure (RequestFailed, as server/main.ts answers a failed request) is an error.
    const failed = guarded(
      'mcpo.runDataset',
      () => Promise.reject(new ResponseError(LSPErrorCodes.RequestFailed, 'run failed: boom')),
      engine.log,
    );
    assert.equal(await failed(), undefined);
    assert.deepEqual(engine.errors, ['mcpo.runDataset: run failed: boom']);
  } finally {
    engine.dispose();
  }
}

/** The Settings editor's tab, once it is open (or an error after `timeoutMs`). */
function settingsTabOpened(timeoutMs = 10_000): Promise<void> {
  const isOpen = (): boolean =>
    vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.label === 'Settings'));
  return new Promise((resolve, reject) => {
    if (isOpen()) return resolve();
    const timer = setTimeout(() => {
      watch.dispose();
      reject(new Error('the Settings editor did not open'));
    }, timeoutMs);
    const watch = vscode.window.tabGroups.onDidChangeTabs(() => {
      if (!isOpen()) return;
      clearTimeout(timer);
      watch.dispose();
      resolve();
    });
  });
}

/**
 * An engine error with a fix (no Slurm URL): the real engine's error response carries it as data,
 * the toast words it as VS Code's setting (not the CLI's flag), offers to open it, and the button
 * opens the Settings editor.
 */
export async function anEngineErrorsFixIsWordedForVsCodeAndOfferedAsAButton(): Promise<void> {
  const engine = await startEngine();
  const window = vscode.window as { showErrorMessage: unknown };
  const real = window.showErrorMessage;
  const shown: { message: string; actions: string[] }[] = [];
  let choose: string | undefined;
  window.showErrorMessage = (message: string, ...actions: string[]) => {
    shown.push({ message, actions });
    return Promise.resolve(choose);
  };
  try {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const submit = guarded(
      'mcpo.submitJob',
      () =>
        engine.client.send(SubmitJobRequest, {
          jobsDir: path.join(os.tmpdir(), 'mcpo-itest-no-jobs'),
          kind: 'finetune',
          specFile: path.join(os.tmpdir(), 'mcpo-itest-no-spec.json'),
          executor: 'slurm',
        }),
      engine.log,
    );
    choose = 'Open mcpo.slurm.url';
    const opened = settingsTabOpened();
    assert.equal(await submit(), undefined);
    assert.equal(shown.length, 1);
    assert.match(shown[0].message, /no Slurm URL .*To give it: setting mcpo\.slurm\.url\.$/);
    assert.doesNotMatch(shown[0].message, /--slurm-url|SLURM_URL|VS Code/);
    assert.deepEqual(shown[0].actions, ['Open mcpo.slurm.url', 'Retry', 'Show Logs']);
    await opened;
  } finally {
    window.showErrorMessage = real;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await engine.stop();
  }
}

export async function stoppingTheEngineReturnsOnceItsProcessHasExited(): Promise<void> {
  const engine = await startEngine();
  assert.equal(hasExited(engine.pid), false, 'the engine is not running');
  await engine.stop();
  assert.equal(hasExited(engine.pid), true, `engine process ${engine.pid} still runs after stop()`);
}
