import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  closeRelative,
  expectedNumber,
  vectorsNamed,
  type ParityVector,
} from '../../support/parityVectors';
import { loadJapaneseTokenizer } from '../../../server/scoring/official/japaneseTokenizer';
import { pySliceCodePoints, pyStrip } from '../../../server/scoring/python/pythonText';
import {
  correctlyRoundedExp,
  correctlyRoundedLog,
  officialBleu,
  officialFirstLine,
  preprocessSegment,
  sentenceBleu,
  sentenceBleuScore,
  tokenize13a,
  type BleuTokenizer,
} from '../../../server/scoring/official/sacreBleu';

/** The README's tolerance for BLEU (pow/log/exp). */
const REL = 1e-12;
const FIMO = 'Fimo Soft Starter Pack 12 x 56g Multicolour Blocks by Steadtler';

async function japaneseTokenize(): Promise<BleuTokenizer> {
  const tokenizer = await loadJapaneseTokenizer();
  return (text) => tokenizer.tokenize(text);
}

function stringField(record: Record<string, unknown> | undefined, key: string, id: string): string {
  const value = record?.[key];
  if (typeof value !== 'string') throw new Error(`${id}: ${key} is not a string`);
  return value;
}

function numbersField(record: Record<string, unknown>, key: string): number[] | undefined {
  const value = record[key];
  return Array.isArray(value) ? value.map(expectedNumber) : undefined;
}

function assertClose(actual: number, expected: number, what: string): void {
  assert.ok(closeRelative(actual, expected, REL), `${what}: got ${actual}, expected ${expected}`);
}

/** The intermediate values the vector recorded from sacrebleu, where present. */
function checkDebug(
  v: ParityVector,
  firstLine: string,
  reference: string,
  tokenize: BleuTokenizer,
): void {
  const debug = v.debug;
  if (debug === undefined) return;
  if (typeof debug.first_line === 'string') assert.equal(firstLine, debug.first_line, 'first line');
  if (typeof debug.hyp_tokens === 'string') {
    assert.equal(
      preprocessSegment(firstLine, tokenize, true),
      debug.hyp_tokens,
      'hypothesis tokens',
    );
  }
  if (typeof debug.ref_tokens === 'string') {
    assert.equal(
      preprocessSegment(reference, tokenize, true),
      debug.ref_tokens,
      'reference tokens',
    );
  }
  const bleu = sentenceBleu(firstLine, reference, tokenize);
  for (const key of ['counts', 'totals'] as const) {
    const expected = numbersField(debug, key);
    if (expected !== undefined) assert.deepEqual(bleu[key], expected, key);
  }
  if (debug.sys_len !== undefined)
    assert.equal(bleu.sys_len, expectedNumber(debug.sys_len), 'sys_len');
  if (debug.ref_len !== undefined)
    assert.equal(bleu.ref_len, expectedNumber(debug.ref_len), 'ref_len');
  if (debug.bp !== undefined) assertClose(bleu.bp, expectedNumber(debug.bp), 'brevity penalty');
  numbersField(debug, 'precisions')?.forEach((p, i) =>
    assertClose(bleu.precisions[i], p, `precision ${i + 1}`),
  );
  if (debug.sacrebleu_score !== undefined)
    assertClose(bleu.score, expectedNumber(debug.sacrebleu_score), 'sacrebleu score');
}

/** One bleu / jp_bleu vector: `calculate_bleu_score(generated_text, reference_text[, is_japanese])`. */
function checkMetricVector(v: ParityVector, tokenize: BleuTokenizer): number {
  const generation = stringField(v.inputs, 'generated_text', v.id);
  const reference = stringField(v.inputs, 'reference_text', v.id);
  if (v.raises !== undefined) {
    assert.throws(() => officialBleu(generation, reference, tokenize));
    return Number.NaN;
  }
  checkDebug(v, officialFirstLine(generation), reference, tokenize);
  const score = officialBleu(generation, reference, tokenize);
  assertClose(score, expectedNumber(v.expected), 'score');
  return score;
}

