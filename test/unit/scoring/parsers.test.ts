import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseMultipleChoice,
  parseNamedEntities,
  parseRanking,
  parseResponse,
  parseRetrieval,
} from '../../../server/scoring/official/parsers';
import type { TaskType } from '../../../server/dataset/shopbench';
import { vectorsNamed } from '../../support/parityVectors';

const PARSER_TASK_TYPE: Record<string, TaskType> = {
  multichoice: 'multiple-choice',
  ranking: 'ranking',
  retrieval: 'retrieval',
  generation: 'generation',
  named_entity_recognition: 'named_entity_recognition',
};

for (const [parser, taskType] of Object.entries(PARSER_TASK_TYPE)) {
  test(`official ${parser} parser: every parity vector`, () => {
    const vectors = vectorsNamed('parser', parser);
    assert.ok(vectors.length > 0);
    for (const v of vectors) {
      const response = v.inputs.response as string;
      assert.deepEqual(
        parseResponse(taskType, response).value,
        v.expected,
        `${v.id} (${v.note}): ${JSON.stringify(response)}`,
      );
    }
  });
}

test('multiple choice reads only the first character and says so', () => {
  const parsed = parseMultipleChoice('10');
  assert.equal(parsed.value, 1);
  assert.match(parsed.warnings.join('\n'), /"10" parsed as option 1/);
  assert.deepEqual(parseMultipleChoice('2').warnings, []);
  assert.equal(parseMultipleChoice('Answer: 2').value, -1);
  assert.match(parseMultipleChoice('Answer: 2').warnings[0], /starts with "A"/);
});

test('multiple choice accepts any Unicode decimal digit but not other numerals', () => {
  assert.equal(parseMultipleChoice('\u0663').value, 3);
  assert.equal(parseMultipleChoice('\uff13').value, 3);
  assert.equal(parseMultipleChoice('\u{1d7d1}').value, 3); // mathematical bold digit three
  assert.equal(parseMultipleChoice('\u00b3').value, -1); // superscript three: isnumeric but int() refuses
  assert.equal(parseMultipleChoice('\u2462').value, -1); // circled three
});

test('Python whitespace, not JavaScript whitespace, is stripped', () => {
  assert.equal(parseMultipleChoice('\u001c\u00852').value, 2); // Python strips these
  assert.equal(parseMultipleChoice('\ufeff2').value, -1); // JS trim() would strip U+FEFF, Python does not
});

test('the 5000-character cut counts code points and happens before stripping', () => {
  assert.equal(parseResponse('multiple-choice', ' '.repeat(5000) + '3').value, -1);
  assert.equal(parseResponse('multiple-choice', ' '.repeat(4999) + '3').value, 3);
  // 4999 emoji (two UTF-16 units each) then a digit: still within 5000 code points.
  const emoji = '\u{1f600}'.repeat(4999);
  assert.deepEqual(parseResponse('retrieval', emoji + '7').value, [7]);
  assert.deepEqual(parseResponse('retrieval', emoji + '\u{1f600}7').value, []);
});

test('ranking and retrieval delete characters instead of splitting on them', () => {
  assert.deepEqual(parseRanking('1\n2\n3').value, []);
  assert.match(parseRanking('1\n2\n3').warnings.join('\n'), /single number 123/);
  assert.deepEqual(parseRetrieval('1\n2\n3').value, [123]);
  assert.deepEqual(parseRetrieval('1.5').value, [15]);
  assert.deepEqual(parseRetrieval('-5').value, [5]);
  assert.deepEqual(parseRetrieval('1 2 3').value, []);
  assert.deepEqual(parseRanking('1, 1').value, []);
  assert.match(parseRanking('1, 1').warnings.join('\n'), /appears twice/);
  // Superscript digits pass isnumeric() but not int(): that item is skipped, not its neighbours.
  assert.deepEqual(parseRetrieval('1\u00b2, 4').value, [4]);
  // CJK numerals are isnumeric() too, so they stay in the item and make int() fail.
  assert.deepEqual(parseRetrieval('1\u4e00, 4').value, [4]);
  // More than 4300 digits: Python's int() refuses.
  assert.deepEqual(parseRetrieval('1'.repeat(4301) + ', 4').value, [4]);
});

