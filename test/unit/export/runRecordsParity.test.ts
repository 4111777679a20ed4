/**
 * Parity with a real run: the engine runs the paper preset over the 96 dev rows against the
 * OpenAI-compatible test server, with M_V the project's tiny BERT; then, given each record's CoT
 * text (untrimmed, as the model answered) and its M_V scores, mcpo_prompt.py under python3 must
 * rebuild the final prompt the engine sent, byte for byte, ranking the options itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunStore } from '../../../server/runs/runStore';
import { buildRunConfig, executeRun } from '../../../server/runs/startRun';
import { promptText, startOpenAiTestServer } from '../../support/openaiTestServer';
import { SAMPLE_FILE } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';
import { buildTinyBertFixture } from '../../support/tinyBertFixture';
import { runPythonJson, WITH_PROMPT_MODULE } from './python';
/** Whitespace around the reasoning, as models write it: the engine trims it, so must Python. */
const COT_ANSWER = '\n  The first option fits; $& stays.\u00a0\n';

test("python3 rebuilds every final prompt of a paper-preset run from the run's records", async (t) => {
  const server = await startOpenAiTestServer({
    models: ['big'],
    answer: (r) => (/chain of thought/i.test(promptText(r)) ? COT_ANSWER : '1'),
  });
  t.after(() => server.close());
  const dir = tempDir('mcpo-export-records-');
  const mv = buildTinyBertFixture(path.join(dir, 'mv'));
  fs.writeFileSync(
    path.join(mv, 'config_sentence_transformers.json'),
    JSON.stringify({ prompts: { query: 'Represent this sentence: ' }, default_prompt_name: null }),
  );
  const config = await buildRunConfig({
    data: SAMPLE_FILE,
    preset: 'paper',
    llm: { url: server.baseUrl, model: 'big', concurrency: 4 },
    embedModel: mv,
    scoringEmbedModel: mv,
  });
  const result = await executeRun(config, undefined, path.join(dir, 'runs'), {
    cacheDir: path.join(dir, 'cache'),
  });
  assert.equal(result.failed, 0);
  const records = [...RunStore.open(result.dir).records.values()].sort((a, b) => a.index - b.index);
  assert.equal(records.length, 96);
  const cases = records.map((r) => {
    const similarity = r.stages.similarity;
    return {
      prompt: r.prompt!.original,
      taskType: r.task_type,
      cot: r.stages.cot?.text ?? null,
      scores: similarity && 'scores' in similarity ? similarity.scores : null,
      expected: r.prompt!.final,
    };
  });
  // The run exercised both insertions: CoT on the 52 multiple-choice rows, hints on the 4 ranking rows.
  assert.equal(cases.filter((c) => c.cot !== null).length, 52);
  assert.equal(cases.filter((c) => c.scores !== null).length, 4);
  const got = runPythonJson<string[]>(
    [
      WITH_PROMPT_MODULE,
      'config = json.load(open(INPUT["config"], encoding="utf-8"))',
      'out = []',
      'for c in json.load(open(INPUT["cases"], encoding="utf-8")):',
      '    ranked = None',
      '    if c["scores"] is not None:',
      '        body, options = m.split_question(c["prompt"])',
      '        by_number = {s["number"]: s["score"] for s in c["scores"]}',
      '        ranked = m.rank_option_lines(options, [by_number[o["number"]] for o in options])',
      '    cot = m._trim(c["cot"]) if c["cot"] is not None else None',
      '    out.append(m.final_prompt(c["prompt"], c["taskType"], config["templates"], config["promptParts"], cot,',
      '                              ranked, config["similarity"]["k"], config["cot"]["layout"],',
      '                              config["similarity"]["wording"]))',
      'print(json.dumps(out))',
    ].join('\n'),
    { cases, config },
  );
  assert.equal(got.length, 96);
  for (const [i, c] of cases.entries())
    assert.equal(got[i], c.expected, `row ${i} (${c.taskType})`);
});
