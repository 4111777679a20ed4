import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ShopBenchRow } from '../../../server/dataset/shopbench';
import { findNumberedOptions } from '../../../server/dataset/options';
import {
  DEFAULT_SIMILARITY_WORDING,
  hintOffset,
  rankOptions,
  similarityBlock,
  splitQuestion,
  type SplitQuestion,
} from '../../../server/pipeline/similarity';
import { sampleRows } from '../../support/sample';

const ROWS: ShopBenchRow[] = sampleRows();

function split(prompt: string): SplitQuestion {
  const s = splitQuestion(prompt);
  if ('reason' in s) assert.fail(`no options: ${s.reason}\n${prompt}`);
  return s;
}

test('splitQuestion finds options in every sample MCQ with numbered options, every ranking and retrieval row', () => {
  let checked = 0;
  for (const row of ROWS) {
    const mcqWithOptions =
      row.task_type === 'multiple-choice' && findNumberedOptions(row.input_field).length > 0;
    if (!mcqWithOptions && row.task_type !== 'ranking' && row.task_type !== 'retrieval') continue;
    const s = split(row.input_field);
    assert.ok(s.options.length >= 2);
    assert.ok(s.body.length > 0);
    // Option lines are not in the body, and each line is the prompt's own text.
    for (const o of s.options) {
      assert.ok(row.input_field.includes(o.line));
      assert.ok(!s.body.includes(o.line), `${row.task_name}: body contains option ${o.line}`);
    }
    checked++;
  }
  assert.equal(checked, 63); // 96 rows minus task1, task4, task6, task15 (a 1-5 scale, no list), task17
});

test('splitQuestion: the sample rows without options say why', () => {
  const without = ROWS.filter((r) => 'reason' in splitQuestion(r.input_field)).map(
    (r) => r.task_name,
  );
  assert.deepEqual([...new Set(without)], ['task1', 'task4', 'task6', 'task15', 'task17']);
});

test('splitQuestion: ranking bodies are the query, task14 the bought product, MCQ the question text', () => {
  const ranking = split(ROWS[64].input_field);
  assert.equal(ranking.body, 'jeep liberty lift');
  assert.equal(ranking.bodySource, 'quoted');
  assert.deepEqual(
    ranking.options.map((o) => o.number),
    [1, 2, 3, 4, 5],
  );
  assert.equal(
    ranking.options[2].line,
    '3. Rough Country 2.5" Lift Kit (fits) 1997-2006 Jeep Wrangler TJ LJ | 6 CYL | N3 Shocks | Suspension System | 653.20',
  );
  assert.equal(split(ROWS[65].input_field).body, 'lexus rear side bumper lights');
  assert.equal(split(ROWS[72].input_field).body, 'Sempio Soy Sauce for Soup 31.4 Fl Oz.');
  const mcq = split(ROWS[4].input_field);
  assert.equal(
    mcq.body,
    'Which of the following product categories may have the attribute eu spare part availability duration?',
  );
  assert.deepEqual(
    mcq.options.map((o) => o.text),
    ['mouse pad', 'leash', 'surveillance camera', 'garbage bin'],
  );
  // Aspect list "1.stability": the line is kept as written; the header line is not in the body.
  const aspects = split(ROWS[36].input_field);
  assert.equal(aspects.options[0].line, '1.stability');
  assert.ok(aspects.body.endsWith('True to size'));
  // A Query: line wins; a quoted name with an apostrophe inside is not cut at "Men's".
  assert.equal(
    split("Rank for 'Hanes Men's Tee' now\nQuery: blue tee\nProduct List:\n1. a\n2. b\nOutput: ")
      .body,
    'blue tee',
  );
  assert.equal(
    split("Buy 'Hanes Men's Tee' now\nProduct List:\n1. a\n2. b\nOutput: ").body,
    "Hanes Men's Tee",
  );
});

test('hintOffset is the start of the line after the options', () => {
  const p = 'Q?\n0. a\n1. b\nAnswer: ';
  assert.equal(hintOffset(p), p.indexOf('Answer'));
  const r = ROWS[64].input_field;
  assert.equal(hintOffset(r), r.indexOf('You should output'));
  assert.equal(hintOffset('no options\nOutput: '), undefined);
});

test('rankOptions: cosine, best first, ties by option number', () => {
  const options = split('Q?\n0. a\n1. b\n2. c\n3. d\nAnswer: ').options;
  const ranked = rankOptions(
    new Float32Array([1, 0]),
    [
      new Float32Array([0, 1]),
      new Float32Array([2, 0]),
      new Float32Array([1, 1]),
      new Float32Array([3, 0]),
    ],
    options,
  );
  assert.deepEqual(
    ranked.map((r) => [r.number, r.text, Math.round(r.score * 1e6) / 1e6, r.line]),
    [
      [1, 'b', 1, '1. b'],
      [3, 'd', 1, '3. d'],
      [2, 'c', 0.707107, '2. c'],
      [0, 'a', 0, '0. a'],
    ],
  );
  // A zero vector scores 0 rather than NaN.
  assert.equal(
    rankOptions(
      new Float32Array([0, 0]),
      [new Float32Array([1, 0]), new Float32Array([0, 1])],
      options.slice(0, 2),
    )[0].score,
    0,
  );
  assert.throws(
    () => rankOptions(new Float32Array([1]), [new Float32Array([1])], options),
    /1 vectors for 4 options/,
  );
  assert.throws(
    () => rankOptions(new Float32Array([1]), [new Float32Array([1, 0])], options.slice(0, 1)),
    /different sizes/,
  );
});

test('similarityBlock: the reference layout with the original option lines', () => {
  const s = split(ROWS[64].input_field);
  const vectors = s.options.map(
    (o) => new Float32Array([o.number === 3 ? 1 : 0.5, o.number === 3 ? 0 : 1]),
  );
  const block = similarityBlock(
    rankOptions(new Float32Array([1, 0]), vectors, s.options),
    2,
    DEFAULT_SIMILARITY_WORDING,
  );
  assert.equal(
    block,
    '\n[External information]\nThe following items are very important and have a strong relevance to the query, and ranked by relevance.\n' +
      '3. Rough Country 2.5" Lift Kit (fits) 1997-2006 Jeep Wrangler TJ LJ | 6 CYL | N3 Shocks | Suspension System | 653.20\n' +
      '1. Supreme Suspensions - Front Leveling Kit for 2002-2007 Jeep Liberty KJ and 2008-2012 Jeep Liberty KK 2.5" Front Lift High-Strength Carbon Steel Strut Spacers 2WD 4WD\n',
  );
  // Plain OptionScores (no line) are written "N. text"; k beyond the list takes all; k 0 gives nothing.
  const plain = [
    { number: 2, text: 'x', score: 0.9 },
    { number: 0, text: 'y', score: 0.1 },
  ];
  assert.equal(similarityBlock(plain, 5, 'Hint.'), '\n[External information]\nHint.\n2. x\n0. y\n');
  assert.equal(similarityBlock(plain, 0, 'Hint.'), '');
});