test('NER list literals: decoded like Python, unstripped, duplicates and blanks kept', () => {
  assert.deepEqual(
    parseNamedEntities("[' a ', '', 'a', \"b\\tc\", 'd' 'e', r'\\n', '\\x41\\u00e9\\101']").value,
    [' a ', '', 'a', 'b\tc', 'de', '\\n', 'A\u00e9A'],
  );
  assert.deepEqual(parseNamedEntities("[\n  'x',  # a comment\n  'y',\n]\n").value, ['x', 'y']);
  assert.deepEqual(parseNamedEntities(" \t['x']").value, ['x']);
  assert.deepEqual(parseNamedEntities("\n['x']").value, ['x']);
  assert.deepEqual(parseNamedEntities("(['x'])").value, ['x']);
  assert.deepEqual(parseNamedEntities('[]').value, []);
});

test('NER fallback: anything but a list of str is split at commas', () => {
  assert.deepEqual(parseNamedEntities("\n ['x']").value, ["['x']"]); // IndentationError in Python
  assert.deepEqual(parseNamedEntities("['x', 1]").value, ["['x'", '1]']);
  assert.deepEqual(parseNamedEntities("[b'x']").value, ["[b'x']"]);
  assert.deepEqual(parseNamedEntities("[f'x']").value, ["[f'x']"]);
  assert.deepEqual(parseNamedEntities("{'x', 'y'}").value, ["{'x'", "'y'}"]);
  assert.deepEqual(parseNamedEntities("['x'] + ['y']").value, ["['x'] + ['y']"]);
  assert.deepEqual(parseNamedEntities("['x'\u00a0]").value, ["['x'\u00a0]"]);
  assert.deepEqual(parseNamedEntities("['a\nb']").value, ["['a\nb']"]);
  assert.deepEqual(parseNamedEntities('["""a\nb"""]').value, ['a\nb']);
  const unsupported = parseNamedEntities("['\\N{BULLET}']");
  assert.match(unsupported.warnings.join('\n'), /\\N\{\.\.\.\}/);
  assert.match(parseNamedEntities("('x',)").warnings.join('\n'), /brackets and quotes were kept/);
});

test('a lone surrogate counts as one code point in the 5000-character cut', () => {
  // JSON (and Python's json module) allow lone surrogates; Python counts each as one character.
  const lone = '\ud800a'.repeat(2499) + '\ud8007';
  assert.deepEqual(parseResponse('retrieval', lone).value, [7]);
  assert.deepEqual(parseResponse('retrieval', `${lone}8`).value, [7]);
});

test('NER literals: CPython tokenizer corner cases (found by differential fuzzing)', () => {
  assert.deepEqual(parseNamedEntities("\f['a']").value, ['a']); // a form feed resets the indentation
  assert.deepEqual(parseNamedEntities(" \f['a']").value, ['a']);
  assert.deepEqual(parseNamedEntities("\f ['x', 'y']").value, ["['x'", "'y']"]); // indented after the form feed
  assert.deepEqual(parseNamedEntities("['Nike', 'Adidas']\n ").value, ["['Nike'", "'Adidas']"]); // unexpected indent
  assert.deepEqual(parseNamedEntities("['a']\n \n").value, ['a']);
  assert.deepEqual(parseNamedEntities("['a']\n  #c").value, ['a']);
  assert.deepEqual(parseNamedEntities("['a']\\\n").value, ["['a']\\"]); // unexpected EOF
  assert.deepEqual(parseNamedEntities(`${'('.repeat(200)}['a']${')'.repeat(200)}`).value.length, 1);
  assert.deepEqual(parseNamedEntities(`[${'('.repeat(199)}'a'${')'.repeat(199)}]`).value, ['a']);
});
