import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CancellationTokenSource, type MessageConnection } from 'vscode-jsonrpc/node';
import type {
  CodeLens,
  CompletionItem,
  Diagnostic,
  DocumentSymbol,
  Hover,
  PublishDiagnosticsParams,
} from 'vscode-languageserver';
import {
  CheckEndpointsRequest,
  CompareRunsRequest,
  GetRunRequest,
  InferTaskTypeRequest,
  ListRunsRequest,
  PreviewPromptRequest,
  RecordNotification,
  RunAblationRequest,
  RunDatasetRequest,
  RunQuestionRequest,
  RunStateNotification,
} from '../../../server/protocol/messages';
import type {
  InferTaskTypeResult,
  RecordNotificationParams,
  RunStateParams,
} from '../../../server/protocol/runs';
import type { PipelineSettings } from '../../../server/protocol/settings';
import { startOpenAiTestServer } from '../../support/openaiTestServer';
import { buildTinyBertFixture } from '../../support/tinyBertFixture';
import { startLspServer, type LspServer } from '../../support/lspServer';
import { repoRoot } from '../../support/paths';
import { tempDir } from '../../support/tempDirs';

const SAMPLE = fs
  .readFileSync(path.join(repoRoot, 'server', 'dataset', 'sample', 'shopbench-dev.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');
/** A generation row and three multiple-choice rows of the bundled sample. */
const ROWS = SAMPLE.slice(3, 7);
const BROKEN = ROWS[2].replace('"metric":"accuracy"', '"metric":"acuracy"');

const tmp = tempDir('mcpo-lsp-');
let server: LspServer;
let conn: MessageConnection;
let tinyBert: string;
const diagnostics = new Map<string, PublishDiagnosticsParams[]>();
const diagnosticWaiters: (() => void)[] = [];
const records: RecordNotificationParams[] = [];
const states: RunStateParams[] = [];
const progress: unknown[] = [];

function uriOf(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return pathToFileURL(file).href;
}

/**
 * Resolves with the first published diagnostics for `uri` (from now on or already received) that
 * satisfy `ok`; rejects with the last ones seen when none did within `timeoutMs`.
 */
function diagnosticsFor(
  uri: string,
  ok: (d: Diagnostic[]) => boolean,
  timeoutMs = 30_000,
): Promise<Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const last = diagnostics.get(uri)?.at(-1);
      if (last && ok(last.diagnostics)) {
        resolve(last.diagnostics);
        return true;
      }
      return false;
    };
    if (check()) return;
    const timer = setTimeout(() => {
      diagnosticWaiters.splice(diagnosticWaiters.indexOf(waiter), 1);
      reject(
        new Error(
          `no matching diagnostics for ${uri} within ${timeoutMs} ms; last: ${JSON.stringify(diagnostics.get(uri)?.at(-1)?.diagnostics)}`,
        ),
      );
    }, timeoutMs);
    const waiter = (): void => {
      if (!check()) return;
      clearTimeout(timer);
      diagnosticWaiters.splice(diagnosticWaiters.indexOf(waiter), 1);
    };
    diagnosticWaiters.push(waiter);
  });
}

function open(uri: string, text: string, languageId = 'jsonl'): void {
  void conn.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId, version: 1, text },
  });
}

function settings(baseUrl: string): PipelineSettings {
  return {
    llm: { url: baseUrl, model: 'test-model', mode: 'chat', concurrency: 2 },
    embedModel: tinyBert,
    templates: 'paper',
    cot: 'off',
    cotTaskTypes: [],
    similarityK: 0,
    constrained: false,
    runsDir: path.join(tmp, 'runs'),
    cacheDir: path.join(tmp, 'cache'),
    scoringEmbedModel: tinyBert,
    scoringMultilingualEmbedModel: tinyBert,
  };
}

