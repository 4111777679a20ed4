import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as PromptSpans from '../../../extension/promptSpans';
import type * as Format from '../../../extension/format';
import { assemblePrompt } from '../../../server/pipeline/assemble';
import {
  DEFAULT_SIMILARITY_WORDING,
  rankOptions,
  similarityBlock,
  splitQuestion,
} from '../../../server/pipeline/similarity';
import { applyTemplate } from '../../../server/pipeline/templates';
import type { AssembledPrompt } from '../../../server/pipeline/types';
import type { RunRecord } from '../../../server/runs/runTypes';
import { sampleRows } from '../../support/sample';
import { loadSource } from '../panel/loadSource';

const spans = loadSource<typeof PromptSpans>('extension/promptSpans.ts');
const format = loadSource<typeof Format>('extension/format.ts');

/** Row `index` of the sample through the paper templates, with a CoT and a k=3 hint. */
function assembled(index: number, options: { cot?: boolean; k?: number } = {}): AssembledPrompt {
  const row = sampleRows()[index];
  let similarity;
  if (options.k) {
    const split = splitQuestion(row.input_field);
    assert.ok(!('reason' in split), `row ${index} has no options`);
    const vectors = split.options.map((o) => new Float32Array([1, o.number % 3]));
    const scores = rankOptions(new Float32Array([1, 0]), vectors, split.options);
    similarity = {
      block: similarityBlock(scores, options.k, DEFAULT_SIMILARITY_WORDING),
      model: 'M_V',
      scores,
    };
  }
  return assemblePrompt({
    row,
    templated: applyTemplate('paper', row),
    similarity,
    cot: options.cot ? { text: 'Step 1: think.', model: 'M_L' } : undefined,
  });
}

function record(over: Partial<RunRecord> = {}): RunRecord {
  return {
    index: 64,
    task_name: 'task11',
    task_type: 'multiple-choice',
    metric: 'accuracy',
    status: 'ok',
    stages: {},
    score: true,
    warnings: [],
    timings: { totalMs: 1 },
    ...over,
  };
}

test('the document is the key line, a blank line and the final prompt; ranges are the spans shifted past it', () => {
  const prompt = assembled(4, { cot: true, k: 3 });
  const view = spans.promptViewModel(prompt);
  assert.equal(view.text.slice(view.promptStart), prompt.final);
  assert.equal(view.text.slice(view.promptStart - 2, view.promptStart), '\n\n');
  assert.ok(!view.text.slice(0, view.promptStart - 2).includes('\n'), 'the key is one line');
  assert.equal(view.ranges.length, prompt.spans.length);
  for (const [i, r] of view.ranges.entries()) {
    const s = prompt.spans[i];
    assert.equal(view.text.slice(r.start, r.end), prompt.final.slice(s.start, s.end));
  }
  // Every style in the prompt is in the key, with the label at its offsets.
  const labels = view.key.map((k) => view.text.slice(k.start, k.end));
  assert.deepEqual(labels, ['chain of thought', 'layout text', 'similarity hint', 'template']);
  assert.deepEqual(
    view.key.map((k) => k.style),
    ['cot', 'scaffold', 'similarity', 'template'],
  );
});

test('CoT layout headings are coloured as layout text, the chain of thought as CoT', () => {
  const view = spans.promptViewModel(assembled(4, { cot: true }));
  const textOf = (style: string): string[] =>
    view.ranges.filter((r) => r.style === style).map((r) => view.text.slice(r.start, r.end));
  assert.deepEqual(textOf('cot'), ['Step 1: think.']);
  const layout = textOf('scaffold').join('');
  for (const heading of ['[Question]', '[Chain of Thought]', '[Answer]'])
    assert.ok(layout.includes(heading), `${heading} is not layout text: ${JSON.stringify(layout)}`);
  assert.ok(!layout.includes('Step 1'));
});

