/**
 * What the integration tests that run MCPO share: an OpenAI-compatible test server in the
 * extension host's process (the engine reaches it over loopback), the `mcpo.*` user settings that
 * point M_L at it with a runs and cache folder of the test's own, a small dataset of valid rows,
 * and the run folders a command wrote. Everything is undone by `dispose()`, so tests stay apart.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startOpenAiTestServer, type OpenAiTestServer } from '../../support/openaiTestServer';

export const EXTENSION_ID = 'mcpo-workbench.mcpo-workbench';
const MODEL = 'itest-model';

/** The rows' task names: multiple choice only, so scoring needs no embedding model. */
const TASKS = ['task2', 'task5', 'task8', 'task9', 'task10'];

export interface RunFixture {
  server: OpenAiTestServer;
  /** Five multiple-choice rows (one per line, tasks in TASKS order). */
  dataset: vscode.Uri;
  runsDir: string;
  /** The settings this fixture set, with their values. */
  settings: Readonly<Record<string, unknown>>;
  /** Run folders written since the fixture was made, oldest first. */
  runs(): string[];
  /** A run folder's records, in the order they were written. */
  records(runDir: string): Array<{ task_name: string; status: string }>;
  /** Each question's latest status in a run folder (a resume appends), by question. */
  statuses(runDir: string): string[];
  /** Puts back the settings, closes the editors and the server, removes the folder. */
  dispose(): Promise<void>;
}

export async function activeExtension(): Promise<vscode.Extension<unknown>> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed`);
  await extension.activate();
  return extension;
}

/** The lines of the bundled sample the installed extension ships. */
export async function sampleLines(): Promise<string[]> {
  const extension = await activeExtension();
  return fs
    .readFileSync(
      path.join(extension.extensionPath, 'server', 'dataset', 'sample', 'shopbench-dev.jsonl'),
      'utf8',
    )
    .split('\n')
    .filter((l) => l.trim() !== '');
}

export async function runFixture(): Promise<RunFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-itest-run-'));
  const server = await startOpenAiTestServer({ models: [MODEL] });
  const sample = (await sampleLines()).map((l) => JSON.parse(l) as { task_name: string });
  const rows = TASKS.map((task) => {
    const row = sample.find((r) => r.task_name === task);
    assert.ok(row, `the sample has no ${task} row`);
    return row;
  });
  const dataset = path.join(dir, 'rows.jsonl');
  fs.writeFileSync(dataset, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  const runsDir = path.join(dir, 'runs');
  const settings: Record<string, unknown> = {
    'llm.url': server.baseUrl,
    'llm.model': MODEL,
    'cot.mode': 'off',
    'similarity.k': 0,
    runsDir,
    cacheDir: path.join(dir, 'cache'),
    // The report would open a webview per run: not what these tests look at.
    openReportAfterRun: false,
  };
  const config = vscode.workspace.getConfiguration('mcpo');
  for (const [key, value] of Object.entries(settings))
    await config.update(key, value, vscode.ConfigurationTarget.Global);
  return {
    server,
    dataset: vscode.Uri.file(dataset),
    runsDir,
    settings,
    runs: () =>
      fs.existsSync(runsDir)
        ? fs
            .readdirSync(runsDir)
            .map((name) => path.join(runsDir, name))
            .filter((p) => fs.existsSync(path.join(p, 'config.json')))
            .sort((a, b) => fs.statSync(a).birthtimeMs - fs.statSync(b).birthtimeMs)
        : [],
    records: (runDir) =>
      fs
        .readFileSync(path.join(runDir, 'records.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as { task_name: string; status: string }),
    statuses: (runDir) => {
      const latest = new Map<number, string>();
      for (const line of fs.readFileSync(path.join(runDir, 'records.jsonl'), 'utf8').split('\n'))
        if (line.trim()) {
          const r = JSON.parse(line) as { index: number; status: string };
          latest.set(r.index, r.status);
        }
      return [...latest.entries()].sort(([a], [b]) => a - b).map(([, status]) => status);
    },
    dispose: async () => {
      for (const key of Object.keys(settings))
        await config.update(key, undefined, vscode.ConfigurationTarget.Global);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
