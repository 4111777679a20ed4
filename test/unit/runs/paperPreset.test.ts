/**
 * The paper preset end to end against the OpenAI-compatible test server: the exact final prompt
 * of one dev row per task type (expected strings written from the reference note's sentences),
 * and the request set (CoT for multiple choice only, hints in ranking only, raw text through
 * /v1/completions, the reference's sampling).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildRunConfig, executeRun } from '../../../server/runs/startRun';
import { RunStore } from '../../../server/runs/runStore';
import type { RunConfig, RunRecord } from '../../../server/runs/runTypes';
import {
  promptText,
  startOpenAiTestServer,
  type OpenAiTestServer,
  type RecordedRequest,
} from '../../support/openaiTestServer';
import { buildTinyBertFixture } from '../../support/tinyBertFixture';
import { SAMPLE_FILE, sampleRows } from '../../support/sample';
import { runCli } from '../../support/cli';
import type { PipelineSettings } from '../../../server/protocol/settings';
import { runOptionsFromSettings } from '../../../server/lsp/runs';

const ROWS = sampleRows();
const QUERY_PROMPT = 'Represent this sentence for searching relevant passages: ';
const COT_TEXT = 'The first option fits.';
const SLM_TEXT = 'Small model reasoning.';

// The reference note's sentences (paper section 5; "The paper's configuration, all in one place").
const KNOWLEDGE = 'Based on your previous knowledge then generate the answer.';
const MCQ_P1 =
  'Please think cautiously. The answers or responses are very important. You should only answer a number of options. Do not say other words or explanation.';
const RETRIEVAL_P1 =
  'This is a retrieval question. You are a highly skilled online shopping assistant and a professional product retrieval expert. Your goal is to help consumers quickly and accurately identify products that meet their specific needs. You provide a clear and concise list of retrieval results, including the product name, key attributes, and how they meet the requirements. Please analyze the following request and deliver accurate retrieval results.';
const RANKING_P1 = `${KNOWLEDGE} You are a helpful online shopping assistant. Please answer the following question about online shopping and follow the given instructions.`;
const RANKING_P2 =
  'In this task, each question is associated with a requirement and a list of candidate items, and the model is required to re-rank all items according to how each item satisfies the requirement.';
const GENERATION_DEFAULT_ROLE =
  'You are assistant in online e-commerce. Now you need to answer the generation task based on the following instruct.';
const HINT_LEAD =
  '\n[External information]\nThe following items are very important and have a strong relevance to the query, and ranked by relevance.\n';
const COT_REQUEST = 'Provide your chain of thought step-by-step for this question: ';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-paper-'));
}

/** M_V: the tiny BERT fixture with snowflake's sentence-transformers prompts file. */
function vectorModel(dir: string): string {
  const folder = buildTinyBertFixture(path.join(dir, 'mv'));
  fs.writeFileSync(
    path.join(folder, 'config_sentence_transformers.json'),
    JSON.stringify({ prompts: { query: QUERY_PROMPT }, default_prompt_name: null }),
  );
  return folder;
}

async function withServer(t: {
  after: (fn: () => Promise<void>) => void;
}): Promise<OpenAiTestServer> {
  const server = await startOpenAiTestServer({
    models: ['big', 'small'],
    answer: (r) =>
      /chain of thought/i.test(promptText(r))
        ? r.body.model === 'small'
          ? SLM_TEXT
          : COT_TEXT
        : '1',
  });
  t.after(() => server.close());
  return server;
}

async function paperRun(
  server: OpenAiTestServer,
  dir: string,
  extra: { slm?: boolean } = {},
): Promise<{ config: RunConfig; records: RunRecord[]; requests: RecordedRequest[] }> {
  const mv = vectorModel(dir);
  const config = await buildRunConfig({
    data: SAMPLE_FILE,
    preset: 'paper',
    llm: { url: server.baseUrl, model: 'big', concurrency: 4 },
    slm: extra.slm ? { url: server.baseUrl, model: 'small' } : undefined,
    embedModel: mv,
    scoringEmbedModel: mv,
  });
  const before = server.requests.length;
  const result = await executeRun(config, undefined, path.join(dir, 'runs'), {
    cacheDir: path.join(dir, 'cache'),
  });
  assert.equal(result.failed, 0);
  const store = RunStore.open(result.dir);
  const onDisk = JSON.parse(
    fs.readFileSync(path.join(result.dir, 'config.json'), 'utf8'),
  ) as RunConfig;
  return {
    config: onDisk,
    records: [...store.records.values()].sort((a, b) => a.index - b.index),
    requests: server.requests.slice(before).filter((r) => r.path !== '/v1/models'),
  };
}