before(async () => {
  tinyBert = buildTinyBertFixture(path.join(tmp, 'tiny-bert'));
  server = startLspServer();
  conn = server.conn;
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    diagnostics.set(p.uri, [...(diagnostics.get(p.uri) ?? []), p]);
    for (const w of [...diagnosticWaiters]) w();
  });
  conn.onNotification(RecordNotification, (p: RecordNotificationParams) => {
    records.push(p);
  });
  conn.onNotification(RunStateNotification, (p: RunStateParams) => {
    states.push(p);
  });
  conn.onNotification('$/progress', (p: unknown) => {
    progress.push(p);
  });
  conn.onRequest('window/workDoneProgress/create', () => null);
  await server.initialize({ window: { workDoneProgress: true } });
});

after(() => server.stop());

test('a broken row gets a diagnostic at its field; fixing it clears the diagnostics', async () => {
  const text = [ROWS[0], ROWS[1], BROKEN, ROWS[3]].join('\n') + '\n';
  const uri = uriOf('broken.jsonl', text);
  open(uri, text);
  const [d] = await diagnosticsFor(uri, (ds) => ds.length > 0);
  const column = BROKEN.indexOf('"metric"');
  assert.deepEqual(d.range, {
    start: { line: 2, character: column },
    end: { line: 2, character: column + '"metric"'.length },
  });
  assert.equal(d.severity, 1);
  assert.equal(d.source, 'mcpo');
  assert.match(messageOf(d), /^unknown metric "acuracy"; expected one of/);
  // Type the missing "c" back into "acuracy".
  const at = BROKEN.indexOf('acuracy');
  void conn.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: 2 },
    contentChanges: [
      {
        range: { start: { line: 2, character: at + 1 }, end: { line: 2, character: at + 1 } },
        text: 'c',
      },
    ],
  });
  assert.deepEqual(await diagnosticsFor(uri, (ds) => ds.length === 0), []);
  // A new line inserted above moves a new problem's position with it.
  void conn.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: 3 },
    contentChanges: [
      {
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        text: '{"input_field": 3}\n',
      },
    ],
  });
  const moved = await diagnosticsFor(uri, (ds) => ds.length > 0);
  assert.ok(
    moved.every((x) => x.range.start.line === 0),
    JSON.stringify(moved),
  );
  assert.ok(
    moved.some((x) => messageOf(x) === 'field "input_field" must be a string, got number 3'),
  );
});

test('a JSON file that is not ShopBench gets no diagnostics, hover or lenses', async () => {
  const text = '{"name": "x", "version": 1}\n{"broken": \n';
  const uri = uriOf('other.json', text);
  open(uri, text, 'json');
  // The ShopBench document opened after it is answered first: the server handles notifications in order.
  const marker = uriOf('marker.jsonl', `${ROWS[0]}\n`);
  open(marker, `${ROWS[0]}\n`);
  await diagnosticsFor(marker, () => true);
  assert.equal(diagnostics.get(uri), undefined);
  assert.deepEqual(await conn.sendRequest('textDocument/codeLens', { textDocument: { uri } }), []);
  assert.equal(
    await conn.sendRequest('textDocument/hover', {
      textDocument: { uri },
      position: { line: 0, character: 1 },
    }),
    null,
  );
});

