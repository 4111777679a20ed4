/**
 * The stand-alone test server (npm run test-server) a new user tries the product with: a CoT run
 * must get reasoning for its CoT requests and "1" for its final prompts, whose "[Chain of
 * Thought]" heading once made the server answer them with reasoning too (the paper preset then
 * scored 0.03 instead of 0.14 against it, for no reason of MCPO's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { RunStore } from '../../../server/runs/runStore';
import { buildRunConfig, executeRun } from '../../../server/runs/startRun';
import { DEMO_REASONING, demoAnswer } from '../../support/demoAnswers';
import { promptText, startOpenAiTestServer } from '../../support/openaiTestServer';
import { writeSampleLines } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';

for (const cot of ['self', 'slm'] as const) {
  test(`a paper-template run with ${cot} CoT gets reasoning for its CoT requests and "1" for its answers`, async (t) => {
    const server = await startOpenAiTestServer({
      models: ['m'],
      answer: (r) => demoAnswer(promptText(r)),
    });
    t.after(() => server.close());
    const dir = tempDir('mcpo-demo-answers-');
    const data = path.join(dir, 'mcq.jsonl');
    writeSampleLines(data, '"multiple-choice"', 3);
    const endpoint = { url: server.baseUrl, model: 'm', concurrency: 2 };
    const config = await buildRunConfig({
      data,
      llm: endpoint,
      ...(cot === 'slm' ? { slm: endpoint } : {}),
      templates: 'paper',
      cot,
      similarityK: 0,
    });
    const result = await executeRun(config, undefined, path.join(dir, 'runs'), {
      cacheDir: path.join(dir, 'cache'),
    });
    assert.equal(result.done, 3);
    const records = [...RunStore.open(result.dir).records.values()];
    for (const r of records) {
      assert.equal(r.stages.cot?.text, DEMO_REASONING, `Q${r.index + 1}'s CoT request`);
      assert.match(r.answer?.prompt ?? '', /Chain of Thought/, 'the final prompt carries the CoT');
      assert.equal(r.answer?.text, '1', `Q${r.index + 1}'s final answer`);
    }
  });
}