test('replaced option words: the original is a struck-through ghost at the replacement, not shown as unchanged', () => {
  // Row 57 (task11, relation MCQ): the paper template rewrites the options in words.
  const prompt = assembled(56);
  const replaced = prompt.spans.filter((s) => s.kind === 'replaced' && s.original);
  assert.ok(replaced.length > 0, 'task11 under the paper template replaces text');
  const view = spans.promptViewModel(prompt);
  assert.equal(view.ghosts.length, replaced.length);
  for (const [i, g] of view.ghosts.entries()) {
    const s = replaced[i];
    assert.equal(g.at, view.promptStart + s.start);
    assert.equal(g.text, s.original?.replace(/\n/g, '⏎'));
    assert.ok(!g.text.includes('\n'));
    // The replacement itself is coloured as template text.
    const range = view.ranges.find((r) => r.span === s);
    if (s.end > s.start) assert.equal(range?.style, 'template');
  }
  assert.ok(view.key.some((k) => k.style === 'replaced'));
  assert.equal(spans.spanAt(view, view.ghosts[0].at)?.span.kind, 'replaced');
});

test('a prompt no stage changed says so in its key', () => {
  const view = spans.promptViewModel({ original: 'Q?', final: 'Q?', spans: [] });
  assert.deepEqual(view.key, []);
  assert.match(view.text, /^Key: no stage changed this prompt/);
  assert.equal(spans.spanAt(view, view.promptStart), undefined);
});

test('hovers: stage, model, every option score formatted, the hinted ones marked, cache marks', () => {
  const prompt = assembled(4, { cot: true, k: 3 });
  const sim = prompt.spans.find((s) => s.stage === 'similarity');
  assert.ok(sim?.scores);
  const rec = record({
    stages: {
      similarity: { model: 'M_V', k: 3, scores: sim.scores },
      cot: { model: 'M_L', prompt: '', text: '', cached: true, attempts: 1, latencyMs: 0 },
    },
    answer: { model: 'M_L', prompt: '', text: '1', cached: false, attempts: 1, latencyMs: 3 },
  });
  const md = spans.spanHoverMarkdown(sim, rec);
  assert.match(md, /\*\*similarity hint\*\* · inserted by `M_V`/);
  assert.match(md, /top 3 of 4 options/);
  assert.equal((md.match(/\(in the hint\)/g) ?? []).length, 3);
  for (const s of sim.scores) assert.ok(md.includes(`| ${s.score.toFixed(3)} |`), md);
  assert.doesNotMatch(md, /\d\.\d{5,}/, 'raw floats in the hover');
  assert.match(md, /answer: fresh from the model/);
  const cot = prompt.spans.find((s) => s.stage === 'cot' && s.role !== 'scaffold');
  assert.ok(cot);
  assert.match(spans.spanHoverMarkdown(cot, rec), /chain of thought: \*\*cached\*\*/);
  const layout = prompt.spans.find((s) => s.role === 'scaffold');
  assert.ok(layout);
  assert.match(spans.spanHoverMarkdown(layout, rec), /not written by a model/);
});

test('hover text from models and users is escaped Markdown', () => {
  const md = spans.spanHoverMarkdown(
    { start: 0, end: 1, stage: 'template', kind: 'replaced', original: '[x](javascript:y) <b>*' },
    undefined,
  );
  assert.ok(!md.includes('[x](javascript:y)'), md);
  assert.ok(!md.includes('<b>'), md);
});

test('titles are short: "Q65 · MCPO prompt"', () => {
  assert.equal(spans.promptTitle({ index: 64 }, 'MCPO prompt'), 'Q65 · MCPO prompt');
  assert.equal(
    spans.promptTitle({ index: 0, task_name: 'free-form' }, 'MCPO prompt'),
    'Free-form · MCPO prompt',
  );
  assert.equal(spans.promptTitle({ index: 2 }, 'prompt preview'), 'Q3 · prompt preview');
});

test('numbers and answers are formatted for people', () => {
  assert.equal(format.formatScore(0.8809085602575658), '0.8809');
  assert.equal(format.formatScore(null), 'not scored');
  assert.equal(format.formatSampleValue(true), 'correct');
  assert.equal(format.formatSampleValue(false), 'wrong');
  assert.equal(format.formatSampleValue([2, 1, 0]), 'tp 2 · fp 1 · fn 0');
  assert.equal(format.formatSampleValue(null), 'not scored');
  assert.equal(format.formatAnswer([1, 2]), '[1, 2]');
  assert.equal(format.formatAnswer('a\nb'), '"a b"');
});
