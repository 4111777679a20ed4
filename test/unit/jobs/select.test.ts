import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobStore } from '../../../server/jobs/jobStore';
import {
  foldOptions,
  parseOptions,
  selectData,
  SelectionError,
} from '../../../server/jobs/selectData';
import { fixturePath } from '../../support/paths';
import { runCli } from '../../support/cli';
import { tempDir } from '../../support/tempDirs';

const SMALL = fixturePath('jobs', 'ecinstruct-small.jsonl');
const tmp = (): string => tempDir('mcpo-select-');
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

test('bad rows are reported with index, field and reason, excluded and not replaced (CLI exit 1)', async () => {
  const out = path.join(tmp(), 'b.jsonl');
  const r = await selectData({ from: fixturePath('jobs', 'ecinstruct-bad.jsonl'), n: 6, out });
  assert.deepEqual(
    r.badRows.map((b) => [b.index, b.line, b.field, b.reason.slice(0, 20)]),
    [
      [2, 3, undefined, "not JSON: Expected ','".slice(0, 20)],
      [5, 6, 'output', 'must be a string (fo'],
    ],
  );
  // Row 5 is one of the first 3 train rows: it keeps its place, so only 2 train rows are written.
  assert.equal(r.train, 2);
  assert.equal(r.val, 3);
  assert.match(r.note ?? '', /not exactly the first N\/2 \+ N\/2 = 6 rows/);
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
    /ecinstruct-bad\.jsonl:6:1: error: row 5: field "output" must be a string \(found a number\)/,
  );
  assert.match(cli.stdout, /total\s+2\s+3/);
  assert.match(cli.stdout, /note: 2 malformed rows excluded/);
  const help = await runCli(['select', '--help']);
  assert.match(help.stdout, /--setting NAME/);
});

const REAL = fixturePath('jobs', 'ecinstruct-real.json');

test('the real ECInstruct format: all-string fields, "None", JSON and Python list strings', async () => {
  assert.deepEqual(parseOptions('None'), {});
  assert.deepEqual(parseOptions('["A: x", "B: y"]'), { options: ['A: x', 'B: y'] });
  assert.deepEqual(parseOptions("['A: it\\'s', \"B: don't\"]"), {
    options: ["A: it's", "B: don't"],
  });
  assert.match((parseOptions('A, B') as { reason: string }).reason, /JSON or as a Python literal/);
  const d = tmp();
  const r = await selectData({ from: REAL, n: 6, out: path.join(d, 'a.jsonl') });
  assert.deepEqual(r.badRows, []);
  assert.equal(r.note, undefined);
  const rows = read(path.join(d, 'a.jsonl'));
  // The first 3 train (rows 0, 3, 5) and first 3 val rows (1, 4, 6) of the file, across settings.
  assert.deepEqual(
    rows.map((x) => x.instruction.replace('Instruction ', '')),
    [
      'Answerability_Prediction 0',
      'Sentiment_Analysis 0',
      'Sentiment_Analysis 1',
      'Query_Product_Rank 1',
      'Multiclass_Product_Classification 2',
      'Answerability_Prediction 2',
    ],
  );
  assert.equal(rows[0].input, 'input train 0');
  assert.equal(rows[1].input, 'input val 0\nOptions:\nA: positive\nB: negative');
  assert.equal(rows[2].input, "input train 1\nOptions:\nA: positive\nB: negative\nC: it's mixed");
  // Inputs that look like JSON or Python are free text, kept as they are.
  assert.equal(rows[3].input, '{"query": "shoes", "products": ["A", "B"]}');
  assert.equal(rows[4].input, "input train 2\nOptions:\nA: it's fine\nB: no\nnewline");
  assert.equal(rows[5].input, "['looks', 'like', 'python']");
  // JSON Lines in the same format selects the same rows.
  await selectData({
    from: fixturePath('jobs', 'ecinstruct-real.jsonl'),
    n: 6,
    out: path.join(d, 'b.jsonl'),
  });
  assert.equal(
    fs.readFileSync(path.join(d, 'a.jsonl'), 'utf8'),
    fs.readFileSync(path.join(d, 'b.jsonl'), 'utf8'),
  );
  // --setting narrows: only IND_Diverse_Instruction rows, still in file order.
  const s = await selectData({
    from: REAL,
    n: 4,
    out: path.join(d, 'c.jsonl'),
    setting: 'IND_Diverse_Instruction',
  });
  assert.deepEqual(s.counts, {
    Answerability_Prediction: { train: 1, val: 1 },
    Sentiment_Analysis: { train: 1, val: 1 },
  });
});

test('malformed real-format rows in the window are named and excluded; outside it they are ignored', async () => {
  const out = path.join(tmp(), 'bad.jsonl');
  const r = await selectData({ from: fixturePath('jobs', 'ecinstruct-real-bad.json'), n: 6, out });
  assert.deepEqual(
    r.badRows.map((b) => [b.index, b.field]),
    [
      [3, 'options'],
      [4, 'output'],
    ],
  );
  assert.match(r.badRows[0].message, /^row 3: field "options" must be "None" or a list/);
  assert.equal(r.train, 2);
  assert.equal(r.val, 2);
  assert.match(
    r.note ?? '',
    /1 of the first 3 "train" rows, 1 of the first 3 "val" rows.*2 "train" \+ 2 "val" rows/,
  );
  // Later valid rows never take a malformed row's place.
  assert.ok(
    !read(out).some((x) => /Sentiment_Analysis 3|Answerability_Prediction 4/.test(x.instruction)),
  );
});

test('an unwritable --out is a clear error, not a stack trace', async () => {
  const d = tmp();
  const blocker = path.join(d, 'file');
  fs.writeFileSync(blocker, '');
  const cli = await runCli([
    'select',
    '--from',
    REAL,
    '--n',
    '2',
    '--out',
    path.join(blocker, 'x.jsonl'),
  ]);
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /cannot write --out .*file\/x\.jsonl/);
  assert.doesNotMatch(cli.stderr, /\n\s+at /);
  const dir = await runCli(['select', '--from', REAL, '--n', '2', '--out', d]);
  assert.equal(dir.code, 1);
  assert.match(dir.stderr, /cannot write --out .*: it is a folder/);
  assert.deepEqual(fs.readdirSync(d), ['file']);
});

test('a damaged job record is named and skipped by list, not fatal', () => {
  const root = tempDir('mcpo-jobstore-');
  fs.writeFileSync(path.join(root, 'bad.json'), '{"id":"x",');
  const problems: string[] = [];
  assert.deepEqual(
    new JobStore(root).list((m) => problems.push(m)),
    [],
  );
  assert.match(problems[0], /bad\.json: not a job record/);
});
