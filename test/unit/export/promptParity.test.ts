/**
 * The exported submission's prompt assembly (server/export/mcpo_prompt.py, standard library only)
 * against the engine: every dev row, templates none and paper with every cumulative prompt-part
 * set, CoT on and off, hints off and top 3, must give the same final prompt byte for byte under
 * the machine's python3. CoT texts and similarity rankings are given to both sides.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TASK_TYPES } from '../../../server/dataset/shopbench';
import { assemblePrompt } from '../../../server/pipeline/assemble';
import {
  DEFAULT_SIMILARITY_WORDING,
  rankOptions,
  similarityBlock,
  splitQuestion,
} from '../../../server/pipeline/similarity';
import {
  AVAILABLE_PARTS,
  applyTemplate,
  type PromptPart,
  type PromptParts,
} from '../../../server/pipeline/templates';
import { sampleRows } from '../../support/sample';
import type { ShopBenchRow } from '../../../server/dataset/shopbench';
import type { CotLayout } from '../../../server/pipeline/types';
import { runPythonJson, WITH_PROMPT_MODULE } from './python';

function partsUpTo(n: 0 | PromptPart): PromptParts {
  return Object.fromEntries(
    TASK_TYPES.map((t) => [t, AVAILABLE_PARTS[t].filter((p) => p <= n)]),
  ) as PromptParts;
}

interface Case {
  prompt: string;
  taskType: string;
  templates: 'none' | 'paper';
  parts: PromptParts;
  cot: string | null;
  rankedLines: string[] | null;
  k: number;
  layout: CotLayout | null;
  wording: string | null;
  expected: string;
}

test('python3 prompt assembly equals the engine on every dev row and stage combination', (t) => {
  const cases: Case[] = [];
  const add = (
    row: ShopBenchRow,
    templates: 'none' | 'paper',
    parts: PromptParts,
    cot: string | null,
    k: number,
    layout: CotLayout | null = null,
    wording: string | null = null,
  ): void => {
    const split = splitQuestion(row.input_field);
    // A deterministic ranking: option n scores (n * 7) mod 5.
    const ranked =
      k > 0 && !('reason' in split)
        ? rankOptions(
            new Float32Array([1]),
            split.options.map((o) => new Float32Array([(o.number * 7) % 5])),
            split.options,
            'dot',
          )
        : undefined;
    const final = assemblePrompt({
      row,
      templated: applyTemplate(templates, row, parts),
      similarity: ranked
        ? {
            block: similarityBlock(ranked, k, wording ?? DEFAULT_SIMILARITY_WORDING),
            model: 'M_V',
            scores: ranked,
          }
        : undefined,
      cot:
        cot === null ? undefined : { text: cot.trim(), model: 'M_L', layout: layout ?? undefined },
    }).final;
    cases.push({
      prompt: row.input_field,
      taskType: row.task_type,
      templates,
      parts,
      cot: cot === null ? null : cot.trim(),
      rankedLines: ranked ? ranked.map((r) => r.line) : null,
      k,
      layout,
      wording,
      expected: final,
    });
  };
  const chain = '  Step 1: the first option.\nStep 2: $& done. ';
  for (const row of sampleRows()) {
    for (const [templates, parts] of [
      ['none', partsUpTo(0)],
      ['paper', partsUpTo(1)],
      ['paper', partsUpTo(2)],
      ['paper', partsUpTo(3)],
    ] as const) {
      for (const cot of [null, chain]) for (const k of [0, 3]) add(row, templates, parts, cot, k);
    }
    // A run's own --cot-layout and --similarity-wording travel into the export too.
    add(
      row,
      'paper',
      partsUpTo(2),
      chain,
      3,
      { question: 'Q: ', chain: '\n## $& why\n', answer: '\nA: ' },
      'Closest first:',
    );
  }
  const got = runPythonJson<string[]>(
    [
      WITH_PROMPT_MODULE,
      'cases = json.load(open(INPUT["cases"], encoding="utf-8"))',
      'out = [m.final_prompt(c["prompt"], c["taskType"], c["templates"], c["parts"], c["cot"], c["rankedLines"],',
      '                      c["k"], c["layout"] or m.COT_LAYOUT, c["wording"] or m.SIMILARITY_WORDING) for c in cases]',
      'sys.stdout.write(json.dumps(out))',
    ].join('\n'),
    { cases },
  );
  assert.equal(got.length, cases.length);
  // 4 template/part sets x CoT on/off x hints off/top 3, and one custom layout and wording, per row.
  assert.equal(cases.length, 96 * (4 * 2 * 2 + 1));
  t.diagnostic(`${cases.length} cases`);
  let mismatches = 0;
  for (const [i, c] of cases.entries()) {
    if (got[i] === c.expected) continue;
    mismatches++;
    if (mismatches <= 3)
      assert.fail(
        `case ${i} (${c.taskType}, ${c.templates}, cot=${c.cot !== null}, k=${c.k}):\npython: ${JSON.stringify(got[i])}\nengine: ${JSON.stringify(c.expected)}`,
      );
  }
  assert.equal(mismatches, 0);
});
