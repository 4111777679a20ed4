/**
 * Every way the official ShopBench evaluation (starter kit local_evaluation.py: pd.read_json
 * with lines=True, evaluate_outputs, aggregate_scores; parsers.py; metrics.py) raises on a
 * dataset or a predictions file, each with a row written for it: `mcpo score` names the file,
 * line and field, says what the official code would do, exits non-zero and prints no stack.
 * Where we go on instead, a warning says so (README: "Where mcpo goes on").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../support/cli';
import { aggregate, type SampleScore } from '../../../server/scoring/evaluate';
import { internalErrorReport } from '../../../server/cli';

const MC = {
  input_field: 'Which is a fruit?\n0. apple\n1. chair\nAnswer: ',
  output_field: 0,
  task_name: 'task2',
  task_type: 'multiple-choice',
  metric: 'accuracy',
  is_multiple_choice: true,
  track: 'amazon-kdd-cup-24-understanding-shopping-concepts',
};
const RANKING = {
  input_field: 'Rank the items:\n1. a\n2. b\n3. c\nOutput:',
  output_field: [1, 0, 0.5],
  task_name: 'task8',
  task_type: 'ranking',
  metric: 'ndcg',
  is_multiple_choice: false,
  track: 'amazon-kdd-cup-24-user-behavior-alignment',
};
const NER = {
  input_field: 'Find the brands: acme shoes',
  output_field: ['acme'],
  task_name: 'task5',
  task_type: 'named_entity_recognition',
  metric: 'micro f1',
  is_multiple_choice: false,
  track: 'amazon-kdd-cup-24-understanding-shopping-concepts',
};
const GEN = {
  input_field: 'Describe a shoe.',
  output_field: 'a shoe is worn on the foot',
  task_name: 'task1',
  task_type: 'generation',
  metric: 'rougel',
  is_multiple_choice: false,
  track: 'amazon-kdd-cup-24-understanding-shopping-concepts',
};

interface Case {
  name: string;
  /** Dataset lines (a string is written as is, an object as JSON). */
  rows: (string | object)[];
  /** One raw prediction line per row; default: a JSON string "1" for each. */
  predictions?: string[];
  /** file:line: of the message, then what it says. */
  at: string;
  says: RegExp;
  exit: number;
}

const jsonl = (rows: (string | object)[]): string =>
  rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';

