import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JobStore } from '../../../server/jobs/jobStore';
import { foldOptions, selectData, SelectionError } from '../../../server/jobs/selectData';
import { fixturePath } from '../../support/paths';
import { runCli } from '../../support/cli';

const SMALL = fixturePath('jobs', 'ecinstruct-small.jsonl');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-select-'));
const read = (f: string): { instruction: string; input: string; output: string }[] =>
  fs
    .readFileSync(f, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { instruction: string; input: string; output: string });

test('first N/2 train and first N/2 val rows, in file order, counts per task', async () => {
  const out = path.join(tmp(), 'train.jsonl');
  const r = await selectData({ from: SMALL, n: 6, out });
  assert.equal(r.train, 3);
  assert.equal(r.val, 3);
  assert.deepEqual(r.counts, {
    Answerability_Prediction: { train: 2, val: 1 },
    Sentiment_Analysis: { train: 1, val: 2 },
  });
  const rows = read(out);
  assert.equal(rows.length, 6);
  assert.deepEqual(
    rows.map((x) => x.input.split('\n')[0]),
    [
      'input train 0',
      'input val 0',
      'input val 0',
      'input train 0',
      'input train 1',
      'input val 1',
    ],
  );
  // Reading stopped once both halves were full.
  assert.equal(r.rowsRead, 7);
  assert.deepEqual(Object.keys(rows[0]).sort(), ['input', 'instruction', 'output']);
});

test('options fold into the input; a JSON array source streams to the same result', async () => {
  assert.equal(foldOptions('q', ['A: x', 'B: y']), 'q\nOptions:\nA: x\nB: y');
  assert.equal(foldOptions('q', undefined), 'q');
  const d = tmp();
  await selectData({
    from: SMALL,
    n: 8,
    out: path.join(d, 'a.jsonl'),
    setting: 'IND_Diverse_Instruction',
  });
  await selectData({
    from: fixturePath('jobs', 'ecinstruct-small.json'),
    n: 8,
    out: path.join(d, 'b.jsonl'),
    setting: 'IND_Diverse_Instruction',
  });
  assert.equal(
    fs.readFileSync(path.join(d, 'a.jsonl'), 'utf8'),
    fs.readFileSync(path.join(d, 'b.jsonl'), 'utf8'),
  );
  assert.ok(
    read(path.join(d, 'a.jsonl')).some(
      (x) => x.input === 'input val 0\nOptions:\nA: positive\nB: negative',
    ),
  );
});

test('setting and task filters', async () => {
  const out = path.join(tmp(), 't.jsonl');
  const r = await selectData({
    from: SMALL,
    n: 8,
    out,
    setting: 'IND_Diverse_Instruction',
    tasks: ['Sentiment_Analysis'],
  });
  assert.deepEqual(r.counts, { Sentiment_Analysis: { train: 4, val: 4 } });
  assert.ok(
    read(out).every(
      (x) =>
        x.instruction.startsWith('Instruction Sentiment_Analysis') && !/ [25]$/.test(x.instruction),
    ),
  );
});

test('asking for more rows than exist names the counts and writes nothing', async () => {
  const out = path.join(tmp(), 'x.jsonl');
  await assert.rejects(
    selectData({ from: SMALL, n: 100, out, tasks: ['Sentiment_Analysis'] }),
    (e: Error) => {
      assert.ok(e instanceof SelectionError);
      assert.match(
        e.message,
        /--n 100 needs 50 "train" \+ 50 "val" rows, but .* has only 6 "train" and 6 "val" rows matching tasks Sentiment_Analysis/,
      );
      return true;
    },
  );
  assert.equal(fs.existsSync(out), false);
  await assert.rejects(selectData({ from: SMALL, n: 5, out }), /even/);
});

test('bad rows are reported with line numbers and skipped (CLI exit 1)', async () => {
  const out = path.join(tmp(), 'b.jsonl');
  const r = await selectData({ from: fixturePath('jobs', 'ecinstruct-bad.jsonl'), n: 6, out });
  assert.deepEqual(
    r.badRows.map((b) => [b.line, b.message.slice(0, 20)]),
    [
      [3, "not JSON: Expected ','".slice(0, 20)],
      [6, 'field "output" must '],
    ],
  );
  const cli = await runCli([
    'select',
    '--from',
    fixturePath('jobs', 'ecinstruct-bad.jsonl'),
    '--n',
    '6',
    '--out',
    out,
  ]);
  assert.equal(cli.code, 1);
  assert.match(
    cli.stderr,
    /ecinstruct-bad\.jsonl:6:1: error: field "output" must be a string \(found a number\)/,
  );
  assert.match(cli.stdout, /total\s+3\s+3/);
  const help = await runCli(['select', '--help']);
  assert.match(help.stdout, /--setting NAME/);
});

test('a damaged job record is named and skipped by list, not fatal', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-jobstore-'));
  fs.writeFileSync(path.join(root, 'bad.json'), '{"id":"x",');
  const problems: string[] = [];
  assert.deepEqual(
    new JobStore(root).list((m) => problems.push(m)),
    [],
  );
  assert.match(problems[0], /bad\.json: not a job record/);
});
