/**
 * `mcpo run` on a file with invalid rows (found by the new-user try: it left them out without a
 * word, exited 0 and advised a --resume that could never run them): the problems are printed as
 * `mcpo validate` prints them, the valid rows run, the run is complete without them (no false
 * resume advice), and the exit code is 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startOpenAiTestServer } from '../../support/openaiTestServer';
import { runArgs, runCli } from '../../support/cli';
import { writeSampleLines } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';

test('mcpo run names the invalid rows, runs the valid ones, exits 1 and advises no resume', async (t) => {
  const server = await startOpenAiTestServer({ models: ['test-model'], answer: () => '1' });
  t.after(() => server.close());
  const dir = tempDir('mcpo-run-invalid-');
  const data = path.join(dir, 'rows.jsonl');
  const [first, second] = writeSampleLines(data, '"multiple-choice"', 2);
  const wrongType = first.replace('"is_multiple_choice":true', '"is_multiple_choice":"yes"');
  assert.notEqual(wrongType, first, 'the sample row has is_multiple_choice: true');
  fs.writeFileSync(
    data,
    [first, '{"input_field": "not closed', wrongType, second].join('\n') + '\n',
  );

  const { code, stdout, stderr } = await runCli(runArgs(data, server.baseUrl, dir));
  assert.equal(code, 1, `stderr: ${stderr}`);
  assert.match(stderr, new RegExp(`${path.basename(data)}:2:\\d+: error`));
  assert.match(stderr, new RegExp(`${path.basename(data)}:3:\\d+: error: .*is_multiple_choice`));
  assert.match(stderr, /2 of 4 rows are invalid and left out of this run/);
  // The last line says why the exit code is 1 (newuser-s23 C4: the reason had scrolled away).
  assert.match(
    stderr.trimEnd().split('\n').at(-1) ?? '',
    /^exit code 1: 2 of 4 rows of .*rows\.jsonl are invalid and were left out; the valid rows ran and their results are kept$/,
  );
  assert.equal(server.requests.filter((r) => r.method === 'POST').length, 2);
  assert.doesNotMatch(stdout, /INCOMPLETE|--resume/);
});

test('mcpo run on a file whose rows are all invalid asks nothing and leaves no run behind', async (t) => {
  const server = await startOpenAiTestServer({ models: ['test-model'], answer: () => '1' });
  t.after(() => server.close());
  const dir = tempDir('mcpo-run-all-invalid-');
  const data = path.join(dir, 'rows.jsonl');
  const [first] = writeSampleLines(data, '"multiple-choice"', 1);
  fs.writeFileSync(
    data,
    [
      first.replace('"is_multiple_choice":true', '"is_multiple_choice":"yes"'),
      '{"input_field": 1',
    ].join('\n') + '\n',
  );

  const { code, stderr } = await runCli(runArgs(data, server.baseUrl, dir));
  assert.equal(code, 1, `stderr: ${stderr}`);
  assert.match(stderr, /2 of 2 rows are invalid/);
  assert.match(stderr, /no valid rows to run in .*rows\.jsonl/);
  assert.equal(server.requests.filter((r) => r.method === 'POST').length, 0);
  const runs = path.join(dir, 'runs');
  const left = fs.existsSync(runs) ? fs.readdirSync(runs).filter((f) => !f.startsWith('.')) : [];
  assert.deepEqual(left, [], 'no run folder');
});