test('hover, code lenses, symbols and completion', async () => {
  const text = `${ROWS.join('\n')}\n`;
  const uri = uriOf('features.jsonl', text);
  open(uri, text);
  const hover = await conn.sendRequest<Hover>('textDocument/hover', {
    textDocument: { uri },
    position: { line: 1, character: 5 },
  });
  const md = (hover.contents as { value: string }).value;
  assert.match(md, /task type: multiple\\-choice/);
  assert.match(md, /metric: accuracy/);
  // The track as the side bar and the report name it, not the official 49-character name.
  assert.match(md, /track: understanding\\-shopping\\-concepts {2}\n/);
  assert.doesNotMatch(md, /amazon/);
  assert.match(md, /options \(\d+\)/);
  assert.match(md, /truth: \d/);

  const lenses = await conn.sendRequest<CodeLens[]>('textDocument/codeLens', {
    textDocument: { uri },
  });
  // The default density: lenses on the first row of each task (task1 on row 1, task2 on row 2).
  assert.equal(lenses.length, 6);
  assert.deepEqual(
    lenses.slice(3, 6).map((l) => [l.command!.title, l.command!.command, l.command!.arguments]),
    [
      ['Run MCPO', 'mcpo.runRow', [uri, 1]],
      ['Compare with baseline', 'mcpo.compareRow', [uri, 1]],
      ['Show prompt', 'mcpo.showPrompt', [uri, 1]],
    ],
  );

  const symbols = await conn.sendRequest<DocumentSymbol[]>('textDocument/documentSymbol', {
    textDocument: { uri },
  });
  assert.equal(symbols.length, 1);
  assert.equal(symbols[0].name, 'amazon-kdd-cup-24-understanding-shopping-concepts');
  assert.deepEqual(
    symbols[0].children!.map((t) => [t.name, t.children!.map((r) => r.name)]),
    [
      ['task1 · generation · sent-transformer', ['row 1']],
      ['task2 · multiple-choice · accuracy', ['row 2', 'row 3', 'row 4']],
    ],
  );

  const line = ROWS[1];
  const at = line.indexOf('"metric":"') + '"metric":"'.length + 2;
  const items = await conn.sendRequest<CompletionItem[]>('textDocument/completion', {
    textDocument: { uri },
    position: { line: 1, character: at },
  });
  const accuracy = items.find((i) => i.label === 'accuracy')!;
  assert.ok(accuracy.sortText!.startsWith('0'), 'the metric of a multiple-choice row comes first');
  assert.deepEqual((accuracy.textEdit as { range: unknown }).range, {
    start: { line: 1, character: at - 2 },
    end: { line: 1, character: at - 2 + 'accuracy'.length },
  });
  const tt = line.indexOf('"task_type":"') + '"task_type":"'.length;
  const types = await conn.sendRequest<CompletionItem[]>('textDocument/completion', {
    textDocument: { uri },
    position: { line: 1, character: tt },
  });
  assert.ok(types.some((i) => i.label === 'named_entity_recognition'));
  const none = await conn.sendRequest<CompletionItem[]>('textDocument/completion', {
    textDocument: { uri },
    position: { line: 1, character: 3 },
  });
  assert.deepEqual(none, []);
});

