import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pySplitWhitespace } from '../../../server/scoring/python/pythonText';
import { tokenize13a, unescape13a } from '../../../server/scoring/official/sacreBleu';
import { mulberry32 } from '../../../server/util/seededRandom';

/** sacrebleu 2.4.1's 13a tokenizer with its regular expressions: the oracle for the passes. */
function regex13a(line: string): string {
  const s = unescape13a(line);
  const spaced = ` ${s} `
    .replace(/([\x7b-\x7e\x5b-\x60\x20-\x26\x28-\x2b\x3a-\x40\x2f])/gu, ' $1 ')
    .replace(/([^0-9])([.,])/gu, '$1 $2 ')
    .replace(/([.,])([^0-9])/gu, ' $1 $2')
    .replace(/([0-9])(-)/gu, '$1 $2 ');
  return pySplitWhitespace(spaced).join(' ');
}

/** Characters that the passes treat specially, next to each other in every combination. */
const ALPHABET = [
  ...'.,-0123456789aZ \'"&;<>/()[]{}!?:@#$%^_`|~*+=\n\t',
  '<skipped>',
  '&amp;',
  '&quot;',
  '\u00a0',
  '\u3000',
  '\u0085',
  'é',
  '\ud83d\ude00', // a surrogate pair: one code point for [^0-9]
  '\ud800', // a lone surrogate
  '\udc00',
];

test('13a tokenizer: the typed-array passes equal sacrebleu regular expressions on random text', () => {
  const random = mulberry32(13);
  for (let round = 0; round < 20_000; round++) {
    const length = Math.floor(random() * 16);
    let line = '';
    for (let i = 0; i < length; i++) line += ALPHABET[Math.floor(random() * ALPHABET.length)];
    assert.equal(tokenize13a(line), regex13a(line), JSON.stringify(line));
  }
});

test('13a tokenizer: long lines and long tokens', () => {
  const long = 'word. 3-4, x,y '.repeat(5000) + 'z'.repeat(70_000) + '.';
  assert.equal(tokenize13a(long), regex13a(long));
});

test('13a tokenizer: runs of periods and commas between digits and non-digits, dashes after digits', () => {
  // The one-pass tokenizer derives where passes 2-4 put spaces from each run's neighbours (see
  // sacreBleu.ts): every run length from 1 to 5, each neighbour a digit, a letter, a space, a
  // pass-1 punctuation character or the line's end, and dashes around digits.
  const sides = ['', '1', 'a', ' ', '(', '-', '1-'];
  for (let k = 1; k <= 5; k++)
    for (const run of ['.', ','].flatMap((first) =>
      ['.', ','].map((second) => (first + second).repeat(k).slice(0, k)),
    ))
      for (const left of sides)
        for (const right of sides) {
          const line = `x${left}${run}${right}y ${left}${run}${right}`;
          assert.equal(tokenize13a(line), regex13a(line), JSON.stringify(line));
        }
  for (const line of ['7.1', '1,000.5', 'a..5', '1.,2', '5--3', '3-a', 'a-3', '1.5-2', '-5', '9-'])
    assert.equal(tokenize13a(line), regex13a(line), line);
  assert.equal(
    tokenize13a('a..5 1.,2 5--3 well-known 7.1'),
    'a . .5 1 . , 2 5 - -3 well-known 7.1',
  );
});

test('13a tokenizer: longer random lines rich in digits, periods, commas and dashes', () => {
  const random = mulberry32(1313);
  const dense = [...'.,.,-0123a ', '(', 'é', '\n'];
  for (let round = 0; round < 20_000; round++) {
    const length = Math.floor(random() * 40);
    let line = '';
    for (let i = 0; i < length; i++) line += dense[Math.floor(random() * dense.length)];
    assert.equal(tokenize13a(line), regex13a(line), JSON.stringify(line));
  }
});
