import { test } from 'node:test';
import assert from 'node:assert/strict';
import { porterStem } from '../../../server/scoring/official/porterStemmer';
import { pySliceCodePoints, pyStrip } from '../../../server/scoring/python/pythonText';
import { rougeLFMeasure, rougeTokens } from '../../../server/scoring/official/rougeL';
import { expectedNumber, loadParityVectors, vectorsNamed } from '../../support/parityVectors';

/** The generation parser cuts to 5000 code points before stripping (parity README, surprise 6). */
const GENERATION_MAX_CODE_POINTS = 5000;

function stringInput(inputs: Record<string, unknown>, key: string): string {
  const value = inputs[key];
  if (typeof value !== 'string')
    throw new Error(`input ${key} is not a string: ${JSON.stringify(value)}`);
  return value;
}

function optionalTokens(
  debug: Record<string, unknown> | undefined,
  key: string,
): string[] | undefined {
  const value = debug?.[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((t): t is string => typeof t === 'string')) {
    throw new Error(`debug.${key} is not a list of strings`);
  }
  return value;
}

test('every rougel parity vector: tokens and exact F-measure', () => {
  const vectors = vectorsNamed('metric', 'rougel');
  assert.ok(vectors.length > 0, 'no rougel vectors found');
  for (const v of vectors) {
    const generation = stringInput(v.inputs, 'generation');
    const truth = stringInput(v.inputs, 'truth');
    const generationTokens = optionalTokens(v.debug, 'generation_tokens');
    const truthTokens = optionalTokens(v.debug, 'truth_tokens');
    if (generationTokens)
      assert.deepEqual(rougeTokens(generation), generationTokens, `${v.id} generation tokens`);
    if (truthTokens) assert.deepEqual(rougeTokens(truth), truthTokens, `${v.id} truth tokens`);
    assert.equal(
      rougeLFMeasure(generation, truth),
      expectedNumber(v.expected),
      `${v.id} (${v.note})`,
    );
  }
});

test('every rougel pipeline vector: generation parser then exact F-measure', () => {
  const vectors = loadParityVectors().filter(
    (v) => v.name === 'pipeline' && v.inputs.metric === 'rougel',
  );
  assert.ok(vectors.length > 0, 'no rougel pipeline vectors found');
  for (const v of vectors) {
    const parsed = pyStrip(
      pySliceCodePoints(stringInput(v.inputs, 'response'), GENERATION_MAX_CODE_POINTS),
    );
    if (typeof v.debug?.parsed === 'string') assert.equal(parsed, v.debug.parsed, `${v.id} parsed`);
    const score = rougeLFMeasure(parsed, stringInput(v.inputs, 'truth'));
    assert.equal(score, expectedNumber(v.expected), `${v.id} (${v.note})`);
  }
});

test('Porter stemmer matches NLTK on well-known words', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['generously', 'gener'],
    ['running', 'run'],
    ['dying', 'die'],
    ['skies', 'sky'],
    ['news', 'news'],
    ['sky', 'sky'],
    ['conditional', 'condit'],
    ['happiness', 'happi'],
    ['caresses', 'caress'],
    ['ponies', 'poni'],
    ['dies', 'die'],
    ['flies', 'fli'],
    ['feed', 'feed'],
    ['agreed', 'agre'],
    ['hopping', 'hop'],
    ['falling', 'fall'],
    ['filing', 'file'],
    ['happy', 'happi'],
    ['enjoy', 'enjoy'],
    ['relational', 'relat'],
    ['comfortable', 'comfort'],
    ['overall', 'overal'],
    ['proceed', 'proceed'],
    ['1990s', '1990'],
  ];
  for (const [word, stem] of cases) assert.equal(porterStem(word), stem, word);
});

test('Porter stemmer lower-cases but looks the original word up in the irregular pool', () => {
  assert.equal(porterStem('Running'), 'run');
  // NLTK checks `word in pool` before lowering, so "SKIES" takes the normal path.
  assert.equal(porterStem('SKIES'), 'ski');
  assert.equal(porterStem('Is'), 'is');
});

test('tokenizer edge cases: non-ASCII dropped, digits kept, Kelvin sign, only >3 chars stemmed', () => {
  assert.deepEqual(rougeTokens('Größe'), ['gr', 'e']);
  assert.deepEqual(rougeTokens('サイズ 大きい'), []);
  // U+212A KELVIN SIGN lower-cases to ASCII "k", so it survives the [a-z0-9] filter.
  assert.deepEqual(rougeTokens('\u212A'), ['k']);
  assert.deepEqual(rougeTokens('5\u212Ag bags'), ['5kg', 'bag']);
  assert.deepEqual(rougeTokens('USB-C 3.0 cables_x2'), ['usb', 'c', '3', '0', 'cabl', 'x2']);
  // "ies" has three characters, so it is not stemmed; "dies" is.
  assert.deepEqual(rougeTokens('ies dies'), ['ies', 'die']);
  assert.deepEqual(rougeTokens('  \t\n '), []);
});

test('F-measure zero and symmetric cases', () => {
  assert.equal(rougeLFMeasure('', 'anything'), 0);
  assert.equal(rougeLFMeasure('日本語', '日本語'), 0);
  assert.equal(rougeLFMeasure('alpha', 'beta'), 0);
  assert.equal(rougeLFMeasure('a b c d', 'a c'), (2 * 1 * 0.5) / 1.5);
  assert.equal(
    rougeLFMeasure('the cat sat on the mat', 'the mat the cat'),
    (2 * 0.5 * (2 / 6)) / (0.5 + 2 / 6),
  );
});
