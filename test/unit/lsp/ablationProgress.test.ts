/**
 * VS Code's Run Ablation (server/lsp/runs.ts runAblation) against the CLI's `mcpo ablate` on the
 * same rows: the same arms run (with k = 0 no hints arm and no `all` that repeats "+self CoT"),
 * the tables say why Table 2 has one row, and every progress message says which arm of how many
 * is running ("arm 3/5 +Prompt1+2: 1/2"), not only "1/2" over again per arm.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { WorkDoneProgressReporter } from 'vscode-languageserver';
import { runAblation, type RunHost } from '../../../server/lsp/runs';
import { NO_HINTS_NOTE } from '../../../server/runs/ablation';
import type { PipelineSettings } from '../../../server/protocol/settings';
import { startOpenAiTestServer } from '../../support/openaiTestServer';
import { runCli } from '../../support/cli';
import { SAMPLE_FILE } from '../../support/sample';

/** Two multiple-choice rows: nothing to score needs an embedding model. */
function twoRows(): string {
  const rows = fs
    .readFileSync(SAMPLE_FILE, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"task_name":"task2"') || l.includes('"task_name":"task5"'));
  return `${rows.slice(0, 2).join('\n')}\n`;
}

test('Run Ablation with k = 0 runs the CLI arms and counts arms in its progress', async (t) => {
  const server = await startOpenAiTestServer({ answer: () => '1' });
  t.after(() => server.close());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-ablation-progress-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const data = path.join(dir, 'rows.jsonl');
  fs.writeFileSync(data, twoRows());

  const messages: string[] = [];
  const reporter: WorkDoneProgressReporter = {
    begin: (_title, _pct, message) => void (message && messages.push(message)),
    report: (a: number | string, b?: string) =>
      void messages.push(typeof a === 'string' ? a : (b ?? '')),
    done: () => undefined,
  };
  const host: RunHost = {
    documentText: () => Promise.resolve(fs.readFileSync(data, 'utf8')),
    sendRecord: () => undefined,
    sendState: () => undefined,
    sendLocalModel: () => undefined,
    log: () => undefined,
    warn: () => undefined,
  };
  const settings: PipelineSettings = {
    preset: 'paper',
    explicit: ['similarity.k'],
    llm: { url: server.baseUrl, model: 'test-model', mode: 'chat', concurrency: 2 },
    embedModel: 'Xenova/all-MiniLM-L6-v2',
    templates: 'paper',
    cot: 'off',
    cotTaskTypes: ['multiple-choice'],
    similarityK: 0,
    constrained: false,
    runsDir: path.join(dir, 'vscode'),
    cacheDir: path.join(dir, 'cache'),
  };
  const result = await runAblation(
    host,
    { uri: pathToFileURL(data).toString(), settings, secrets: {} },
    new AbortController().signal,
    reporter,
  );
  const arms = ['baseline', '+Prompt1', '+Prompt1+2', '+Prompt1+2+3', '+self CoT'];
  const labels = result.runDirs.map(
    (d) =>
      (JSON.parse(fs.readFileSync(path.join(d, 'config.json'), 'utf8')) as { label: string }).label,
  );
  assert.deepEqual(labels, arms);
  assert.ok(result.tables.includes(NO_HINTS_NOTE), result.tables);
  assert.match(result.tables, /arm all left out: it is the same configuration as \+self CoT/);
  assert.equal(messages[0], 'arm 1/5');
  assert.ok(messages.includes('arm 3/5 +Prompt1+2: 1/2'), messages.join(' | '));
  assert.ok(messages.includes('arm 5/5 +self CoT: 2/2'), messages.join(' | '));
  assert.ok(
    messages.slice(1).every((m) => /^arm \d\/5 /.test(m)),
    messages.join(' | '),
  );

  // The CLI on the same rows, with the same preset and k, runs the same arms, counted alike.
  const cli = await runCli([
    'ablate',
    ...['--data', data, '--preset', 'paper', '--similarity-k', '0'],
    ...['--llm-url', server.baseUrl, '--llm-model', 'test-model'],
    ...['--out', path.join(dir, 'cli'), '--cache', path.join(dir, 'cache')],
  ]);
  assert.equal(cli.code, 0, cli.stderr);
  const cliArms = [...cli.stderr.matchAll(/^arm (\d) of (\d): (.+?) \(/gm)];
  assert.deepEqual(
    cliArms.map((m) => m[3]),
    arms,
  );
  assert.ok(cliArms.every((m, i) => m[1] === String(i + 1) && m[2] === '5'));
  assert.ok(cli.stdout.includes(NO_HINTS_NOTE), cli.stdout);
  assert.match(cli.stdout, /arm all left out: it is the same configuration as \+self CoT/);
});
