/**
 * The extension's contributions, checked through VS Code's own APIs inside a real extension host
 * (run by ./index.ts, launched by test/integration/runInCodeServer.ts): every contributed command
 * is registered, and the language server (the engine) answers for a ShopBench dataset with
 * diagnostics, code lenses (as dense as `mcpo.codeLens.density` says), hovers and an outline;
 * "Show prompt" opens the templated prompt in the prompt view (one editor coloured by span) and
 * its side-by-side diff is one lens away. Waits are on VS Code events, never sleeps.
 *
 * Each test writes its own temporary dataset (five rows of the bundled sample, the third one
 * broken with metric "acc") so tests do not depend on each other.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { MCQ_PREFIX, RANKING_ROLE } from '../../../server/pipeline/templates';
import { waitForDiagnostics } from './diagnostics';
import { runFixture } from './runFixture';

const EXTENSION_ID = 'mcpo-workbench.mcpo-workbench';
const WAIT_MS = 20_000;
/** extension/promptDiff.ts PROMPT_SCHEME (extension/ is bundled, not compiled to out/, so not imported). */
const PROMPT_SCHEME = 'mcpo-prompt';

interface SampleRow {
  task_name: string;
  task_type: string;
  metric: string;
  track: string;
  [key: string]: unknown;
}

interface ContributedCommand {
  command: string;
  title: string;
}

interface TempDataset {
  uri: vscode.Uri;
  rows: SampleRow[];
  /** 0-based line (= row ordinal) of the broken row. */
  brokenLine: number;
  /** 0-based lines of a ranking row and a multiple-choice row. */
  rankingLine: number;
  choiceLine: number;
}

