/**
 * A VS Code run reads a snapshot of the editor's rows (.mcpo/runs/.inputs/<hash>.jsonl), but what
 * the user sees names their own file: config.json's data.file, the report's jump to a row, the
 * export's agreement line and README. A run of unsaved editor contents says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportSubmission, formatAgreement } from '../../../server/export/submission';
import { runDataset } from '../../../server/lsp/runs';
import { getRun } from '../../../server/lsp/runQueries';
import { INPUTS_FOLDER } from '../../../server/lsp/runInputs';
import { executeRun } from '../../../server/runs/startRun';
import { RunStore } from '../../../server/runs/runStore';
import { openAiTestServerFor } from '../../support/openaiTestServer';
import { writeSampleLines } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';
import { fakeRunHost, noProgress, runSettings } from '../../support/runHost';

/** Three multiple-choice rows after a blank first line, so row i is on line i + 2. */
function writeDataset(dir: string): { file: string; text: string } {
  const file = path.join(dir, 'my-dataset.jsonl');
  const lines = writeSampleLines(file, '"multiple-choice"', 3);
  const text = `\n${lines.join('\n')}\n`;
  fs.writeFileSync(file, text);
  return { file, text };
}

test('a saved dataset: config.json, the report and the export name the user file, not the snapshot', async (t) => {
  const dir = tempDir('mcpo-datafile-');
  const server = await openAiTestServerFor(t, { answer: () => '1' });
  const { file, text } = writeDataset(dir);
  const uri = pathToFileURL(file).href;
  const settings = runSettings(server.baseUrl, dir);
  const logs: string[] = [];
  const result = await runDataset(
    fakeRunHost(() => text, logs),
    { uri, rows: [0, 2], settings, secrets: {} },
    new AbortController().signal,
    noProgress,
  );
  assert.equal(result.done, 2);

  const config = JSON.parse(fs.readFileSync(path.join(result.runDir, 'config.json'), 'utf8')) as {
    data: { file: string; input?: string; unsaved?: boolean };
  };
  assert.equal(config.data.file, file, 'config.json names the user file');
  assert.ok(
    config.data.input?.includes(`${path.sep}${INPUTS_FOLDER}${path.sep}`),
    config.data.input,
  );
  assert.equal(config.data.unsaved, undefined, 'the editor text was the file on disk');
  assert.deepEqual(logs, []);

  // The report's "Open row in dataset" opens run.config.data.file at rowLines[index].
  const run = getRun(result.runDir);
  assert.equal(run.config.data.file, file);
  assert.deepEqual(run.rowLines, [2, 3, 4]);

  const exported = await exportSubmission({ runDir: result.runDir }, path.join(dir, 'export'));
  assert.ok(
    // The run asked rows 1 and 3: the agreement is measured on them (C9).
    formatAgreement(exported.agreement).includes(
      `on 2 of the 2 rows the run covered, of 3 in ${file} (`,
    ),
    formatAgreement(exported.agreement),
  );
  const readme = fs.readFileSync(path.join(dir, 'export', 'README.md'), 'utf8');
  assert.ok(readme.includes(`\`${file}\``), readme);
  assert.ok(!readme.includes(INPUTS_FOLDER), 'the README names no hidden snapshot');
});

test('unsaved editor contents: the run says so, and a resume still reads exactly what ran', async (t) => {
  const dir = tempDir('mcpo-datafile-');
  const server = await openAiTestServerFor(t, { answer: () => '1' });
  const { file, text } = writeDataset(dir);
  const edited = text.replace(/\n$/, '\n\n');
  const logs: string[] = [];
  const settings = runSettings(server.baseUrl, dir);
  const result = await runDataset(
    fakeRunHost(() => edited, logs),
    { uri: pathToFileURL(file).href, settings, secrets: {} },
    new AbortController().signal,
    noProgress,
  );
  assert.equal(result.done, 3);
  const store = RunStore.open(result.runDir);
  const data = store.config.data;
  store.close();
  assert.equal(data.file, file);
  assert.equal(data.unsaved, true);
  assert.ok(
    logs.some((l) => l.includes(file) && l.includes('unsaved')),
    `the run log says it read unsaved contents: ${JSON.stringify(logs)}`,
  );

  const exported = await exportSubmission({ runDir: result.runDir }, path.join(dir, 'export'));
  assert.equal(exported.agreement.file, `${file} (unsaved editor contents)`);
  assert.equal(exported.agreement.total, 3);
  const readme = fs.readFileSync(path.join(dir, 'export', 'README.md'), 'utf8');
  assert.ok(readme.includes(`\`${file} (unsaved editor contents)\``), readme);

  // The user's file changes on disk afterwards: the resume reads the snapshot, not the file.
  fs.writeFileSync(file, 'something else entirely\n');
  const resumed = await executeRun(undefined, result.runDir, settings.runsDir, {
    cacheDir: settings.cacheDir,
  });
  assert.deepEqual({ total: resumed.total, failed: resumed.failed }, { total: 3, failed: 0 });
});

test('an untitled editor has no file: the run names its URI and says it was unsaved', async (t) => {
  const dir = tempDir('mcpo-datafile-');
  const server = await openAiTestServerFor(t, { answer: () => '1' });
  const { text } = writeDataset(dir);
  const result = await runDataset(
    fakeRunHost(() => text, []),
    { uri: 'untitled:Untitled-1', settings: runSettings(server.baseUrl, dir), secrets: {} },
    new AbortController().signal,
    noProgress,
  );
  const run = getRun(result.runDir);
  assert.deepEqual(
    { file: run.config.data.file, unsaved: run.config.data.unsaved, lines: run.rowLines },
    { file: 'untitled:Untitled-1', unsaved: true, lines: undefined },
  );
});