test('paper preset: the final prompt of one dev row per task type, byte for byte', async (t) => {
  const server = await withServer(t);
  const { records } = await paperRun(server, tmpDir());
  const final = (index: number): string => records[index].prompt!.final;

  // Multiple choice (task11): Prompt1, then the reference's CoT layout around the question with
  // the relation options reworded with the two quoted names (Prompt2), without its answer cue.
  assert.equal(
    final(56),
    `${MCQ_P1}\n\n[Question]\n` +
      'Which of the following statements best describes the relation from query "waterpik" to query "long sleeve crop tops for women"?\n' +
      '0. waterpik and long sleeve crop tops for women are irrelevant\n' +
      '1. waterpik and long sleeve crop tops for women are similar\n' +
      '2. Users who buy waterpik may also buy long sleeve crop tops for women\n' +
      '3. long sleeve crop tops for women is a further search of waterpik' +
      `\n\n[Chain of Thought]\n${COT_TEXT}\n\n[Answer]\nTherefore, the answer is `,
  );
  // Retrieval (task7): Prompt2 first, then Prompt1 (reference is_retrival), then the question.
  assert.equal(final(36), `${KNOWLEDGE} ${RETRIEVAL_P1}\n\n${ROWS[36].input_field}`);
  // Generation (task1): Prompt2's sentence, the default role, "Output" -> "Response (limit to 30 words)".
  assert.equal(
    final(1),
    `${KNOWLEDGE} ${GENERATION_DEFAULT_ROLE}\n\n` +
      'Instructions: Explain the product category name\nInput: Watch Band\nResponse (limit to 30 words):',
  );
  // Ranking (task12): Prompt1 + Prompt2, the top-3 hint before "You should output" (the order is
  // the tiny fixture's dot-product order, checked against the recorded scores below).
  const ranking = ROWS[64].input_field;
  const at = ranking.indexOf('You should output');
  const line = (n: number): string => ranking.split('\n').find((l) => l.startsWith(`${n}. `))!;
  const scores = records[64].prompt!.spans.find((s) => s.stage === 'similarity')!.scores!;
  assert.ok(scores.every((s, i) => i === 0 || scores[i - 1].score >= s.score));
  assert.deepEqual(
    scores.slice(0, 3).map((s) => s.number),
    RANKING_TOP3,
  );
  assert.equal(
    final(64),
    `${RANKING_P1} ${RANKING_P2}\n\n${ranking.slice(0, at)}${HINT_LEAD}` +
      `${RANKING_TOP3.map(line).join('\n')}\n${ranking.slice(at)}`,
  );
  // NER (task4): untouched.
  assert.equal(final(12), ROWS[12].input_field);
});

/** The fixture M_V's top 3 for row 64 (random weights: an order, not a meaning). */
const RANKING_TOP3 = [1, 4, 2];

test('paper preset: the request set — CoT for multiple choice only, hints in ranking only, raw text via /v1/completions, the reference sampling', async (t) => {
  const server = await withServer(t);
  const { config, records, requests } = await paperRun(server, tmpDir());

  // config.json says exactly what was sent.
  assert.equal(config.preset, 'paper');
  assert.deepEqual(config.promptParts, {
    'multiple-choice': [1, 2],
    retrieval: [1, 2],
    generation: [1, 2],
    ranking: [1, 2],
    named_entity_recognition: [],
  });
  assert.equal(config.llm.mode, 'completions');
  assert.deepEqual(
    [
      config.cot.mode,
      config.cot.taskTypes,
      config.cot.maxTokens,
      config.cot.temperature,
      config.cot.topP,
    ],
    ['self', ['multiple-choice'], 150, 0, 0.9],
  );
  assert.deepEqual(
    [
      config.similarity.k,
      config.similarity.taskTypes,
      config.similarity.score,
      config.similarity.queryPrompt,
    ],
    [3, ['ranking'], 'dot', 'model'],
  );

  // Raw text: every generation request is /v1/completions with a string prompt.
  assert.ok(requests.length > 0);
  for (const r of requests) {
    assert.equal(r.path, '/v1/completions');
    assert.equal(typeof r.body.prompt, 'string');
    assert.equal(r.body.messages, undefined);
  }
  const mcq = records.filter((r) => r.task_type === 'multiple-choice');
  const cotRequests = requests.filter((r) => (r.body.prompt as string).startsWith(COT_REQUEST));
  assert.equal(cotRequests.length, mcq.length);
  assert.equal(requests.length, records.length + mcq.length);
  for (const r of cotRequests) {
    assert.deepEqual(
      [r.body.max_tokens, r.body.temperature, r.body.top_p, r.body.seed],
      [150, 0, 0.9, 773815],
    );
  }
  for (const rec of records) {
    assert.equal(rec.stages.cot !== undefined, rec.task_type === 'multiple-choice', `${rec.index}`);
    const hinted = rec.prompt!.spans.some((s) => s.stage === 'similarity');
    assert.equal(hinted, rec.task_type === 'ranking', `${rec.index}`);
    assert.equal(rec.prompt!.final.includes('[External information]'), rec.task_type === 'ranking');
    if (rec.task_type === 'ranking') {
      const sim = rec.stages.similarity;
      assert.ok(sim && 'scores' in sim);
      assert.equal(sim.queryPrompt, QUERY_PROMPT);
      assert.equal(sim.k, 3);
    }
    const answer = requests.find((r) => r.body.prompt === rec.prompt!.final)!;
    assert.deepEqual(
      [answer.body.temperature, answer.body.top_p, answer.body.seed, answer.body.max_tokens],
      [0, 0.9, 773815, rec.task_type === 'multiple-choice' ? 2 : 70],
    );
  }
});

