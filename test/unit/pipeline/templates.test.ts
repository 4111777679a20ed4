import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ShopBenchRow } from '../../../server/dataset/shopbench';
import {
  applyTemplate,
  DEFAULT_GENERATION_ROLE,
  GENERATION_ROLES,
  generationRole,
  loadUserTemplates,
  originalText,
  PAPER_PROMPT_PARTS,
  parsePromptParts,
} from '../../../server/pipeline/templates';
import { sampleRows } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';

const ROWS: ShopBenchRow[] = sampleRows();

function tmpJson(text: string): string {
  const dir = tempDir('mcpo-tpl-');
  const file = path.join(dir, 'templates.json');
  fs.writeFileSync(file, text);
  return file;
}

test('every sample row, both presets: segments stand for exactly the original prompt', () => {
  for (const row of ROWS) {
    for (const preset of ['none', 'paper'] as const) {
      const t = applyTemplate(preset, row);
      assert.equal(originalText(t.system), '');
      assert.equal(originalText(t.question) + originalText(t.answerCue), row.input_field);
      if (preset === 'none') {
        assert.deepEqual(t.system, []);
        assert.ok([...t.question, ...t.answerCue].every((s) => s.source === 'original'));
      }
    }
  }
});

test('the answer cue is split off: label replaced, trailing whitespace kept', () => {
  const t = applyTemplate('paper', ROWS[28]); // task6 ends "Output: \n"
  assert.deepEqual(t.answerCue, [
    { text: 'Response (limit to 30 words)', source: 'template', replaces: 'Output' },
    { text: ': \n', source: 'original' },
  ]);
  assert.deepEqual(applyTemplate('none', ROWS[75]).answerCue, [
    { text: 'Answer: ', source: 'original' },
  ]);
});

test('paper relation rewrite: the two quoted names, only when every option is a relation word', () => {
  const t = applyTemplate('paper', ROWS[58]); // "kitkat" to "cookies": 0. narrowing 1. substitute 2. irrelevant 3. complement
  assert.deepEqual(
    t.question.filter((s) => s.source === 'template'),
    [
      { text: 'cookies is a further search of kitkat', source: 'template', replaces: 'narrowing' },
      { text: 'kitkat and cookies are similar', source: 'template', replaces: 'substitute' },
      { text: 'kitkat and cookies are irrelevant', source: 'template', replaces: 'irrelevant' },
      {
        text: 'Users who buy kitkat may also buy cookies',
        source: 'template',
        replaces: 'complement',
      },
    ],
  );
  const mixed: ShopBenchRow = {
    ...ROWS[58],
    input_field: 'Which?\n0. complement\n1. chair\nAnswer: ',
  };
  assert.ok(applyTemplate('paper', mixed).question.every((s) => s.source === 'original'));
  // Names that cannot be extracted (one quoted name; a single quote, as the reference requires
  // none): the question is left as it is, with a note.
  for (const input of [
    'Which of the following statements best describes the relation from query "kitkat" to cookies?\n0. irrelevant\n1. substitute\nAnswer: ',
    'Which of the following statements best describes the relation from query "men\'s socks" to query "socks"?\n0. irrelevant\n1. substitute\nAnswer: ',
  ]) {
    const left = applyTemplate('paper', { ...ROWS[58], input_field: input });
    assert.ok(
      left.question.every((s) => s.source === 'original'),
      input,
    );
    assert.match(left.notes.join(), /could not be extracted/);
  }
  // Prompt2 off: Prompt1 only.
  const p1 = applyTemplate('paper', ROWS[58], { ...PAPER_PROMPT_PARTS, 'multiple-choice': [1] });
  assert.ok(p1.question.every((s) => s.source === 'original'));
  assert.equal(p1.system.length, 1);
});

test('generation roles as the reference behaves on the whole lower-cased prompt', () => {
  const role = (keyword: string): string =>
    GENERATION_ROLES.find((r) => r.keyword === keyword)!.role;
  assert.equal(
    generationRole('Write a Product Description for this lamp.'),
    role('product description'),
  );
  assert.equal(generationRole('Give a RECOMMENDATION.\nOutput:'), role('recommendation'));
  assert.equal(generationRole('Draft an email to the buyer.'), role('email'));
  // Keywords anywhere, not only the first line; the first match in the reference's order wins.
  assert.equal(generationRole('Task.\nAn email with a recommendation'), role('recommendation'));
  // The reference's review and Q&A branches never match: a keyphrase task gets the default role.
  assert.equal(generationRole(ROWS[28].input_field), DEFAULT_GENERATION_ROLE);
  assert.equal(generationRole('Write a customer Review. FAQ answer'), DEFAULT_GENERATION_ROLE);
  assert.equal(
    DEFAULT_GENERATION_ROLE,
    'You are assistant in online e-commerce. Now you need to answer the generation task based on the following instruct.',
  );
  assert.equal(
    role('product description'),
    'You are a marketing specialist. Write a detailed and persuasive product description based on the following instructions.',
  );
});