async function activeExtension(): Promise<vscode.Extension<unknown>> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed`);
  await extension.activate();
  return extension;
}

function sampleRows(extension: vscode.Extension<unknown>): SampleRow[] {
  const file = path.join(
    extension.extensionPath,
    'server',
    'dataset',
    'sample',
    'shopbench-dev.jsonl',
  );
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as SampleRow);
}

/** Five rows from different tasks and tracks; the third has the unknown metric "acc". */
async function writeTempDataset(): Promise<TempDataset> {
  const extension = await activeExtension();
  const all = sampleRows(extension);
  const pick = (task: string): SampleRow => {
    const row = all.find((r) => r.task_name === task);
    assert.ok(row, `the sample has no ${task} row`);
    return row;
  };
  const rows = [
    pick('task2'),
    pick('task12'),
    { ...pick('task1'), metric: 'acc' },
    pick('task8'),
    pick('task16'),
  ];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-itest-'));
  const file = path.join(dir, 'broken.jsonl');
  fs.writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return { uri: vscode.Uri.file(file), rows, brokenLine: 2, rankingLine: 1, choiceLine: 0 };
}

const hasUnknownMetric = (d: readonly vscode.Diagnostic[]): boolean =>
  d.some((x) => x.message.includes('unknown metric'));

/** Opens the dataset and waits until the engine has published its diagnostics (so it is up). */
async function openDataset(dataset: TempDataset): Promise<vscode.TextDocument> {
  const published = waitForDiagnostics(
    dataset.uri,
    hasUnknownMetric,
    'the engine published no "unknown metric" diagnostic',
    WAIT_MS,
  );
  const document = await vscode.workspace.openTextDocument(dataset.uri);
  await vscode.window.showTextDocument(document);
  await published;
  return document;
}

function markdownText(
  contents: ReadonlyArray<vscode.MarkdownString | vscode.MarkedString>,
): string {
  return contents.map((c) => (typeof c === 'string' ? c : c.value)).join('\n');
}

async function closeEditors(dataset: TempDataset): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  fs.rmSync(path.dirname(dataset.uri.fsPath), { recursive: true, force: true });
}

export async function everyContributedCommandIsRegistered(): Promise<void> {
  const extension = await activeExtension();
  const contributes = (
    extension.packageJSON as { contributes?: { commands?: ContributedCommand[] } }
  ).contributes;
  const contributed = (contributes?.commands ?? []).map((c) => c.command);
  assert.ok(
    contributed.length >= 15,
    `package.json contributes only ${contributed.length} commands`,
  );
  const registered = new Set(await vscode.commands.getCommands(false));
  const missing = contributed.filter((c) => !registered.has(c));
  assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
}

export async function diagnosticMarksTheBrokenRow(): Promise<void> {
  const dataset = await writeTempDataset();
  try {
    await openDataset(dataset);
    const diagnostics = vscode.languages.getDiagnostics(dataset.uri);
    const unknown = diagnostics.filter((d) => d.message.includes('unknown metric'));
    assert.equal(
      unknown.length,
      1,
      `diagnostics: ${JSON.stringify(diagnostics.map((d) => [d.range.start.line, d.message]))}`,
    );
    assert.match(unknown[0].message, /unknown metric "acc"/);
    assert.equal(unknown[0].severity, vscode.DiagnosticSeverity.Error);
    assert.equal(
      unknown[0].range.start.line,
      dataset.brokenLine,
      'the diagnostic is not on the broken row',
    );
    // Only the broken row has an error.
    const errorLines = new Set(
      diagnostics
        .filter((d) => d.severity === vscode.DiagnosticSeverity.Error)
        .map((d) => d.range.start.line),
    );
    assert.deepEqual([...errorLines], [dataset.brokenLine]);
  } finally {
    await closeEditors(dataset);
  }
}

export async function codeLensesAreProvidedForEveryRow(): Promise<void> {
  const dataset = await writeTempDataset();
  try {
    await openDataset(dataset);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      'vscode.executeCodeLensProvider',
      dataset.uri,
      100,
    );
    const ours = lenses.filter((l) => l.command?.command.startsWith('mcpo.'));
    const titles = new Set(ours.map((l) => l.command?.title));
    for (const title of ['Run MCPO', 'Compare with baseline', 'Show prompt'])
      assert.ok(titles.has(title), `no "${title}" lens; lenses: ${JSON.stringify([...titles])}`);
    assert.equal(ours.length, dataset.rows.length * 3, 'three lenses per row');
    const showPrompt = ours.filter((l) => l.command?.command === 'mcpo.showPrompt');
    assert.deepEqual(
      showPrompt.map((l) => l.range.start.line),
      dataset.rows.map((_, i) => i),
      'each row has its "Show prompt" lens on its own line',
    );
    assert.deepEqual(
      showPrompt.map((l) => l.command?.arguments?.[1]),
      dataset.rows.map((_, i) => i),
      'lens arguments carry the row ordinal',
    );
  } finally {
    await closeEditors(dataset);
  }
}

export async function hoverOnARowNamesItsTaskType(): Promise<void> {
  const dataset = await writeTempDataset();
  try {
    await openDataset(dataset);
    const position = new vscode.Position(dataset.rankingLine, 5);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      dataset.uri,
      position,
    );
    const text = hovers.map((h) => markdownText(h.contents)).join('\n');
    assert.match(text, /task type: ranking/, `hover: ${text}`);
    assert.match(text, /task12/);
    assert.match(text, /metric: ndcg/);
    // The broken row's hover lists its problem too.
    const broken = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      dataset.uri,
      new vscode.Position(dataset.brokenLine, 5),
    );
    assert.match(broken.map((h) => markdownText(h.contents)).join('\n'), /unknown metric/);
  } finally {
    await closeEditors(dataset);
  }
}

export async function documentSymbolsGroupRowsByTrack(): Promise<void> {
  const dataset = await writeTempDataset();
  try {
    await openDataset(dataset);
    const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>(
      'vscode.executeDocumentSymbolProvider',
      dataset.uri,
    );
    assert.ok(symbols.length > 0, 'no document symbols');
    assert.ok(
      symbols.every((s) => Array.isArray(s.children)),
      'expected hierarchical DocumentSymbols',
    );
    const tracks = [...new Set(dataset.rows.map((r) => r.track))].sort();
    assert.deepEqual(symbols.map((s) => s.name).sort(), tracks, 'one top-level symbol per track');
    for (const track of symbols) {
      const expectedTasks = [
        ...new Set(dataset.rows.filter((r) => r.track === track.name).map((r) => r.task_name)),
      ].sort();
      const taskNames = track.children.map((c) => c.name.split(' · ')[0]).sort();
      assert.deepEqual(taskNames, expectedTasks, `tasks under ${track.name}`);
      const rowCount = track.children.reduce((n, task) => n + task.children.length, 0);
      assert.equal(
        rowCount,
        dataset.rows.filter((r) => r.track === track.name).length,
        `rows under ${track.name}`,
      );
    }
    const ranking = symbols.flatMap((s) => s.children).find((c) => c.name.startsWith('task12 '));
    assert.ok(ranking, 'no task12 group');
    assert.match(ranking.name, /ranking · ndcg/);
  } finally {
    await closeEditors(dataset);
  }
}

/** Resolves with the first tab (opened or changed from now on) that `match` accepts. */
function waitForTab(match: (tab: vscode.Tab) => boolean, what: string): Promise<vscode.Tab> {
  return new Promise<vscode.Tab>((resolve, reject) => {
    const timer = setTimeout(() => {
      listener.dispose();
      reject(new Error(`${what}: no such tab within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const listener = vscode.window.tabGroups.onDidChangeTabs((e) => {
      const tab = [...e.opened, ...e.changed].find(match);
      if (!tab) return;
      clearTimeout(timer);
      listener.dispose();
      resolve(tab);
    });
  });
}

