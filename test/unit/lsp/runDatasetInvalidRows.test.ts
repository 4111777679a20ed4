/**
 * VS Code's Run MCPO on Dataset on a file with invalid rows (the new-user try: 7 of 12 rows left
 * out, said only in the log): the valid rows run, and the run-end toast says how many were left
 * out, as the CLI does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Format from '../../../extension/format';
import { runDataset } from '../../../server/lsp/runs';
import { getRun } from '../../../server/lsp/runQueries';
import { openAiTestServerFor } from '../../support/openaiTestServer';
import { writeSampleLines } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';
import { fakeRunHost, noProgress, runSettings } from '../../support/runHost';
import { loadSource } from '../panel/loadSource';

const format = loadSource<typeof Format>('extension/format.ts');

test('Run on Dataset leaves invalid rows out and its toast says how many of the file', async (t) => {
  const dir = tempDir('mcpo-invalid-rows-');
  const server = await openAiTestServerFor(t, { answer: () => '1' });
  const file = path.join(dir, 'broken.jsonl');
  const [a, b, c] = writeSampleLines(file, '"multiple-choice"', 3);
  const text = [a, 'not json', b, '[1,2]', c].join('\n') + '\n';
  const logs: string[] = [];
  const result = await runDataset(
    fakeRunHost(() => text, logs),
    { uri: pathToFileURL(file).href, settings: runSettings(server.baseUrl, dir), secrets: {} },
    new AbortController().signal,
    noProgress,
  );
  assert.equal(result.done, 3);
  assert.deepEqual(result.invalidRows, { count: 2, of: 5 });
  assert.ok(logs.includes(`${file}: 2 invalid rows left out of the run`), logs.join('\n'));

  const run = getRun(result.runDir);
  const message = format.runEndMessage(
    {
      done: result.done,
      failed: result.failed,
      resumed: false,
      invalidRows: result.invalidRows,
    },
    run.report,
    'not scored',
  );
  assert.match(
    message,
    /^MCPO: 3 questions; overall \d\.\d{4}; 2 of 5 rows invalid and left out \(see Problems\)\.$/,
  );
});
