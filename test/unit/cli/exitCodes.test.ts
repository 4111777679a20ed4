/**
 * One rule for exit codes across every subcommand: wrong usage exits 2, a failure the user can
 * act on exits 1, and neither prints a stack trace.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../support/cli';

test('usage errors exit 2 from run, select and job alike', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-exit-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cases = [
    ['select', '--n', '10'],
    ['select', '--from', 'x.json', '--n', 'ten', '--out', 'y.jsonl'],
    ['job', 'submit', 'finetune', '--jobs-dir', dir],
    ['job', 'submit', 'frobnicate', '--jobs-dir', dir],
    ['job', 'frobnicate', '--jobs-dir', dir],
    ['job', 'list', '--jobs-dir', dir, '--poll-ms', 'soon'],
    ['run', '--data', 'x.jsonl', '--llm-url', 'http://127.0.0.1:9/v1'],
  ];
  for (const args of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `mcpo ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `mcpo ${args.join(' ')} printed a stack trace`);
  }
});

test('a failure the user can act on exits 1 without a stack trace', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-exit-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cases = [
    [
      'score',
      '--data',
      path.join(dir, 'missing.jsonl'),
      '--predictions',
      path.join(dir, 'p.jsonl'),
    ],
    ['job', 'status', 'no-such-job', '--jobs-dir', dir],
  ];
  for (const args of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 1, `mcpo ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `mcpo ${args.join(' ')} printed a stack trace`);
  }
});

test('a missing file is named in plain words, not as a Node errno message', async () => {
  const missing = path.join(os.tmpdir(), 'mcpo-no-such-dataset.jsonl');
  const r = await runCli(['validate', '--data', missing]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), `cannot open ${missing}: no such file or directory`);
});
