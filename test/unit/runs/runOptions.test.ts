import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEmbedder } from '../../../server/embed/embedder';
import { rankOptions, splitQuestion } from '../../../server/pipeline/similarity';
import { buildRunConfig, executeRun } from '../../../server/runs/startRun';
import { RunStore } from '../../../server/runs/runStore';
import type { RunRecord } from '../../../server/runs/runTypes';
import {
  openAiTestServerFor,
  promptText,
  type OpenAiTestServer,
} from '../../support/openaiTestServer';
import { buildTinyBertFixture } from '../../support/tinyBertFixture';
import { runCli } from '../../support/cli';
import { SAMPLE_FILE } from '../../support/sample';
import { tempDir } from '../../support/tempDirs';

function tmpDir(): string {
  return tempDir('mcpo-runopt-');
}

function withServer(
  t: { after: (fn: () => Promise<void>) => void },
  latencyMs = 0,
): Promise<OpenAiTestServer> {
  return openAiTestServerFor(t, {
    models: ['big', 'small'],
    latencyMs,
    answer: (r) => (r.body.model === 'small' ? 'small model reasoning' : '1'),
  });
}

function records(dir: string): RunRecord[] {
  return [...RunStore.open(dir).records.values()];
}

test('mcpo run: SLM CoT with an edited request and layout, extra body, constrained decoding, chosen task types', async (t) => {
  const server = await withServer(t);
  const dir = tmpDir();
  const mv = buildTinyBertFixture(path.join(dir, 'mv'));
  const layout = { question: 'Q:\n', chain: '\nThoughts:\n', answer: '\nSo the answer is ' };
  const r = await runCli([
    'run',
    '--data',
    SAMPLE_FILE,
    '--limit',
    '20',
    '--out',
    path.join(dir, 'runs'),
    '--cache',
    path.join(dir, 'cache'),
    '--llm-url',
    server.baseUrl,
    '--llm-model',
    'big',
    '--slm-url',
    server.baseUrl,
    '--slm-model',
    'small',
    '--cot',
    'slm',
    '--cot-task-types',
    'multiple-choice',
    '--cot-request',
    'Think about: {question}',
    '--cot-layout',
    JSON.stringify(layout),
    '--llm-extra-body',
    '{"repetition_penalty": 1.05}',
    '--constrained',
    '--templates',
    'none',
    '--scoring-embed-model',
    mv,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const runDir = path.join(dir, 'runs', fs.readdirSync(path.join(dir, 'runs'))[0]);
  const recs = records(runDir);
  assert.equal(recs.length, 20);
  const mcq = recs.find((x) => x.task_type === 'multiple-choice')!;
  const other = recs.find((x) => x.task_type !== 'multiple-choice')!;
  assert.equal(mcq.stages.cot!.model.startsWith('small@'), true);
  assert.equal(other.stages.cot, undefined, 'CoT only for the configured task types');
  const row = JSON.parse(fs.readFileSync(SAMPLE_FILE, 'utf8').split('\n')[mcq.index]) as {
    input_field: string;
  };
  const cotRequest = server.requests.find(
    (q) => q.body.model === 'small' && promptText(q).includes(row.input_field.split('\n')[0]),
  )!;
  assert.ok(promptText(cotRequest).startsWith('Think about: '));
  assert.ok(mcq.prompt!.final.startsWith('Q:\n'));
  assert.ok(mcq.prompt!.final.endsWith('\nThoughts:\nsmall model reasoning\nSo the answer is '));
  const answer = server.requests.find(
    (q) => q.body.model === 'big' && promptText(q) === mcq.prompt!.final,
  )!;
  assert.equal(answer.body.repetition_penalty, 1.05);
  assert.deepEqual(answer.body.structured_outputs, { choice: ['0', '1', '2', '3'] });
  const config = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8')) as {
    constrained: boolean;
    cot: { layout: unknown };
  };
  assert.equal(config.constrained, true);
  assert.deepEqual(config.cot.layout, layout);
  assert.doesNotMatch(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8'), /api[_-]?key/i);
});

test('mcpo run: usage errors and a run that cannot start exit non-zero with one clear line', async (t) => {
  const server = await withServer(t);
  const dir = tmpDir();
  const noModel = await runCli(['run', '--data', SAMPLE_FILE, '--llm-url', server.baseUrl]);
  assert.equal(noModel.code, 2);
  assert.match(noModel.stderr, /--llm-url and --llm-model are required/);
  const badCot = await runCli([
    'run',
    '--data',
    SAMPLE_FILE,
    '--llm-url',
    server.baseUrl,
    '--llm-model',
    'big',
    '--cot',
    'maybe',
  ]);
  assert.equal(badCot.code, 2);
  const unreachable = await runCli([
    'run',
    '--data',
    SAMPLE_FILE,
    '--out',
    path.join(dir, 'runs'),
    '--llm-url',
    'http://127.0.0.1:9/v1',
    '--llm-model',
    'big',
  ]);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /cannot reach http:\/\/127\.0\.0\.1:9\/v1/);
  assert.doesNotMatch(unreachable.stderr, /\n\s+at /);
});

test('mcpo ablate: every arm runs, shares the cache, and the paper tables print', async (t) => {
  const server = await withServer(t);
  const dir = tmpDir();
  const mv = buildTinyBertFixture(path.join(dir, 'mv'));
  const r = await runCli([
    'ablate',
    '--data',
    SAMPLE_FILE,
    '--limit',
    '96',
    '--out',
    path.join(dir, 'runs'),
    '--cache',
    path.join(dir, 'cache'),
    '--llm-url',
    server.baseUrl,
    '--llm-model',
    'big',
    '--slm-url',
    server.baseUrl,
    '--slm-model',
    'small',
    '--embed-model',
    mv,
    '--scoring-embed-model',
    mv,
  ]);
  assert.equal(r.code, 0, r.stderr);
  for (const arm of [
    'baseline',
    '+Prompt1',
    '+Prompt1+2',
    '+Prompt1+2+3',
    '+self CoT',
    '+other CoT',
    '+top-3 hints',
    'all',
  ])
    assert.ok(r.stdout.includes(arm), arm);
  assert.match(r.stdout, /Table 1 — chain-of-thought supplement \(multiple choice\)/);
  assert.match(r.stdout, /Table 2 — similarity hints \(ranking\)/);
  assert.match(r.stdout, /Table 5 — prompt engineering per task type/);
  // "all" repeats the SLM CoT requests of "+other CoT": the shared cache answers them.
  const ablationDir = path.join(dir, 'runs', fs.readdirSync(path.join(dir, 'runs'))[0]);
  const all = fs
    .readdirSync(ablationDir)
    .map((d) => RunStore.open(path.join(ablationDir, d)))
    .find((s) => s.config.label === 'all')!;
  assert.ok(
    [...all.records.values()].every((rec) => rec.stages.cot === undefined || rec.stages.cot.cached),
  );
});

test('cancelling a run keeps finished questions, records no failure for aborted ones, and resume completes it', async (t) => {
  const server = await withServer(t, 20);
  const dir = tmpDir();
  const controller = new AbortController();
  const config = await buildRunConfig({
    data: SAMPLE_FILE,
    llm: { url: server.baseUrl, model: 'big', concurrency: 4 },
    templates: 'none',
  });
  void server.waitForRequests(30).then(() => controller.abort());
  const first = await executeRun(config, undefined, path.join(dir, 'runs'), {
    cacheDir: path.join(dir, 'cache'),
    signal: controller.signal,
  });
  assert.equal(first.cancelled, true);
  const partial = records(first.dir);
  assert.ok(partial.length > 0 && partial.length < 96);
  assert.ok(
    partial.every((r) => r.status === 'ok'),
    'aborted questions are missing, not failed',
  );
  const resumed = await executeRun(undefined, first.dir, '', { cacheDir: path.join(dir, 'cache') });
  assert.equal(resumed.cancelled, false);
  assert.equal(records(first.dir).length, 96);
});

test('similarity ranking with the real embedding path: the option sharing the query words ranks first', async () => {
  const dir = tmpDir();
  const embedder = await loadEmbedder(buildTinyBertFixture(path.join(dir, 'mv')));
  const prompt = [
    "A user has made a query with keyword 'red running shoes'. Given the following numbered list of 3 products, please rank the products.",
    'Product List: ',
    '1. blue kitchen table',
    '2. red running shoes for men',
    '3. wooden garden chair',
    'You should output a permutation of 1 to 3.',
    'Output: ',
  ].join('\n');
  const split = splitQuestion(prompt);
  assert.ok(!('reason' in split));
  const [body, ...options] = await embedder.embed([
    split.body,
    ...split.options.map((o) => o.text),
  ]);
  const ranked = rankOptions(body, options, split.options);
  assert.equal(ranked[0].number, 2);
  assert.ok(ranked[0].score > ranked[1].score);
  await embedder.dispose();
});