export async function showPromptOpensTheSpanViewAndTheDiffIsOneClickAway(): Promise<void> {
  const dataset = await writeTempDataset();
  try {
    await openDataset(dataset);
    for (const [line, templateText] of [
      [dataset.rankingLine, RANKING_ROLE],
      [dataset.choiceLine, MCQ_PREFIX],
    ] as const) {
      const title = `Q${line + 1} · prompt preview`;
      const opened = waitForTab(
        (t) =>
          t.input instanceof vscode.TabInputText &&
          t.input.uri.scheme === PROMPT_SCHEME &&
          t.label === title,
        title,
      );
      await vscode.commands.executeCommand('mcpo.showPrompt', dataset.uri, line);
      const tab = await opened;
      // ONE editor, not a diff: the key line, a blank line, then the MCPO prompt.
      assert.ok(tab.input instanceof vscode.TabInputText);
      const view = await vscode.workspace.openTextDocument(tab.input.uri);
      const text = view.getText();
      assert.match(text, /^Key: template\b.*· hover a span/);
      assert.ok(text.includes(templateText), `no paper template text in:\n${text}`);
      assert.equal(view.languageId, 'mcpo-prompt');
      assert.equal(
        vscode.workspace.getConfiguration('editor', view).get('wordWrap'),
        'on',
        'prompt documents are not word-wrapped',
      );
      // A hover on the template text names its stage.
      const at = view.positionAt(text.indexOf(templateText) + 3);
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        view.uri,
        at,
      );
      const hoverText = hovers.map((h) => markdownText(h.contents)).join('\n');
      assert.match(hoverText, /\*\*template\*\* · inserted/, `hover: ${hoverText}`);
      // The first lens opens the side-by-side diff.
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
        'vscode.executeCodeLensProvider',
        view.uri,
      );
      const diffLens = lenses.find((l) => l.command?.command === 'mcpo.showSideBySideDiff');
      assert.ok(diffLens?.command, `no "Show Side-by-Side Diff" lens: ${JSON.stringify(lenses)}`);
      assert.equal(diffLens.command.title, 'Show Side-by-Side Diff');
      const diffTitle = `Q${line + 1} · original ↔ MCPO`;
      const diffOpened = waitForTab(
        (t) => t.input instanceof vscode.TabInputTextDiff && t.label === diffTitle,
        diffTitle,
      );
      await vscode.commands.executeCommand(
        diffLens.command.command,
        ...(diffLens.command.arguments ?? []),
      );
      const diff = await diffOpened;
      assert.ok(diff.input instanceof vscode.TabInputTextDiff);
      const right = await vscode.workspace.openTextDocument(diff.input.modified);
      const left = await vscode.workspace.openTextDocument(diff.input.original);
      assert.equal(right.uri.scheme, PROMPT_SCHEME);
      assert.equal(
        right.getText(),
        text.slice(text.indexOf('\n\n') + 2),
        'the diff shows the prompt without the key',
      );
      assert.ok(!left.getText().includes(templateText), 'the original already holds the template');
      assert.ok(right.getText().includes(left.getText().split('\n')[0]));
    }
  } finally {
    await closeEditors(dataset);
  }
}

