import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { choiceToGbnf, regexToGbnf } from '../../../server/llm/gbnf';
import { createLocalLlamaClient, localLabel, wellFormed } from '../../../server/llm/localLlama';
import { disposeLocalModels } from '../../../server/llm/localModels';
import { createClient } from '../../../server/llm/createClient';
import { ResponseCache } from '../../../server/llm/responseCache';
import { LlmError, type LlmRequest } from '../../../server/llm/types';
import { buildRunConfig, executeRun } from '../../../server/runs/startRun';
import type { RunRecord } from '../../../server/runs/runTypes';
import { buildTinyLlamaGguf } from '../../support/tinyLlamaGguf';
import { buildTinyBertFixture } from '../../support/tinyBertFixture';
import { runCli } from '../../support/cli';
import { repoRoot } from '../../support/paths';

const DATA = path.join(repoRoot, 'server', 'dataset', 'sample', 'shopbench-dev.jsonl');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpo-local-llama-'));
const GGUF = buildTinyLlamaGguf(path.join(root, 'tiny.gguf'));
// One thread: for a model this small, thread synchronisation costs ~50x the arithmetic.
const client = createLocalLlamaClient({ model: GGUF, threads: 1 });

after(async () => {
  await disposeLocalModels();
  fs.rmSync(root, { recursive: true, force: true });
});

function request(
  prompt: string,
  extra: Partial<LlmRequest> = {},
  sampling: Partial<LlmRequest['sampling']> = {},
): LlmRequest {
  return {
    prompt,
    sampling: { temperature: 0, top_p: 0.9, max_tokens: 16, seed: 42, ...sampling },
    ...extra,
  };
}

/** No lone surrogates: a random model emits stray bytes, which must come out as U+FFFD, never as broken strings. */
function assertWellFormed(text: string): void {
  assert.equal(wellFormed(text), text);
  assert.equal(JSON.parse(JSON.stringify(text)), text);
}

test('regexToGbnf: the runner regexes convert; unsupported syntax is rejected with a clear error', () => {
  assert.equal(regexToGbnf('[1-5](, [1-5]){4}'), 'root ::= [1-5] (", " [1-5]){4}');
  assert.equal(
    regexToGbnf('[0-9]{1,3}, [0-9]{1,3}, [0-9]{1,3}'),
    'root ::= [0-9]{1,3} ", " [0-9]{1,3} ", " [0-9]{1,3}',
  );
  assert.equal(regexToGbnf('^ab+c?\\d{2,}$'), 'root ::= "a" "b"+ "c"? [0-9]{2,}');
  assert.equal(regexToGbnf('(yes|no)'), 'root ::= ("yes" | "no")');
  assert.equal(choiceToGbnf(['0', '1', 'say "hi"']), 'root ::= "0" | "1" | "say \\"hi\\""');
  assert.throws(() => regexToGbnf('a.b'), /unsupported "\." at position 1/);
  assert.throws(() => regexToGbnf('\\w+'), /unsupported escape \\w/);
  assert.throws(() => regexToGbnf('(?=a)'), /group modifiers/);
  assert.throws(() => regexToGbnf('[0-9'), /unclosed character class/);
  assert.throws(() => regexToGbnf('a{5000}'), /repeat count above/);
});

test('loads the GGUF, applies its chat template and generates text', async () => {
  await client.check();
  assert.equal(client.label, 'local:tiny.gguf');
  assert.equal(
    localLabel('hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M'),
    'local:hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M',
  );
  const chat = await client.complete(
    request('Which product matches the query?', {}, { temperature: 0.8, seed: 7, max_tokens: 24 }),
  );
  assert.equal(typeof chat.text, 'string');
  assert.equal(chat.cached, false);
  assertWellFormed(chat.text);
  assert.ok(
    chat.usage !== undefined &&
      chat.usage.completion_tokens > 0 &&
      chat.usage.completion_tokens <= 24,
  );
  // The ChatML wrapping (<|im_start|>user\n ... <|im_end|>\n<|im_start|>assistant\n) adds tokens
  // that the raw completion of the same prompt does not have.
  const completions = createLocalLlamaClient({
    model: GGUF,
    threads: 1,
    endpoint: {
      baseUrl: 'local',
      model: GGUF,
      mode: 'completions',
      concurrency: 1,
      timeoutMs: 60_000,
      maxRetries: 0,
    },
  });
  const raw = await completions.complete(
    request('Which product matches the query?', {}, { max_tokens: 4 }),
  );
  assertWellFormed(raw.text);
  assert.ok(
    chat.usage.prompt_tokens >= raw.usage!.prompt_tokens + 8,
    `chat ${chat.usage.prompt_tokens} vs raw ${raw.usage!.prompt_tokens}`,
  );
});

