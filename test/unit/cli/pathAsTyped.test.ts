/**
 * A file the user names is named back as typed, by every command that opens it (K2 of the s22
 * new-user try: `mcpo run` said "cannot open /abs/path: it is a folder, not a file" where
 * `mcpo validate` said the relative path the user typed). The CLI runs in a folder of its own, so
 * a relative path and its absolute form differ.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../support/cli';
import { tempDir } from '../../support/tempDirs';

// This file's own process (node --test runs each file in one): the CLI inherits the folder.
const dir = fs.realpathSync(tempDir('mcpo-typed-path-'));
process.chdir(dir);
fs.mkdirSync('data');
// One row, invalid: no truth.
fs.writeFileSync(
  'bad.jsonl',
  `${JSON.stringify({ task_name: 't', task_type: 'generation', metric: 'rougel', input_field: 'q' })}\n`,
);
const ENDPOINT = ['--llm-url', 'http://127.0.0.1:9/v1', '--llm-model', 'm'];

test('a folder or a missing file as --data reads the same in run, ablate and validate', async () => {
  for (const [data, reason] of [
    ['data', 'it is a folder, not a file'],
    [path.join('data', 'missing.jsonl'), 'no such file or directory'],
  ]) {
    for (const args of [
      ['validate', '--data', data],
      ['run', '--data', data, ...ENDPOINT],
      ['ablate', '--data', data, ...ENDPOINT],
    ]) {
      const r = await runCli(args);
      assert.equal(r.code, 1, `mcpo ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
      assert.equal(r.stderr.trim(), `cannot open ${data}: ${reason}`, args[0]);
    }
  }
});

test('mcpo run names a file of invalid rows as typed, in its problems and its hints', async () => {
  const validate = await runCli(['validate', '--data', 'bad.jsonl']);
  const problem = validate.stderr.split('\n').find((l) => l.includes(': error: '));
  assert.match(problem ?? '', /^bad\.jsonl:1:1: error: /, validate.stderr);
  const run = await runCli(['run', '--data', 'bad.jsonl', '--out', 'runs', ...ENDPOINT]);
  assert.equal(run.code, 1, run.stderr);
  assert.ok(run.stderr.includes(`${problem}\n`), run.stderr);
  assert.match(run.stderr, /\(mcpo validate --data bad\.jsonl lists them\)/);
  assert.match(run.stderr, /no valid rows to run in bad\.jsonl: /);
  assert.ok(!run.stderr.includes(dir), `an absolute path: ${run.stderr}`);
});
