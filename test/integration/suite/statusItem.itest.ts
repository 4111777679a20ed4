/**
 * The MCPO status item follows what happens, in a real VS Code against a real engine and the
 * OpenAI-compatible test server: new endpoint settings (what Configure Endpoints writes) are
 * checked and shown, a run that fails (the whole request, or some of its questions) shows as
 * failed, and a clean run after it shows healthy again. A run whose vector model will not load
 * fails before its first question and points at the settings that fix it, and an endpoint check
 * does not turn the item green meanwhile. The item is read through the extension's
 * API (VS Code's own API cannot read a status item back); waits are on its change events.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { McpoExtensionApi } from '../../../extension/extension';
import type { StatusView } from '../../../extension/statusModel';
import { startOpenAiTestServer, type Fault } from '../../support/openaiTestServer';
import { activeExtension, runFixture } from './runFixture';
import { childProcesses } from '../../support/processes';
import { extensionEngineRunning } from './diagnostics';

/** extension/engineClient.ts ENGINE_STOPPED (extension/ is bundled, not compiled to out/). */
const ENGINE_STOPPED_TEXT = 'the MCPO engine stopped during the run';

const WAIT_MS = 20_000;

async function extensionApi(): Promise<McpoExtensionApi> {
  const api = (await activeExtension()).exports as McpoExtensionApi | undefined;
  assert.ok(api?.statusView, 'the extension gives no status API');
  return api;
}

/** The item once `accept` holds (checked now and on every change), within WAIT_MS. */
function statusWhen(
  api: McpoExtensionApi,
  accept: (view: StatusView) => boolean,
  what: string,
): Promise<StatusView> {
  return new Promise((resolve, reject) => {
    const check = (view: StatusView): void => {
      if (!accept(view)) return;
      clearTimeout(timer);
      listener.dispose();
      resolve(view);
    };
    const timer = setTimeout(() => {
      listener.dispose();
      reject(new Error(`${what}: the status item shows ${JSON.stringify(api.statusView())}`));
    }, WAIT_MS);
    const listener = api.onDidChangeStatus(check);
    check(api.statusView());
  });
}

const healthyAt = (url: string) => (v: StatusView) =>
  v.text === '$(check) MCPO' && v.tooltip.includes(url);