/** The official code raises on each of these; the first row of each dataset is valid. */
const RAISES: Case[] = [
  {
    name: 'a line that is not JSON (pd.read_json raises ValueError)',
    rows: [MC, '{"input_field": "x", oops}'],
    at: 'd.jsonl:2:',
    says: /error: row 2 is not valid JSON/,
    exit: 1,
  },
  {
    name: 'a missing column (KeyError, or NaN that the metric then fails on)',
    rows: [MC, { ...MC, metric: undefined }],
    at: 'd.jsonl:2:',
    says: /error: missing field "metric"/,
    exit: 1,
  },
  {
    name: 'an unknown metric (NotImplementedError "No metric for ...")',
    rows: [MC, { ...MC, metric: 'f1' }],
    at: 'd.jsonl:2:',
    says: /error: unknown metric "f1"/,
    exit: 1,
  },
  {
    name: 'an unknown task type (KeyError in the parser table)',
    rows: [MC, { ...MC, task_type: 'multi-choice' }],
    at: 'd.jsonl:2:',
    says: /error: unknown task_type "multi-choice"/,
    exit: 1,
  },
  {
    name: 'a metric that cannot score the task type (ndcg of an int: TypeError len())',
    rows: [MC, { ...MC, metric: 'ndcg', output_field: [1, 0] }],
    at: 'd.jsonl:2:',
    says: /error: metric "ndcg" does not score task_type "multiple-choice"/,
    exit: 1,
  },
  {
    name: 'hit rate@3 with an empty truth (ZeroDivisionError)',
    rows: [
      MC,
      { ...MC, task_type: 'retrieval', metric: 'hit rate@3', output_field: [], task_name: 't14' },
    ],
    at: 'd.jsonl:2:',
    says: /error: output_field is an empty list: hit rate@3 divides by the number of true items/,
    exit: 1,
  },
  {
    name: 'hit rate@3 with a number as truth (TypeError: set(int))',
    rows: [
      MC,
      { ...MC, task_type: 'retrieval', metric: 'hit rate@3', output_field: 3, task_name: 't14' },
    ],
    at: 'd.jsonl:2:',
    says: /error: output_field must be a list of item numbers for hit rate@3, got number 3/,
    exit: 1,
  },
  {
    name: 'ndcg with text weights (np.power(2, str): UFuncTypeError)',
    rows: [RANKING, { ...RANKING, output_field: ['1', '0', '0'] }],
    at: 'd.jsonl:2:',
    says: /error: output_field must be a list of relevance weights \(numbers\) for ndcg/,
    exit: 1,
  },
  {
    name: 'ndcg with a negative integer weight (numpy: integers to negative integer powers)',
    rows: [
      RANKING,
      '{"input_field": "Rank:\\n1. a\\n2. b\\n3. c\\nOutput:", "output_field": [1, -1, 0], "task_name": "task8", "task_type": "ranking", "metric": "ndcg", "track": "t"}',
    ],
    at: 'd.jsonl:2:',
    says: /error: output_field\[1\] is -1, a negative integer relevance weight: the official ndcg computes np\.power\(2, -1\) on integers and raises ValueError/,
    exit: 1,
  },
  {
    name: 'ndcg with an integer weight past int64 (OverflowError)',
    rows: [
      RANKING,
      '{"input_field": "Rank:\\n1. a\\n2. b\\n3. c\\nOutput:", "output_field": [1, 0, 9223372036854775808], "task_name": "task8", "task_type": "ranking", "metric": "ndcg", "track": "t"}',
    ],
    at: 'd.jsonl:2:',
    says: /error: output_field\[2\] is 9223372036854775808, an integer relevance weight of 64 or more: .* raises OverflowError/,
    exit: 1,
  },
  {
    name: 'micro f1 with a truth that is not a list of strings (AttributeError: .lower)',
    rows: [NER, { ...NER, output_field: [1, 2] }],
    at: 'd.jsonl:2:',
    says: /error: output_field must be a list of entity strings for micro f1/,
    exit: 1,
  },
  {
    name: 'rougel with a list as reference (AttributeError in the tokenizer)',
    rows: [GEN, { ...GEN, output_field: ['a', 'b'] }],
    at: 'd.jsonl:2:',
    says: /error: output_field must be the reference text \(a string\) for rougel/,
    exit: 1,
  },
  {
    name: 'a task whose first row is micro f1 and a later row is not (TypeError: cannot unpack)',
    rows: [NER, { ...GEN, task_name: NER.task_name }],
    predictions: ['"acme"', '"a shoe"'],
    at: 'd.jsonl:2:',
    says: /error: metric "rougel" differs from "micro f1" of row 1 \(line 1\), the first row of task "task5": .*raises TypeError/,
    exit: 1,
  },
  {
    name: 'a task whose first row is not micro f1 and a later row is (np.mean: ValueError)',
    rows: [GEN, { ...NER, task_name: GEN.task_name }],
    predictions: ['"a shoe"', '"acme"'],
    at: 'd.jsonl:2:',
    says: /error: metric "micro f1" differs from "rougel" of row 1 \(line 1\), the first row of task "task1": .*raises ValueError/,
    exit: 1,
  },
  {
    name: 'fewer predictions than rows (IndexError: outputs[row_idx])',
    rows: [MC, MC],
    predictions: ['"0"'],
    at: 'p.jsonl has 1 predictions but',
    says: /d\.jsonl has 2 rows/,
    exit: 1,
  },
  {
    name: 'a response that is not a string (AssertionError in the parser)',
    rows: [MC, MC],
    predictions: ['"0"', '{"response": null}'],
    at: 'p.jsonl:2:',
    says: /field "response" must be a string/,
    exit: 1,
  },
];

