/**
 * The two run commands a user finds in the palette, in a real VS Code against a real engine and
 * the OpenAI-compatible test server: "Run MCPO on Dataset" runs the whole file even when rows are
 * selected in its editor, and "Run MCPO on Selection" runs exactly the selected rows. Either
 * run's config.json names the user's dataset file (the engine reads a hidden snapshot of the
 * editor's rows), and says when the editor held unsaved edits. "Resume Run" runs the failed
 * questions of a run again, in the same run folder, and scores its answered but not scored ones
 * with the scoring model set now.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildTinyBertFixture } from '../../support/tinyBertFixture';
import type { McpoExtensionApi } from '../../../extension/extension';
import { activeExtension, runFixture, sampleLines, type RunFixture } from './runFixture';

/** Opens the fixture's dataset with its 2nd and 3rd rows selected. */
async function selectRowsTwoAndThree(fixture: RunFixture): Promise<void> {
  const editor = await vscode.window.showTextDocument(
    await vscode.workspace.openTextDocument(fixture.dataset),
  );
  editor.selection = new vscode.Selection(1, 0, 2, editor.document.lineAt(2).text.length);
}

/** Runs `command` and returns the one run folder it wrote. */
async function runWith(fixture: RunFixture, command: string): Promise<string> {
  const before = new Set(fixture.runs());
  await vscode.commands.executeCommand(command);
  const written = fixture.runs().filter((r) => !before.has(r));
  assert.equal(written.length, 1, `${command} wrote ${written.length} runs`);
  return written[0];
}

export async function runOnDatasetRunsTheWholeFileWhateverIsSelected(): Promise<void> {
  const fixture = await runFixture();
  try {
    await selectRowsTwoAndThree(fixture);
    const records = fixture.records(await runWith(fixture, 'mcpo.runDataset'));
    assert.deepEqual(
      records.map((r) => r.task_name).sort(),
      ['task10', 'task2', 'task5', 'task8', 'task9'],
      'Run MCPO on Dataset did not run every row of the file',
    );
    assert.ok(
      records.every((r) => r.status === 'ok'),
      JSON.stringify(records),
    );
  } finally {
    await fixture.dispose();
  }
}

export async function runOnSelectionRunsTheSelectedRowsOnly(): Promise<void> {
  const fixture = await runFixture();
  try {
    await selectRowsTwoAndThree(fixture);
    const runDir = await runWith(fixture, 'mcpo.runOnSelection');
    const records = fixture.records(runDir);
    assert.deepEqual(records.map((r) => r.task_name).sort(), ['task5', 'task8']);
    const data = configData(runDir);
    assert.equal(data.file, fixture.dataset.fsPath, 'config.json names the user file');
    assert.equal(data.unsaved, undefined);
  } finally {
    await fixture.dispose();
  }
}

function configData(runDir: string): { file: string; unsaved?: boolean } {
  return (
    JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8')) as {
      data: { file: string; unsaved?: boolean };
    }
  ).data;
}

export async function aRunOfUnsavedEditsNamesTheUserFileAndSaysUnsaved(): Promise<void> {
  const fixture = await runFixture();
  try {
    const editor = await vscode.window.showTextDocument(
      await vscode.workspace.openTextDocument(fixture.dataset),
    );
    // An edit that is never saved: a blank line at the end.
    const end = editor.document.lineAt(editor.document.lineCount - 1).range.end;
    assert.ok(await editor.edit((e) => e.insert(end, '\n')));
    assert.ok(editor.document.isDirty);
    const data = configData(await runWith(fixture, 'mcpo.runDataset'));
    assert.deepEqual(data, { ...data, file: fixture.dataset.fsPath, unsaved: true });
  } finally {
    // A dirty editor would stop dispose() from closing it.
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await fixture.dispose();
  }
}

export async function resumeRunRunsTheFailedQuestionsAgainInTheSameRun(): Promise<void> {
  const fixture = await runFixture();
  try {
    // The endpoint check passes, then every question's answer is refused.
    fixture.server.script(
      { kind: 'none' },
      ...Array.from({ length: 5 }, () => ({ kind: 'wrongModel' as const })),
    );
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(fixture.dataset));
    const runDir = await runWith(fixture, 'mcpo.runDataset');
    assert.ok(fixture.records(runDir).every((r) => r.status === 'failed'));
    await vscode.commands.executeCommand('mcpo.resumeRun', runDir);
    assert.deepEqual(fixture.runs(), [runDir], 'no new run folder');
    assert.deepEqual(fixture.statuses(runDir), ['ok', 'ok', 'ok', 'ok', 'ok']);
  } finally {
    await fixture.dispose();
  }
}

export async function resumeRunScoresTheNotScoredRowsWithTheScoringModelSetNow(): Promise<void> {
  const fixture = await runFixture();
  const scoring = vscode.workspace.getConfiguration('mcpo');
  try {
    // One sent-transformer row (task1), first without its scoring model.
    const task1 = (await sampleLines()).find((l) => l.includes('"task_name":"task1"'));
    assert.ok(task1, 'the sample has a task1 row');
    const data = path.join(path.dirname(fixture.runsDir), 'task1.jsonl');
    fs.writeFileSync(data, `${task1}\n`);
    const missing = path.join(path.dirname(fixture.runsDir), 'no-model-here');
    await scoring.update('scoring.embedModel', missing, vscode.ConfigurationTarget.Global);
    await vscode.window.showTextDocument(
      await vscode.workspace.openTextDocument(vscode.Uri.file(data)),
    );
    const runDir = await runWith(fixture, 'mcpo.runDataset');
    const [first] = readRecords(runDir);
    assert.equal(first.status, 'ok');
    assert.equal(first.score, null, 'not scored without its model');

    const mv = buildTinyBertFixture(path.join(path.dirname(fixture.runsDir), 'mv'));
    await scoring.update('scoring.embedModel', mv, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('mcpo.resumeRun', runDir);
    assert.deepEqual(fixture.runs(), [runDir], 'no new run folder');
    const latest = readRecords(runDir).at(-1)!;
    assert.equal(typeof latest.score, 'number', JSON.stringify(latest));
    const config = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8')) as {
      scoring: { embedModel: string };
    };
    assert.equal(config.scoring.embedModel, mv, 'config.json records the model it scored with');
  } finally {
    await scoring.update('scoring.embedModel', undefined, vscode.ConfigurationTarget.Global);
    await fixture.dispose();
  }
}