test('RunDataset of 3 rows, ListRuns, GetRun, CompareRuns, PreviewPrompt, CheckEndpoints and a clear error', async (t) => {
  const server = await startOpenAiTestServer({ answer: () => '1' });
  t.after(() => server.close());
  // The document's unsaved text runs: the row on disk is different.
  const text = `${ROWS.join('\n')}\n`;
  const uri = uriOf('run.jsonl', 'not what runs\n');
  open(uri, text);
  const s = settings(server.baseUrl);
  records.length = 0;
  const result = await conn.sendRequest(RunDatasetRequest, {
    uri,
    rows: [1, 2, 3],
    settings: s,
    secrets: { llmApiKey: 'sk-secret' },
    workDoneToken: 'tok-1',
  });
  assert.deepEqual(
    { done: result.done, failed: result.failed, cancelled: result.cancelled },
    { done: 3, failed: 0, cancelled: false },
  );
  assert.equal(records.length, 3);
  assert.deepEqual(
    records.map((r) => r.record.index).sort(),
    [1, 2, 3],
    "records keep the rows' ordinals in the document",
  );
  assert.ok(fs.existsSync(path.join(result.runDir, 'config.json')));
  assert.equal(
    fs.readFileSync(path.join(result.runDir, 'records.jsonl'), 'utf8').trim().split('\n').length,
    3,
  );
  assert.ok(
    !fs.readFileSync(path.join(result.runDir, 'config.json'), 'utf8').includes('sk-secret'),
  );
  assert.equal(
    fs.readFileSync(fileOf(uri), 'utf8'),
    'not what runs\n',
    'the dataset file is never written',
  );
  assert.deepEqual(
    states.filter((x) => x.runDir === result.runDir).map((x) => x.state),
    ['started', 'finished'],
  );
  assert.ok(
    progress.some(
      (p) => JSON.stringify(p).includes('"3/3"') && JSON.stringify(p).includes('"percentage":100'),
    ),
    JSON.stringify(progress),
  );

  const second = await conn.sendRequest(RunDatasetRequest, {
    uri,
    settings: s,
    secrets: {},
    label: 'all rows',
  });
  assert.equal(second.done, 4);

  const runs = await conn.sendRequest(ListRunsRequest, {
    runsDir: s.runsDir,
  });
  assert.deepEqual(
    runs.map((r) => r.runDir),
    [second.runDir, result.runDir],
  );
  assert.equal(runs[0].label, 'all rows');
  assert.equal(runs[0].questions, 4);

  const got = await conn.sendRequest(GetRunRequest, {
    runDir: result.runDir,
  });
  assert.equal(got.records.length, 3);
  assert.equal(got.config.runId, path.basename(result.runDir));
  assert.equal(typeof got.report.overall, 'number');

  const cmp = await conn.sendRequest(CompareRunsRequest, {
    baselineDir: second.runDir,
    candidateDir: result.runDir,
  });
  const overall = cmp.differences.find((d) => d.scope === 'overall')!;
  assert.equal(overall.delta, 0, 'the same answers on the same rows');

  const preview = await conn.sendRequest(PreviewPromptRequest, {
    uri,
    row: 1,
    templates: 'paper',
  });
  assert.equal(preview.original, (JSON.parse(ROWS[1]) as { input_field: string }).input_field);
  assert.ok(preview.final.startsWith('Please think cautiously.'));
  assert.ok(preview.spans.some((sp) => sp.stage === 'template'));

  await assert.rejects(
    conn.sendRequest(GetRunRequest, { runDir: path.join(tmp, 'nope') }),
    (err: Error) => {
      assert.match(err.message, /^Opening run .*nope failed: .*config\.json: not found/);
      assert.ok(!err.message.includes('    at '), 'no stack trace');
      return true;
    },
  );

  const health = await conn.sendRequest(CheckEndpointsRequest, {
    settings: {
      ...s,
      slm: { url: server.baseUrl, model: 'no-such-model', mode: 'chat', concurrency: 1 },
    },
    secrets: {},
  });
  assert.deepEqual(
    health.endpoints.map((e) => [e.role, e.ok]),
    [
      ['llm', true],
      ['slm', false],
    ],
  );
  assert.match(health.endpoints[1].message, /no-such-model/);
});

test('cancelling a run against a slow server returns cancelled: true', async (t) => {
  const server = await startOpenAiTestServer({ answer: () => '1', latencyMs: 60_000 });
  t.after(() => server.close());
  const text = `${ROWS.join('\n')}\n`;
  const uri = uriOf('slow.jsonl', text);
  open(uri, text);
  const source = new CancellationTokenSource();
  const pending = conn.sendRequest(
    RunDatasetRequest,
    {
      uri,
      settings: { ...settings(server.baseUrl), cacheDir: path.join(tmp, 'cache-slow') },
      secrets: {},
    },
    source.token,
  );
  // A generation request in flight (after the model check's GET).
  await server.waitForRequests(1, undefined, (r) => r.method === 'POST');
  source.cancel();
  const result = await pending;
  assert.equal(result.cancelled, true);
  assert.equal(result.done, 0);
  assert.deepEqual(
    states.filter((x) => x.runDir === result.runDir).map((x) => x.state),
    ['started', 'cancelled'],
  );
});

