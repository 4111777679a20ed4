import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INFERENCE_RULES, inferTaskType } from '../../../server/lsp/inferTaskType';
import { sampleRows } from '../../support/sample';

test('agrees with task_type on the 96 ShopBench development questions', (t) => {
  const rows = sampleRows();
  assert.equal(rows.length, 96);
  const misses = rows
    .map((row, i) => ({ i, want: row.task_type, got: inferTaskType(row.input_field) }))
    .filter((r) => r.got.taskType !== r.want);
  t.diagnostic(`agreement ${rows.length - misses.length}/${rows.length}`);
  assert.deepEqual(
    misses.map((m) => `row ${m.i + 1}: ${m.want} inferred as ${m.got.taskType} (${m.got.reason})`),
    [],
  );
});

test('numbered options without an "Answer:" line are a choice, not an open question', () => {
  const got = inferTaskType(
    'Which colour suits a garden bench?\n0. red\n1. green\n2. grey\n3. blue',
  );
  assert.equal(got.taskType, 'multiple-choice');
  assert.match(got.reason, /4 numbered options/);
  assert.doesNotMatch(got.reason, /no options/);
});

test('ordering and several-of wording over options; entities, ratings and open answers without', () => {
  const items = '\n1. a lamp\n2. a desk\n3. a chair\n4. a rug';
  assert.equal(
    inferTaskType(`Rank the products by relevance to "office".${items}`).taskType,
    'ranking',
  );
  assert.equal(
    inferTaskType(`Output a permutation of 1 to 4.${items}\nOutput: `).taskType,
    'ranking',
  );
  assert.equal(
    inferTaskType(`Pick two products the user will buy next.${items}`).taskType,
    'retrieval',
  );
  assert.equal(
    inferTaskType(
      `Which item fits best?${items}\nOutput (answer in three comma-separated numbers): `,
    ).taskType,
    'retrieval',
  );
  assert.equal(
    inferTaskType("Extract the phrases of the entity type 'brand'.\nQuery: asus tablet").taskType,
    'named_entity_recognition',
  );
  // "extract" alone is a keyphrase generation task (ShopBench task6), not entity recognition.
  assert.equal(
    inferTaskType('Please extract the keyphrase from the review.\nReview: soft\nOutput: ').taskType,
    'generation',
  );
  assert.equal(
    inferTaskType('Rate this review on a scale of 1 to 5.\nReview: great\nAnswer: ').taskType,
    'multiple-choice',
  );
  assert.equal(inferTaskType('Write a title for this lamp.').taskType, 'generation');
});

test('the rules are plain data a Python port can read: string patterns, known task types, a catch-all last', () => {
  for (const rule of INFERENCE_RULES) {
    if (rule.pattern !== undefined) {
      assert.equal(typeof rule.pattern, 'string');
      // Constructs Python's re reads differently from JavaScript's are not used.
      assert.doesNotMatch(rule.pattern, /\(\?<[^=!]|\\[pPkuxc]|\(\?[a-z]/, rule.pattern);
    }
  }
  const last = INFERENCE_RULES[INFERENCE_RULES.length - 1];
  assert.equal(last.pattern, undefined);
  assert.equal(last.options, undefined);
});
