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

test('a folder given as --data is named, and exits 1 like any file error (validate, score, run)', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-exit-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const predictions = path.join(dir, 'p.jsonl');
  fs.writeFileSync(predictions, '"1"\n');
  const cases = [
    ['validate', '--data', dir],
    ['score', '--data', dir, '--predictions', predictions],
    ['run', '--data', dir, '--llm-url', 'http://127.0.0.1:9/v1', '--llm-model', 'm'],
  ];
  for (const args of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 1, `mcpo ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    assert.equal(r.stderr.trim(), `cannot open ${dir}: it is a folder, not a file`, args[0]);
  }
});

test('an endpoint URL without http:// or https:// is a usage error (exit 2) that says so', async () => {
  const cases = [
    ['run', '--data', 'x.jsonl', '--llm-url', '127.0.0.1:18731/v1', '--llm-model', 'm'],
    ['ablate', '--data', 'x.jsonl', '--llm-url', 'localhost:8000/v1', '--llm-model', 'm'],
    [
      ...['run', '--data', 'x.jsonl', '--llm-url', 'http://127.0.0.1:9/v1', '--llm-model', 'm'],
      ...['--slm-url', 'gpu:8001/v1', '--slm-model', 's'],
    ],
  ];
  const suggested = ['http://127.0.0.1:18731/v1', 'http://localhost:8000/v1', 'http://gpu:8001/v1'];
  for (const [i, args] of cases.entries()) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `mcpo ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, /--(llm|slm)-url ".*" needs http:\/\/ or https:\/\//);
    assert.ok(r.stderr.includes(`e.g. ${suggested[i]})`), r.stderr);
  }
});