test('a missing model file fails check() with what to do, not a stack trace', async () => {
  const missing = createLocalLlamaClient({ model: path.join(root, 'nope.gguf') });
  await assert.rejects(missing.check(), (err: unknown) => {
    assert.ok(err instanceof LlmError);
    assert.match(
      err.message,
      /nope\.gguf: no such file; set --llm-url to an OpenAI-compatible server, or --llm-model to a local \.gguf file/,
    );
    return true;
  });
  // createClient picks the backend from the base URL.
  assert.equal(
    createClient({
      baseUrl: 'local',
      model: GGUF,
      mode: 'chat',
      concurrency: 1,
      timeoutMs: 1000,
      maxRetries: 0,
    }).label,
    'local:tiny.gguf',
  );
  assert.equal(
    createClient({
      baseUrl: 'http://h:1/v1',
      model: 'm',
      mode: 'chat',
      concurrency: 1,
      timeoutMs: 1000,
      maxRetries: 0,
    }).label,
    'm@h:1',
  );
});

test('a prompt longer than the context names its tokens, the context size and what to do', async () => {
  // Past the context, llama.cpp either fails ("Failed to compress chat history for context
  // shift") or silently drops the start of the prompt and answers something else.
  const small = createLocalLlamaClient({ model: GGUF, threads: 1, contextSize: 256 });
  for (const mode of ['chat', 'completions'] as const) {
    const client = createLocalLlamaClient({
      model: GGUF,
      threads: 1,
      contextSize: 256,
      endpoint: { ...small.endpoint, mode },
    });
    for (const length of [400, 240]) {
      await assert.rejects(
        client.complete(request('x'.repeat(length), {}, { max_tokens: 32 })),
        (err: unknown) => {
          assert.ok(err instanceof LlmError, String(err));
          assert.match(
            err.message,
            /^local:tiny\.gguf: the prompt has \d+ tokens and the answer may take 32 more, but the model's context holds 256 tokens: raise it with --ctx-size 512 \(this model was trained for up to 8192\); or use a shorter template/,
          );
          assert.doesNotMatch(err.message, /compress chat history/);
          return true;
        },
        `${mode}, ${length} characters`,
      );
    }
  }
  // What fits still runs on the same small context.
  const fits = await small.complete(request('x'.repeat(100), {}, { max_tokens: 8 }));
  assert.ok(fits.usage!.prompt_tokens + 8 <= 256);
});

test('multiple choice under a choice grammar always answers one of the options', async () => {
  const choices = ['0', '1', '2', '3'];
  for (let seed = 1; seed <= 8; seed++) {
    const r = await client.complete(
      request(
        `Pick an option (${seed}).`,
        { structured: { choice: choices } },
        { temperature: 1, seed, max_tokens: 2 },
      ),
    );
    assert.ok(choices.includes(r.text), `seed ${seed}: ${JSON.stringify(r.text)}`);
  }
});

test('ranking and retrieval regexes constrain the output exactly', async () => {
  for (let seed = 1; seed <= 5; seed++) {
    const ranking = await client.complete(
      request(
        'Rank the items.',
        { structured: { regex: '[1-5](, [1-5]){4}' } },
        { temperature: 1, seed, max_tokens: 70 },
      ),
    );
    assert.match(ranking.text, /^[1-5](, [1-5]){4}$/, `seed ${seed}`);
    const retrieval = await client.complete(
      request(
        'Retrieve three.',
        { structured: { regex: '[0-9]{1,3}, [0-9]{1,3}, [0-9]{1,3}' } },
        { temperature: 1, seed, max_tokens: 70 },
      ),
    );
    assert.match(retrieval.text, /^[0-9]{1,3}, [0-9]{1,3}, [0-9]{1,3}$/, `seed ${seed}`);
  }
});

