import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TASK_TYPES } from '../../../server/dataset/shopbench';
import { buildRunConfig, executeRun } from '../../../server/runs/startRun';
import { RunStore } from '../../../server/runs/runStore';
import { compareRuns, runSamples, summarizeRun } from '../../../server/runs/report';
import type { RunRecord } from '../../../server/runs/runTypes';
import {
  openAiTestServerFor,
  promptText,
  type OpenAiTestServer,
  type TestServerOptions,
} from '../../support/openaiTestServer';
import { buildTinyBertFixture } from '../../support/tinyBertFixture';
import { CLI, runCli } from '../../support/cli';
import { SAMPLE_FILE } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';

function tmpDir(): string {
  return tempDir('mcpo-run-');
}

/** Answers like a cooperative model: reasoning for CoT requests, "1" otherwise. */
function answer(request: { body: Readonly<Record<string, unknown>> }): string {
  const prompt = promptText(request);
  return /chain of thought/i.test(prompt) ? 'The first option matches the query best.' : '1';
}

function withServer(
  t: { after: (fn: () => Promise<void>) => void },
  options: TestServerOptions = {},
): Promise<OpenAiTestServer> {
  return openAiTestServerFor(t, { answer, ...options });
}

/** Resolves when some run folder under `runsDir` has a record (watched, with a deadline). */
function firstRecordIn(t: TestContext, runsDir: string, deadlineMs: number): Promise<void> {
  fs.mkdirSync(runsDir, { recursive: true });
  const recorded = (): boolean =>
    fs.readdirSync(runsDir).some((run) => {
      const file = path.join(runsDir, run, 'records.jsonl');
      return fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('\n');
    });
  return new Promise((resolve, reject) => {
    const watcher = fs.watch(runsDir, { recursive: true }, () => {
      if (recorded()) done();
    });
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`no record under ${runsDir} within ${deadlineMs} ms`));
    }, deadlineMs);
    function done(): void {
      clearTimeout(timer);
      watcher.close();
      resolve();
    }
    t.after(() => done());
    if (recorded()) done();
  });
}

