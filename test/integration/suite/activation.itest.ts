/**
 * The extension loads in a real VS Code: it is found by its id, activates, and its command
 * opens the bundled ShopBench sample. Run by ./index.ts inside the extension host.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

/** publisher.name from package.json. */
const EXTENSION_ID = 'mcpo-workbench.mcpo-workbench';

export async function extensionIsPresentAndActivates(): Promise<void> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not among the installed extensions`);
  await extension.activate();
  assert.equal(extension.isActive, true);
}

export async function openSampleDatasetOpensTheSample(): Promise<void> {
  // filterInternal: only commands a user (or the palette) can run.
  const commands = await vscode.commands.getCommands(true);
  assert.ok(
    commands.includes('mcpo.openSampleDataset'),
    'mcpo.openSampleDataset is not registered',
  );

  await vscode.commands.executeCommand('mcpo.openSampleDataset');
  const editor = vscode.window.activeTextEditor;
  assert.ok(editor, 'no active editor after mcpo.openSampleDataset');
  const docPath = editor.document.uri.path;
  assert.ok(
    docPath.endsWith('/server/dataset/sample/shopbench-dev.jsonl'),
    `active editor shows ${docPath}`,
  );
  // The file ends with a newline, which VS Code counts as an extra empty line; count records.
  const lines = editor.document.getText().split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  assert.equal(lines.length, 96);
  for (const [i, line] of lines.entries()) {
    assert.doesNotThrow(() => JSON.parse(line), `line ${i + 1} is not JSON`);
  }
}
