/**
 * The two run commands a user finds in the palette, in a real VS Code against a real engine and
 * the OpenAI-compatible test server: "Run MCPO on Dataset" runs the whole file even when rows are
 * selected in its editor, and "Run MCPO on Selection" runs exactly the selected rows.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { runFixture, type RunFixture } from './runFixture';

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
    const records = fixture.records(await runWith(fixture, 'mcpo.runOnSelection'));
    assert.deepEqual(records.map((r) => r.task_name).sort(), ['task5', 'task8']);
  } finally {
    await fixture.dispose();
  }
}