test('paper preset with a small model: other-supplement CoT with 50 tokens at temperature 0.5; explicit options override one piece', async (t) => {
  const server = await withServer(t);
  const dir = tmpDir();
  const { config, requests } = await paperRun(server, dir, { slm: true });
  assert.equal(config.cot.mode, 'slm');
  assert.equal(config.slm?.mode, 'completions');
  const cot = requests.filter((r) => r.body.model === 'small');
  assert.equal(cot.length, ROWS.filter((r) => r.task_type === 'multiple-choice').length);
  for (const r of cot) {
    assert.match(r.body.prompt as string, /\nChain of thought step-bystep in 50 words: \n$/);
    assert.deepEqual([r.body.max_tokens, r.body.temperature], [50, 0.5]);
  }
  // One explicit choice overrides its piece only.
  const overridden = await buildRunConfig({
    data: SAMPLE_FILE,
    preset: 'paper',
    llm: { url: server.baseUrl, model: 'big', mode: 'chat' },
    similarityScore: 'cosine',
    seed: 7,
  });
  assert.equal(overridden.llm.mode, 'chat');
  assert.equal(overridden.similarity.score, 'cosine');
  assert.equal(overridden.answerSampling.ranking.seed, 7);
  assert.equal(overridden.similarity.k, 3);
  assert.equal(overridden.embedModel, 'Snowflake/snowflake-arctic-embed-m');
  assert.deepEqual(overridden.cot.taskTypes, ['multiple-choice']);
  // A local GGUF gets the same raw-text mode: a plain completion without its chat template.
  const local = await buildRunConfig({
    data: SAMPLE_FILE,
    preset: 'paper',
    llm: { url: 'local', model: path.join(dir, 'model.gguf') },
  });
  assert.equal(local.llm.mode, 'completions');
  // Without a preset: chat, cosine, the reference's seed, no CoT and no hints unless asked for.
  const plain = await buildRunConfig({
    data: SAMPLE_FILE,
    llm: { url: server.baseUrl, model: 'big' },
  });
  assert.deepEqual(
    [plain.preset, plain.llm.mode, plain.similarity.score, plain.cot.mode, plain.similarity.k],
    [null, 'chat', 'cosine', 'off', 0],
  );
  assert.equal(plain.answerSampling['multiple-choice'].seed, 773815);
});