test('prompt parts: Prompt3 of retrieval and ranking is its own line before the cue; parts are parsed with clear errors', () => {
  const parts = parsePromptParts(
    'retrieval=1,2,3;ranking=3',
    PAPER_PROMPT_PARTS,
    (m) => new Error(m),
  );
  assert.deepEqual(parts.retrieval, [1, 2, 3]);
  assert.deepEqual(parts.ranking, [3]);
  assert.deepEqual(parts['multiple-choice'], [1, 2]);
  const ranking = applyTemplate('paper', ROWS[64], parts);
  assert.deepEqual(ranking.system, []);
  const last = ranking.question[ranking.question.length - 1];
  assert.deepEqual(last, {
    text: 'Only respond with the ranking results. Do not say any word or explanations\n',
    source: 'template',
  });
  assert.deepEqual(parsePromptParts('none', PAPER_PROMPT_PARTS, (m) => new Error(m)).ranking, []);
  assert.deepEqual(
    parsePromptParts('mcq=2', PAPER_PROMPT_PARTS, (m) => new Error(m))['multiple-choice'],
    [2],
  );
  for (const [spec, message] of [
    ['mcq=3', /3 is not a prompt part of multiple-choice \(available: 1, 2\)/],
    ['ner=1', /not a prompt part of named_entity_recognition \(it has none\)/],
    ['retreival=1', /"retreival" is not a task type/],
    ['ranking', /not TASKTYPE=PARTS/],
  ] as const) {
    assert.throws(() => parsePromptParts(spec, PAPER_PROMPT_PARTS, (m) => new Error(m)), message);
  }
});

test('NER has no paper template and says so', () => {
  const t = applyTemplate('paper', ROWS[12]);
  assert.deepEqual(t.system, []);
  assert.match(t.notes.join(), /no NER template/);
});

test('user templates: system gets a newline, the cue is replaced, other task types untouched', async () => {
  const file = tmpJson(
    JSON.stringify({ 'multiple-choice': { system: 'Be careful.', answerCue: 'Option number:' } }),
  );
  const templates = await loadUserTemplates(file);
  const t = applyTemplate(templates, ROWS[4]);
  assert.deepEqual(t.system, [{ text: 'Be careful.\n', source: 'template' }]);
  assert.deepEqual(t.answerCue, [
    { text: 'Option number:', source: 'template', replaces: 'Answer:' },
    { text: ' ', source: 'original' },
  ]);
  const other = applyTemplate(templates, ROWS[64]);
  assert.deepEqual(other.system, []);
  assert.match(other.notes.join(), /no user template for task type ranking/);
});

test('user templates: "parts" switches the paper\'s parts for that task type', async () => {
  const templates = await loadUserTemplates(tmpJson('{"retrieval": {"parts": [1]}}'));
  const t = applyTemplate(templates, ROWS[36]);
  assert.deepEqual(
    t.system.map((s) => s.text),
    [
      'This is a retrieval question. You are a highly skilled online shopping assistant and a professional product retrieval expert. Your goal is to help consumers quickly and accurately identify products that meet their specific needs. You provide a clear and concise list of retrieval results, including the product name, key attributes, and how they meet the requirements. Please analyze the following request and deliver accurate retrieval results.\n\n',
    ],
  );
});

test('loadUserTemplates: clear errors naming the file and the field', async () => {
  const cases: [string, RegExp][] = [
    ['{', /not valid JSON/],
    ['[]', /top level must be an object/],
    ['{"mcq": {}}', /"mcq" is not a task type/],
    ['{"ranking": "x"}', /"ranking" must be an object/],
    ['{"ranking": {"sytem": "x"}}', /"ranking.sytem" is not a template field/],
    ['{"ranking": {"parts": [4]}}', /"ranking.parts": 4 is not a prompt part of ranking/],
    ['{"ranking": {"parts": [1], "system": "x"}}', /both "parts"/],
    ['{"generation": {"answerCue": 3}}', /"generation.answerCue" must be a string/],
  ];
  for (const [text, message] of cases) {
    const file = tmpJson(text);
    await assert.rejects(
      loadUserTemplates(file),
      (e: Error) => e.message.startsWith(`${file}: `) && message.test(e.message),
    );
  }
  await assert.rejects(
    loadUserTemplates('/no/such/templates.json'),
    /\/no\/such\/templates.json: cannot read/,
  );
});
