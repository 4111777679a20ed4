import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ShopBenchRow } from '../../../server/dataset/shopbench';
import {
  applyTemplate,
  generationRole,
  loadUserTemplates,
  originalText,
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
    { text: 'Response (limit to 30 words):', source: 'template', replaces: 'Output:' },
    { text: ' \n', source: 'original' },
  ]);
  assert.deepEqual(applyTemplate('none', ROWS[75]).answerCue, [
    { text: 'Answer: ', source: 'original' },
  ]);
});

test('paper relation rewrite: only when every option is a relation word', () => {
  const t = applyTemplate('paper', ROWS[58]); // 0. narrowing 1. substitute 2. irrelevant 3. complement
  assert.deepEqual(
    t.question.filter((s) => s.source === 'template'),
    [
      {
        text: 'product2 is a further search of product1',
        source: 'template',
        replaces: 'narrowing',
      },
      { text: 'product1 and product2 are similar', source: 'template', replaces: 'substitute' },
      { text: 'product1 and product2 are irrelevant', source: 'template', replaces: 'irrelevant' },
      {
        text: 'Users who buy product1 may also buy product2',
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
});

test('generation roles are chosen by keywords of the first line, quoted names ignored', () => {
  assert.match(generationRole(ROWS[87].input_field), /marketing specialist/); // "Generate an adequate title"
  assert.match(generationRole(ROWS[28].input_field), /customer who has bought/); // user review
  assert.match(generationRole(ROWS[1].input_field), /helpful e-commerce assistant/);
  assert.match(
    generationRole("Please recommend a gift for 'Review Pack'"),
    /personal shopping assistant/,
  );
  assert.match(generationRole('Answer the question about the product.'), /customer service/);
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

test('loadUserTemplates: clear errors naming the file and the field', async () => {
  const cases: [string, RegExp][] = [
    ['{', /not valid JSON/],
    ['[]', /top level must be an object/],
    ['{"mcq": {}}', /"mcq" is not a task type/],
    ['{"ranking": "x"}', /"ranking" must be an object/],
    ['{"ranking": {"sytem": "x"}}', /"ranking.sytem" is not a template field/],
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
