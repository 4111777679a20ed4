/**
 * The arms an ablation runs (server/runs/ablation.ts ablationPlan), one list for `mcpo ablate` and
 * VS Code's Run Ablation: an `all` arm that would repeat another arm is left out and said so, and
 * k = 0 leaves the hints arm out with a note under Table 2 rather than a silent one-row table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ablationPlan, formatPaperTable, NO_HINTS_NOTE } from '../../../server/runs/ablation';
import type { RunOptions } from '../../../server/runs/startRun';

const PAPER: RunOptions = {
  data: 'dev.jsonl',
  preset: 'paper',
  llm: { url: 'http://gpu:8000/v1', model: 'big' },
};
const SLM = { url: 'http://gpu:8001/v1', model: 'small' };

test('--preset paper with k = 0: "all" is "+self CoT", so it is left out and said so', () => {
  const plan = ablationPlan(PAPER, 0);
  assert.deepEqual(
    plan.arms.map((a) => a.name),
    ['baseline', '+Prompt1', '+Prompt1+2', '+Prompt1+2+3', '+self CoT'],
  );
  assert.deepEqual(plan.leftOut, ['arm all left out: it is the same configuration as +self CoT']);
});

test('with a small model and k = 0, "all" is "+other CoT"', () => {
  const plan = ablationPlan({ ...PAPER, slm: SLM }, 0);
  assert.equal(plan.arms.at(-1)?.name, '+other CoT');
  assert.deepEqual(plan.leftOut, ['arm all left out: it is the same configuration as +other CoT']);
});

test('with k = 3 every arm of the matrix differs and runs', () => {
  const plan = ablationPlan(PAPER, 3);
  assert.deepEqual(
    plan.arms.map((a) => a.name),
    ['baseline', '+Prompt1', '+Prompt1+2', '+Prompt1+2+3', '+self CoT', '+top-3 hints', 'all'],
  );
  assert.deepEqual(plan.leftOut, []);
});

test('a note under a paper table is printed with it', () => {
  const text = formatPaperTable({
    title: 'Table 2 — similarity hints (ranking)',
    columns: ['ranking'],
    rows: [{ arm: '+Prompt1+2', values: [0.5], paper: [null], deltas: [null] }],
    note: NO_HINTS_NOTE,
  });
  assert.match(text, /\+Prompt1\+2 +0\.5000\nno hints row: similarity k is 0/);
});
