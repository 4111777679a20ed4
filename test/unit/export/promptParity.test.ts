/**
 * The exported submission's prompt assembly (server/export/mcpo_prompt.py, standard library only)
 * against the engine: every dev row, templates none and paper with every cumulative prompt-part
 * set, CoT on and off, hints off and top 3, must give the same final prompt byte for byte under
 * the machine's python3. CoT texts and similarity rankings are given to both sides.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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
import { repoRoot } from '../../support/paths';
import { sampleRows } from '../../support/sample';

const MODULE_DIR = path.join(repoRoot, 'server', 'export');

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
  expected: string;
}

test('python3 prompt assembly equals the engine on every dev row and stage combination', () => {
  const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  assert.equal(python.status, 0, 'python3 is needed (CI installs it)');
  const cases: Case[] = [];
  for (const row of sampleRows()) {
    for (const [templates, parts] of [
      ['none', partsUpTo(0)],
      ['paper', partsUpTo(1)],
      ['paper', partsUpTo(2)],
      ['paper', partsUpTo(3)],
    ] as const) {
      for (const cot of [null, '  Step 1: the first option.\nStep 2: $& done. ']) {
        for (const k of [0, 3]) {
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
                  block: similarityBlock(ranked, k, DEFAULT_SIMILARITY_WORDING),
                  model: 'M_V',
                  scores: ranked,
                }
              : undefined,
            cot: cot === null ? undefined : { text: cot.trim(), model: 'M_L' },
          }).final;
          cases.push({
            prompt: row.input_field,
            taskType: row.task_type,
            templates,
            parts,
            cot: cot === null ? null : cot.trim(),
            rankedLines: ranked ? ranked.map((r) => r.line) : null,
            k,
            expected: final,
          });
        }
      }
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-parity-'));
  const input = path.join(dir, 'cases.json');
  fs.writeFileSync(input, JSON.stringify(cases));
  const driver = [
    'import json, sys',
    `sys.path.insert(0, ${JSON.stringify(MODULE_DIR)})`,
    'import mcpo_prompt as m',
    'cases = json.load(open(sys.argv[1], encoding="utf-8"))',
    'out = [m.final_prompt(c["prompt"], c["taskType"], c["templates"], c["parts"], c["cot"], c["rankedLines"], c["k"]) for c in cases]',
    'sys.stdout.write(json.dumps(out))',
  ].join('\n');
  const run = spawnSync('python3', ['-c', driver, input], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(run.status, 0, run.stderr);
  const got = JSON.parse(run.stdout) as string[];
  assert.equal(got.length, cases.length);
  assert.equal(cases.length, 96 * 4 * 2 * 2);
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