test('an abort mid-generation rejects with AbortError and leaves the model usable', async () => {
  const controller = new AbortController();
  // 3,000 forced letters: seconds of generation on this model, so the abort lands before the
  // end (a generation that finished would resolve, and fail this test loudly, not pass it).
  const pending = client.complete(
    request(
      'Write a lot.',
      { structured: { regex: '([a-z]{1000}){3}' } },
      { temperature: 1, max_tokens: 3000 },
    ),
    controller.signal,
  );
  setTimeout(() => controller.abort(), 150);
  await assert.rejects(
    pending,
    (err: unknown) => err instanceof Error && err.name === 'AbortError',
  );
  // The model is still usable afterwards.
  const after = await client.complete(request('Still there?', {}, { max_tokens: 4 }));
  assertWellFormed(after.text);
});

test('concurrent requests are queued and all finish', async () => {
  const results = await Promise.all(
    [1, 2, 3, 4, 5].map((n) =>
      client.complete(
        request(`Question number ${n}?`, {}, { temperature: 0.7, seed: n, max_tokens: 12 }),
      ),
    ),
  );
  assert.equal(results.length, 5);
  for (const r of results) assertWellFormed(r.text);
});

test('the response cache answers an identical request without generating', async () => {
  const cache = new ResponseCache(path.join(root, 'cache'));
  const cached = createLocalLlamaClient({ model: GGUF, threads: 1, responseCache: cache });
  const req = request('Cache me.', {}, { temperature: 0.9, seed: 3, max_tokens: 10 });
  const first = await cached.complete(req);
  const second = await cached.complete(req);
  assert.equal(first.cached, false);
  assert.equal(second.cached, true);
  assert.equal(second.text, first.text);
  const otherSeed = await cached.complete({ ...req, sampling: { ...req.sampling, seed: 4 } });
  assert.equal(otherSeed.cached, false);
});

test('disposeLocalModels releases the model and the next request loads it again', async () => {
  const before = await client.complete(request('Greedy and deterministic.', {}, { max_tokens: 8 }));
  await disposeLocalModels();
  await disposeLocalModels(); // idempotent
  const again = await client.complete(request('Greedy and deterministic.', {}, { max_tokens: 8 }));
  assert.equal(again.text, before.text);
});

function records(dir: string): RunRecord[] {
  return fs
    .readFileSync(path.join(dir, 'records.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RunRecord);
}

test('a pipeline run on the sample with a local M_L: every question ok', async () => {
  const dir = path.join(root, 'run');
  const mv = buildTinyBertFixture(path.join(root, 'mv'));
  const config = await buildRunConfig({
    data: DATA,
    llm: { url: 'local', model: GGUF, concurrency: 2 },
    scoringEmbedModel: mv,
    limit: 24,
    constrained: true,
  });
  const result = await executeRun(config, undefined, path.join(dir, 'runs'), {
    cacheDir: path.join(dir, 'cache'),
    localThreads: 1,
  });
  assert.equal(result.done, 24);
  assert.equal(result.failed, 0);
  const recs = records(result.dir);
  assert.equal(recs.length, 24);
  for (const r of recs) {
    assert.equal(r.status, 'ok', `${r.index}: ${JSON.stringify(r.error)}`);
    assert.equal(r.answer?.model, 'local:tiny.gguf');
    if (r.task_type === 'multiple-choice')
      assert.match(r.response ?? '', /^\d$/, `question ${r.index}`);
  }
});

test('mcpo run --llm-url local --llm-model <gguf> exits 0', async () => {
  const dir = path.join(root, 'cli');
  const mv = buildTinyBertFixture(path.join(root, 'mv'));
  const result = await runCli([
    'run',
    '--data',
    DATA,
    '--llm-url',
    'local',
    '--llm-model',
    GGUF,
    '--threads',
    '1',
    '--limit',
    '12',
    '--scoring-embed-model',
    mv,
    '--out',
    path.join(dir, 'runs'),
    '--cache',
    path.join(dir, 'cache'),
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /12 of 12 questions to run/);
});