test("mcpo ablate --preset paper prints Tables 1, 2 and 5 with the paper's numbers beside ours; bad preset flags are usage errors", async (t) => {
  const server = await withServer(t);
  const dir = tmpDir();
  const mv = vectorModel(dir);
  const common = ['--data', SAMPLE_FILE, '--llm-url', server.baseUrl, '--llm-model', 'big'];
  const r = await runCli([
    'ablate',
    ...common,
    '--preset',
    'paper',
    '--slm-url',
    server.baseUrl,
    '--slm-model',
    'small',
    '--embed-model',
    mv,
    '--scoring-embed-model',
    mv,
    '--out',
    path.join(dir, 'runs'),
    '--cache',
    path.join(dir, 'cache'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const table = (title: string): string => {
    const start = r.stdout.indexOf(title);
    assert.ok(start >= 0, title);
    const end = r.stdout.indexOf('\nTable ', start + 1);
    return r.stdout.slice(start, end < 0 ? undefined : end);
  };
  const t1 = table('Table 1');
  assert.match(t1, /\+Prompt1\+2 .* 0\.607/);
  assert.match(t1, /\+self CoT .* 0\.658 .*\[/);
  assert.match(t1, /\+other CoT .* 0\.690 .*\[/);
  assert.match(table('Table 2'), /\+top-3 hints/);
  const t5 = table('Table 5');
  assert.match(t5, /^arm +multiple-choice +paper +delta \[95% CI\] +retrieval +paper/m);
  assert.match(t5, /baseline .*0\.697 .*0\.811 .*0\.496 .*0\.888/);
  assert.match(t5, /\+Prompt1\+2\+3 .* – .*0\.840 .* – .*0\.918/);
  // Every arm ran with the preset's transport: only raw completions reached the server.
  assert.ok(server.requests.every((q) => q.path === '/v1/models' || q.path === '/v1/completions'));

  for (const [args, message] of [
    [['--preset', 'papper'], /--preset must be one of paper, got "papper"/],
    [['--prompt-parts', 'mcq=3'], /--prompt-parts: mcq: 3 is not a prompt part of multiple-choice/],
    [['--similarity-score', 'l2'], /--similarity-score must be dot or cosine/],
  ] as const) {
    const bad = await runCli(['run', ...common, ...args]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, message);
  }
});

test('mcpo ablate: an arm whose vector model will not load is named and the other arms still print their tables; --similarity-k 0 leaves the hints arms out', async (t) => {
  const server = await withServer(t);
  const dir = tmpDir();
  const mv = vectorModel(dir);
  // Two dev rows of each task type: ranking rows are the ones that need M_V.
  const perType = new Map<string, string[]>();
  for (const line of fs.readFileSync(SAMPLE_FILE, 'utf8').split('\n').filter(Boolean)) {
    const type = (JSON.parse(line) as { task_type: string }).task_type;
    const rows = perType.get(type) ?? [];
    if (rows.length < 2) perType.set(type, [...rows, line]);
  }
  const data = path.join(dir, 'two-per-type.jsonl');
  fs.writeFileSync(data, `${[...perType.values()].flat().join('\n')}\n`);
  const common = [
    ...['--data', data, '--llm-url', server.baseUrl, '--llm-model', 'big'],
    ...['--scoring-embed-model', mv, '--cache', path.join(dir, 'cache')],
  ];
  const missing = path.join(dir, 'no-such-model');
  const broken = await runCli([
    'ablate',
    ...common,
    '--embed-model',
    missing,
    '--out',
    path.join(dir, 'broken'),
  ]);
  assert.equal(broken.code, 1, broken.stderr);
  assert.match(broken.stdout, /Table 1/);
  assert.match(broken.stdout, /\+self CoT/);
  assert.match(broken.stdout, /arm \+top-3 hints did not run: .*no-such-model/);
  assert.match(broken.stdout, /arm all did not run: .*no-such-model/);
  // How to fix it, as the CLI's flags.
  assert.match(
    broken.stderr,
    /arm \+top-3 hints, all did not run\. To run without hints: --similarity-k 0\. To use another M_V: --embed-model <hub id or folder>\./,
  );

  const noHints = await runCli([
    'ablate',
    ...common,
    '--similarity-k',
    '0',
    '--embed-model',
    missing,
    '--out',
    path.join(dir, 'no-hints'),
  ]);
  assert.equal(noHints.code, 0, noHints.stderr);
  assert.doesNotMatch(noHints.stdout, /top-\d+ hints|did not run/);
  assert.match(noHints.stdout, /Table 1/);
});

test('VS Code settings with mcpo.preset = paper: settings the user did not set yield to the preset', async () => {
  const settings: PipelineSettings = {
    preset: 'paper',
    explicit: ['similarity.k'],
    llm: { url: 'http://gpu:8000/v1', model: 'big', mode: 'chat', concurrency: 8 },
    embedModel: 'Xenova/all-MiniLM-L6-v2',
    templates: 'paper',
    cot: 'off',
    cotTaskTypes: ['multiple-choice', 'retrieval'],
    similarityK: 5,
    constrained: false,
    runsDir: '/tmp/runs',
    cacheDir: '/tmp/cache',
  };
  const config = await buildRunConfig(runOptionsFromSettings(settings, SAMPLE_FILE));
  assert.equal(config.preset, 'paper');
  assert.equal(config.llm.mode, 'completions');
  assert.equal(config.cot.mode, 'self');
  assert.deepEqual(config.cot.taskTypes, ['multiple-choice']);
  assert.equal(config.embedModel, 'Snowflake/snowflake-arctic-embed-m');
  assert.equal(config.similarity.k, 5, 'set explicitly: overrides the preset');
  const none = await buildRunConfig(
    runOptionsFromSettings({ ...settings, preset: undefined, explicit: undefined }, SAMPLE_FILE),
  );
  assert.deepEqual(
    [none.preset, none.llm.mode, none.cot.mode, none.similarity.k],
    [null, 'chat', 'off', 5],
  );
});
