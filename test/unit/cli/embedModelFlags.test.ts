/**
 * `--embed-model` is M_V in `mcpo run` but was the scoring model in `mcpo score`: both commands now
 * take `--scoring-embed-model` for the scoring model (`mcpo score` keeps `--embed-model` as an
 * older name), and a run that has NOT SCORED rows after `--embed-model` was given says which flag
 * it should have been. `mcpo run --help` lists its flags in groups, the API keys after them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EMBED_MODEL_IS_MV, run } from '../../../server/cli/runCommands';
import { API_KEYS_HELP } from '../../../server/cli/runOptions';
import { runCli } from '../../support/cli';
import { startOpenAiTestServer } from '../../support/openaiTestServer';
import { SAMPLE_FILE } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';

const BASELINE = SAMPLE_FILE.replace(/\.jsonl$/, '.baseline-predictions.jsonl');
/** No hub in tests: a model that is not there fails at once. */
const OFFLINE = { ...process.env, HF_HUB_OFFLINE: '1', MCPO_MODEL_CACHE: tempDir('mcpo-cache-') };

/** The first task1 (sent-transformer) row of the sample and its baseline prediction. */
function task1(dir: string): { data: string; predictions: string } {
  const rows = fs.readFileSync(SAMPLE_FILE, 'utf8').split('\n');
  const i = rows.findIndex((l) => l.includes('"task_name":"task1"'));
  const data = path.join(dir, 'task1.jsonl');
  const predictions = path.join(dir, 'task1.predictions.jsonl');
  fs.writeFileSync(data, `${rows[i]}\n`);
  fs.writeFileSync(predictions, `${fs.readFileSync(BASELINE, 'utf8').split('\n')[i]}\n`);
  return { data, predictions };
}

test('mcpo score takes --scoring-embed-model, as mcpo run names it; --embed-model still works', async () => {
  const dir = tempDir('mcpo-embed-flags-');
  const { data, predictions } = task1(dir);
  const missing = path.join(dir, 'no-model-here');
  for (const flag of ['--scoring-embed-model', '--embed-model']) {
    const r = await runCli(
      ['score', '--data', data, '--predictions', predictions, flag, missing],
      OFFLINE,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /NOT SCORED/);
    assert.ok(r.stdout.includes(missing), `${flag}: ${r.stdout}`);
    // K1 of the s22 try: the fix names the flag mcpo run also takes, whichever name was typed.
    assert.match(r.stdout, /^To score task1, .*: --scoring-embed-model <folder>\.$/m);
    assert.doesNotMatch(r.stdout, / --embed-model/);
  }
  const conflict = await runCli(
    [
      ...['score', '--data', data, '--predictions', predictions],
      ...['--scoring-embed-model', missing, '--embed-model', `${missing}-2`],
    ],
    OFFLINE,
  );
  assert.equal(conflict.code, 2);
  assert.match(conflict.stderr, /--scoring-embed-model and --embed-model name the same model/);
});

test('mcpo run --embed-model with NOT SCORED rows says --embed-model is M_V and names --scoring-embed-model', async (t) => {
  const server = await startOpenAiTestServer();
  t.after(() => server.close());
  const dir = tempDir('mcpo-embed-run-');
  const { data } = task1(dir);
  const common = [
    ...['run', '--data', data, '--llm-url', server.baseUrl, '--llm-model', 'test-model'],
    ...['--cache', path.join(dir, 'cache'), '--out', path.join(dir, 'runs')],
    ...['--scoring-embed-model', path.join(dir, 'no-scoring-model')],
  ];
  const copied = await runCli([...common, '--embed-model', path.join(dir, 'mv')], OFFLINE);
  assert.equal(copied.code, 0, copied.stderr);
  assert.match(copied.stdout, /NOT SCORED task1/);
  assert.ok(copied.stdout.includes(EMBED_MODEL_IS_MV), copied.stdout);
  const plain = await runCli(common, OFFLINE);
  assert.match(plain.stdout, /NOT SCORED task1/);
  // newuser-s23 K1: the table's cell says NOT SCORED too, as the README does, not "n/a".
  assert.match(plain.stdout, /^task1 \(sent-transformer\) +NOT SCORED$/m);
  assert.doesNotMatch(plain.stdout, /n\/a/);
  assert.ok(!plain.stdout.includes(EMBED_MODEL_IS_MV), 'said only when --embed-model was given');
});

test('mcpo run --help: every flag once, in groups, the API keys after the options', () => {
  const lines = run.help.split('\n');
  const flags = Object.keys(run.options).filter((f) => f !== 'help');
  for (const flag of flags) {
    const listed = lines.filter((l) => new RegExp(`^  (--\\S+ \\S+ )?--${flag}(?![\\w-])`).test(l));
    assert.equal(listed.length, 1, `--${flag}: ${listed.join(' | ')}`);
  }
  const titles = lines.filter((l) => /^\S.*:$/.test(l));
  assert.deepEqual(titles, [
    'Data and output:',
    'Pipeline (what each question goes through):',
    'Models:',
    'Requests and cache:',
    'Scoring:',
  ]);
  const lastOption = lines.findLastIndex((l) => l.startsWith('  --'));
  assert.ok(lines.indexOf(API_KEYS_HELP) > lastOption, 'the API keys sentence follows the options');
  assert.match(
    run.help,
    /--embed-model ID\|DIR +M_V.*\n.*Not the scoring model: --scoring-embed-model/,
  );
});
