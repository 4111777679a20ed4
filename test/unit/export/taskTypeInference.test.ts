/**
 * Task-type inference in the exported model: the rules are the engine's own (one home,
 * server/lsp/taskTypeRules.ts, handed to Python as JSON), interpreted by mcpo_prompt.py's
 * infer_task_type under python3 with the same result as the engine on every dev row, with and
 * without the evaluator's is_multiple_choice, and on inputs where the two regex dialects could
 * part (case, Unicode spaces and digits, non-ASCII letters).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferSubmissionTaskType, inferTaskType } from '../../../server/lsp/inferTaskType';
import { INFERENCE_RULES } from '../../../server/lsp/taskTypeRules';
import { sampleRows } from '../../support/sample';
import { runPythonJson, WITH_PROMPT_MODULE } from './python';

/** Questions on the edges of the regex dialects; the engine's answer is the expected one. */
const EDGE_QUESTIONS = [
  'RANK THE items below.\n1. a\n2. b',
  'rank\u00a0the items below.\n1. a\n2. b',
  'Please re-rank\u3000these.\n1. a\n2. b',
  'Select\u2003three of them.\n1. a\n2. b\n3. c\n4. d',
  'Select\u0085three of them.\n1. a\n2. b\n3. c\n4. d',
  'TOP-3 please\n1. a\n2. b\n3. c',
  'choose 12 items\n1. a\n2. b',
  'Output two comma-separated numbers\n1. a\n2. b\n3. c',
  'Reránk the items\n1. a\n2. b',
  'éntity? No: ENTITIES here.',
  'the entityless text',
  'Rate it on a scale of 1 to 5.',
  'Rate it on a scale of \u0661 to \u0665.',
  'Rate it ON  A SCALE FROM 0 TO 10: ',
  'A permutationally odd question\n1. a\n2. b',
  'Write a title for this lamp.',
  '',
];

test("python3 infers the engine's task type from the engine's rules on every dev row and edge case", (t) => {
  const rows = sampleRows();
  assert.equal(rows.length, 96);
  const questions = [...rows.map((r) => r.input_field), ...EDGE_QUESTIONS];
  const flags = [
    ...rows.map((r) => r.is_multiple_choice === true),
    ...EDGE_QUESTIONS.map(() => false),
  ];
  const got = runPythonJson<{ rulesOnly: string[]; withFlag: string[] }>(
    [
      WITH_PROMPT_MODULE,
      'rules = json.load(open(INPUT["rules"], encoding="utf-8"))',
      'qs = json.load(open(INPUT["questions"], encoding="utf-8"))',
      'flags = json.load(open(INPUT["flags"], encoding="utf-8"))',
      'print(json.dumps({"rulesOnly": [m.infer_task_type(q, rules) for q in qs],',
      '                  "withFlag": [m.infer_task_type(q, rules, f) for q, f in zip(qs, flags)]}))',
    ].join('\n'),
    { rules: INFERENCE_RULES, questions, flags },
  );
  assert.deepEqual(
    got.rulesOnly,
    questions.map((q) => inferTaskType(q).taskType),
  );
  assert.deepEqual(
    got.withFlag,
    questions.map((q, i) => inferSubmissionTaskType(q, flags[i])),
  );
  // The figure the export reports: what the exported model infers against the dataset's task_type.
  const agree = rows.filter((r, i) => got.withFlag[i] === r.task_type).length;
  const agreeRulesOnly = rows.filter((r, i) => got.rulesOnly[i] === r.task_type).length;
  t.diagnostic(
    `python3 agreement with task_type on the dev rows: ${agree}/96 with is_multiple_choice, ${agreeRulesOnly}/96 from the prompt alone`,
  );
  assert.equal(agree, 96);
  assert.equal(agreeRulesOnly, 96);
});

test('the rules use only the regex syntax JavaScript and Python read alike', () => {
  for (const rule of INFERENCE_RULES) {
    if (rule.pattern === undefined) continue;
    const p = rule.pattern;
    assert.match(p, /^[\x20-\x7e]*$/, `${p}: ASCII only`);
    // Escapes: \b \d \s and escaped punctuation; no \w \S \p \u \x, no backreferences.
    for (const m of p.matchAll(/\\(.)/g)) assert.match(m[1], /^[bds\W]$/, `${p}: \\${m[1]}`);
    const bare = p.replace(/\\./g, '');
    assert.doesNotMatch(bare, /\./, `${p}: "." differs at line ends`);
    assert.doesNotMatch(bare, /\$/, `${p}: "$" also matches before a final newline in Python`);
    assert.doesNotMatch(bare, /\(\?(?!:)/, `${p}: only (?:...) groups`);
    // \s is spelled out in Python as a class; inside a class it would nest.
    assert.doesNotMatch(p, /\[[^\]]*\\s/, `${p}: \\s inside a class`);
  }
  const last = INFERENCE_RULES[INFERENCE_RULES.length - 1];
  assert.equal(last.pattern, undefined);
  assert.equal(last.options, undefined);
});