test('free-form questions: task type inference and a run marked as such', async (t) => {
  const infer = (question: string): Promise<InferTaskTypeResult> =>
    conn.sendRequest(InferTaskTypeRequest, { question });
  assert.equal(
    (await infer('Which is a fruit?\n0. apple\n1. chair\nAnswer:')).taskType,
    'multiple-choice',
  );
  assert.equal(
    (await infer('Rank these items by relevance:\n1. a\n2. b\nOutput:')).taskType,
    'ranking',
  );
  assert.equal(
    (await infer('Select 3 products a user would buy next:\n1. a\n2. b\n3. c\n4. d')).taskType,
    'retrieval',
  );
  assert.equal(
    (await infer('Extract the brand entities from: Nike shoes')).taskType,
    'named_entity_recognition',
  );
  const gen = await infer('Write a title for this product');
  assert.equal(gen.taskType, 'generation');
  assert.ok(gen.reason.length > 0);

  const server = await startOpenAiTestServer({ answer: () => '0' });
  t.after(() => server.close());
  records.length = 0;
  const result = await conn.sendRequest(RunQuestionRequest, {
    question: 'Which is a fruit?\n0. apple\n1. chair\nAnswer:',
    taskType: 'multiple-choice',
    settings: settings(server.baseUrl),
    secrets: {},
  });
  assert.equal(result.done, 1);
  assert.match(records[0].record.warnings[0], /free-form question: not scored/);
  // No truth, so no score: the report lists the task as not scored rather than a made-up 0 or 1.
  assert.equal(records[0].record.score, null);
  assert.equal(records[0].record.truth, undefined);
  assert.equal(records[0].record.parsed, 0);
  const run = await conn.sendRequest(GetRunRequest, {
    runDir: result.runDir,
  });
  assert.equal(run.report.overall, null);
  assert.equal(run.report.tasks[0].score, null);
  // The report's reason line says why, not "Not scored: not scored".
  assert.deepEqual(run.report.unscored, [
    { task_name: 'free-form', reason: 'a free-form question has no reference answer' },
  ]);
  const stored = JSON.parse(
    fs.readFileSync(path.join(result.runDir, 'records.jsonl'), 'utf8').trim(),
  ) as { warnings: string[] };
  assert.match(stored.warnings[0], /free-form/);
  assert.equal(
    (
      JSON.parse(fs.readFileSync(path.join(result.runDir, 'config.json'), 'utf8')) as {
        label: string;
      }
    ).label,
    'free-form',
  );
});

function fileOf(uri: string): string {
  return new URL(uri).pathname;
}

/** LSP 3.18 allows markup in diagnostic messages; the server sends plain strings. */
function messageOf(d: { message: string | { value: string } }): string {
  return typeof d.message === 'string' ? d.message : d.message.value;
}

test('RunAblation: every arm runs over the selected rows and the paper tables come back', async (t) => {
  const server = await startOpenAiTestServer({ answer: () => '1' });
  t.after(() => server.close());
  const uri = uriOf('ablation.jsonl', `${ROWS.join('\n')}\n`);
  open(uri, `${ROWS.join('\n')}\n`);
  const result = await conn.sendRequest(RunAblationRequest, {
    uri,
    rows: [0, 1],
    // mcpo.similarity.k not set: k = 3, as `mcpo ablate` without --similarity-k.
    settings: {
      ...settings(server.baseUrl),
      similarityK: undefined,
      cacheDir: path.join(tmp, 'cache-ablation'),
    },
    secrets: {},
  });
  // No SLM configured: baseline, +Prompt1, +Prompt1+2, +Prompt1+2+3, +self CoT, +top-3 hints, all.
  assert.equal(result.runDirs.length, 7);
  for (const dir of result.runDirs)
    assert.equal(
      fs.readFileSync(path.join(dir, 'records.jsonl'), 'utf8').trim().split('\n').length,
      2,
    );
  assert.match(result.tables, /Table 1 — chain-of-thought supplement/);
  assert.match(result.tables, /Table 5 — prompt engineering per task type/);
});
