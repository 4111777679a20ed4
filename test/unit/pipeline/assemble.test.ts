import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ShopBenchRow } from '../../../server/dataset/shopbench';
import { assemblePrompt } from '../../../server/pipeline/assemble';
import { questionWithoutCue } from '../../../server/pipeline/cot';
import {
  DEFAULT_SIMILARITY_WORDING,
  rankOptions,
  similarityBlock,
  splitQuestion,
} from '../../../server/pipeline/similarity';
import { applyTemplate } from '../../../server/pipeline/templates';
import type { AssembledPrompt } from '../../../server/pipeline/types';
import { sampleRows } from '../../support/sample';

const ROWS: ShopBenchRow[] = sampleRows();

// Written from the reference note's sentences (paper section 5), Prompt1 + Prompt2.
const MCQ =
  'Please think cautiously. The answers or responses are very important. You should only answer a number of options. Do not say other words or explanation.\n\n';
const RETRIEVAL =
  'Based on your previous knowledge then generate the answer. This is a retrieval question. You are a highly skilled online shopping assistant and a professional product retrieval expert. Your goal is to help consumers quickly and accurately identify products that meet their specific needs. You provide a clear and concise list of retrieval results, including the product name, key attributes, and how they meet the requirements. Please analyze the following request and deliver accurate retrieval results.\n\n';
const RANKING =
  'Based on your previous knowledge then generate the answer. You are a helpful online shopping assistant. Please answer the following question about online shopping and follow the given instructions. In this task, each question is associated with a requirement and a list of candidate items, and the model is required to re-rank all items according to how each item satisfies the requirement.\n\n';
const HINT =
  '\n[External information]\nThe following items are very important and have a strong relevance to the query, and ranked by relevance.\n';

/** The final prompt with inserted spans removed and replaced spans put back to their original. */
function restore(a: AssembledPrompt): string {
  let out = '';
  let pos = 0;
  for (const s of a.spans) {
    out += a.final.slice(pos, s.start);
    if (s.kind === 'replaced') out += s.original ?? '';
    pos = s.end;
  }
  return out + a.final.slice(pos);
}

/** A deterministic similarity result: option n gets the vector (1, n mod 3) against the body (1, 0). */
function fakeSimilarity(
  row: ShopBenchRow,
  k: number,
): { block: string; model: string; scores: ReturnType<typeof rankOptions> } | undefined {
  const split = splitQuestion(row.input_field);
  if ('reason' in split) return undefined;
  const vectors = split.options.map((o) => new Float32Array([1, o.number % 3]));
  const scores = rankOptions(new Float32Array([1, 0]), vectors, split.options);
  return { block: similarityBlock(scores, k, DEFAULT_SIMILARITY_WORDING), model: 'M_V', scores };
}

function assemble(
  index: number,
  preset: 'none' | 'paper',
  options: { cot?: boolean; k?: number } = {},
): AssembledPrompt {
  const row = ROWS[index];
  return assemblePrompt({
    row,
    templated: applyTemplate(preset, row),
    similarity: options.k ? fakeSimilarity(row, options.k) : undefined,
    cot: options.cot ? { text: 'Step 1: think.', model: 'M_L' } : undefined,
  });
}