/** `ShoppingBenchTaskParsers("generation").parse`: cut to 5000 code points, then `strip()`. */
function parseGeneration(response: string): string {
  return pyStrip(pySliceCodePoints(response, 5000));
}

const bleuPipelines = vectorsNamed('metric', 'pipeline').filter(
  (v) => v.inputs.metric === 'bleu' || v.inputs.metric === 'jp-bleu',
);

async function pipelineScore(v: ParityVector): Promise<number> {
  const parsed = parseGeneration(stringField(v.inputs, 'response', v.id));
  if (typeof v.debug?.parsed === 'string') assert.equal(parsed, v.debug.parsed, 'parsed response');
  const tokenize = v.inputs.metric === 'jp-bleu' ? await japaneseTokenize() : tokenize13a;
  return officialBleu(parsed, stringField(v.inputs, 'truth', v.id), tokenize);
}

test('the parity fixtures hold BLEU, Japanese BLEU and BLEU pipeline vectors', () => {
  assert.ok(vectorsNamed('metric', 'bleu').length > 0);
  assert.ok(vectorsNamed('metric', 'jp_bleu').length > 0);
  assert.ok(bleuPipelines.length > 0);
});

for (const v of vectorsNamed('metric', 'bleu')) {
  test(`bleu ${v.id}: ${v.note}`, () => {
    checkMetricVector(v, tokenize13a);
  });
}

for (const v of vectorsNamed('metric', 'jp_bleu')) {
  test(`jp_bleu ${v.id}: ${v.note}`, async () => {
    checkMetricVector(v, await japaneseTokenize());
  });
}

for (const v of bleuPipelines) {
  test(`pipeline ${v.id} (${String(v.inputs.metric)})`, async () => {
    assertClose(await pipelineScore(v), expectedNumber(v.expected), 'score');
  });
}

test('every BLEU vector is reproduced bit for bit', async () => {
  const japanese = await japaneseTokenize();
  const metric = [
    ...vectorsNamed('metric', 'bleu').map((v) => ({ v, tokenize: tokenize13a })),
    ...vectorsNamed('metric', 'jp_bleu').map((v) => ({ v, tokenize: japanese })),
  ];
  for (const { v, tokenize } of metric) {
    assert.equal(checkMetricVector(v, tokenize), expectedNumber(v.expected), v.id);
  }
  for (const v of bleuPipelines)
    assert.equal(await pipelineScore(v), expectedNumber(v.expected), v.id);
});

test('the scorer quirks: exact match overshoots 1, short hypotheses score 0', () => {
  assert.equal(officialBleu(FIMO, FIMO), 1.0000000000000004);
  assert.equal(officialBleu('Fimo Soft Starter', FIMO), 0);
  assert.equal(officialBleu('', FIMO), 0);
  // A hypothesis with 4-grams but no matching bigram still gets the exp-smoothed score.
  assert.ok(sentenceBleuScore('Fimo Pack Soft x Starter 12', FIMO) > 0);
});

test('only the first line of the generation counts, after stripping newlines only', () => {
  assert.equal(officialFirstLine('\n\nfirst line\nsecond\n'), 'first line');
  assert.equal(officialFirstLine(' \nText'), ' ');
  assert.equal(officialBleu(` \n${FIMO}`, FIMO), 0);
  assert.equal(officialBleu(`\r\n${FIMO}`, FIMO), 0);
  assert.equal(officialBleu(`${FIMO}\nignored`, FIMO), 1.0000000000000004);
});

test('the reference is not cut to one line and an empty one is rejected', () => {
  assert.equal(sentenceBleu(FIMO, `${FIMO}\nmore words here`).ref_len, 14);
  assert.throws(() => officialBleu(FIMO, ''), /Empty or `None` reference/);
});

