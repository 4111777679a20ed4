import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  checkDatasetText,
  formatProblem,
  loadDataset,
  validateDataset,
} from '../../../server/dataset/load';
import {
  DatasetStructureError,
  JsonArraySplitter,
  JsonLinesSplitter,
  readRowTexts,
  splitRowTexts,
  type RowText,
} from '../../../server/dataset/rowTexts';
import { findNumberedOptions, numberedLines } from '../../../server/dataset/options';
import { skipString } from '../../../server/dataset/jsonPositions';
import { mulberry32 } from '../../../server/util/seededRandom';
import { repoRoot } from '../../support/paths';
import { tempDir } from '../../support/tempDirs';

const SAMPLE = path.join(repoRoot, 'server', 'dataset', 'sample', 'shopbench-dev.jsonl');
const good = {
  input_field: 'Which is a fruit?\n0. apple\n1. chair\nAnswer: ',
  output_field: 0,
  task_name: 'task2',
  task_type: 'multiple-choice',
  metric: 'accuracy',
  is_multiple_choice: true,
  track: 'amazon-kdd-cup-24-understanding-shopping-concepts',
};

function tmpFile(name: string, text: string): string {
  const dir = tempDir('mcpo-ds-');
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

test('the bundled sample: 96 valid rows, 18 tasks, no problems', async () => {
  const ds = await loadDataset(SAMPLE);
  assert.equal(ds.rowCount, 96);
  assert.equal(ds.rows.length, 96);
  assert.deepEqual(ds.problems, []);
  assert.equal(new Set(ds.rows.map((r) => r.row.task_name)).size, 18);
  assert.equal(ds.rows[95].line, 96);
});

test('a JSON array file gives the same rows as JSON Lines', async () => {
  const lines = fs.readFileSync(SAMPLE, 'utf8').trim().split('\n');
  const file = tmpFile('sample.json', `[\n${lines.map((l) => `  ${l}`).join(',\n')}\n]\n`);
  const ds = await loadDataset(file);
  assert.equal(ds.rows.length, 96);
  // The official local_evaluation.py reads JSON Lines only: we read arrays too, and say so.
  assert.deepEqual(
    ds.problems.map((p) => [p.severity, p.line]),
    [['warning', 1]],
  );
  assert.match(ds.problems[0].message, /pd\.read_json\(lines=True\)/);
  assert.equal(ds.rows[1].line, 3);
  const jsonl = await loadDataset(SAMPLE);
  assert.deepEqual(
    ds.rows.map((r) => r.row),
    jsonl.rows.map((r) => r.row),
  );
});

test('every problem names file, line, column and field; valid rows stay usable', () => {
  const rows = [
    JSON.stringify(good),
    '{"input_field": "x", oops}',
    JSON.stringify({ ...good, task_type: 'multi-choice' }),
    JSON.stringify({ ...good, metric: 'f1' }),
    JSON.stringify({ ...good, metric: 'rougel' }),
    JSON.stringify({ ...good, output_field: 5 }),
    JSON.stringify({ ...good, output_field: '0' }),
    JSON.stringify({ ...good, task_type: 'retrieval', metric: 'hit rate@3', output_field: [] }),
    JSON.stringify({
      ...good,
      task_type: 'ranking',
      metric: 'ndcg',
      input_field: 'List:\n1. a\n2. b\n3. c\nOutput:',
      output_field: [1, 0],
    }),
    JSON.stringify({
      input_field: 'x',
      output_field: 'y',
      task_type: 'generation',
      metric: 'rougel',
      track: 't',
    }),
    '[1, 2]',
    JSON.stringify({ ...good, is_multiple_choice: 'yes' }),
    JSON.stringify(good),
  ];
  const ds = checkDatasetText('data.jsonl', rows.join('\n'));
  assert.equal(ds.rowCount, 13);
  assert.deepEqual(
    ds.rows.map((r) => r.index),
    [0, 12],
  );
  const messages = ds.problems.map(formatProblem);
  const expectAt = (line: number, pattern: RegExp): void => {
    assert.ok(
      messages.some((m) => m.startsWith(`data.jsonl:${line}:`) && pattern.test(m)),
      `line ${line} ${pattern}: ${messages.join('\n')}`,
    );
  };
  expectAt(2, /not valid JSON/);
  expectAt(3, /unknown task_type "multi-choice"/);
  expectAt(4, /unknown metric "f1"/);
  expectAt(5, /metric "rougel" does not score task_type "multiple-choice"/);
  expectAt(6, /output_field 5 is not one of the numbered options in input_field \(0\.\.1\)/);
  expectAt(7, /output_field must be the correct option's number/);
  expectAt(8, /empty list: hit rate@3 divides/);
  expectAt(9, /2 relevance weights but input_field lists 3 items/);
  expectAt(10, /missing field "task_name"/);
  expectAt(11, /expected a JSON object/);
  expectAt(12, /"is_multiple_choice" must be true or false/);
  // The column points at the field's key.
  const unknownType = ds.problems.find((p) => p.line === 3)!;
  assert.equal(unknownType.field, 'task_type');
  assert.equal(rows[2].slice(unknownType.column - 1).startsWith('"task_type"'), true);
  const notJson = ds.problems.find((p) => p.line === 2)!;
  assert.equal(notJson.column, rows[1].indexOf('oops') + 1);
});

test('a missing track is a warning; the row is still used', () => {
  const { track: _track, ...noTrack } = good;
  const ds = checkDatasetText('d.jsonl', JSON.stringify(noTrack));
  assert.equal(ds.rows.length, 1);
  assert.equal(ds.problems[0].severity, 'warning');
});

test('JSON array structure errors are positioned', async () => {
  await assert.rejects(
    loadDataset(tmpFile('a.json', `[${JSON.stringify(good)},\n]`)),
    (e: Error) =>
      e instanceof DatasetStructureError && /a\.json:2:1: .*trailing comma/.test(e.message),
  );
  await assert.rejects(loadDataset(tmpFile('b.json', `[${JSON.stringify(good)}`)), /not closed/);
  await assert.rejects(loadDataset(tmpFile('c.json', '')), /empty/);
});

test('the JSON array splitter handles elements split across chunks, strings with brackets and escapes', () => {
  const text = `[{"a": "x],\\"{"}, {"b": [1, {"c": 2}]}, "s", 3]`;
  for (const size of [1, 2, 3, 7, text.length]) {
    const out: RowText[] = [];
    const splitter = new JsonArraySplitter('f', (r) => out.push(r));
    for (let i = 0; i < text.length; i += size) splitter.push(text.slice(i, i + size));
    splitter.end();
    assert.deepEqual(
      out.map((r) => JSON.parse(r.text) as unknown),
      [{ a: 'x],"{' }, { b: [1, { c: 2 }] }, 's', 3],
      `chunk size ${size}`,
    );
  }
});

test('JSON Lines split as bytes: rows, lines and columns as from the text, whatever the chunk boundaries', async () => {
  // Multi-byte characters (2, 3 and 4 bytes), CRLF, blank and whitespace-only lines, leading
  // spaces and a non-breaking space, no final newline.
  const text = `{"a": "é"}\r\n\n  {"b": "日本"}\n \u00a0\n\t{"c": "😀"}\r\n   \n{"d": 1}`;
  const expected = splitRowTexts('f', text);
  assert.equal(expected.length, 4);
  const bytes = Buffer.from(text, 'utf8');
  for (let size = 1; size <= bytes.length; size++) {
    const out: RowText[] = [];
    const splitter = new JsonLinesSplitter((r) => out.push(r));
    for (let i = 0; i < bytes.length; i += size) splitter.pushBytes(bytes.subarray(i, i + size));
    splitter.end();
    assert.deepEqual(out, expected, `chunk size ${size}`);
  }
  // Through the file reader, with a byte order mark.
  const file = tmpFile('bom.jsonl', `\ufeff${text}\n`);
  const rows: RowText[] = [];
  for await (const raw of readRowTexts(file)) rows.push(raw);
  assert.deepEqual(rows, expected);
});

test('validateDataset counts valid rows and lists problems like loadDataset, keeping no rows', async () => {
  const file = tmpFile(
    'mixed.jsonl',
    `${JSON.stringify(good)}\nnot json\n${JSON.stringify({ ...good, metric: 'f1' })}\n${JSON.stringify(good)}\n`,
  );
  const loaded = await loadDataset(file);
  const checked = await validateDataset(file);
  assert.equal(checked.rowCount, 4);
  assert.equal(checked.validCount, 2);
  assert.equal(loaded.rows.length, 2);
  assert.deepEqual(checked.problems, loaded.problems);
  assert.equal(checked.problems.length, 2);
});

test('a 100,000-row file streams without reading it into one string', async () => {
  const line = `${JSON.stringify(good)}\n`;
  const file = tmpFile('big.jsonl', line.repeat(100_000));
  const ds = await loadDataset(file);
  assert.equal(ds.rows.length, 100_000);
  assert.equal(ds.rows[99_999].line, 100_000);
});

test('numbered options: all sample layouts, the longest consecutive run', async () => {
  const ds = await loadDataset(SAMPLE);
  for (const { row } of ds.rows) {
    const options = findNumberedOptions(row.input_field);
    if (row.task_type === 'ranking')
      assert.equal(options.length, (row.output_field as number[]).length);
    if (row.task_type === 'multiple-choice' && options.length > 0)
      assert.ok(options.some((o) => o.number === row.output_field));
    if (row.task_type === 'retrieval') assert.ok(options.length >= 3, row.input_field.slice(0, 80));
    for (const o of options) assert.equal(row.input_field.slice(o.textStart, o.textEnd), o.text);
  }
  assert.deepEqual(
    findNumberedOptions('Review: 1. fits well\nOptions:\n1.stability\n2.fit\n3.lid\nOutput:').map(
      (o) => o.text,
    ),
    ['stability', 'fit', 'lid'],
  );
});

test('an empty sent-transformer reference list is a warning (the official score is NaN), not an error', () => {
  const row = { ...good, task_type: 'generation', metric: 'sent-transformer', output_field: [] };
  const ds = checkDatasetText('d.jsonl', JSON.stringify(row));
  assert.equal(ds.rows.length, 1);
  assert.equal(ds.problems[0].severity, 'warning');
  assert.match(ds.problems[0].message, /NaN/);
});

test('the file reader gives the rows of the in-memory splitter when rows cross its 1 MB reads', async () => {
  // Rows of about 300 KB with multi-byte characters: several straddle each read boundary, some
  // with a multi-byte character cut in two by it.
  const rows = Array.from({ length: 12 }, (_, i) =>
    JSON.stringify({ ...good, input_field: `${'é日😀x'.repeat(30_000 + i * 997)}\n0. a\n1. b` }),
  );
  const lines = `${rows.join('\r\n')}\n\n`;
  const array = `[\n${rows.join(',\n')}\n]\n`;
  for (const [name, text] of [
    ['big.jsonl', lines],
    ['big.json', array],
  ]) {
    const file = tmpFile(name, text);
    assert.ok(fs.statSync(file).size > 3 * (1 << 20));
    const read: RowText[] = [];
    for await (const raw of readRowTexts(file)) read.push(raw);
    assert.deepEqual(read, splitRowTexts(file, text), name);
    const ds = await loadDataset(file);
    assert.equal(ds.rows.length, 12, name);
  }
});

test('stopping early closes the file, and the rows read so far are the first ones', async () => {
  const file = tmpFile('many.jsonl', `${JSON.stringify(good)}\n`.repeat(20_000));
  const before = fs.readdirSync('/proc/self/fd').length;
  const seen: number[] = [];
  for await (const raw of readRowTexts(file)) {
    seen.push(raw.rowIndex);
    if (seen.length === 3) break;
  }
  assert.deepEqual(seen, [0, 1, 2]);
  assert.equal(fs.readdirSync('/proc/self/fd').length, before);
});

test('numbered options: each line read character by character finds what the pattern finds on it', async () => {
  // What numberedLines computed before it read lines without slicing them: the anchored pattern
  // on every line.
  const pattern = /^([ \t]*)(\d{1,3})[ \t]*[.)][ \t]*(.*?)[ \t\r]*$/;
  const everyLine = (prompt: string): Array<[number, string, number, number]> => {
    const found: Array<[number, string, number, number]> = [];
    let start = 0;
    for (const line of prompt.split('\n')) {
      const m = pattern.exec(line);
      // The text's offset: its first occurrence after the digits (earlier than where the
      // pattern found it when it begins like the punctuation, e.g. "1..").
      if (m)
        found.push([
          Number(m[2]),
          m[3],
          start,
          start + line.indexOf(m[3], m[1].length + m[2].length),
        ]);
      start += line.length + 1;
    }
    return found;
  };
  const prompts = [
    '0. a\n1. b\n2. c',
    ' \t1) x \r\n\t2.y\r\n3 . z\t\n',
    '\n\n 1. one\n\u00a02. nbsp is not a space\n3. three\n x1. no\n1.\n2.',
    '1. a\r2. b\n3. c\u20284. d\n5.\u2029',
    'Answer:\n  12. twelve\n  13. thirteen\n1234. too long\n\t \t9)',
    '',
    '\n',
    '7',
    '1..\n2) ) a\n3.\t\r\n004. four digits\n5.a\u2028b\n6. ok \r',
    ...(await loadDataset(SAMPLE)).rows.map((r) => r.row.input_field),
  ];
  // And random lines made of what the pattern looks at.
  const random = mulberry32(29);
  const pieces = [
    ...' \t\r\n0123456789.)ab',
    '\u2028',
    '\u2029',
    'é',
    '1. ',
    '\n2) x',
    '1000',
    '..',
  ];
  for (let round = 0; round < 20_000; round++) {
    let prompt = '';
    const length = Math.floor(random() * 20);
    for (let i = 0; i < length; i++) prompt += pieces[Math.floor(random() * pieces.length)];
    prompts.push(prompt);
  }
  for (const prompt of prompts)
    assert.deepEqual(
      numberedLines(prompt).map((o) => [o.number, o.text, o.lineStart, o.textStart]),
      everyLine(prompt),
      JSON.stringify(prompt.slice(0, 80)),
    );
  assert.deepEqual(
    findNumberedOptions(' \t1) x \r\n\t2.y\r\n3 . z\t\n').map((o) => [o.number, o.text]),
    [
      [1, 'x'],
      [2, 'y'],
      [3, 'z'],
    ],
  );
});

test('skipString ends a string at the first quote not escaped, as a scan that skips each escaped character', () => {
  const scan = (text: string, start: number): number => {
    for (let i = start + 1; i < text.length; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === '"') return i + 1;
    }
    return text.length;
  };
  const random = mulberry32(5);
  for (let round = 0; round < 20_000; round++) {
    let text = '"';
    const length = Math.floor(random() * 12);
    for (let i = 0; i < length; i++) text += '\\"ab'[Math.floor(random() * 4)];
    assert.equal(skipString(text, 0), scan(text, 0), JSON.stringify(text));
    assert.equal(skipString(`x${text}`, 1), scan(`x${text}`, 1), JSON.stringify(text));
  }
});