test('invariant over the whole sample: none/paper × CoT or not × similarity k=3 or not', () => {
  let cases = 0;
  for (const [index, row] of ROWS.entries()) {
    for (const preset of ['none', 'paper'] as const) {
      for (const cot of [false, true]) {
        for (const k of [0, 3]) {
          const a = assemble(index, preset, { cot, k });
          const where = `row ${index} ${row.task_name} ${preset} cot=${cot} k=${k}`;
          assert.equal(a.original, row.input_field);
          let previousEnd = 0;
          for (const s of a.spans) {
            assert.ok(
              s.start >= previousEnd && s.start <= s.end && s.end <= a.final.length,
              `${where}: span ${JSON.stringify(s)}`,
            );
            previousEnd = s.end;
            if (s.kind === 'replaced') assert.equal(typeof s.original, 'string', where);
            if (s.stage === 'cot')
              assert.equal(s.model, s.role === 'scaffold' ? undefined : 'M_L', where);
            if (s.stage === 'similarity') {
              assert.equal(a.final.slice(s.start, s.end), fakeSimilarity(row, 3)?.block, where);
              assert.equal(s.model, 'M_V');
              assert.ok(s.scores && s.scores.length >= 2, where);
            }
          }
          // Without CoT the original prompt comes back exactly; with CoT the layout wraps the
          // question and drops the cue: what comes back is the question without its cue.
          assert.equal(
            restore(a),
            cot ? questionWithoutCue(row.input_field) : row.input_field,
            where,
          );
          if (preset === 'none' && !cot && k === 0) assert.equal(a.final, row.input_field, where);
          const hasHint = a.spans.some((s) => s.stage === 'similarity');
          assert.equal(hasHint, k > 0 && !('reason' in splitQuestion(row.input_field)), where);
          if (cot) assert.ok(a.final.endsWith('\n\n[Answer]\nTherefore, the answer is '), where);
          cases++;
        }
      }
    }
  }
  assert.equal(cases, 96 * 8);
});

test('MCQ (task2), paper and none', () => {
  const q =
    'Which of the following product categories may have the attribute eu spare part availability duration?\n0. mouse pad\n1. leash\n2. surveillance camera\n3. garbage bin\nAnswer: ';
  assert.equal(assemble(4, 'none').final, q);
  const paper = assemble(4, 'paper');
  assert.equal(paper.final, MCQ + q);
  assert.deepEqual(paper.spans, [
    { start: 0, end: MCQ.length, stage: 'template', kind: 'inserted' },
  ]);
});

test('relation MCQ (task11), paper: options in words, replaced spans keep the original word', () => {
  const a = assemble(56, 'paper');
  assert.equal(
    a.final,
    MCQ +
      'Which of the following statements best describes the relation from query "waterpik" to query "long sleeve crop tops for women"?\n' +
      '0. waterpik and long sleeve crop tops for women are irrelevant\n1. waterpik and long sleeve crop tops for women are similar\n2. Users who buy waterpik may also buy long sleeve crop tops for women\n3. long sleeve crop tops for women is a further search of waterpik\nAnswer: ',
  );
  assert.deepEqual(
    a.spans
      .filter((s) => s.kind === 'replaced')
      .map((s) => [a.final.slice(s.start, s.end), s.original]),
    [
      ['waterpik and long sleeve crop tops for women are irrelevant', 'irrelevant'],
      ['waterpik and long sleeve crop tops for women are similar', 'substitute'],
      ['Users who buy waterpik may also buy long sleeve crop tops for women', 'complement'],
      ['long sleeve crop tops for women is a further search of waterpik', 'narrowing'],
    ],
  );
  assert.equal(assemble(56, 'none').final, ROWS[56].input_field);
});

test('retrieval (task7), paper and none', () => {
  assert.equal(assemble(36, 'none').final, ROWS[36].input_field);
  assert.equal(assemble(36, 'paper').final, RETRIEVAL + ROWS[36].input_field);
});

test('ranking (task12), paper, similarity k=3: hint before "You should output", one span with the scores', () => {
  const row = ROWS[64];
  const a = assemble(64, 'paper', { k: 3 });
  const at = row.input_field.indexOf('You should output');
  const block =
    HINT +
    '3. Rough Country 2.5" Lift Kit (fits) 1997-2006 Jeep Wrangler TJ LJ | 6 CYL | N3 Shocks | Suspension System | 653.20\n' +
    '1. Supreme Suspensions - Front Leveling Kit for 2002-2007 Jeep Liberty KJ and 2008-2012 Jeep Liberty KK 2.5" Front Lift High-Strength Carbon Steel Strut Spacers 2WD 4WD\n' +
    '4. Supreme Suspensions - Full Lift Kit for 2008-2012 Jeep Liberty KK 2.5" Front Strut Spacers + 2" Rear Spring Spacers High-Strength Carbon Steel Lift Kit 2WD 4WD PRO KIT\n';
  assert.equal(a.final, RANKING + row.input_field.slice(0, at) + block + row.input_field.slice(at));
  assert.equal(a.spans.length, 2);
  assert.deepEqual(a.spans[0], {
    start: 0,
    end: RANKING.length,
    stage: 'template',
    kind: 'inserted',
  });
  const hint = a.spans[1];
  assert.deepEqual(
    [hint.start, hint.end, hint.stage, hint.kind, hint.model],
    [RANKING.length + at, RANKING.length + at + block.length, 'similarity', 'inserted', 'M_V'],
  );
  assert.deepEqual(
    hint.scores?.map((s) => s.number),
    [3, 1, 4, 2, 5],
  );
  assert.deepEqual(Object.keys(hint.scores?.[0] ?? {}), ['number', 'text', 'score']);
  assert.equal(assemble(64, 'none').final, row.input_field);
});