test('13a tokenizer matches sacrebleu on its special cases', () => {
  // Expected strings from the Python implementation.
  assert.equal(tokenize13a('Multi-\nColour pack'), 'MultiColour pack');
  assert.equal(
    tokenize13a('Tom &amp; Jerry &amp;quot;classic&amp;quot;'),
    'Tom & Jerry & quot ; classic & quot ;',
  );
  assert.equal(tokenize13a('x &lt;y&gt; &quot;z&quot;'), 'x < y > " z "');
  assert.equal(tokenize13a('a<skipped>b c'), 'ab c');
  assert.equal(tokenize13a('Size 1,000.5 mm, 3-4 pcs.'), 'Size 1,000.5 mm , 3 - 4 pcs .');
  // Python's str.split(): U+001C, U+0085 and U+3000 separate words; U+FEFF does not.
  assert.equal(tokenize13a('a\x1cb\u3000c\ufeffd\x85e'), 'a b c\ufeffd e');
});

test('lower-casing is Python lower() before tokenizing', () => {
  assert.equal(
    preprocessSegment('ÉLECTRIQUE İstanbul ΣΑΣ', tokenize13a, true),
    'électrique i̇stanbul σας',
  );
});

test('exp and log round like glibc where V8 does not', () => {
  // Values from CPython's math.exp/math.log; V8's Math.exp/Math.log differ in the last bit.
  assert.equal(correctlyRoundedExp(1 - 24 / 9), 0.18887560283756186);
  assert.equal(correctlyRoundedExp(-42.609966573817935), 3.124112344469827e-19);
  assert.equal(correctlyRoundedExp(-14.16238650024804), 7.068930183517992e-7);
  assert.equal(correctlyRoundedLog(188.49005675541005), 5.239045256188603);
  assert.equal(correctlyRoundedLog(93.12453087562108), 4.533937639109811);
  assert.equal(correctlyRoundedLog(0.3549724405069288), -1.0357151248951186);
  assert.equal(correctlyRoundedLog(100), 4.605170185988092);
  assert.equal(correctlyRoundedExp(0), 1);
  assert.equal(correctlyRoundedLog(1), 0);
  assert.equal(correctlyRoundedExp(-800), 0);
});

test('Japanese tokenizer segments like MeCab 0.996 with ipadic 2.7.0-20070801', async () => {
  const { tokenize } = await loadJapaneseTokenizer();
  // Reference output of `mecab -Owakati` (0.996, mecab-ipadic 2.7.0-20070801); plain kuromoji
  // differs on all but the first.
  const cases: [string, string][] = [
    ['すもももももももものうち', 'すもも も もも も もも の うち'],
    // Whole line analyzed at once: kuromoji alone would split after "。".
    ["ふりまわす淡河'{♪。「公官洲", "ふりまわす 淡河 '{♪。「 公官洲"],
    // Unknown kanji get MeCab's 2-character candidates.
    ['閺柫馸ー訔赭厽鵁詟鼱長渕上都賀病院', '閺柫 馸 ー 訔赭 厽鵁 詟鼱 長渕 上都賀 病院'],
    // Spaces and tabs vanish; U+3000 is a SYMBOL word (later dropped by str.split()).
    ['rd見入りゃ案の定　  \t  小・中学生', 'rd 見入りゃ 案の定 　 小・中学生'],
    // Carriage return and characters outside the BMP are DEFAULT, which groups.
    ['東開マポギラ詰る塩川𠮷€\rü😀', '東開 マポギラ 詰る 塩川 𠮷 € \r ü 😀'],
    ['はぐくめれ漁網ジペーヷ😀\f٣', 'はぐくめ れ 漁網 ジペーヷ 😀\f٣'],
  ];
  for (const [text, expected] of cases) assert.equal(tokenize(text), expected, text);
  // sacrebleu strips the line first and the output after.
  assert.equal(tokenize('  \n'), '');
});

test('the Japanese tokenizer is built once per process', async () => {
  const first = loadJapaneseTokenizer();
  assert.equal(loadJapaneseTokenizer(), first);
  assert.equal(await first, await loadJapaneseTokenizer());
});