/** Code lenses of `uri` once `accept` holds (the engine re-reads the setting asynchronously). */
async function lensesWhen(
  uri: vscode.Uri,
  accept: (lenses: vscode.CodeLens[]) => boolean,
  what: string,
): Promise<vscode.CodeLens[]> {
  const deadline = Date.now() + WAIT_MS;
  let lenses: vscode.CodeLens[] = [];
  while (Date.now() < deadline) {
    // Each call is a round trip to the engine: this waits on its answers, not on a timer.
    lenses = (
      await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)
    ).filter((l) => l.command?.command.startsWith('mcpo.'));
    if (accept(lenses)) return lenses;
  }
  throw new Error(`${what}: lenses are ${JSON.stringify(lenses.map((l) => l.range.start.line))}`);
}

export async function lensDensitySettingIsFollowed(): Promise<void> {
  const dataset = await writeTempDataset();
  const config = vscode.workspace.getConfiguration('mcpo');
  try {
    // Two rows of task2 first: the second is not the first of its task.
    const rows = [dataset.rows[0], dataset.rows[0], ...dataset.rows.slice(1)];
    const uri = vscode.Uri.file(path.join(path.dirname(dataset.uri.fsPath), 'density.jsonl'));
    fs.writeFileSync(uri.fsPath, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const lines = (l: vscode.CodeLens[]): number[] => [
      ...new Set(l.map((x) => x.range.start.line)),
    ];
    await config.update('codeLens.density', 'firstOfTask', vscode.ConfigurationTarget.Global);
    const first = await lensesWhen(uri, (l) => l.length === 3 * 5, 'firstOfTask');
    assert.deepEqual(lines(first), [0, 2, 3, 4, 5]);
    await config.update('codeLens.density', 'none', vscode.ConfigurationTarget.Global);
    await lensesWhen(uri, (l) => l.length === 0, 'none');
    await config.update('codeLens.density', 'all', vscode.ConfigurationTarget.Global);
    const all = await lensesWhen(uri, (l) => l.length === 3 * 6, 'all');
    assert.deepEqual(lines(all), [0, 1, 2, 3, 4, 5]);
  } finally {
    await config.update('codeLens.density', undefined, vscode.ConfigurationTarget.Global);
    await closeEditors(dataset);
  }
}

/** A file `mcpo.datasetGlobs` names is a dataset as soon as the setting says so: no window reload. */
export async function datasetGlobsApplyWithoutReload(): Promise<void> {
  const dataset = await writeTempDataset();
  const config = vscode.workspace.getConfiguration('mcpo');
  try {
    const uri = vscode.Uri.file(path.join(path.dirname(dataset.uri.fsPath), 'broken.ndjson'));
    fs.copyFileSync(dataset.uri.fsPath, uri.fsPath);
    await config.update('datasetGlobs', ['**/*.ndjson'], vscode.ConfigurationTarget.Global);
    await openDataset({ ...dataset, uri });
  } finally {
    await config.update('datasetGlobs', undefined, vscode.ConfigurationTarget.Global);
    await closeEditors(dataset);
  }
}

export async function walkthroughAndEmptyViewsAreContributed(): Promise<void> {
  const extension = await activeExtension();
  const contributes = (
    extension.packageJSON as {
      contributes: {
        walkthroughs: { steps: { id: string; media: Record<string, string> }[] }[];
        viewsWelcome: { view: string }[];
      };
    }
  ).contributes;
  const steps = contributes.walkthroughs[0].steps;
  assert.deepEqual(
    steps.map((s) => s.id),
    ['openSample', 'configureEndpoint', 'runSelection', 'readPrompt', 'readResults'],
  );
  for (const step of steps)
    for (const file of Object.values(step.media).filter((m) => /\.(md|svg)$/.test(m)))
      assert.ok(
        fs.existsSync(path.join(extension.extensionPath, file)),
        `walkthrough media ${file} is missing`,
      );
  assert.deepEqual(contributes.viewsWelcome.map((v) => v.view).sort(), [
    'mcpo.jobs',
    'mcpo.results',
  ]);
}

/**
 * The report's "Show prompt diff" (a question's detail) goes the road the command palette does,
 * with `sideBySide`: it opens the side-by-side diff itself, not the span view (C8).
 */
export async function theReportsShowPromptDiffOpensTheSideBySideDiff(): Promise<void> {
  const fixture = await runFixture();
  try {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(fixture.dataset));
    await vscode.commands.executeCommand('mcpo.runDataset');
    const [runDir] = fixture.runs();
    assert.ok(runDir, 'the run left no folder');
    const opened: string[] = [];
    const listener = vscode.window.tabGroups.onDidChangeTabs((e) =>
      opened.push(...e.opened.map((t) => t.label)),
    );
    const diffTitle = 'Q2 · original ↔ MCPO';
    const diff = waitForTab(
      (t) => t.input instanceof vscode.TabInputTextDiff && t.label === diffTitle,
      diffTitle,
    );
    try {
      await vscode.commands.executeCommand('mcpo.showPromptDiff', runDir, 1, { sideBySide: true });
      const tab = await diff;
      assert.ok(tab.input instanceof vscode.TabInputTextDiff);
      assert.equal(tab.input.modified.scheme, PROMPT_SCHEME);
      assert.ok(
        !opened.some((label) => label.endsWith('· MCPO prompt')),
        `the span view opened too: ${opened.join(', ')}`,
      );
      // K4 of the s22 try: the palette's Show Side-by-Side Diff with that diff active, the
      // report's button again from another editor, and the diff lens of the question's span
      // view all show the open diff: no second identical tab.
      await vscode.commands.executeCommand('mcpo.showSideBySideDiff');
      await vscode.window.showTextDocument(
        await vscode.workspace.openTextDocument(fixture.dataset),
      );
      await vscode.commands.executeCommand('mcpo.showPromptDiff', runDir, 1, { sideBySide: true });
      assert.equal(vscode.window.tabGroups.activeTabGroup.activeTab?.label, diffTitle);
      await vscode.commands.executeCommand('mcpo.showPromptDiff', runDir, 1);
      assert.equal(vscode.window.tabGroups.activeTabGroup.activeTab?.label, 'Q2 · MCPO prompt');
      await vscode.commands.executeCommand('mcpo.showSideBySideDiff');
      assert.equal(vscode.window.tabGroups.activeTabGroup.activeTab?.label, diffTitle);
      const diffTabs = vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .filter((t) => t.input instanceof vscode.TabInputTextDiff && t.label === diffTitle);
      assert.equal(diffTabs.length, 1, `diff tabs: ${opened.join(', ')}`);
      assert.equal(opened.filter((label) => label === diffTitle).length, 1, opened.join(', '));
    } finally {
      listener.dispose();
    }
  } finally {
    await fixture.dispose();
  }
}