function readRecords(runDir: string): Array<{ status: string; score: number | null }> {
  return fs
    .readFileSync(path.join(runDir, 'records.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { status: string; score: number | null });
}

interface ShownMessage {
  kind: 'info' | 'warning' | 'error';
  text: string;
  items: string[];
}

/**
 * What the extension shows as messages while a test runs: VS Code's show*Message replaced by
 * recorders (the extension and this suite share one `vscode` API object), put back by restore().
 */
function recordMessages(): { shown: ShownMessage[]; restore(): void } {
  const shown: ShownMessage[] = [];
  const window = vscode.window as unknown as Record<string, unknown>;
  const kinds = {
    showInformationMessage: 'info',
    showWarningMessage: 'warning',
    showErrorMessage: 'error',
  } as const;
  const originals = Object.keys(kinds).map((name) => [name, window[name]] as const);
  for (const [name, kind] of Object.entries(kinds))
    window[name] = (text: string, ...items: unknown[]) => {
      shown.push({ kind, text, items: items.filter((i): i is string => typeof i === 'string') });
      return Promise.resolve(undefined);
    };
  return {
    shown,
    restore: () => {
      for (const [name, original] of originals) window[name] = original;
    },
  };
}

/** Resume Run with nothing to resume says so as news, not as an error with a Retry to nowhere. */
export async function resumeRunWithNothingToResumeOffersNoRetry(): Promise<void> {
  const fixture = await runFixture();
  const messages = recordMessages();
  try {
    await vscode.commands.executeCommand('mcpo.resumeRun');
    assert.deepEqual(messages.shown, [
      {
        kind: 'info',
        text: 'MCPO: no run has failed, missing or not-scored questions: there is nothing to resume.',
        items: [],
      },
    ]);
  } finally {
    messages.restore();
    await fixture.dispose();
  }
}

/** A cancelled run's message says how many questions Resume Run will run, before it is clicked. */
export async function aCancelledRunSaysHowManyQuestionsResumeRunRuns(): Promise<void> {
  const fixture = await runFixture();
  const release = fixture.server.hold();
  const messages = recordMessages();
  try {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(fixture.dataset));
    const running = vscode.commands.executeCommand('mcpo.runDataset');
    // The first question's POST, held: the run is under way. Not "2 requests": the status item
    // may check the fixture's new settings (a GET) before the run's own check, and a cancel
    // during that check ends the run before it starts (CI, 20:09).
    await fixture.server.waitForRequests(1, 20_000, (r) => r.method === 'POST');
    await vscode.commands.executeCommand('mcpo.cancelRun');
    await running;
    const [runDir] = fixture.runs();
    assert.ok(runDir, 'the cancelled run left no folder');
    const cancelled = messages.shown.filter((m) => m.kind === 'warning');
    assert.equal(cancelled.length, 1, JSON.stringify(messages.shown));
    assert.equal(
      cancelled[0].text,
      `MCPO: run cancelled after 0 questions; finished questions are saved in ${runDir}. Resume Run runs the 5 questions that never ran.`,
    );
    assert.deepEqual(cancelled[0].items, ['Resume Run']);
  } finally {
    messages.restore();
    release();
    await fixture.dispose();
  }
}

/**
 * Run Ablation with mcpo.similarity.k = 0 (the fixture's) runs the arms `mcpo ablate
 * --similarity-k 0` runs (no hints arm; no `all`, which would repeat "+self CoT"), and its
 * progress says which arm of how many is running.
 */
export async function runAblationCountsArmsAndRunsTheCliArms(): Promise<void> {
  const fixture = await runFixture();
  const api = (await activeExtension()).exports as McpoExtensionApi;
  const texts: string[] = [];
  const listening = api.onDidChangeStatus((view) => texts.push(view.text));
  try {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(fixture.dataset));
    await vscode.commands.executeCommand('mcpo.runAblation');
    const [ablation] = fs.readdirSync(fixture.runsDir).filter((d) => d.startsWith('ablation-'));
    assert.ok(ablation, 'no ablation folder');
    const labels = fs
      .readdirSync(path.join(fixture.runsDir, ablation))
      .map((d) => path.join(fixture.runsDir, ablation, d, 'config.json'))
      .filter((f) => fs.existsSync(f))
      .map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as { label: string; createdAt: string })
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map((c) => c.label);
    assert.deepEqual(labels, ['baseline', '+Prompt1', '+Prompt1+2', '+Prompt1+2+3', '+self CoT']);
    const progress = texts.filter((t) => t.startsWith('$(sync~spin)'));
    assert.ok(
      progress.some((t) => t.includes('arm 3/5 +Prompt1+2: ')),
      progress.join(' | '),
    );
    assert.ok(
      progress.every((t) => !/\d+\/\d+/.test(t) || /arm \d\/5/.test(t)),
      progress.join(' | '),
    );
  } finally {
    listening.dispose();
    await fixture.dispose();
  }
}
