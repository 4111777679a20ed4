import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildTinyBertFixture } from '../../support/tinyBertFixture';
import { repoRoot } from '../../support/paths';
import { tempDir } from '../../support/tempDirs';

const CLI = path.join(repoRoot, 'out', 'server', 'cli.js');
const SAMPLE_DIR = path.join(repoRoot, 'server', 'dataset', 'sample');
const DATA = path.join(SAMPLE_DIR, 'shopbench-dev.jsonl');
const BASELINE = path.join(SAMPLE_DIR, 'shopbench-dev.baseline-predictions.jsonl');

function mcpo(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    // No hub access in tests: a missing model must fail fast, not hang on the network.
    env: { ...process.env, MCPO_MODEL_CACHE: tmpDir(), HF_HUB_OFFLINE: '1', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmpDir(): string {
  return tempDir('mcpo-cli-');
}

test('mcpo score: the sample with a local embedding model scores every task and writes both files', () => {
  const dir = tmpDir();
  const model = buildTinyBertFixture(path.join(dir, 'tiny-bert'));
  const out = path.join(dir, 'scores.json');
  const perSample = path.join(dir, 'per-sample.jsonl');
  const r = mcpo([
    'score',
    '--data',
    DATA,
    '--predictions',
    BASELINE,
    '--out',
    out,
    '--per-sample',
    perSample,
    '--embed-model',
    model,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(out, 'utf8')) as {
    tasks: { task_name: string; score: number | null; num_samples: number }[];
    tracks: Record<string, number>;
    overall: number;
  };
  assert.equal(report.tasks.length, 18);
  assert.ok(report.tasks.every((t) => typeof t.score === 'number'));
  assert.equal(Object.keys(report.tracks).length, 4);
  assert.match(r.stdout, /^task\s+type\s+metric/m);
  assert.match(r.stdout, new RegExp(`overall: ${report.overall.toFixed(4)}`));
  const lines = fs
    .readFileSync(perSample, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 96);
  assert.deepEqual(Object.keys(lines[0]), [
    'index',
    'task_name',
    'task_type',
    'metric',
    'parsed',
    'score',
    'warnings',
  ]);
  const ner = lines.find((l) => l.metric === 'micro f1')!;
  assert.ok(Array.isArray(ner.score) && (ner.score as unknown[]).length === 3);
  assert.equal(typeof lines.find((l) => l.metric === 'accuracy')!.score, 'boolean');
});

test('mcpo score: without an embedding model the task is NOT SCORED, the rest is, --strict fails', () => {
  const r = mcpo([
    'score',
    '--data',
    DATA,
    '--predictions',
    BASELINE,
    '--embed-model',
    path.join(tmpDir(), 'missing-model'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /NOT SCORED task1: .*missing-model/);
  assert.match(r.stdout, /overall: 0\.\d{4}/);
  const strict = mcpo([
    'score',
    '--data',
    DATA,
    '--predictions',
    BASELINE,
    '--embed-model',
    path.join(tmpDir(), 'missing-model'),
    '--strict',
  ]);
  assert.equal(strict.code, 3);
});

test('mcpo score: a predictions file with the wrong number of lines names both counts', () => {
  const dir = tmpDir();
  const short = path.join(dir, 'short.jsonl');
  fs.writeFileSync(short, fs.readFileSync(BASELINE, 'utf8').split('\n').slice(0, 90).join('\n'));
  const r = mcpo(['score', '--data', DATA, '--predictions', short]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /has 90 predictions but .* has 96 rows/);
  assert.doesNotMatch(r.stderr, /\n\s+at /); // no stack trace
});

test('mcpo score: a bad prediction line and a bad dataset row are named, valid rows still scored', () => {
  const dir = tmpDir();
  const preds = path.join(dir, 'p.jsonl');
  fs.writeFileSync(preds, '"0"\n{"answer": 1}\n');
  const data = path.join(dir, 'd.jsonl');
  const row = {
    input_field: 'Q\n0. a\n1. b\nAnswer:',
    output_field: 0,
    task_name: 't',
    task_type: 'multiple-choice',
    metric: 'accuracy',
    track: 'x',
  };
  fs.writeFileSync(data, `${JSON.stringify(row)}\n${JSON.stringify({ ...row, metric: 'acc' })}\n`);
  const bad = mcpo(['score', '--data', data, '--predictions', preds]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /p\.jsonl:2: expected \{"response": "\.\.\."\}/);
  // One line is "1 bad prediction line", not "line(s)" (K2).
  assert.match(bad.stderr, /^1 bad prediction line; nothing was scored:$/m);
  fs.writeFileSync(preds, '"0"\n"1"\n');
  const partial = mcpo(['score', '--data', data, '--predictions', preds]);
  assert.equal(partial.code, 1);
  assert.match(partial.stderr, /d\.jsonl:2:\d+: error: unknown metric "acc"/);
  assert.match(partial.stdout, /overall: 1\.0000/);
});

test('mcpo score: a folder as --predictions is named and says a file is expected (exit 1, no stack)', () => {
  const folder = tmpDir();
  const r = mcpo(['score', '--data', DATA, '--predictions', folder]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(
    r.stderr.trim(),
    `${folder} is a folder; predictions are one file with a line per dataset row ({"response": "..."} or a JSON string)`,
  );
  const missing = mcpo(['score', '--data', DATA, '--predictions', path.join(folder, 'none.jsonl')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /none\.jsonl: no such file/);
});

test('mcpo score: every bad prediction line is listed in one pass, not only the first', () => {
  const dir = tmpDir();
  const preds = path.join(dir, 'p.jsonl');
  const lines = fs.readFileSync(BASELINE, 'utf8').split('\n').slice(0, 96);
  lines[3] = '{"answer": 1}';
  lines[10] = 'not json';
  lines[40] = '{"response": 7}';
  fs.writeFileSync(preds, `${lines.join('\n')}\n`);
  const r = mcpo(['score', '--data', DATA, '--predictions', preds]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^3 bad prediction lines; nothing was scored:$/m);
  assert.match(r.stderr, /p\.jsonl:4: expected/);
  assert.match(r.stderr, /p\.jsonl:11: not valid JSON/);
  assert.match(r.stderr, /p\.jsonl:41: field "response" must be a string/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  // All or nothing, as the README says: a bad line could shift every prediction after it.
  assert.match(r.stderr, /nothing was scored/);
  assert.equal(r.stdout, '');
});

test('mcpo: --help for every subcommand, usage errors exit 2', () => {
  for (const command of ['score', 'validate']) {
    const r = mcpo([command, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`Usage: mcpo ${command}`));
  }
  assert.match(mcpo(['--help']).stdout, /Commands:\n(.*\n)*\s+score\s/);
  assert.equal(mcpo(['score', '--data', DATA]).code, 2);
  assert.equal(mcpo(['frobnicate']).code, 2);
  assert.equal(mcpo(['score', '--nope']).code, 2);
});

test('mcpo validate: the sample is clean', () => {
  const r = mcpo(['validate', '--data', DATA]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /96 of 96 rows valid/);
});