test('generation (task1), paper: role, knowledge line, cue replaced', () => {
  assert.equal(
    assemble(1, 'none').final,
    'Instructions: Explain the product category name\nInput: Watch Band\nOutput:',
  );
  const a = assemble(1, 'paper');
  // Prompt2's sentence, then the default role (no "product description"/"recommendation"/"email").
  const system =
    'Based on your previous knowledge then generate the answer. You are assistant in online e-commerce. Now you need to answer the generation task based on the following instruct.\n\n';
  assert.equal(
    a.final,
    `${system}Instructions: Explain the product category name\nInput: Watch Band\nResponse (limit to 30 words):`,
  );
  assert.deepEqual(a.spans, [
    { start: 0, end: system.length, stage: 'template', kind: 'inserted' },
    {
      start: a.final.length - 29,
      end: a.final.length - 1,
      stage: 'template',
      kind: 'replaced',
      original: 'Output',
    },
  ]);
});

test('NER (task4): unchanged under both presets', () => {
  assert.equal(assemble(12, 'paper').final, ROWS[12].input_field);
  assert.deepEqual(assemble(12, 'paper').spans, []);
  assert.equal(assemble(12, 'none').final, ROWS[12].input_field);
});

test('CoT layout: system, [Question], question without cue, chain, answer lead-in; scaffolding apart from the CoT', () => {
  const a = assemble(4, 'paper', { cot: true });
  const question =
    'Which of the following product categories may have the attribute eu spare part availability duration?\n0. mouse pad\n1. leash\n2. surveillance camera\n3. garbage bin';
  const tail = '\n\n[Chain of Thought]\nStep 1: think.\n\n[Answer]\nTherefore, the answer is ';
  assert.equal(a.final, `${MCQ}[Question]\n${question}${tail}`);
  const q = MCQ.length + '[Question]\n'.length;
  const chain = q + question.length + '\n\n[Chain of Thought]\n'.length;
  const answer = chain + 'Step 1: think.'.length;
  assert.deepEqual(a.spans, [
    { start: 0, end: MCQ.length, stage: 'template', kind: 'inserted' },
    { start: MCQ.length, end: q, stage: 'cot', kind: 'inserted', role: 'scaffold' },
    { start: q + question.length, end: chain, stage: 'cot', kind: 'inserted', role: 'scaffold' },
    { start: chain, end: answer, stage: 'cot', kind: 'inserted', model: 'M_L' },
    { start: answer, end: a.final.length, stage: 'cot', kind: 'inserted', role: 'scaffold' },
  ]);
  assert.equal(a.final.slice(chain, answer), 'Step 1: think.');
  // Generation under CoT: the cue (and its replacement) gives way to the layout's lead-in.
  const g = assemble(1, 'paper', { cot: true });
  assert.ok(
    g.final.includes(
      '[Question]\nInstructions: Explain the product category name\nInput: Watch Band\n\n[Chain of Thought]',
    ),
  );
  assert.ok(!g.spans.some((s) => s.kind === 'replaced'));
});

test('assemblePrompt rejects segments of another row and a hint for a question without options', () => {
  assert.throws(
    () => assemblePrompt({ row: ROWS[5], templated: applyTemplate('paper', ROWS[4]) }),
    /does not stand for/,
  );
  assert.throws(
    () =>
      assemblePrompt({
        row: ROWS[1],
        templated: applyTemplate('paper', ROWS[1]),
        similarity: { block: 'x', model: 'M_V', scores: [] },
      }),
    /without options/,
  );
});