function records(dir: string): RunRecord[] {
  return fs
    .readFileSync(path.join(dir, 'records.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RunRecord);
}

test('a full run with self CoT and similarity: exact prompts, exact spans, every question scored, a re-run asks nothing', async (t) => {
  const server = await withServer(t);
  const dir = tmpDir();
  const mv = buildTinyBertFixture(path.join(dir, 'mv'));
  const config = await buildRunConfig({
    data: SAMPLE_FILE,
    llm: { url: server.baseUrl, model: 'test-model', concurrency: 4 },
    embedModel: mv,
    cot: 'self',
    cotTaskTypes: [...TASK_TYPES],
    similarityK: 3,
    scoringEmbedModel: mv,
  });
  const result = await executeRun(config, undefined, path.join(dir, 'runs'), {
    cacheDir: path.join(dir, 'cache'),
  });
  assert.equal(result.done, 96);
  assert.equal(result.failed, 0);
  const recs = records(result.dir);
  assert.equal(recs.length, 96);
  assert.deepEqual(
    recs.map((r) => r.index).sort((a, b) => a - b),
    [...Array(96).keys()],
  );
  // Two calls per question: the CoT request then the answer.
  assert.equal(server.requests.filter((r) => r.path.endsWith('/chat/completions')).length, 192);
  const cotRequests = server.requests.filter((r) =>
    promptText(r).startsWith('Provide your chain of thought step-by-step for this question: '),
  );
  assert.equal(cotRequests.length, 96);
  for (const r of recs) {
    assert.equal(r.status, 'ok');
    const prompt = r.prompt!;
    assert.ok(
      prompt.final.includes('[Chain of Thought]\nThe first option matches the query best.'),
    );
    // Spans are sorted, inside the text, non-overlapping; the CoT span holds the model's text.
    let last = 0;
    for (const span of prompt.spans) {
      assert.ok(
        span.start >= last && span.end > span.start && span.end <= prompt.final.length,
        JSON.stringify(span),
      );
      last = span.end;
    }
    assert.ok(
      prompt.spans.some(
        (s) =>
          s.stage === 'cot' &&
          prompt.final.slice(s.start, s.end).includes('The first option matches the query best.'),
      ),
    );
    // The answer request carried exactly the assembled prompt with the paper's sampling.
    assert.equal(r.answer!.prompt, prompt.final);
    if (r.task_type === 'ranking') {
      const sim = prompt.spans.find((s) => s.stage === 'similarity');
      assert.ok(sim, `ranking question ${r.index} has a similarity span`);
      assert.equal(sim.scores!.length, 5);
      assert.match(prompt.final.slice(sim.start, sim.end), /\[External information\]/);
    }
  }
  const answerRequest = server.requests.find((r) => promptText(r) === recs[4].prompt!.final)!;
  assert.equal(answerRequest.body.temperature, 0);
  assert.equal(answerRequest.body.top_p, 0.9);
  assert.equal(answerRequest.body.seed, 773815);
  assert.equal(answerRequest.body.max_tokens, recs[4].task_type === 'multiple-choice' ? 2 : 70);
  const summary = summarizeRun(RunStore.open(result.dir));
  assert.equal(summary.report.tasks.length, 18);
  assert.equal(summary.report.unscored, undefined);

  // The same run again: every response comes from the cache.
  const before = server.requests.length;
  const again = await buildRunConfig({
    data: SAMPLE_FILE,
    llm: { url: server.baseUrl, model: 'test-model' },
    embedModel: mv,
    cot: 'self',
    cotTaskTypes: [...TASK_TYPES],
    similarityK: 3,
    scoringEmbedModel: mv,
  });
  const t0 = performance.now();
  const rerun = await executeRun(again, undefined, path.join(dir, 'runs'), {
    cacheDir: path.join(dir, 'cache'),
  });
  const ms = performance.now() - t0;
  assert.equal(rerun.done, 96);
  assert.equal(server.requests.length - before, 1, 'only the /v1/models check');
  assert.ok(records(rerun.dir).every((r) => r.answer!.cached && r.stages.cot!.cached));
  t.diagnostic(`re-run of 96 cached questions: ${ms.toFixed(0)} ms`);
});

test('faults: retried requests recover, exhausted ones are recorded as failed, and the run completes', async (t) => {
  const server = await withServer(t);
  const dir = tmpDir();
  const config = await buildRunConfig({
    data: SAMPLE_FILE,
    limit: 6,
    llm: {
      url: server.baseUrl,
      model: 'test-model',
      concurrency: 1,
      maxRetries: 6,
      timeoutMs: 300,
    },
    templates: 'none',
  });
  let models = 0;
  const ok = await executeRun(config, undefined, path.join(dir, 'runs'), {
    cacheDir: path.join(dir, 'cache'),
    // After the endpoint check, the faults hit the answer requests in arrival order.
    onStart: () => {
      models = server.requests.length;
      server.script(
        { kind: 'status', status: 429, retryAfterSeconds: 0 },
        { kind: 'status', status: 500 },
        { kind: 'reset' },
        { kind: 'invalidJson' },
        { kind: 'truncatedStream' },
        { kind: 'hang' },
      );
    },
  });
  assert.equal(ok.done, 6);
  assert.equal(ok.failed, 0);
  assert.ok(server.requests.length - models >= 6 + 6);
  assert.ok(records(ok.dir).some((r) => r.answer!.attempts > 1));

  // No retries left: the failure is recorded with its error, never scored as an answer.
  const strict = await buildRunConfig({
    data: SAMPLE_FILE,
    limit: 3,
    llm: { url: server.baseUrl, model: 'test-model', concurrency: 1, maxRetries: 1 },
    templates: 'paper',
    seed: 7,
  });
  const res = await executeRun(strict, undefined, path.join(dir, 'runs'), {
    cacheDir: path.join(dir, 'cache2'),
    onStart: () => server.script({ kind: 'status', status: 500 }, { kind: 'status', status: 500 }),
  });
  assert.equal(res.failed, 1);
  const failed = records(res.dir).find((r) => r.status === 'failed')!;
  assert.equal(failed.score, null);
  assert.equal(failed.error!.stage, 'answer');
  assert.equal(failed.error!.attempts, 2);
  assert.match(failed.error!.message, /500/);
  const summary = summarizeRun(RunStore.open(res.dir));
  assert.equal(summary.failed, 1);

  // Resume retries the failed question, and re-scores the two answered sent-transformer rows that
  // had no embedding model (their answers come from the cache: no request).
  const before = server.requests.length;
  const resumed = await executeRun(undefined, res.dir, '', { cacheDir: path.join(dir, 'cache2') });
  assert.equal(resumed.done, 3);
  assert.equal(server.requests.length - before, 2, 'models check + the one failed question');
  assert.equal(summarizeRun(RunStore.open(res.dir)).failed, 0);
});

test('a wrong model fails before any question runs, with a clear message', async (t) => {
  const server = await withServer(t);
  const dir = tmpDir();
  const config = await buildRunConfig({
    data: SAMPLE_FILE,
    llm: { url: server.baseUrl, model: 'no-such-model' },
  });
  await assert.rejects(
    executeRun(config, undefined, path.join(dir, 'runs'), { cacheDir: path.join(dir, 'cache') }),
    /no-such-model/,
  );
  assert.equal(server.requests.filter((r) => r.method === 'POST').length, 0);
  assert.deepEqual(
    fs.readdirSync(path.join(dir, 'runs')),
    [],
    'a run that never started leaves no empty run folder behind',
  );
});

test(
  'a vector model that will not load stops the run at once, not when the first ranking question comes up',
  { timeout: 120_000 },
  async (t) => {
    const server = await withServer(t);
    // No answer ever arrives, so the run reaches the ranking rows (from index 64) only if the
    // failed load stops it first.
    const release = server.hold();
    t.after(release);
    const dir = tmpDir();
    const config = await buildRunConfig({
      data: SAMPLE_FILE,
      llm: { url: server.baseUrl, model: 'test-model' },
      similarityK: 3,
      embedModel: path.join(dir, 'no-such-model'),
    });
    await assert.rejects(
      executeRun(config, undefined, path.join(dir, 'runs'), { cacheDir: path.join(dir, 'cache') }),
      /vector model.*no-such-model/s,
    );
  },
);

test('killing the CLI mid-run loses no finished question; --resume finishes the rest without duplicates', async (t) => {
  const server = await withServer(t, { latencyMs: 10 });
  const dir = tmpDir();
  const mv = buildTinyBertFixture(path.join(dir, 'mv'));
  const child = spawn(
    process.execPath,
    [
      CLI,
      'run',
      '--data',
      SAMPLE_FILE,
      '--llm-url',
      server.baseUrl,
      '--llm-model',
      'test-model',
      '--concurrency',
      '2',
      '--out',
      path.join(dir, 'runs'),
      '--cache',
      path.join(dir, 'cache'),
      '--scoring-embed-model',
      mv,
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Kill once a question is recorded: scoring runs in a worker, so answered requests can run
  // well ahead of written records. Whichever comes first: a record, the CLI exiting on its own
  // (a crash at start-up), or the deadline; never a wait without an end.
  const first = await Promise.race([
    firstRecordIn(t, path.join(dir, 'runs'), 60_000).then(() => 'record' as const),
    exited.then((code) => `the CLI exited with code ${code} before a record` as const),
  ]);
  assert.equal(first, 'record');
  child.kill('SIGKILL');
  await exited;
  const runDir = path.join(dir, 'runs', fs.readdirSync(path.join(dir, 'runs'))[0]);
  const partial = records(runDir);
  assert.ok(partial.length > 0 && partial.length < 96, `killed after ${partial.length} questions`);
  const report = await runCli(['report', runDir]);
  assert.equal(report.code, 0, report.stderr);
  assert.match(report.stdout, new RegExp(`${partial.length} of 96 \\(`));
  assert.match(
    report.stdout,
    new RegExp(`INCOMPLETE: ${96 - partial.length} of 96 questions never ran`),
  );
  const r = await runCli(['run', '--resume', runDir, '--cache', path.join(dir, 'cache')]);
  assert.equal(r.code, 0, r.stderr);
  const all = records(runDir);
  assert.deepEqual(
    all.map((x) => x.index).sort((a, b) => a - b),
    [...Array(96).keys()],
  );
  assert.deepEqual(
    all.slice(0, partial.length),
    partial,
    'finished questions are kept as they were',
  );
});

test('report: differences between two runs with paired bootstrap intervals', async (t) => {
  const server = await withServer(t);
  const dir = tmpDir();
  const base = await executeRun(
    await buildRunConfig({
      data: SAMPLE_FILE,
      llm: { url: server.baseUrl, model: 'test-model' },
      templates: 'none',
      label: 'baseline',
    }),
    undefined,
    path.join(dir, 'runs'),
    { cacheDir: path.join(dir, 'cache') },
  );
  const cand = await executeRun(
    await buildRunConfig({
      data: SAMPLE_FILE,
      llm: { url: server.baseUrl, model: 'test-model' },
      templates: 'paper',
      label: 'paper',
    }),
    undefined,
    path.join(dir, 'runs'),
    { cacheDir: path.join(dir, 'cache') },
  );
  const diffs = compareRuns(
    runSamples(RunStore.open(base.dir).records.values()),
    runSamples(RunStore.open(cand.dir).records.values()),
    200,
  );
  const overall = diffs.find((d) => d.scope === 'overall')!;
  assert.ok(overall.low! <= overall.delta! && overall.delta! <= overall.high!);
  const cli = await runCli(['report', base.dir, cand.dir, '--resamples', '100']);
  assert.equal(cli.code, 0, cli.stderr);
  // Named as the table names them (C2): the number tells two runs of one label apart.
  assert.match(cli.stdout, /^\[2\] paper vs \[1\] baseline$/m);
  assert.match(cli.stdout, /95% CI \(paired bootstrap\)/);
});
