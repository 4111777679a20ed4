import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  COT_LAYOUT,
  cotRequestPrompt,
  DEFAULT_COT_REQUESTS,
  questionWithoutCue,
} from '../../../server/pipeline/cot';
import type { CotConfig } from '../../../server/pipeline/types';

function config(mode: 'self' | 'slm'): CotConfig {
  return {
    mode,
    taskTypes: ['multiple-choice'],
    request: DEFAULT_COT_REQUESTS[mode],
    layout: COT_LAYOUT,
    maxTokens: 150,
    temperature: 0,
  };
}

test('questionWithoutCue drops the trailing cue line and trailing whitespace', () => {
  assert.equal(questionWithoutCue('Which?\n0. a\n1. b\nAnswer: '), 'Which?\n0. a\n1. b');
  assert.equal(
    questionWithoutCue('Review: x\nAspect: comfort\nOutput: \n'),
    'Review: x\nAspect: comfort',
  );
  assert.equal(
    questionWithoutCue('List\n1. a\n2. b\nOutput (answer in three comma-separated numbers): '),
    'List\n1. a\n2. b',
  );
  // task15: only the last cue goes; "Output:" is part of its question.
  assert.equal(questionWithoutCue('Rate it\nOutput:\nAnswer: '), 'Rate it\nOutput:');
  // No cue: only trailing whitespace goes.
  assert.equal(questionWithoutCue('Translate this  \n'), 'Translate this');
  // "Answer" inside a line is not a cue.
  assert.equal(questionWithoutCue('Give the Answer: now'), 'Give the Answer: now');
});

test('cotRequestPrompt uses the reference requests verbatim', () => {
  const q = 'Which?\n0. a\n1. b';
  assert.equal(
    cotRequestPrompt(config('self'), q),
    'Provide your chain of thought step-by-step for this question: Which?\n0. a\n1. b',
  );
  assert.equal(
    cotRequestPrompt(config('slm'), q),
    'Which?\n0. a\n1. b\nChain of thought step-bystep in 50 words: \n',
  );
});

test('cotRequestPrompt inserts the question literally and rejects bad configs', () => {
  assert.equal(
    cotRequestPrompt(config('self'), 'costs $& and $1'),
    'Provide your chain of thought step-by-step for this question: costs $& and $1',
  );
  assert.throws(
    () => cotRequestPrompt({ ...config('self'), request: 'no placeholder' }, 'q'),
    /placeholder/,
  );
  assert.throws(() => cotRequestPrompt({ ...config('self'), mode: 'off' }, 'q'), /off/);
});
