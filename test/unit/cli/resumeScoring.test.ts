/**
 * What a resume runs, said before it runs. `mcpo run --resume DIR --scoring-embed-model <folder>` (the new-user try found the flag ignored,
 * so the rows a resume re-asks "to score them once their scoring model is there" could never be
 * scored): a resume takes the scoring models, records them in the run's config.json, and says
 * which other flags it ignores instead of ignoring them without a word.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startOpenAiTestServer } from '../../support/openaiTestServer';
import { runArgs, runCli } from '../../support/cli';
import { writeSampleLines } from '../../support/sample';
import { buildTinyBertFixture } from '../../support/tinyBertFixture';
import { tempDir } from '../../support/tempDirs';
import type { RunConfig, RunRecord } from '../../../server/runs/runTypes';
import { hasWorkToResume } from '../../../server/protocol/runLabels';
import { formatRunsTable } from '../../../server/runs/runReportText';
import type { RunSummary } from '../../../server/runs/report';

test('a resume scores the not-scored rows with the scoring model it is given, and records it', async (t) => {
  const server = await startOpenAiTestServer({ models: ['test-model'], answer: () => 'a phrase' });
  t.after(() => server.close());
  const dir = tempDir('mcpo-resume-scoring-');
  const data = path.join(dir, 'rows.jsonl');
  writeSampleLines(data, '"sent-transformer"', 2);
  const missing = path.join(dir, 'no-model-here');

  const first = await runCli([
    ...runArgs(data, server.baseUrl, dir),
    '--scoring-embed-model',
    missing,
  ]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /NOT SCORED/);
  const runDir = path.join(dir, 'runs', fs.readdirSync(path.join(dir, 'runs'))[0]);

  const mv = buildTinyBertFixture(path.join(dir, 'mv'));
  const resumed = await runCli([
    'run',
    '--resume',
    runDir,
    '--cache',
    path.join(dir, 'cache'),
    '--scoring-embed-model',
    mv,
    '--llm-url',
    'http://127.0.0.1:1/v1',
    '--limit',
    '1',
  ]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /2 of 2 questions to run \(2 answered but not scored\)/);
  assert.match(
    resumed.stderr,
    /^--resume keeps the run's saved configuration: ignoring --llm-url, --limit$/m,
  );
  assert.doesNotMatch(resumed.stdout, /NOT SCORED/);
  const config = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8')) as RunConfig;
  assert.equal(config.scoring.embedModel, mv);
  assert.equal(config.llm.baseUrl, server.baseUrl, 'the pipeline configuration stays as saved');
  const records = fs
    .readFileSync(path.join(runDir, 'records.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RunRecord);
  const latest = new Map(records.map((r) => [r.index, r]));
  assert.equal(latest.size, 2);
  for (const r of latest.values()) assert.equal(typeof r.score, 'number', JSON.stringify(r.error));
});

test('VS Code offers to resume a run whose only open questions are answered but not scored', () => {
  const run = { questions: 96, expected: 96, failed: 0 };
  assert.equal(hasWorkToResume(run), false);
  assert.equal(hasWorkToResume({ ...run, notScored: 4 }), true);
  assert.equal(hasWorkToResume({ ...run, failed: 1 }), true);
  assert.equal(hasWorkToResume({ ...run, questions: 40 }), true);
});

/** A run's footer lines, as `mcpo run` and `mcpo report` print them under the table. */
function footer(counts: Pick<RunSummary, 'questions' | 'failed' | 'notScored'>): string[] {
  const summary: RunSummary = {
    label: 'r',
    dir: '/w/runs/r',
    expected: 96,
    cached: 0,
    report: { overall: 0.5, tracks: {}, tasks: [] },
    ...counts,
  };
  return formatRunsTable([summary])
    .split('\n')
    .filter((l) => l.startsWith('[1] ') && !l.startsWith('[1] r:'));
}

test('after Ctrl-C the footer counts what --resume then runs, not-scored answers included', () => {
  const resume = '"mcpo run --resume /w/runs/r"';
  // The new-user try: 40 recorded, 4 of them not scored; the resume ran 60, the footer said 56.
  assert.deepEqual(footer({ questions: 40, failed: 0, notScored: 4 }), [
    `[1] INCOMPLETE: 56 of 96 questions never ran and are not in these scores; ${resume} finishes it and asks the 4 answered but not scored again (60 questions in all)`,
  ]);
  assert.deepEqual(footer({ questions: 40, failed: 0, notScored: 0 }), [
    `[1] INCOMPLETE: 56 of 96 questions never ran and are not in these scores; ${resume} finishes it`,
  ]);
  // Failed and never run: one line, one count.
  assert.deepEqual(footer({ questions: 40, failed: 3, notScored: 4 }), [
    `[1] INCOMPLETE: 59 of 96 questions (3 failed, 56 never ran) are not in these scores; ${resume} retries them, runs the 56 that never ran and asks the 4 answered but not scored again (63 questions in all)`,
  ]);
  // A failed run is as incomplete as a cancelled one (C1): its overall covers the answered only.
  assert.deepEqual(footer({ questions: 96, failed: 64, notScored: 4 }), [
    `[1] INCOMPLETE: 64 of 96 questions failed and are not in these scores; ${resume} retries them and asks the 4 answered but not scored again (68 questions in all)`,
  ]);
  assert.deepEqual(footer({ questions: 96, failed: 1, notScored: 0 }), [
    `[1] INCOMPLETE: 1 of 96 questions failed and is not in these scores; ${resume} retries them`,
  ]);
});