export async function newEndpointSettingsAreCheckedAndShown(): Promise<void> {
  const api = await extensionApi();
  const fixture = await runFixture();
  // Serves another model only: the fixture's model is "not served" there.
  const other = await startOpenAiTestServer({ models: ['another-model'] });
  const config = vscode.workspace.getConfiguration('mcpo');
  try {
    await statusWhen(api, healthyAt(fixture.server.baseUrl), 'healthy at the first server');
    const asked = other.requests.length;
    await config.update('llm.url', other.baseUrl, vscode.ConfigurationTarget.Global);
    const failing = await statusWhen(
      api,
      (v) => v.text === '$(error) MCPO' && v.tooltip.includes(other.baseUrl),
      'the new endpoint checked and failing',
    );
    assert.match(failing.tooltip, /itest-model/);
    assert.ok(
      other.requests.slice(asked).some((r) => r.path === '/v1/models'),
      'the new endpoint was not asked',
    );
    // Without http://, the check says what a run says (newuser-s23 W4: it said "Invalid URL").
    const schemeless = fixture.server.baseUrl.replace(/^http:\/\//, '');
    await config.update('llm.url', schemeless, vscode.ConfigurationTarget.Global);
    const noScheme = await statusWhen(
      api,
      (v) => v.text === '$(error) MCPO' && v.tooltip.includes(schemeless),
      'the URL without http:// checked and failing',
    );
    assert.match(noScheme.tooltip, /setting mcpo\.llm\.url ".*" needs http:\/\/ or https:\/\//);
    assert.doesNotMatch(noScheme.tooltip, /Invalid URL/);
    await config.update('llm.url', fixture.server.baseUrl, vscode.ConfigurationTarget.Global);
    await statusWhen(api, healthyAt(fixture.server.baseUrl), 'healthy again at the first server');
  } finally {
    await other.close();
    await fixture.dispose();
  }
}

export async function aFailedRunShowsAsFailedUntilACleanRun(): Promise<void> {
  const api = await extensionApi();
  const fixture = await runFixture();
  try {
    await statusWhen(api, healthyAt(fixture.server.baseUrl), 'healthy before the runs');

    // The run's model check is told the model is not served: the whole run fails.
    fixture.server.script({ kind: 'wrongModel' });
    await vscode.commands.executeCommand('mcpo.runDataset', fixture.dataset);
    const failed = await statusWhen(
      api,
      (v) => v.text === '$(error) MCPO: run failed',
      'the failed run shown',
    );
    assert.match(failed.tooltip, /endpoint check failed: .*HTTP 404/);

    // The check passes, then every question's answer is refused: the questions fail.
    fixture.server.script(
      { kind: 'none' },
      ...Array.from({ length: 5 }, (): Fault => ({ kind: 'wrongModel' })),
    );
    await vscode.commands.executeCommand('mcpo.runDataset', fixture.dataset);
    const questions = await statusWhen(
      api,
      (v) => v.text === '$(error) MCPO: 5/5 failed',
      'the failed questions shown',
    );
    assert.match(questions.tooltip, /Q\d failed at answer/);

    await vscode.commands.executeCommand('mcpo.runDataset', fixture.dataset);
    const clean = await statusWhen(
      api,
      (v) => v.text === '$(check) MCPO',
      'a clean run shown healthy',
    );
    assert.match(clean.tooltip, /answered all 5 questions/);
    assert.equal(clean.command, 'mcpo.checkEndpoints');
  } finally {
    await fixture.dispose();
  }
}

export async function aRunWhoseVectorModelWillNotLoadPointsAtItsSettings(): Promise<void> {
  const api = await extensionApi();
  const fixture = await runFixture();
  const config = vscode.workspace.getConfiguration('mcpo');
  const dir = path.dirname(fixture.runsDir);
  try {
    await statusWhen(api, healthyAt(fixture.server.baseUrl), 'healthy before the run');
    // Ranking rows get similarity hints: M_V must load, and this folder does not exist.
    const extension = await activeExtension();
    const ranking = fs
      .readFileSync(
        path.join(extension.extensionPath, 'server', 'dataset', 'sample', 'shopbench-dev.jsonl'),
        'utf8',
      )
      .split('\n')
      .filter((l) => l.includes('"ranking"'))
      .slice(0, 2);
    const data = path.join(dir, 'ranking.jsonl');
    fs.writeFileSync(data, `${ranking.join('\n')}\n`);
    await config.update(
      'embedModel',
      path.join(dir, 'no-such-model'),
      vscode.ConfigurationTarget.Global,
    );
    await config.update('similarity.k', 3, vscode.ConfigurationTarget.Global);

    await vscode.commands.executeCommand('mcpo.runDataset', vscode.Uri.file(data));
    const failed = await statusWhen(
      api,
      (v) => v.text === '$(error) MCPO: run failed',
      'the failed run shown',
    );
    assert.equal(failed.command, 'workbench.action.openSettings');
    assert.deepEqual(failed.arguments, ['mcpo.similarity.k']);
    assert.match(failed.tooltip, /no-such-model/);
    // VS Code's way to fix it, not the CLI's flags (those are for mcpo run).
    assert.doesNotMatch(failed.tooltip, /--similarity-k|--embed-model/);
    // The engine's fixes, worded for VS Code (the toast offers each as a button: unit-tested).
    assert.match(failed.tooltip, /To run without hints: setting mcpo\.similarity\.k to 0\./);
    assert.match(failed.tooltip, /To use another M_V: setting mcpo\.embedModel\./);
    assert.deepEqual(fixture.runs(), [], 'no run folder is left');
    assert.deepEqual(
      fixture.server.requests.filter((r) => r.method === 'POST'),
      [],
      'no question was asked',
    );

    // Checking the endpoints (they are fine) does not make the item look as if all were fine.
    await vscode.commands.executeCommand('mcpo.checkEndpoints');
    assert.equal(api.statusView().text, '$(error) MCPO: run failed');

    await config.update('similarity.k', 0, vscode.ConfigurationTarget.Global);
    await statusWhen(api, healthyAt(fixture.server.baseUrl), 'healthy once the setting changed');
  } finally {
    await config.update('embedModel', undefined, vscode.ConfigurationTarget.Global);
    await fixture.dispose();
  }
}

/**
 * The engine's process dies mid-run (a crash, an OOM kill): the run must not read "running…"
 * until VS Code reloads. It ends as stopped in the status item (and the views, on the same
 * event), the run command returns, and once the client has restarted the engine, Resume Run
 * finishes the run in the same folder.
 */
export async function aRunWhoseEngineDiesEndsAsStoppedAndResumeFinishesIt(): Promise<void> {
  const api = await extensionApi();
  const extension = await activeExtension();
  const fixture = await runFixture();
  const release = fixture.server.hold();
  try {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(fixture.dataset));
    const running = vscode.commands.executeCommand('mcpo.runDataset');
    // The first question's POST, held: the run is under way (endpoint checks are GETs, and the
    // status item's own may come first).
    await fixture.server.waitForRequests(1, WAIT_MS, (r) => r.method === 'POST');
    const engines = childProcesses(
      process.pid,
      path.join(extension.extensionPath, 'dist', 'main.js'),
    );
    assert.equal(engines.length, 1, `one engine process expected, found [${engines.join(', ')}]`);
    process.kill(engines[0], 'SIGKILL');
    const stopped = await statusWhen(
      api,
      (v) => v.tooltip.includes(ENGINE_STOPPED_TEXT),
      'the run shown as stopped',
    );
    assert.equal(stopped.text, '$(error) MCPO: run failed');
    assert.equal(await running, undefined, 'the run command did not return');
    const [runDir] = fixture.runs();
    assert.ok(runDir, 'the run left no folder');
    release();
    await extensionEngineRunning(extension, WAIT_MS);
    await vscode.commands.executeCommand('mcpo.resumeRun', runDir);
    assert.deepEqual(fixture.runs(), [runDir], 'no new run folder');
    assert.deepEqual(fixture.statuses(runDir), ['ok', 'ok', 'ok', 'ok', 'ok']);
  } finally {
    release();
    await fixture.dispose();
  }
}