/** The official code does not raise on these; we go on as it does, with a warning. */
const GOES_ON: Case[] = [
  {
    name: 'a task mixing two non-F1 metrics (np.mean of both, reported as the first)',
    rows: [GEN, { ...GEN, metric: 'bleu' }],
    at: 'd.jsonl:2:',
    says: /warning: metric "bleu" differs from "rougel" of row 1 .* reported as "rougel"/,
    exit: 0,
  },
  {
    name: 'a JSON array file (the official pd.read_json(lines=True) raises; we read it)',
    rows: [`[${JSON.stringify(MC)},`, `${JSON.stringify(MC)}]`],
    at: 'd.jsonl:1:1:',
    says: /warning: this file is a JSON array: .*pd\.read_json\(lines=True\) and raises ValueError/,
    exit: 0,
  },
  {
    name: 'a sent-transformer row with an empty list of references (NaN, not an exception)',
    rows: [
      { ...GEN, metric: 'rougel' },
      { ...GEN, task_name: 't3', metric: 'sent-transformer', output_field: [] },
    ],
    at: 'd.jsonl:2:',
    says: /warning: output_field is an empty list: the official sent-transformer score of this row is NaN/,
    exit: 0,
  },
];

async function score(c: Case): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-official-'));
  try {
    const data = path.join(dir, 'd.jsonl');
    const preds = path.join(dir, 'p.jsonl');
    fs.writeFileSync(data, jsonl(c.rows));
    fs.writeFileSync(preds, (c.predictions ?? c.rows.map(() => '"1"')).join('\n') + '\n');
    return await runCli(['score', '--data', data, '--predictions', preds], {
      ...process.env,
      HF_HUB_OFFLINE: '1',
      MCPO_MODEL_CACHE: dir,
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (const c of [...RAISES, ...GOES_ON]) {
  test(`official failure mode: ${c.name}`, async () => {
    const r = await score(c);
    assert.equal(r.code, c.exit, `exit ${r.code}\n${r.stderr}`);
    const line = r.stderr.split('\n').find((l) => l.includes(c.at));
    assert.ok(line, `no message at ${c.at}:\n${r.stderr}`);
    assert.match(line, c.says);
    assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
    // The rows that are valid are still scored.
    if (c.exit === 0 || c.at.startsWith('d.jsonl')) assert.match(r.stdout, /overall: /);
  });
}

function sample(index: number, metric: SampleScore['metric'], score: SampleScore['score']) {
  return {
    index,
    task_name: 'task5',
    task_type: 'named_entity_recognition',
    metric,
    parsed: [],
    score,
    dtype: 'float64',
    warnings: [],
  } satisfies SampleScore;
}

test('aggregate: a task mixing micro f1 with another metric is not scored, the rest is', () => {
  for (const group of [
    [sample(0, 'micro f1', [1, 0, 0]), sample(1, 'rougel', 0.5)],
    [sample(0, 'rougel', 0.5), sample(1, 'micro f1', [1, 0, 0])],
  ]) {
    const other = { ...sample(2, 'accuracy', true), task_name: 'task2' };
    const report = aggregate([...group, other]);
    assert.equal(report.tasks[0].score, null);
    assert.match(report.unscored?.[0].reason ?? '', /row 2 is scored with .* raises/);
    assert.equal(report.tasks[1].score, 1);
    assert.equal(report.overall, 1);
  }
});

test('an internal error says it is a bug and what to send, never a stack trace', (t) => {
  const saved = process.env.MCPO_DEBUG;
  delete process.env.MCPO_DEBUG;
  t.after(() => {
    if (saved !== undefined) process.env.MCPO_DEBUG = saved;
  });
  const text = internalErrorReport(new TypeError('.for is not iterable'), ['score', '--data', 'x']);
  assert.doesNotMatch(text, /\n\s+at /);
  assert.match(text, /^mcpo: internal error: TypeError: \.for is not iterable\n/);
  assert.match(text, /This is a bug in mcpo, not a problem with your input/);
  const file = /attach (\S+\.txt)\)/.exec(text)?.[1];
  assert.ok(file, text);
  try {
    const report = fs.readFileSync(file, 'utf8');
    assert.match(report, /command: mcpo score --data x/);
    assert.match(report, /\n\s+at /); // the stack is in the crash report
  } finally {
    fs.rmSync(file, { force: true });
  }
});