test('a file read in one call loads exactly as when streamed: rows, problems, warnings, errors', async () => {
  const sample = fs.readFileSync(SAMPLE, 'utf8');
  const rows = sample.trim().split('\n');
  const broken = [
    ...rows.slice(0, 5),
    '{"input_field": "x",',
    JSON.stringify({ ...good, output_field: 'b' }),
  ];
  const cases: [string, string | Buffer][] = [
    ['sample.jsonl', sample],
    ['array.json', `[\n${rows.join(',\n')}\n]\n`],
    ['bom-crlf.jsonl', `\ufeff${rows.slice(0, 9).join('\r\n')}\r\n\r\n`],
    ['broken.jsonl', `${broken.join('\n')}\n`],
    ['broken-array.json', `[${rows.slice(0, 3).join(',')},]`],
    [
      'bad-utf8.jsonl',
      Buffer.concat([
        Buffer.from(rows[0].slice(0, 30)),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(`${rows[0].slice(30)}\n`),
      ]),
    ],
    ['empty.jsonl', ''],
    ['blank.jsonl', ' \n\n'],
  ];
  for (const [name, text] of cases) {
    const dir = tempDir('mcpo-ds-whole-');
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    const outcome = (p: Promise<unknown>) =>
      p.then(
        (v) => ({ ok: v }),
        (e: Error) => ({ error: e.message }),
      );
    const streamed = await outcome(loadDataset(file, { readWholeUpTo: -1 }));
    assert.deepEqual(await outcome(loadDataset(file)), streamed, name);
    assert.deepEqual(
      await outcome(validateDataset(file)),
      await outcome(validateDataset(file, { readWholeUpTo: -1 })),
      name,
    );
  }
  // The cases cover what they claim: problems, the JSON-array warning and the empty-file error.
  const bad = tmpFile('b.jsonl', `${broken.join('\n')}\n`);
  assert.ok((await loadDataset(bad)).problems.some((p) => p.severity === 'error'));
  const array = tmpFile('a.json', `[\n${rows.join(',\n')}\n]\n`);
  assert.match((await loadDataset(array)).problems[0].message, /JSON array/);
  await assert.rejects(loadDataset(tmpFile('e.jsonl', '')), DatasetStructureError);
});

test('a folder or a missing file fails as before when read in one call', async () => {
  const dir = tempDir('mcpo-ds-whole-');
  await assert.rejects(loadDataset(dir), { code: 'EISDIR', path: dir });
  await assert.rejects(loadDataset(path.join(dir, 'none.jsonl')), { code: 'ENOENT' });
});
